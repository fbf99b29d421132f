#include "app/receipt_issuing.h"

#include <algorithm>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "receipts/receipt.h"
#include "receipts/receipt_issuer.h"

namespace sealpost::app {
namespace {

using receipts::EvidenceEvent;

// A reason fit for the evidence document: printable ASCII, no surrounding spaces, bounded.
std::string ReasonText(std::string_view text) {
  std::string out;
  for (const char c : text.substr(0, 200)) out += (c >= 0x20 && c <= 0x7e) ? c : '?';
  while (!out.empty() && out.back() == ' ') out.pop_back();
  while (!out.empty() && out.front() == ' ') out.erase(out.begin());
  return out.empty() || out == "-" ? "failed" : out;
}

std::string StringField(const nlohmann::json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// The leaf types EvidenceOfLeaf may turn into receipts: only these cost a store read.
bool IsEvidenceType(std::string_view type) {
  for (std::string_view t :
       {"message.send", "message.portal_reply", "submission.rejected", "pickup.notified",
        "pickup.notify_failed", "delivery.sent", "delivery.failed", "message.read", "pickup.unlock",
        "pickup.expired", "message.accepted", "message.refused", "message.expired"}) {
    if (t == type) return true;
  }
  return false;
}

bool BoolField(const nlohmann::json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_boolean() && it->get<bool>();
}

}  // namespace

std::vector<receipts::EvidenceDocument> EvidenceOfLeaf(const tlog::LogEvent& e,
                                                       const store::MessageEvidenceRecord& m) {
  const nlohmann::json details = nlohmann::json::parse(e.details, nullptr, false);
  if (!details.is_object() || e.subject != m.message_id.str()) return {};
  const std::string recipient = StringField(details, "recipient");
  const auto method = receipts::DeliveryMethodOfLeaf(StringField(details, "method"));
  if (recipient.empty() || !method) return {};
  std::vector<std::pair<EvidenceEvent, std::string>> events;  // event, reason
  if (e.type == "submission.rejected") {
    // The reason was made fit for the document when it was recorded (submission_rejection.h).
    events.push_back({EvidenceEvent::kSubmissionRejection, StringField(details, "reason")});
  } else if (e.type == "message.send" || e.type == "message.portal_reply") {
    events.push_back({EvidenceEvent::kSubmissionAcceptance, ""});
    if (*method == receipts::DeliveryMethod::kMailbox) {
      events.push_back({EvidenceEvent::kContentConsignment, ""});
    }
  } else if (e.type == "pickup.notified" || e.type == "delivery.sent") {
    // With the relay's own answer when the leaf names it (older leaves say only "accepted").
    const std::string relay = StringField(details, e.type == "delivery.sent" ? "host" : "relay");
    events.push_back({EvidenceEvent::kContentConsignment,
                      relay.empty()
                          ? std::string()
                          : receipts::ConsignmentReplyText(relay, StringField(details, "reply"))});
  } else if (e.type == "pickup.notify_failed" || e.type == "delivery.failed") {
    events.push_back(
        {EvidenceEvent::kContentConsignmentFailure, ReasonText(StringField(details, "error"))});
  } else if ((e.type == "message.read" || e.type == "pickup.unlock") &&
             BoolField(details, "first")) {
    events.push_back({EvidenceEvent::kContentHandover, ""});
  } else if (e.type == "pickup.expired" && !BoolField(details, "opened")) {
    events.push_back({EvidenceEvent::kContentHandoverFailure, "expired"});
  } else if (e.type == "message.accepted") {
    // Registered mail: the acceptance shows the content at once (app/registered_mail.h).
    events.push_back({EvidenceEvent::kConsignmentAcceptance, ""});
    events.push_back({EvidenceEvent::kContentHandover, ""});
  } else if (e.type == "message.refused") {
    events.push_back({EvidenceEvent::kConsignmentRejection, ""});
  } else if (e.type == "message.expired") {
    events.push_back({EvidenceEvent::kAcceptanceRejectionExpiry, "expired"});
  }
  std::vector<receipts::EvidenceDocument> out;
  for (auto& [event, reason] : events) {
    receipts::EvidenceDocument d;
    d.event = event;
    d.message_id = e.subject;
    d.sealed_digest_hex = m.sealed_digest_hex;
    d.sender = m.sender;
    d.recipient = recipient;
    d.delivery_method = *method;
    d.time_ms = e.time_ms;
    d.reason = std::move(reason);
    out.push_back(std::move(d));
  }
  return out;
}

Result<ReceiptRound> ReceiptIssuing::IssueDue(int batch) {
  ReceiptRound round;
  if (s_.receipt_issuer == nullptr) return round;
  SP_ASSIGN_OR_RETURN(const uint64_t cursor, s_.store.evidence().GetReceiptCursor());
  SP_ASSIGN_OR_RETURN(const auto checkpoint, s_.store.log().GetLatestLogCheckpoint());
  if (!checkpoint || checkpoint->size <= cursor) return round;
  const uint64_t limit =
      std::min<uint64_t>(static_cast<uint64_t>(std::max(batch, 1)), checkpoint->size - cursor);
  SP_ASSIGN_OR_RETURN(const std::vector<store::LogEntryRecord> entries,
                      s_.store.log().ReadLogEntries(cursor, static_cast<int>(limit)));
  receipts::StoreLogProofSource proofs(s_.store.log());
  std::vector<store::ReceiptRecord> issued;
  uint64_t next = cursor;
  Status stopped;
  for (const store::LogEntryRecord& entry : entries) {
    if (entry.index != next || entry.index >= checkpoint->size) break;
    auto leaf = tlog::ParseLogEntry(entry.leaf);
    std::vector<receipts::EvidenceDocument> documents;
    if (leaf.ok() && leaf->kind == tlog::LogEntryKind::kEvent && IsEvidenceType(leaf->event.type)) {
      auto id = MessageId::Parse(leaf->event.subject);
      if (id.ok()) {
        auto message = s_.store.evidence().GetMessageEvidence(*id);
        if (message.ok()) {
          documents = EvidenceOfLeaf(leaf->event, *message);
        } else if (message.status().code() != ErrorCode::kNotFound) {
          stopped = message.status();
          break;
        }
      }
    }
    std::vector<store::ReceiptRecord> of_leaf;
    for (size_t n = 0; n < documents.size() && stopped.ok(); ++n) {
      receipts::EvidenceDocument& d = documents[n];
      d.log_origin = s_.audit.origin();
      d.log_index = entry.index;
      auto der = s_.receipt_issuer->Issue(d, proofs);
      if (!der.ok()) {
        const ErrorCode code = der.status().code();
        if (code == ErrorCode::kInvalidArgument || code == ErrorCode::kUnauthenticated) {
          spdlog::error("receipts: cannot issue {} for leaf {}: {}",
                        receipts::EvidenceEventName(d.event), entry.index, der.status().ToString());
          ++round.skipped;
          continue;
        }
        stopped = der.status();
        break;
      }
      of_leaf.push_back({fmt::format("{}-{}", entry.index, n), MessageId::FromTrusted(d.message_id),
                         d.recipient, std::string(receipts::EvidenceEventName(d.event)),
                         entry.index, s_.clock.Now(), *std::move(der)});
    }
    if (!stopped.ok()) break;  // this leaf again next round, with all its receipts
    for (auto& r : of_leaf) issued.push_back(std::move(r));
    ++next;
  }
  if (next > cursor) {
    SP_RETURN_IF_ERROR(s_.store.Write([&](store::WriteTxn& tx) -> Status {
      for (const store::ReceiptRecord& r : issued) SP_RETURN_IF_ERROR(tx.evidence().AddReceipt(r));
      return tx.evidence().AdvanceReceiptCursor(next);
    }));
    round.scanned = next - cursor;
    round.issued = static_cast<int>(issued.size());
  }
  SP_RETURN_IF_ERROR(stopped);
  return round;
}

Result<MessageId> Receipts::OwnMessage(const AuthContext& ctx, std::string_view message_id) {
  const auto id = MessageId::Parse(message_id);
  if (!id.ok()) return NotFound("message not found");
  const auto message = s_.store.messages().GetMessage(*id);
  if (!message.ok() && message.status().code() != ErrorCode::kNotFound) return message.status();
  if (message.ok()) {
    if (message->sender_id != ctx.user.id) return NotFound("message not found");
    return *id;
  }
  // A refused submission (app/submission_rejection.h) has no message, only its evidence row,
  // which names the sender's address.
  const auto evidence = s_.store.evidence().GetMessageEvidence(*id);
  if (!evidence.ok() && evidence.status().code() != ErrorCode::kNotFound) {
    return evidence.status();
  }
  if (!evidence.ok() || evidence->sender != ctx.user.email) return NotFound("message not found");
  return *id;
}

Result<std::vector<ReceiptSummary>> Receipts::List(const AuthContext& ctx,
                                                   std::string_view message_id) {
  SP_ASSIGN_OR_RETURN(const MessageId id, OwnMessage(ctx, message_id));
  SP_ASSIGN_OR_RETURN(const std::vector<store::ReceiptRecord> rows,
                      s_.store.evidence().ListReceipts(id));
  std::vector<ReceiptSummary> out;
  out.reserve(rows.size());
  for (const store::ReceiptRecord& r : rows) {
    ReceiptSummary item{r.id, r.recipient, r.event, 0, r.log_index, r.created_at};
    // The event's time is the document's (the leaf's), inside the stored receipt.
    auto parts = receipts::ParseReceipt(r.der);
    if (!parts.ok()) return Corruption("a stored receipt does not parse");
    SP_ASSIGN_OR_RETURN(const receipts::EvidenceDocument d,
                        receipts::ParseEvidenceDocument(parts->document));
    item.time_ms = d.time_ms;
    out.push_back(std::move(item));
  }
  return out;
}

Result<Bytes> Receipts::Get(const AuthContext& ctx, std::string_view message_id,
                            std::string_view receipt_id) {
  SP_ASSIGN_OR_RETURN(const MessageId id, OwnMessage(ctx, message_id));
  if (receipt_id.empty() || receipt_id.size() > 64) return NotFound("receipt not found");
  SP_ASSIGN_OR_RETURN(store::ReceiptRecord r,
                      s_.store.evidence().GetReceipt(id, std::string(receipt_id)));
  return std::move(r.der);
}

}  // namespace sealpost::app
