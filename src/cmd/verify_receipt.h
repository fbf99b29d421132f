// `sealpost verify receipt FILE`: checks a receipt offline (receipts/receipt_verifier.h) against
// the platform root certificate and, when given, the log key and the sealed message's digest.
#pragma once

#include <optional>
#include <string>

namespace sealpost::cmd {

struct VerifyReceiptArgs {
  std::string receipt_path;
  std::string root_path;                      // PEM: the platform root certificate(s)
  std::optional<std::string> tsa_root_path;   // PEM: an external TSA's root, for the time-stamp
  std::optional<std::string> log_key;         // note verifier key, or a file holding one
  std::optional<std::string> digest_hex;      // the sealed digest (SHA-256 of the seal statement)
  std::optional<std::string> statement_path;  // or the seal statement itself, hashed here
};

// Prints the signed document and one line per check. Exit codes: 0 valid, 1 invalid (each failed
// check named), 2 cannot check (a file unreadable, a bad root or key argument).
int VerifyReceiptCommand(const VerifyReceiptArgs& args);

}  // namespace sealpost::cmd
