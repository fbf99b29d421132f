#include "cmd/verify_receipt.h"

#include <iostream>

#include "crypto/hash.h"
#include "crypto/security_policy.h"
#include "platform/filesystem.h"
#include "receipts/receipt_verifier.h"
#include "smime/certificate.h"

namespace sealpost::cmd {
namespace {

constexpr size_t kMaxRootBytes = 256 * 1024;
constexpr size_t kMaxStatementBytes = 16 * 1024 * 1024;

int CannotCheck(const std::string& what) {
  std::cerr << "sealpost verify receipt: " << what << "\n";
  return 2;
}

std::string_view Label(receipts::CheckOutcome outcome) {
  switch (outcome) {
    case receipts::CheckOutcome::kPassed:
      return "OK  ";
    case receipts::CheckOutcome::kFailed:
      return "FAIL";
    case receipts::CheckOutcome::kSkipped:
      return "SKIP";
  }
  return "?";
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

int VerifyReceiptCommand(const VerifyReceiptArgs& args) {
  auto& fs = platform::DefaultFilesystem();
  auto receipt =
      platform::ReadSmallFile(fs, args.receipt_path, crypto::policy::kReceipts.max_receipt_bytes);
  if (!receipt.ok()) return CannotCheck("cannot read the receipt: " + receipt.status().message());
  auto root_pem = platform::ReadSmallFile(fs, args.root_path, kMaxRootBytes);
  if (!root_pem.ok()) return CannotCheck("cannot read the root: " + root_pem.status().message());
  auto root = smime::Certificate::FromPem(*root_pem);
  if (!root.ok()) return CannotCheck("the root is not a PEM certificate");

  receipts::ReceiptVerifyOptions options;
  options.roots = {*root};
  if (args.tsa_root_path) {
    auto tsa_pem = platform::ReadSmallFile(fs, *args.tsa_root_path, kMaxRootBytes);
    if (!tsa_pem.ok()) {
      return CannotCheck("cannot read the TSA root: " + tsa_pem.status().message());
    }
    auto tsa_root = smime::Certificate::FromPem(*tsa_pem);
    if (!tsa_root.ok()) return CannotCheck("the TSA root is not a PEM certificate");
    options.tsa_roots = {*tsa_root};
  }
  if (args.log_key) {
    std::string vkey = *args.log_key;
    if (fs.Exists(vkey)) {
      auto text = platform::ReadSmallFile(fs, vkey, 4096);
      if (!text.ok()) return CannotCheck("cannot read the log key: " + text.status().message());
      vkey = *text;
    }
    auto verifier = tlog::ParseVerifierKey(Trim(vkey));
    if (!verifier.ok()) return CannotCheck("the log key is not a note verifier key");
    options.log_key = *verifier;
  }
  if (args.digest_hex && args.statement_path) {
    return CannotCheck("give --digest or --statement, not both");
  }
  if (args.digest_hex) {
    auto raw = HexDecode(*args.digest_hex);
    if (!raw.ok() || raw->size() != 32) return CannotCheck("--digest is not 64 hex digits");
    options.sealed_digest_hex = HexEncode(*raw);
  }
  if (args.statement_path) {
    auto statement = platform::ReadSmallFile(fs, *args.statement_path, kMaxStatementBytes);
    if (!statement.ok()) {
      return CannotCheck("cannot read the statement: " + statement.status().message());
    }
    options.sealed_digest_hex = HexEncode(crypto::Sha256(AsBytes(*statement)));
  }

  const receipts::ReceiptReport report = receipts::VerifyReceipt(AsBytes(*receipt), options);
  if (!report.document_text.empty()) {
    std::cout << report.document_text << "\n";
  }
  for (const receipts::ReceiptCheck& c : report.checks) {
    std::cout << Label(c.outcome) << " " << c.part;
    if (!c.detail.empty()) std::cout << ": " << c.detail;
    std::cout << "\n";
  }
  std::cout << (report.valid() ? "receipt valid\n" : "receipt INVALID\n");
  return report.valid() ? 0 : 1;
}

}  // namespace sealpost::cmd
