// Guests: recipients that are not members (docs/formats/guest-pickup.md).
//
// Mailbox::Send creates, per guest recipient of a message, a pickup: the message data key wrapped
// under a key that needs both a fresh 256-bit link secret, which only the notification email
// carries (the store keeps its one-way lookup), and a random share sealed to the address's key
// pair, whose secret key is wrapped under argon2id of the address's Message Unlock Code (MUC).
// So the guest needs link and MUC, and so does a thief of the store (guessing the MUC offline at
// argon2id cost). Online, `max_muc_failures` wrong tries lock the MUC until a sender issues a
// new one. The MUC belongs to the address, not to one message; a new MUC is a new key pair, and
// pickups sealed to the old one wait until their sender re-seals them (ResealWaiting, IssueMuc).
//
// After unlocking, the pickup token lets the guest download attachments, upload their own and
// send a secure reply (app/portal_author.h: sealed by the platform on the guest's behalf).
//
// SECURITY: link, MUC and pickup token are untrusted input and never logged or audited. Every
// link failure (malformed, unknown, expired, revoked) gives the same NotFound. Thread-safe.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "app/accounts.h"
#include "app/mailbox.h"
#include "app/registered_mail.h"
#include "app/services.h"

namespace sealpost::app {

inline constexpr size_t kMinMucChars = 6;
inline constexpr size_t kMaxMucChars = 64;

// Associated data binding a pickup's wrapped data key to its message and guest address.
std::string PickupKeyAd(const MessageId& id, std::string_view email);

// InvalidArgument unless `muc` is 6 to 64 characters of UTF-8 text without control characters.
Status ValidateMuc(std::string_view muc);
// A readable random code: 10 base32 characters in two groups, e.g. "K7QM2-XW4PA" (50 bits).
crypto::SecretString GenerateMuc(platform::Rng& rng);

enum class UnlockFailure {
  kNone,
  kNotFound,        // link malformed, unknown, expired or revoked (one answer for all)
  kMucWrong,        // remaining_tries says how many are left
  kMucLocked,       // too many wrong MUCs; a sender must issue a new one
  kThrottled,       // too many failures from this client address
  kBadRequest,      // the MUC is not even a possible MUC (e.g. too long)
  kEnrolled,        // the address is a member now: log in and claim the message with the link
  kWaitsForSender,  // a new MUC was issued: the pickup's sender has to re-seal it first
};

struct UnlockOutcome {
  UnlockFailure failure = UnlockFailure::kNone;
  int remaining_tries = 0;
};

struct PickupView {
  MessageView message;
  std::string recipient;     // the guest's address
  std::string pickup_token;  // X-Pickup-Token for downloads, uploads, reply (pickup_token_ttl)
  TimePoint token_expires_at;
  TimePoint expires_at;                // the link's end
  std::vector<std::string> reply_all;  // who else a reply-all reaches (the sender first)
  bool can_enrol = false;              // the address is not (yet) a member
};

// A guest's answer from the portal: to the message's sender, or with reply_all to everyone
// else on it too (each by their own delivery method). Subject "Re: …" of the original.
struct ReplyRequest {
  std::string text;
  std::string html;
  std::vector<AttachmentRequest> attachments;  // uploads made with the same pickup token
  bool reply_all = false;
};

// A message waiting for a member who was a guest: it is re-sealed to them when its sender is
// next logged in, or when they open its link while logged in (Guests::Claim).
struct WaitingMessage {
  MessageId id;
  std::string from_email;  // "" when a guest wrote it (only the link can tell who)
  std::string from_name;
  TimePoint created_at;
};

struct ReplyOutcome {
  MessageId id;
  std::vector<std::string> to;
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
  // An attachment for a reply, kept for the holder of `pickup_token` only.
  Result<std::unique_ptr<UploadSession>> BeginUpload(std::string_view pickup_token,
                                                     std::optional<uint64_t> declared_size,
                                                     const std::string& client_address);
  // Registered mail (app/registered_mail.h): the guest, unlocked (so their address is proven),
  // accepts or refuses the message the pickup token opens. Returns the message as they may now
  // see it: with its content after acceptance, the notice after refusal. NotFound for a bad or
  // expired token; Conflict (not-registered, already-decided, deadline-passed) as
  // DecideRegisteredMail.
  Result<MessageView> Decide(std::string_view pickup_token, Decision decision,
                             const std::string& client_address);
  // Sends the guest's secure reply, sealed by the platform on the guest's behalf.
  Result<ReplyOutcome> Reply(std::string_view pickup_token, const ReplyRequest& request,
                             const std::string& client_address);

