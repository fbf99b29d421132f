// The sender's side of a sent message (issue 5): per-recipient delivery status, recall, and the
// expiry of guest pickups (docs/formats/guest-pickup.md).
//
// A member recipient is "delivered" (its copy sits in the member's inbox) until the sender
// recalls it while unread. A guest recipient's pickup moves through queued (the notification
// waits in the outbound queue) → notified (the relay accepted it) or failed (the queue gave up)
// → opened (first successful unlock) → replied; or ends recalled (the sender withdrew it before
// it was opened) or expired (past expires_at; the periodic cleanup drops its wrapped key).
// A recipient reached by a secure copy (S/MIME, OpenPGP, enforced TLS; app/secure_delivery.h)
// is queued → delivered (a mail server took it: host and reply) or deferred (the reason and the
// next try) → failed (the reason); a secure copy is not recalled once queued.
//
// SECURITY: only the sender of a message sees its status or recalls it; any other caller gets
// the same NotFound as for a message that does not exist. Status and audit events carry
// addresses and times, never content, links, MUCs or keys. Thread-safe.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "app/auth_context.h"
#include "app/mailbox.h"
#include "app/services.h"

namespace sealpost::app {

// How long a new message's pickup links work: the configured default when `days` is absent,
// else `days` days, which must be within 1..max (max from max_pickup_ttl). InvalidArgument
// naming the allowed range otherwise.
Result<std::chrono::seconds> PickupTtlFor(const AppConfig& config, std::optional<int64_t> days);

struct ExpiryLimits {
  int64_t default_days = 0;  // pickup_ttl in days, rounded up
  int64_t max_days = 0;      // max_pickup_ttl in whole days
};
ExpiryLimits ExpiryLimitsOf(const AppConfig& config);

enum class RecipientDelivery { kMember, kPortal, kSecure };

struct RecipientStatus {
  std::string address;
  RecipientDelivery delivery = RecipientDelivery::kMember;
  // member: "delivered" or "recalled"; portal: "queued", "notified", "failed", "opened",
  // "replied", "recalled" or "expired"; secure: "queued", "delivered", "deferred", "failed".
  std::string status;
  std::string method;  // "member", "pickup", "smime", "openpgp", "tls" (app/routing.h)
  // secure: how the copy was protected, e.g. "smime-authenveloped-aes256gcm" (the envelope
  // used), "smime-enveloped-aes256cbc", "pgp-mime", "tls"; "" for members and pickups.
  std::string format;
  // secure: "<host>: <reply>" when delivered, else the reason (deferred, failed).
  std::string detail;
  std::optional<TimePoint> next_attempt_at;  // secure, queued or deferred
  std::optional<TimePoint> notified_at;
  std::optional<TimePoint> opened_at;
  std::optional<TimePoint> replied_at;
  bool locked = false;  // portal: the address's MUC is locked (a new one must be issued)
};

struct SentStatus {
  std::vector<RecipientStatus> recipients;  // in the order of the message's `to`
  std::optional<TimePoint> expires_at;      // of the portal pickups, when there are any
  bool can_recall = false;                  // some recipient's copy is still withdrawable
};

struct RecallResult {
  std::vector<std::string> recalled;  // withdrawn now
  std::vector<std::string> kept;      // already opened (or read): cannot be withdrawn
};

struct PickupExpiryRound {
  int expired = 0;     // pickups marked expired (wrapped key dropped)
  int64_t tokens = 0;  // expired pickup tokens deleted
};

class SentMessages final {
 public:
  explicit SentMessages(const Services& services) : s_(services) {}

  ExpiryLimits expiry_limits() const { return ExpiryLimitsOf(s_.config); }
  // The status of each recipient of `header` (a message the caller read). NotFound unless the
  // caller sent it.
  Result<SentStatus> StatusOf(const AuthContext& ctx, const MessageHeader& header);

  // Withdraws every pickup not yet opened (its link stops working at once, a notification still
  // queued is dropped) and every member copy still unread (it leaves the inbox; the message
  // stays for the sender). NotFound unless the caller sent it; Conflict when nothing is left to
  // withdraw. Audited as message.recall (counts only).
  Result<RecallResult> Recall(const AuthContext& ctx, std::string_view message_id);

  // Marks pickups past expires_at expired and drops their wrapped keys (audit pickup.expired),
  // and deletes expired pickup tokens. Called periodically by the server.
  Result<PickupExpiryRound> ExpirePickups();

 private:
  Services s_;
};

}  // namespace sealpost::app
