#include "app/submission_rejection.h"

#include <chrono>
#include <set>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "app/internal/audit_event.h"
#include "auth/login_throttle.h"
#include "core/address.h"
#include "core/encoding.h"
#include "crypto/hash.h"
#include "platform/rng.h"
#include "receipts/evidence_document.h"

namespace sealpost::app {
namespace {

constexpr std::string_view kNoRecipient = "undisclosed-recipients:;";

// `text` if it can stand in an evidence document field as it is (printable ASCII, no spaces at
// the ends, not "-", bounded), else "".
std::string FieldOrEmpty(std::string_view text) {
  if (text.empty() || text.size() > 254 || text == "-" || text.front() == ' ' ||
      text.back() == ' ') {
    return "";
  }
  for (const char c : text) {
    if (c < 0x20 || c > 0x7e) return "";
  }
  return std::string(text);
}

// What the client was told, fit for the evidence document: printable ASCII, bounded.
std::string ReasonOf(const Status& refusal) {
  std::string_view text = refusal.client_text();
  if (text.empty()) text = DescribeForClient(refusal.code(), refusal.reason()).text;
  std::string out;
  for (const char c : text.substr(0, 200)) out += (c >= 0x20 && c <= 0x7e) ? c : '?';
  while (!out.empty() && out.back() == ' ') out.pop_back();
  while (!out.empty() && out.front() == ' ') out.erase(out.begin());
  return out.empty() || out == "-" ? std::string("rejected") : out;
}

constexpr std::chrono::hours kEvidenceWindow{1};

// One rate-limited key: its counter name, what the suppression event calls it, its limit.
struct RateKey {
  std::string counter;
  std::string scope;  // "sender" or "client"
  std::string key;
  int64_t limit;
};

bool IsPowerOfTwo(int64_t n) { return n > 0 && (n & (n - 1)) == 0; }

// Counts this refusal against every key (in `tx`); true when all are within their limits.
// Audits a suppression whose count reached a power of two.
Result<bool> CountRejection(const Services& s, store::WriteTxn& tx, const store::UserRecord& sender,
                            const std::string& client_address) {
  std::vector<RateKey> keys{{"rejection-evidence:sender:" + sender.id.str(), "sender", sender.email,
                             s.config.max_rejection_evidence_per_sender}};
  if (!client_address.empty()) {
    const std::string client = auth::ThrottledClient(client_address);
    keys.push_back({"rejection-evidence:client:" + client, "client", FieldOrEmpty(client),
                    s.config.max_rejection_evidence_per_client});
  }
  bool within = true;
  const TimePoint now = s.clock.Now();
  for (const RateKey& k : keys) {
    SP_ASSIGN_OR_RETURN(const int64_t count,
                        tx.platform().BumpCounter(k.counter, now, kEvidenceWindow));
    if (count <= k.limit) continue;
    within = false;
    if (!IsPowerOfTwo(count - k.limit)) continue;
    const nlohmann::json details{
        {"scope", k.scope},
        {"key", k.key.empty() ? std::string("-") : k.key},
        {"suppressed", count - k.limit},
        {"limit", k.limit},
        {"window_seconds",
         std::chrono::duration_cast<std::chrono::seconds>(kEvidenceWindow).count()}};
    SP_RETURN_IF_ERROR(RecordEvent(s, tx, "submission.rejection_suppressed", sender.id.str(),
                                   sender.id.str(), details.dump()));
  }
  return within;
}
}  // namespace

bool IsEvidencedRejection(const Status& refusal) {
  switch (refusal.code()) {
    case ErrorCode::kInvalidArgument:
    case ErrorCode::kTooLarge:
    case ErrorCode::kPermissionDenied:
    case ErrorCode::kConflict:
      return true;
    default:
      return false;
  }
}

std::string SubmissionDigestHex(const SendRequest& request) {
  nlohmann::json attachments = nlohmann::json::array();
  for (const AttachmentRequest& a : request.attachments) {
    attachments.push_back(
        {{"content_type", a.content_type}, {"name", a.name}, {"upload_id", a.upload_id}});
  }
  nlohmann::json canonical{{"attachments", std::move(attachments)},
                           {"html", request.html},
                           {"in_reply_to", request.in_reply_to},
                           {"subject", request.subject},
                           {"text", request.text},
                           {"to", request.to}};
  // Only when given: a request without them keeps the digest it always had.
  if (!request.cc.empty()) canonical["cc"] = request.cc;
  if (!request.bcc.empty()) canonical["bcc"] = request.bcc;
  // Invalid UTF-8 is replaced rather than thrown on: the digest still names these bytes' form.
  const std::string text = canonical.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return HexEncode(crypto::Sha256(AsBytes(text)));
}

Result<std::optional<MessageId>> RecordSubmissionRejection(const Services& s,
                                                           const store::UserRecord& sender,
                                                           const std::string& client_address,
                                                           const SendRequest& request,
                                                           const Status& refusal) {
  const MessageId id = platform::NewId<MessageId>(s.rng);
  const std::string digest = SubmissionDigestHex(request);
  const std::string reason = ReasonOf(refusal);

  // The recipients as the leaves name them, each once, and how each would have been reached.
  std::vector<std::pair<std::string, std::string>> recipients;  // address, method
  std::set<std::string> seen;
  std::vector<std::string> listed = request.to;
  listed.insert(listed.end(), request.cc.begin(), request.cc.end());
  listed.insert(listed.end(), request.bcc.begin(), request.bcc.end());
  for (const std::string& raw : listed) {
    if (recipients.size() >= kMaxRejectionRecipients) break;
    auto parsed = EmailAddress::Parse(raw);
    const std::string address = parsed.ok() ? FieldOrEmpty(parsed->str()) : FieldOrEmpty(raw);
    if (address.empty() || !seen.insert(address).second) continue;
    bool member = false;
    if (parsed.ok()) {
      auto user = s.store.accounts().GetUserByEmail(address);
      member = user.ok() && user->state == store::UserState::kActive;
    }
    recipients.push_back({address, member ? "mailbox" : "pickup"});
  }
  if (recipients.empty()) recipients.push_back({std::string(kNoRecipient), "mailbox"});

  const TimePoint now = s.clock.Now();
  bool recorded = false;
  SP_RETURN_IF_ERROR(s.store.Write([&](store::WriteTxn& tx) -> Status {
    SP_ASSIGN_OR_RETURN(recorded, CountRejection(s, tx, sender, client_address));
    if (!recorded) return Status::Ok();
    SP_RETURN_IF_ERROR(tx.evidence().PutMessageEvidence({id, sender.email, digest, now}));
    nlohmann::json details{{"sender", sender.email},
                           {"sealed_digest", digest},
                           {"reason", reason},
                           {"recipients", listed.size()}};
    for (const auto& [address, method] : recipients) {
      details["recipient"] = address;
      details["method"] = method;
      SP_RETURN_IF_ERROR(
          RecordEvent(s, tx, "submission.rejected", sender.id.str(), id.str(), details.dump()));
    }
    return Status::Ok();
  }));
  if (!recorded) return std::optional<MessageId>();
  return std::optional<MessageId>(id);
}

}  // namespace sealpost::app
