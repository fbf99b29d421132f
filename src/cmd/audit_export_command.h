// `sealpost verify export FILE` (offline check of an audit export, receipts/audit_export_verify.h)
// and `sealpost admin export-audit` (an export written from the store of an installation,
// receipts/audit_export.h).
#pragma once

#include <optional>
#include <string>

namespace sealpost::cmd {

struct VerifyExportArgs {
  std::string file;                     // export.jsonl, or a bundle (ZIP)
  std::optional<std::string> key;       // the log's verifier key "<name>+<hash>+<base64 key>"
  std::optional<std::string> key_file;  // a file holding that line
};

// Exit codes: 0 verified, 1 altered or not the log's (the reason is printed), 2 cannot check.
int VerifyExportCommand(const VerifyExportArgs& args);

struct ExportAuditArgs {
  std::string data_dir = "./sealpost-data";
  std::string store_url;                // empty: SQLite in data_dir
  std::optional<std::string> from, to;  // RFC 3339 or Unix ms
  std::string member;                   // a user id
  std::string message;                  // a message id
  std::string format = "bundle";        // jsonl, csv, pdf, bundle
  std::string out;                      // the file written
};

// Exports what the latest signed checkpoint covers (events still pending are not in it).
// Exit codes: 0 written, 2 failed.
int ExportAuditCommand(const ExportAuditArgs& args);

}  // namespace sealpost::cmd
