// Verifies a receipt (receipt.h) offline, trusting only the platform root certificate and,
// optionally, the log's note verifier key: what `sealpost verify receipt` runs.
//
// Each part is checked on its own and reported by name, so a failure says what is wrong:
//   structure             one DER CMS SignedData with one signer and both unsigned attributes
//   signature             CMS signature, signed attributes (incl. signing-certificate-v2) and the
//                         chain to the root, signer EKU id-kp-documentSigning
//   document              the signed content is a canonical evidence document
//   time-stamp            the RFC 3161 token: imprint = SHA-256 of the signature value, signed by
//                         a TSA (EKU timeStamping) chaining to the same root or a tsa_roots one
//   sealed digest         the document's sealed-digest equals the one given (skipped if none)
//   log proof             the leaf is at the document's log-index in the checkpoint's tree, and
//                         the checkpoint is of the document's log-origin
//   checkpoint signature  the checkpoint is signed by the given log key (skipped if none)
//   log entry             the leaf records the document's event (CheckLeafRecordsEvent)
//
// Certificates are checked at the current time. SECURITY: `receipt` is untrusted input (any
// size is accepted here; over kReceipts.max_receipt_bytes fails "structure"). Thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/encoding.h"
#include "receipts/evidence_document.h"
#include "smime/certificate.h"
#include "tlog/note.h"

namespace sealpost::receipts {

enum class CheckOutcome { kPassed, kFailed, kSkipped };

struct ReceiptCheck {
  std::string part;  // one of the names above
  CheckOutcome outcome = CheckOutcome::kFailed;
  std::string detail;  // why it failed or was skipped; what was found when it passed
};

struct ReceiptVerifyOptions {
  std::vector<smime::Certificate> roots;  // trust anchors (the platform root)
  // An external TSA's trust anchors ([receipts] tsa_url): trusted for the time-stamp only, never
  // for the receipt's signature.
  std::vector<smime::Certificate> tsa_roots;
  std::optional<tlog::NoteVerifier> log_key;     // the checkpoint signer
  std::optional<std::string> sealed_digest_hex;  // 64 hex digits (any case)
};

struct ReceiptReport {
  std::vector<ReceiptCheck> checks;
  std::optional<EvidenceDocument> document;  // when the document parsed
  std::string document_text;                 // the signed content, as is

  // True when no check failed (skipped ones do not count).
  bool valid() const;
  // The named check, or nullptr.
  const ReceiptCheck* Find(std::string_view part) const;
};

ReceiptReport VerifyReceipt(ByteView receipt, const ReceiptVerifyOptions& options);

}  // namespace sealpost::receipts
