// The canonical evidence document a receipt signs (docs/formats/receipt.md, "The document"):
// eleven "name: value" lines in a fixed order, printable ASCII only, each ending in "\n".
//
//   sealpost-evidence/v1
//   event: ContentConsignment
//   message-id: <message id>
//   sealed-digest: <SHA-256 of the seal statement, 64 lower-case hex digits>
//   sender: <address>
//   recipient: <address>
//   delivery-method: mailbox | smtp | pickup
//   time: <RFC 3339 UTC with milliseconds, e.g. 2026-12-05T10:49:20.123Z>
//   reason: <text, or "-" for none>
//   log-origin: <the log's checkpoint origin>
//   log-index: <decimal, no leading zeros>
//
// Canonical: one document has exactly one encoding, so ParseEvidenceDocument(b) succeeding
// implies EncodeEvidenceDocument(that) == b. ASCII keeps Unicode normalisation out of it.
//
// The events are those of ETSI EN 319 522 (electronic registered delivery: the events of part 1,
// clause 6, named by their identifiers of part 3) that Sealpost produces; LogEventTypes() names
// the audit events (log leaves) that attest each. Receipts issued before the names followed the
// standard say "AcceptanceByRecipient" and "RejectionByRecipient": they still parse (as
// ConsignmentAcceptance and ConsignmentRejection, with legacy_event_name set) and verify.
//
// SECURITY: ParseEvidenceDocument takes untrusted bytes (the content of a receipt) and refuses
// anything but the exact form. Pure; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/status.h"
#include "tlog/log_entry.h"

namespace sealpost::receipts {

inline constexpr std::string_view kEvidenceDocumentMagic = "sealpost-evidence/v1";
inline constexpr size_t kMaxEvidenceFieldBytes = 1024;

enum class EvidenceEvent : uint8_t {
  kSubmissionAcceptance,       // the platform accepted the message from its sender
  kSubmissionRejection,        // … or refused it (reason)
  kContentConsignment,         // in the member's mailbox, handed to the remote server, or the
                               // pickup notification sent (delivery-method says which)
  kContentConsignmentFailure,  // consignment failed for good (reason: the remote reply)
  kContentHandover,            // the recipient opened it (after log-in or unlock)
  kContentHandoverFailure,     // a guest's pickup not opened in time (reason: "expired")
  kConsignmentAcceptance,      // registered mail: the recipient accepted it (was
                               // "AcceptanceByRecipient")
  kConsignmentRejection,       // … or refused it (was "RejectionByRecipient")
  kAcceptanceRejectionExpiry,  // … or neither by the deadline (reason: "expired")
};

enum class DeliveryMethod : uint8_t {
  kMailbox,  // a member's mailbox on this platform
  kSmtp,     // handed to the recipient's mail server
  kPickup,   // a guest notified to fetch it from the portal
};

// "SubmissionAcceptance", … ("ContentConsignment" etc.); and back (nullopt when unknown; the
// legacy names are read by ParseEvidenceDocument only).
std::string_view EvidenceEventName(EvidenceEvent event);
std::optional<EvidenceEvent> ParseEvidenceEventName(std::string_view name);
std::string_view DeliveryMethodName(DeliveryMethod method);  // "mailbox", "smtp", "pickup"
std::optional<DeliveryMethod> ParseDeliveryMethodName(std::string_view name);
// The method of a log leaf's "method" field: a document name, or one of the secure-delivery
// methods a leaf names more precisely ("smime", "openpgp", "tls": handed to the recipient's mail
// server, so kSmtp). nullopt when unknown.
std::optional<DeliveryMethod> DeliveryMethodOfLeaf(std::string_view leaf_method);

// The audit event types (tlog::LogEvent::type) whose leaves attest `event`; empty when Sealpost
// does not log that event yet (no receipt can be issued for it).
std::span<const std::string_view> LogEventTypes(EvidenceEvent event);

struct EvidenceDocument {
  EvidenceEvent event = EvidenceEvent::kSubmissionAcceptance;
  std::string message_id;
  std::string sealed_digest_hex;  // 64 lower-case hex digits
  std::string sender;
  std::string recipient;
  DeliveryMethod delivery_method = DeliveryMethod::kMailbox;
  int64_t time_ms = 0;  // Unix milliseconds, UTC, ≥ 0; written as RFC 3339
  std::string reason;   // empty: none (written "-")
  std::string log_origin;
  uint64_t log_index = 0;
  // Read from a receipt issued with the event's former name (above); encoded with it again.
  // Never set when issuing.
  bool legacy_event_name = false;

  friend bool operator==(const EvidenceDocument&, const EvidenceDocument&) = default;
};

// InvalidArgument when a text field is empty (reason may be), over kMaxEvidenceFieldBytes, holds
// anything but printable ASCII (0x20-0x7E), starts or ends with a space, or is "-" where that
// means "none"; the digest is not 64 lower-case hex digits; or the time is negative.
Result<std::string> EncodeEvidenceDocument(const EvidenceDocument& document);
Result<EvidenceDocument> ParseEvidenceDocument(std::string_view text);

// The reason of a ContentConsignment receipt for a pickup notification whose leaf names the
// receiver (`relay`) and its answer (`reply`): "<relay> replied: <reply>", reduced to printable
// ASCII (other bytes "?"), without spaces at the ends, cut at 300 characters. Pure.
std::string ConsignmentReplyText(std::string_view relay, std::string_view reply);

// OK when the log leaf `entry` records the event `document` describes: an event leaf of one of
// LogEventTypes(document.event), about document.message_id (its subject), at document.time_ms,
// and — when the leaf's details name them — for that recipient ("recipient" or "to"), delivery
// method ("method"), sender ("sender") and sealed digest ("sealed_digest"); a send leaf attests
// consignment into a mailbox only, an expiry leaf with "opened": true no handover failure; a
// rejection's reason and a pickup.notified leaf's relay reply (ConsignmentReplyText) are bound;
// "message.expired" (registered mail) attests the expiry of an acceptance only.
// Unauthenticated naming the first difference otherwise.
Status CheckLeafRecordsEvent(const tlog::LogEntry& entry, const EvidenceDocument& document);

}  // namespace sealpost::receipts
