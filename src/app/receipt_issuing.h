// Receipts for senders (issue 14, "Receipts"; docs/formats/receipt.md, "Receipts for sent
// messages").
//
// ReceiptIssuing is the background worker: it reads the transparency log's sequenced leaves from
// the store's receipt cursor up to the latest signed checkpoint, and for every evidence event
// among them (docs/formats/log-entry.md, "Evidence events") issues the receipts it attests with
// Services::receipt_issuer — CMS SignedData over the evidence document, an RFC 3161 time-stamp
// and the inclusion proof to that checkpoint — then stores them together with the advanced cursor
// in one write transaction. Crash-safe and idempotent: leaves whose receipts were not committed
// are read again, and a receipt stored twice (same deterministic id "<log index>-<n>") is kept
// once. A receipt that can never be issued (a document that does not encode, a leaf that does not
// record its event) is logged and skipped; a TSA or store failure ends the round before that leaf,
// to be retried.
//
// Receipts is the sender's view: the list of a message's receipts and each receipt's DER.
//
// SECURITY: List and Get see an untrusted message id and receipt id (URL segments). Only the
// message's sender gets an answer; anyone else, like a missing message, gets NotFound("message
// not found"). Receipts hold addresses, digests and times, never content. Thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "app/auth_context.h"
#include "app/services.h"
#include "core/status.h"
#include "receipts/evidence_document.h"
#include "store/evidence_store.h"
#include "tlog/log_entry.h"

namespace sealpost::app {

// The evidence documents a log leaf attests, in a fixed order (the n of a receipt id), given
// what the send recorded about its message; the log fields (origin, index) are the caller's.
// Empty for a leaf that is no evidence event. Pure.
std::vector<receipts::EvidenceDocument> EvidenceOfLeaf(const tlog::LogEvent& event,
                                                       const store::MessageEvidenceRecord& message);

struct ReceiptRound {
  uint64_t scanned = 0;  // leaves read (and the cursor moved by this many)
  int issued = 0;        // receipts stored
  int skipped = 0;       // receipts that cannot be issued (logged)
};

class ReceiptIssuing final {
 public:
  explicit ReceiptIssuing(const Services& s) : s_(s) {}

  // One round over at most `batch` leaves. A no-op (zero round) without a receipt issuer or when
  // no checkpoint covers a leaf past the cursor.
  Result<ReceiptRound> IssueDue(int batch = 256);

 private:
  const Services& s_;
};

struct ReceiptSummary {
  std::string id;
  std::string recipient;
  std::string event;    // ETSI EN 319 522 event name
  int64_t time_ms = 0;  // of the event (the document's time)
  uint64_t log_index = 0;
  TimePoint issued_at;
};

class Receipts final {
 public:
  explicit Receipts(const Services& s) : s_(s) {}

  // The message's receipts, by log index (see SECURITY above).
  Result<std::vector<ReceiptSummary>> List(const AuthContext& ctx, std::string_view message_id);
  // One receipt's DER; NotFound("receipt not found") for an id not of this message.
  Result<Bytes> Get(const AuthContext& ctx, std::string_view message_id,
                    std::string_view receipt_id);
  // `message_id` when the caller sent that message or made that refused submission
  // (app/submission_rejection.h); NotFound("message not found") otherwise.
  Result<MessageId> OwnMessage(const AuthContext& ctx, std::string_view message_id);

 private:
  const Services& s_;
};

}  // namespace sealpost::app
