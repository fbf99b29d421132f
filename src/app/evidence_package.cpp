#include "app/evidence_package.h"

#include <utility>
#include <vector>

#include "app/receipt_issuing.h"
#include "receipts/evidence_package.h"
#include "tlog/note.h"

namespace sealpost::app {

Result<EvidencePackageFile> EvidencePackages::Build(const AuthContext& ctx,
                                                    std::string_view message_id) {
  SP_ASSIGN_OR_RETURN(const MessageId id, Receipts(s_).OwnMessage(ctx, message_id));
  if (s_.pki == nullptr) return Unavailable("no platform PKI: receipts are not issued");

  const Status no_receipts =
      Conflict(
          "No receipts have been issued for this message yet; they follow within seconds "
          "of each event. Try again shortly.")
          .ShownToClient();
  auto evidence = s_.store.evidence().GetMessageEvidence(id);
  if (!evidence.ok()) {
    return evidence.status().code() == ErrorCode::kNotFound ? no_receipts : evidence.status();
  }
  SP_ASSIGN_OR_RETURN(const std::vector<store::ReceiptRecord> rows,
                      s_.store.evidence().ListReceipts(id));
  if (rows.empty()) return no_receipts;

  receipts::EvidencePackageInput input;
  input.message_id = id.str();
  input.sealed_digest_hex = evidence->sealed_digest_hex;
  input.sender = evidence->sender;
  input.receipts.reserve(rows.size());
  for (const store::ReceiptRecord& r : rows) input.receipts.push_back(r.der);
  SP_ASSIGN_OR_RETURN(const auto checkpoint, s_.store.log().GetLatestLogCheckpoint());
  if (checkpoint) input.checkpoint = checkpoint->note;  // covers every receipt's tree
  input.log_key = tlog::NoteVerifier{s_.audit.origin(), s_.audit.verify_key()};
  input.display_names[evidence->sender] = ctx.user.display_name;
  input.generated_at = s_.clock.Now();

  const receipts::EvidenceCertificates certificates{s_.pki->root.certificate,
                                                    {s_.pki->issuing.certificate},
                                                    s_.pki->evidence_signer.certificate,
                                                    s_.pki->tsa.certificate};
  SP_ASSIGN_OR_RETURN(Bytes zip, receipts::BuildEvidencePackage(input, certificates, fonts_));
  return EvidencePackageFile{"evidence-" + id.str() + ".zip", std::move(zip)};
}

}  // namespace sealpost::app
