// Guests: recipients that are not members (DESIGN.md §4 "Guests", docs/formats/guest-pickup.md).
//
// Mailbox::Send creates, per guest recipient of a message, a pickup: the message data key wrapped
// under a key derived from a fresh 256-bit link secret that only the notification email carries
// (the store keeps its one-way lookup). The guest opens it with the link and the address's
// Message Unlock Code (MUC), checked online with argon2id; `max_muc_failures` wrong tries lock
// the MUC until a sender issues a new one. The MUC belongs to the address, not to one message.
//
// SECURITY: link, MUC and pickup token are untrusted input and never logged or audited. Every
// link failure (malformed, unknown, expired, revoked) gives the same NotFound. Thread-safe.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "app/mailbox.h"
#include "app/services.h"

namespace sealpost::app {

inline constexpr size_t kMinMucChars = 6;
inline constexpr size_t kMaxMucChars = 64;

// Associated data binding a pickup's wrapped data key to its message and guest address.
std::string PickupKeyAd(const MessageId& id, std::string_view email);

// InvalidArgument unless `muc` is 6 to 64 characters of UTF-8 text without control characters.
Status ValidateMuc(std::string_view muc);
// A readable random code: 10 base32 characters in two groups, e.g. "K7QM2-XW4PA" (50 bits).
std::string GenerateMuc(platform::Rng& rng);

enum class UnlockFailure {
  kNone,
  kNotFound,    // link malformed, unknown, expired or revoked (one answer for all)
  kMucWrong,    // remaining_tries says how many are left
  kMucLocked,   // too many wrong MUCs; a sender must issue a new one
  kThrottled,   // too many failures from this client address
  kBadRequest,  // the MUC is not even a possible MUC (e.g. too long)
};

struct UnlockOutcome {
  UnlockFailure failure = UnlockFailure::kNone;
  int remaining_tries = 0;
};

struct PickupView {
  MessageView message;
  std::string recipient;     // the guest's address
  std::string pickup_token;  // X-Pickup-Token for attachment downloads (valid pickup_token_ttl)
  TimePoint token_expires_at;
};

class Guests final {
 public:
  explicit Guests(const Services& services) : s_(services), mailbox_(services) {}

  // Opens the pickup for `link` (the secret from the notification link) with `muc`. On failure
  // `outcome` (when given) says why.
  Result<PickupView> Unlock(std::string_view link, std::string_view muc,
                            const std::string& client_address, UnlockOutcome* outcome = nullptr);
  // An attachment of the message the pickup token was issued for. NotFound for a bad or
  // expired token or index.
  Result<AttachmentDownload> OpenAttachment(std::string_view pickup_token, int index,
                                            const std::string& client_address);
  // A sender gives the guest address of one of their messages a new MUC (typed, or generated
  // when `muc` is empty and `generate`); it resets the failure count and unlocks. Returns the
  // generated code (shown once), or "" for a typed one.
  Result<std::string> IssueMuc(const AuthContext& ctx, std::string_view message_id,
                               std::string_view address, const std::string& muc, bool generate);

 private:
  Services s_;
  Mailbox mailbox_;
};

}  // namespace sealpost::app
