// The offline check of an audit export (audit_export.h, docs/formats/audit-export.md), behind
// `sealpost verify export`: the checkpoint's signature by the log's key, every line's index in
// order, each full entry's fields against its leaf bytes, its inclusion proof and its match
// with the filter, and the range proof over every leaf hash of the range against the signed
// root. A bundle (ZIP) is checked through its export.jsonl, and its export.csv must be exactly
// what that file gives.
//
// SECURITY: the whole file is untrusted. Sizes are bounded by crypto::policy::kAuditExport;
// malformed input is InvalidArgument naming the line; anything that does not verify is
// Unauthenticated naming the line; never a crash. Pure; thread-safe.
#pragma once

#include <span>
#include <string_view>

#include "core/encoding.h"
#include "core/status.h"
#include "receipts/audit_export.h"
#include "tlog/note.h"

namespace sealpost::receipts {

// The export, verified. The verifier key must come from outside the export.
Result<AuditExport> VerifyAuditExport(std::string_view jsonl,
                                      std::span<const tlog::NoteVerifier> verifiers);

// A bundle made by AuditExportBundle: export.jsonl verified as above, export.csv compared.
Result<AuditExport> VerifyAuditExportBundle(ByteView zip,
                                            std::span<const tlog::NoteVerifier> verifiers);

}  // namespace sealpost::receipts
