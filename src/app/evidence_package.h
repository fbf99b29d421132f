// The evidence package of a sent message for its sender (issue 14, "Verification without
// trusting the operator"; docs/formats/evidence-package.md): the ZIP that
// receipts::BuildEvidencePackage makes from the message's receipts, the log's latest signed
// checkpoint and verifier key, and the platform certificates (root, issuing CA, evidence signer,
// TSA).
//
// The package is built from the server's records alone: it holds no message.eml and no seal
// (the content is end-to-end encrypted; the sender keeps them), and every receipt names the
// sealed digest that the sender's seal signs. A refused submission's id
// (app/submission_rejection.h) gets the package of its SubmissionRejection receipts.
//
// SECURITY: Build sees an untrusted message id (a URL segment). Only the message's sender gets a
// package; anyone else, like a missing message, gets NotFound("message not found"), so the
// answer does not say whether the message exists. Receipts hold addresses, digests and times,
// never content. Thread-safe (no state beyond the Services).
#pragma once

#include <string>
#include <string_view>

#include "app/auth_context.h"
#include "app/services.h"
#include "core/encoding.h"
#include "core/status.h"
#include "receipts/evidence_report_pdf.h"

namespace sealpost::app {

struct EvidencePackageFile {
  std::string file_name;  // "evidence-<message id>.zip"
  Bytes zip;
};

class EvidencePackages final {
 public:
  explicit EvidencePackages(const Services& s, receipts::ReportFonts fonts = {})
      : s_(s), fonts_(std::move(fonts)) {}

  // NotFound (see SECURITY); Conflict, shown to the client, while no receipt was issued yet
  // (receipts follow the log's next checkpoint) or for a message sent before evidence was
  // recorded; Unavailable without a platform PKI or when the report fonts are missing.
  Result<EvidencePackageFile> Build(const AuthContext& ctx, std::string_view message_id);

 private:
  const Services& s_;
  receipts::ReportFonts fonts_;
};

}  // namespace sealpost::app
