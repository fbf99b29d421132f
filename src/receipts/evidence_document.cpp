#include "receipts/evidence_document.h"

#include <array>
#include <charconv>
#include <nlohmann/json.hpp>
#include <vector>

#include "core/time.h"

namespace sealpost::receipts {
namespace {

struct EventRow {
  EvidenceEvent event;
  std::string_view name;
};

// The names are ETSI EN 319 522's event identifiers (the last segment of
// http://uri.etsi.org/19522/Event/<name>); docs/formats/receipt.md maps each to its clause.
constexpr std::array<EventRow, 9> kEvents = {{
    {EvidenceEvent::kSubmissionAcceptance, "SubmissionAcceptance"},
    {EvidenceEvent::kSubmissionRejection, "SubmissionRejection"},
    {EvidenceEvent::kContentConsignment, "ContentConsignment"},
    {EvidenceEvent::kContentConsignmentFailure, "ContentConsignmentFailure"},
    {EvidenceEvent::kContentHandover, "ContentHandover"},
    {EvidenceEvent::kContentHandoverFailure, "ContentHandoverFailure"},
    {EvidenceEvent::kConsignmentAcceptance, "ConsignmentAcceptance"},
    {EvidenceEvent::kConsignmentRejection, "ConsignmentRejection"},
    {EvidenceEvent::kAcceptanceRejectionExpiry, "AcceptanceRejectionExpiry"},
}};

// Names receipts were issued with before they followed the standard: still read (and written
// back as they were, so that a parsed document re-encodes to its bytes), never issued.
constexpr std::array<EventRow, 2> kLegacyEvents = {{
    {EvidenceEvent::kConsignmentAcceptance, "AcceptanceByRecipient"},
    {EvidenceEvent::kConsignmentRejection, "RejectionByRecipient"},
}};

std::string_view LegacyEventName(EvidenceEvent event) {
  for (const EventRow& r : kLegacyEvents) {
    if (r.event == event) return r.name;
  }
  return "";
}

// Leaves named in docs/formats/log-entry.md, "Evidence events". message.send and
// message.portal_reply are one leaf per recipient.
constexpr std::array<std::string_view, 2> kSubmitted = {"message.send", "message.portal_reply"};
// A refused submission (app/submission_rejection.h): one leaf per recipient, with the reason.
constexpr std::array<std::string_view, 1> kRejected = {"submission.rejected"};
// A member's mailbox receives the message in the send transaction itself (a "mailbox" leaf of
// the send); a guest's pickup notification is consigned when the outbox hands it to the relay;
// a secure copy (S/MIME, OpenPGP, enforced TLS) when a mail server took it (delivery.sent).
constexpr std::array<std::string_view, 5> kConsigned = {
    "message.send", "message.portal_reply", "pickup.notified", "mail.sent", "delivery.sent"};
constexpr std::array<std::string_view, 3> kConsignFailed = {"pickup.notify_failed", "mail.failed",
                                                            "delivery.failed"};
// Registered mail: accepting hands the content over in the same step (app/registered_mail.h).
constexpr std::array<std::string_view, 3> kHandedOver = {"pickup.unlock", "message.read",
                                                         "message.accepted"};
constexpr std::array<std::string_view, 1> kHandoverFailed = {"pickup.expired"};
constexpr std::array<std::string_view, 1> kAccepted = {"message.accepted"};
constexpr std::array<std::string_view, 1> kRefused = {"message.refused"};
constexpr std::array<std::string_view, 1> kAcceptanceExpired = {"message.expired"};

bool IsFieldText(std::string_view v) {
  if (v.empty() || v.size() > kMaxEvidenceFieldBytes) return false;
  if (v.front() == ' ' || v.back() == ' ') return false;
  for (const char c : v) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

bool IsLowerHex64(std::string_view v) {
  if (v.size() != 64) return false;
  for (const char c : v) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

Status CheckDocument(const EvidenceDocument& d) {
  const auto text = [](std::string_view name, std::string_view v) -> Status {
    if (!IsFieldText(v) || v == "-") {
      return InvalidArgument(std::string("evidence document: bad ") + std::string(name));
    }
    return Status::Ok();
  };
  SP_RETURN_IF_ERROR(text("message-id", d.message_id));
  SP_RETURN_IF_ERROR(text("sender", d.sender));
  SP_RETURN_IF_ERROR(text("recipient", d.recipient));
  SP_RETURN_IF_ERROR(text("log-origin", d.log_origin));
  if (!d.reason.empty()) SP_RETURN_IF_ERROR(text("reason", d.reason));
  if (!IsLowerHex64(d.sealed_digest_hex)) {
    return InvalidArgument("evidence document: sealed-digest is not 64 lower-case hex digits");
  }
  if (d.time_ms < 0) return InvalidArgument("evidence document: negative time");
  if (d.legacy_event_name && LegacyEventName(d.event).empty()) {
    return InvalidArgument("evidence document: this event never had another name");
  }
  return Status::Ok();
}

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

bool Digits(std::string_view s, size_t pos, size_t n, unsigned& out) {
  out = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    out = out * 10 + static_cast<unsigned>(s[i] - '0');
  }
  return true;
}

// Exactly "YYYY-MM-DDTHH:MM:SS.mmmZ"; canonical because FormatRfc3339 must give it back.
std::optional<int64_t> ParseTime(std::string_view s) {
  if (s.size() != 24 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
      s[16] != ':' || s[19] != '.' || s[23] != 'Z') {
    return std::nullopt;
  }
  unsigned y, mo, d, h, mi, se, ms;
  if (!Digits(s, 0, 4, y) || !Digits(s, 5, 2, mo) || !Digits(s, 8, 2, d) || !Digits(s, 11, 2, h) ||
      !Digits(s, 14, 2, mi) || !Digits(s, 17, 2, se) || !Digits(s, 20, 3, ms)) {
    return std::nullopt;
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 59 || y < 1970) {
    return std::nullopt;
  }
  const int64_t days = DaysFromCivil(y, mo, d);
  const int64_t t = ((days * 24 + h) * 60 + mi) * 60 * 1000 + se * 1000 + ms;
  if (t < 0 || FormatRfc3339(FromUnixMillis(t)) != s) return std::nullopt;  // 31 Feb etc.
  return t;
}

std::optional<uint64_t> ParseDecimal(std::string_view s) {
  if (s.empty() || s.size() > 20 || (s.size() > 1 && s[0] == '0')) return std::nullopt;
  uint64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

constexpr std::array<std::string_view, 10> kFieldNames = {
    "event",           "message-id", "sealed-digest", "sender",     "recipient",
    "delivery-method", "time",       "reason",        "log-origin", "log-index"};

}  // namespace

std::string_view EvidenceEventName(EvidenceEvent event) {
  for (const EventRow& r : kEvents) {
    if (r.event == event) return r.name;
  }
  return "";
}

std::optional<EvidenceEvent> ParseEvidenceEventName(std::string_view name) {
  for (const EventRow& r : kEvents) {
    if (r.name == name) return r.event;
  }
  return std::nullopt;
}

std::string_view DeliveryMethodName(DeliveryMethod method) {
  switch (method) {
    case DeliveryMethod::kMailbox:
      return "mailbox";
    case DeliveryMethod::kSmtp:
      return "smtp";
    case DeliveryMethod::kPickup:
      return "pickup";
  }
  return "";
}

std::optional<DeliveryMethod> ParseDeliveryMethodName(std::string_view name) {
  for (const DeliveryMethod m :
       {DeliveryMethod::kMailbox, DeliveryMethod::kSmtp, DeliveryMethod::kPickup}) {
    if (DeliveryMethodName(m) == name) return m;
  }
  return std::nullopt;
}

std::optional<DeliveryMethod> DeliveryMethodOfLeaf(std::string_view leaf_method) {
  if (leaf_method == "smime" || leaf_method == "openpgp" || leaf_method == "tls") {
    return DeliveryMethod::kSmtp;
  }
  return ParseDeliveryMethodName(leaf_method);
}

std::span<const std::string_view> LogEventTypes(EvidenceEvent event) {
  switch (event) {
    case EvidenceEvent::kSubmissionAcceptance:
      return kSubmitted;
    case EvidenceEvent::kSubmissionRejection:
      return kRejected;
    case EvidenceEvent::kContentConsignment:
      return kConsigned;
    case EvidenceEvent::kContentConsignmentFailure:
      return kConsignFailed;
    case EvidenceEvent::kContentHandover:
      return kHandedOver;
    case EvidenceEvent::kContentHandoverFailure:
      return kHandoverFailed;
    case EvidenceEvent::kConsignmentAcceptance:
      return kAccepted;
    case EvidenceEvent::kConsignmentRejection:
      return kRefused;
    case EvidenceEvent::kAcceptanceRejectionExpiry:
      return kAcceptanceExpired;
  }
  return {};
}

Result<std::string> EncodeEvidenceDocument(const EvidenceDocument& d) {
  SP_RETURN_IF_ERROR(CheckDocument(d));
  std::string out;
  out.reserve(512);
  out.append(kEvidenceDocumentMagic).append("\n");
  const std::string_view event_name =
      d.legacy_event_name ? LegacyEventName(d.event) : EvidenceEventName(d.event);
  const std::array<std::string, 10> values = {std::string(event_name),
                                              d.message_id,
                                              d.sealed_digest_hex,
                                              d.sender,
                                              d.recipient,
                                              std::string(DeliveryMethodName(d.delivery_method)),
                                              FormatRfc3339(FromUnixMillis(d.time_ms)),
                                              d.reason.empty() ? "-" : d.reason,
                                              d.log_origin,
                                              std::to_string(d.log_index)};
  for (size_t i = 0; i < values.size(); ++i) {
    out.append(kFieldNames[i]).append(": ").append(values[i]).append("\n");
  }
  return out;
}

Result<EvidenceDocument> ParseEvidenceDocument(std::string_view text) {
  const auto bad = [](std::string_view what) {
    return InvalidArgument("evidence document: " + std::string(what));
  };
  if (text.size() > 16 * kMaxEvidenceFieldBytes) return bad("too large");
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    if (nl == std::string_view::npos) return bad("does not end in a newline");
    lines.push_back(text.substr(0, nl));
    text.remove_prefix(nl + 1);
  }
  if (lines.size() != 1 + kFieldNames.size()) return bad("wrong number of lines");
  if (lines[0] != kEvidenceDocumentMagic) return bad("not a sealpost-evidence/v1 document");
  std::array<std::string_view, 10> v;
  for (size_t i = 0; i < kFieldNames.size(); ++i) {
    std::string_view line = lines[i + 1];
    const std::string prefix = std::string(kFieldNames[i]) + ": ";
    if (line.substr(0, prefix.size()) != prefix) {
      return bad("line " + std::to_string(i + 2) + " is not \"" + std::string(kFieldNames[i]) +
                 ": …\"");
    }
    v[i] = line.substr(prefix.size());
    if (!IsFieldText(v[i])) return bad("bad " + std::string(kFieldNames[i]));
  }
  EvidenceDocument d;
  auto event = ParseEvidenceEventName(v[0]);
  if (!event) {
    for (const EventRow& r : kLegacyEvents) {
      if (r.name == v[0]) event = r.event;
    }
    d.legacy_event_name = event.has_value();
  }
  if (!event) return bad("unknown event");
  d.event = *event;
  d.message_id = std::string(v[1]);
  d.sealed_digest_hex = std::string(v[2]);
  d.sender = std::string(v[3]);
  d.recipient = std::string(v[4]);
  const auto method = ParseDeliveryMethodName(v[5]);
  if (!method) return bad("unknown delivery-method");
  d.delivery_method = *method;
  const auto time = ParseTime(v[6]);
  if (!time) return bad("time is not RFC 3339 UTC with milliseconds");
  d.time_ms = *time;
  d.reason = v[7] == "-" ? "" : std::string(v[7]);
  d.log_origin = std::string(v[8]);
  const auto index = ParseDecimal(v[9]);
  if (!index) return bad("log-index is not a canonical decimal");
  d.log_index = *index;
  SP_RETURN_IF_ERROR(CheckDocument(d));
  return d;
}

std::string ConsignmentReplyText(std::string_view relay, std::string_view reply) {
  std::string text = std::string(relay) + " replied: " + std::string(reply);
  if (text.size() > 300) text.resize(300);
  for (char& c : text) {
    if (c < 0x20 || c > 0x7e) c = '?';
  }
  while (!text.empty() && text.back() == ' ') text.pop_back();
  while (!text.empty() && text.front() == ' ') text.erase(text.begin());
  return text;
}

Status CheckLeafRecordsEvent(const tlog::LogEntry& entry, const EvidenceDocument& document) {
  if (entry.kind != tlog::LogEntryKind::kEvent) {
    return Unauthenticated("the log leaf is not an event");
  }
  const tlog::LogEvent& e = entry.event;
  bool type_ok = false;
  for (std::string_view t : LogEventTypes(document.event)) type_ok = type_ok || t == e.type;
  if (!type_ok) {
    return Unauthenticated("the log leaf records \"" + e.type + "\", not " +
                           std::string(EvidenceEventName(document.event)));
  }
  if (e.subject != document.message_id) {
    return Unauthenticated("the log leaf is about another message");
  }
  if (e.time_ms != document.time_ms) {
    return Unauthenticated("the log leaf has another time");
  }
  const nlohmann::json details = nlohmann::json::parse(e.details, nullptr, false);
  if (!details.is_object()) return Status::Ok();
  // A leaf that names a field binds the document to it.
  const auto names_other = [&](const char* key, std::string_view expected) {
    const auto it = details.find(key);
    return it != details.end() && it->is_string() && it->get_ref<const std::string&>() != expected;
  };
  for (const char* key : {"recipient", "to"}) {
    if (names_other(key, document.recipient)) {
      return Unauthenticated("the log leaf names another recipient");
    }
  }
  if (const auto it = details.find("method"); it != details.end() && it->is_string()) {
    const auto leaf_method = DeliveryMethodOfLeaf(it->get_ref<const std::string&>());
    if (!leaf_method || *leaf_method != document.delivery_method) {
      return Unauthenticated("the log leaf names another delivery method");
    }
  }
  if (names_other("sender", document.sender)) {
    return Unauthenticated("the log leaf names another sender");
  }
  if (names_other("sealed_digest", document.sealed_digest_hex)) {
    return Unauthenticated("the log leaf names another sealed digest");
  }
  // A consignment to a relay (or, for a secure copy, a mail server) that named itself carries its
  // reply, as the leaf has it.
  if (document.event == EvidenceEvent::kContentConsignment &&
      (e.type == "pickup.notified" || e.type == "delivery.sent")) {
    const auto relay = details.find(e.type == "delivery.sent" ? "host" : "relay");
    const auto reply = details.find("reply");
    if (relay != details.end() && relay->is_string() && reply != details.end() &&
        reply->is_string() &&
        document.reason != ConsignmentReplyText(relay->get_ref<const std::string&>(),
                                                reply->get_ref<const std::string&>())) {
      return Unauthenticated("the log leaf names another relay reply");
    }
  }
  // A rejection's reason is what the sender was told: the receipt must say the same.
  if (document.event == EvidenceEvent::kSubmissionRejection &&
      names_other("reason", document.reason)) {
    return Unauthenticated("the log leaf names another reason");
  }
  // A send leaf consigns only into a member's mailbox; an expiry after the guest opened the
  // pickup is no handover failure.
  if (document.event == EvidenceEvent::kContentConsignment &&
      (e.type == "message.send" || e.type == "message.portal_reply") &&
      document.delivery_method != DeliveryMethod::kMailbox) {
    return Unauthenticated("a send leaf consigns only into a mailbox");
  }
  if (document.event == EvidenceEvent::kContentHandoverFailure) {
    const auto it = details.find("opened");
    if (it != details.end() && it->is_boolean() && it->get<bool>()) {
      return Unauthenticated("the log leaf records an expiry after the handover");
    }
  }
  return Status::Ok();
}

}  // namespace sealpost::receipts
