// Issues receipts (receipt.h, docs/formats/receipt.md): signs an evidence document as CMS
// SignedData with the platform evidence-signer key, time-stamps the signature value and attaches
// the inclusion proof of the event's log leaf.
//
// Before signing, the issuer reads the proof for document.log_index and checks that the leaf
// records the document's event (CheckLeafRecordsEvent) and that the proof leads to the
// checkpoint's root, so a receipt never claims what the log does not show.
//
// Thread-safety: Issue() is const and may run on many threads at once if the TimeStamper and
// LogProofSource allow it (InProcessTimeStamper does; StoreLogProofSource is per call).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/encoding.h"
#include "core/status.h"
#include "receipts/evidence_document.h"
#include "receipts/receipt.h"
#include "receipts/tsa.h"
#include "smime/platform_ca.h"
#include "store/log_store.h"

namespace sealpost::receipts {

// Where time-stamp tokens come from: the built-in TSA, or (later) an external one by URL.
class TimeStamper {
 public:
  virtual ~TimeStamper() = default;
  // A granted RFC 3161 token (DER ContentInfo) over `sha256_imprint` (32 bytes). An external
  // TSA's answer is checked to carry that imprint and the request's nonce (TimeStampWith).
  // Unavailable when the TSA refuses or is unreachable.
  virtual Result<Bytes> TimeStamp(ByteView sha256_imprint) const = 0;
};

// Asks a TimeStampAuthority in this process (no network; the same request an external client
// sends, answered by RespondWithToken). `tsa` must outlive this.
class InProcessTimeStamper final : public TimeStamper {
 public:
  explicit InProcessTimeStamper(const TimeStampAuthority& tsa) : tsa_(tsa) {}
  Result<Bytes> TimeStamp(ByteView sha256_imprint) const override;

 private:
  const TimeStampAuthority& tsa_;
};

// The request/response exchange of any RFC 3161 TSA: builds a TimeStampReq (SHA-256 imprint,
// random nonce, certReq), hands it to `respond`, and checks the TimeStampResp. Exposed so an HTTP
// TimeStamper can reuse it.
Result<Bytes> TimeStampWith(ByteView sha256_imprint,
                            const std::function<Result<Bytes>(ByteView query)>& respond);

// Where inclusion proofs come from.
class LogProofSource {
 public:
  virtual ~LogProofSource() = default;
  // The leaf at `index`, its audit path and the signed checkpoint of the latest tree (which must
  // contain it: NotFound when the leaf is not sequenced yet).
  virtual Result<LogProof> Prove(uint64_t index) = 0;
};

// Reads the proof from the store: the latest checkpoint, the leaf row, and the path from the
// stored tiles (tlog::TileHashSource). `log` must outlive this.
class StoreLogProofSource final : public LogProofSource {
 public:
  explicit StoreLogProofSource(store::LogReader& log) : log_(log) {}
  Result<LogProof> Prove(uint64_t index) override;

 private:
  store::LogReader& log_;
};

class ReceiptIssuer final {
 public:
  // `signer`: a certificate of profile kEvidenceSigner with its key; `chain`: the CA certificates
  // above it (issuing CA first), carried in the receipt. InvalidArgument when the key does not
  // match. The stamper must outlive the issuer.
  static Result<std::unique_ptr<ReceiptIssuer>> Create(const smime::IssuedKey& signer,
                                                       const std::vector<smime::Certificate>& chain,
                                                       const TimeStamper& stamper);
  ~ReceiptIssuer();
  ReceiptIssuer(const ReceiptIssuer&) = delete;
  ReceiptIssuer& operator=(const ReceiptIssuer&) = delete;

  // The receipt (DER) for `document`, with the proof of its log leaf from `proofs`.
  // InvalidArgument for a document that does not encode; Unauthenticated when the log leaf does
  // not record that event or the proof does not lead to the checkpoint; Unavailable from the TSA.
  Result<Bytes> Issue(const EvidenceDocument& document, LogProofSource& proofs) const;
  // The same with a proof already at hand (benchmarks, tests): it is checked the same way.
  Result<Bytes> IssueWithProof(const EvidenceDocument& document, const LogProof& proof) const;

  struct State;

 private:
  explicit ReceiptIssuer(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace sealpost::receipts
