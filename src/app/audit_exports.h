// Audit exports for auditors (receipts/audit_export.h, docs/formats/audit-export.md): the log
// events of a time range, a member or a message, with what proves them complete and unaltered.
// Each export is itself an audited event ("audit.export": who, the filter, the range; recorded
// after the export is built, so it is in the next export, not this one).
//
// Who may export is decided by MayExportAudit alone: today administrators; the auditor role
// replaces its body.
//
// SECURITY: the filter values are untrusted request input (bounded, only compared); the
// caller's permission is checked first (PermissionDenied). Thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "app/access.h"
#include "app/auth_context.h"
#include "app/services.h"
#include "receipts/audit_export.h"

namespace sealpost::app {

enum class AuditExportFormat { kJsonLines, kCsv, kPdf, kBundle };

// "jsonl", "csv", "pdf", "bundle"; InvalidArgument (shown to the client) otherwise.
Result<AuditExportFormat> ParseAuditExportFormat(std::string_view name);

struct AuditExportFile {
  std::string file_name;     // e.g. "audit-export.zip"
  std::string content_type;  // e.g. "application/zip"
  Bytes content;
};

// The one permission check of the audit export (app/access.h): an auditor (kExportEvidence), or
// whoever reads the instance-wide audit log anyway (kReadAudit over every domain:
// administrators). PermissionDenied otherwise.
Status MayExportAudit(store::Store& store, const Caller& caller);

class AuditExports final {
 public:
  explicit AuditExports(const Services& services) : s_(services) {}

  // Sequences what is pending, then exports. `member` may be a user id or an address (looked up).
  // InvalidArgument for a bad filter (from ≥ to, an unknown address, a value over 1 KiB);
  // TooLarge for a range over kAuditExport; NotFound before the log's first checkpoint.
  Result<AuditExportFile> Export(const Caller& caller, receipts::AuditExportFilter filter,
                                 AuditExportFormat format);
  // The same for the operator's command line (`sealpost admin export-audit`): recorded with the
  // actor "cli".
  Result<AuditExportFile> ExportAsOperator(receipts::AuditExportFilter filter,
                                           AuditExportFormat format);

  // The log's verifier key line (what `sealpost verify export --key` takes).
  std::string VerifierKey() const;

 private:
  Result<AuditExportFile> Build(const std::string& actor, receipts::AuditExportFilter filter,
                                AuditExportFormat format);
  Services s_;
};

}  // namespace sealpost::app