  // The guest becomes a member in one step (password, display name; `request.email` is
  // ignored: the pickup's address is the one proved). The opened message is re-sealed into
  // the new member's inbox at once and its link stops working; the address's MUC goes; other
  // messages for the address wait (Waiting) until re-sealed. Conflict when already a member.
  Result<Enrolment> Enrol(Accounts& accounts, std::string_view pickup_token, SignUpRequest request,
                          std::string_view user_agent);
  // A member opens the link of a message that waits for them: it is re-sealed into their inbox
  // now and the link stops working. NotFound unless the link is a live pickup for their address.
  // The pickup's share opens with the address key the member holds since enrolling in the
  // portal; without one (the member signed up elsewhere) the address's `muc` is needed once
  // (kMucNeeded when empty), checked and counted as by Unlock, and the member keeps the address
  // key from then on. kPickupWaitsForSender when the share is sealed to a replaced key.
  Result<MessageId> Claim(const AuthContext& ctx, std::string_view link, std::string_view muc = {},
                          const std::string& client_address = "", UnlockOutcome* outcome = nullptr);
  // What `sender` (logged in now) holds the keys for, done now: every waiting message of theirs
  // is re-sealed to the member its guest address became (through the sender's own copy), and
  // every share of theirs still sealed to a guest address's replaced key pair is re-sealed to the
  // current one (through the sender's copy of the share). Returns how many; called after log-in
  // and when the sender lists a folder.
  Result<int> ResealWaiting(const AuthContext& sender);
  // Messages waiting for the caller (sent to their address before they enrolled), oldest first.
  Result<std::vector<WaitingMessage>> Waiting(const AuthContext& ctx);
  // A sender gives the guest address of one of their messages a new MUC (typed, or generated
  // when `muc` is empty and `generate`); it resets the failure count and unlocks. The address
  // gets a new key pair; the caller's own live pickups for it are re-sealed to it at once, other
  // senders' when they are next present (ResealWaiting). Conflict (already-member) when the
  // address enrolled through the portal. Returns the generated code (shown once), or "" for a
  // typed one.
  Result<crypto::SecretString> IssueMuc(const AuthContext& ctx, std::string_view message_id,
                                        std::string_view address, std::string_view muc,
                                        bool generate);

 private:
  struct TokenAccess;  // what a valid pickup token opens
  Result<TokenAccess> OpenToken(std::string_view pickup_token);
  struct MucCheck;  // a right MUC: the address key pair
  // Reserves one attempt for the pickup's address and checks `muc`; a wrong one is counted,
  // audited and may lock the address (its senders are told). Fails with `out` filled.
  Result<MucCheck> CheckMuc(const store::PickupRecord& pickup,
                            const store::GuestAddressRecord& guest, std::string_view muc,
                            const std::string& client_address, UnlockOutcome& out);
  // The row of an address whose key the member now holds (sealed to `member_key`); no MUC.
  store::GuestAddressRecord MemberHeldAddress(const store::GuestAddressRecord& guest,
                                              const crypto::BoxKeyPair& address_key,
                                              const crypto::BoxPublicKey& member_key);
  // Re-seals `pickup`'s share (a stale one of `sender_box`'s owner) to the address's current key.
  Status ResealShareOf(const store::PickupRecord& pickup, const crypto::BoxKeyPair& sender_box,
                       const std::string& actor);
  // Files the message of `pickup` (data key in hand) in `member`'s inbox and retires the link.
  Status FileForMember(store::WriteTxn& tx, const store::PickupRecord& pickup,
                       const store::UserRecord& member, const crypto::DataKey& data_key,
                       const std::string& actor);

  Services s_;
  Mailbox mailbox_;
};

}  // namespace sealpost::app
