// Records the store keeps. Everything confidential in them is already ciphertext when it arrives
// here: the store sees ids, addresses, public keys, timestamps and opaque encrypted blobs.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/encoding.h"
#include "core/ids.h"
#include "core/time.h"

namespace sealpost::store {

// kDisabled is not used: an administrator disables an account with UserRecord::disabled, which
// keeps whether the address was verified.
// kSystem: a reserved row that is nobody's account (app/portal_author.h); it never logs in.
enum class UserState : int { kPending = 0, kActive = 1, kDisabled = 2, kSystem = 3 };

struct UserRecord {
  UserId id;
  std::string email;  // normalised (core::EmailAddress)
  std::string display_name;
  UserState state = UserState::kPending;
  bool is_admin = false;
  // Public keys (X25519 for sealing data keys to this member, Ed25519 to check their seals).
  Bytes box_public_key;
  Bytes verify_key;
  // Private keys, encrypted under the user master key (UMK); see keys/member_keys.h.
  Bytes wrapped_private_keys;
  // UMK wrapped under argon2id(password); parameters stored so they can be raised later.
  Bytes password_salt;
  uint64_t password_ops = 0;
  uint64_t password_mem = 0;
  Bytes umk_by_password;
  // UMK wrapped under argon2id(recovery code); empty until the address is verified. Parameters
  // stored as for the password (0: a slot made before they were stored, with the configured ones).
  Bytes recovery_salt;
  uint64_t recovery_ops = 0;
  uint64_t recovery_mem = 0;
  Bytes umk_by_recovery;
  // TOTP seed encrypted under a platform key; empty when TOTP is not set up.
  Bytes totp_secret;
  bool totp_enabled = false;
  int64_t totp_last_step = 0;  // last accepted RFC 6238 time step (replay defence)
  TimePoint created_at;
  bool disabled = false;  // set by an administrator: no log-in, no sessions, no recovery
};

enum class SessionKind : int {
  kLoginTicket = 0,  // password checked, second factor pending (short-lived)
  kSetup = 1,        // logged in, but TOTP must be set up before anything else
  kFull = 2,
};

struct SessionRecord {
  std::string lookup;  // auth::BearerSecret::Lookup() of the cookie's secret (a KDF output, hex)
  UserId user_id;
  SessionKind kind = SessionKind::kFull;
  Bytes wrapped_umk;  // UMK under a key derived from the session secret
  TimePoint created_at;
  TimePoint last_seen_at;
  TimePoint expires_at;  // absolute limit
  int64_t failures = 0;  // wrong second-factor attempts on a login ticket
  // Shown to the member to tell sessions apart and end one; not a secret (32 hex characters).
  std::string public_id;
  std::string client_ip;   // client address at log-in, refreshed with last_seen_at
  std::string user_agent;  // as the browser sent it at log-in, bounded and sanitised by app/
};

// kPickup: a guest's short-lived attachment token (app/guests.h); payload wraps the data key.
enum class TokenPurpose : int { kVerifyEmail = 0, kBootstrapAdmin = 1, kPickup = 2 };

struct TokenRecord {
  std::string lookup;  // auth::BearerSecret::Lookup() of the token (a KDF output, hex)
  TokenPurpose purpose = TokenPurpose::kVerifyEmail;
  std::optional<UserId> user_id;
  Bytes payload;  // e.g. the UMK wrapped under a key derived from the token
  TimePoint expires_at;
};

enum class Folder : int { kInbox = 1, kSent = 2 };

struct MessageRecord {
  MessageId id;
  UserId sender_id;
  TimePoint created_at;
  Bytes summary;  // AEAD under the message data key: subject, parties, attachment list, seal
  Bytes body;     // AEAD under the message data key: text and HTML bodies
};

struct MailboxEntry {
  UserId owner_id;
  MessageId message_id;
  Folder folder = Folder::kInbox;
  Bytes sealed_key;  // the message data key sealed to the owner's X25519 key
  bool unread = true;
  TimePoint created_at;
};

struct AttachmentRecord {
  MessageId message_id;
  int index = 0;
  BlobId blob_id;
  uint64_t stored_size = 0;  // ciphertext bytes
};

struct UploadRecord {
  UploadId id;
  UserId owner_id;
  BlobId blob_id;
  Bytes sealed_key;   // data key and plaintext digest, sealed to the owner's X25519 key
  uint64_t size = 0;  // plaintext bytes
  TimePoint created_at;
};

struct MailboxItem {
  MailboxEntry entry;
  MessageRecord message;
};

struct MailboxCursor {
  int64_t created_ms = 0;
  std::string message_id;
};

// One event of the tamper-evident audit log. `details` is JSON without secrets or content.
// A session with the account it belongs to, read together (every authenticated request).
struct SessionWithUser {
  SessionRecord session;
  UserRecord user;
};

struct AuditEvent {
  TimePoint time;
  std::string type;     // e.g. "user.login", "message.send"
  std::string actor;    // user id, "system", or "ip:<addr>" for anonymous requests
  std::string subject;  // what the event is about (user id, message id…)
  std::string details;  // JSON object
};

struct AuditEntry {
  int64_t seq = 0;  // 1-based, dense
  AuditEvent event;
  Bytes prev_hash;  // 32 bytes; zeros for seq 1
  Bytes hash;       // SHA-256 over the canonical entry, see docs/formats/audit-log.md
};

struct AuditCheckpoint {
  int64_t seq = 0;
  Bytes hash;       // the entry hash at seq
  Bytes signature;  // Ed25519 by the platform audit key over the checkpoint statement
  TimePoint time;
};

// One mail in the durable outbound queue (app/outbound_mail.h). The mail itself (recipient,
// headers, text with its links) is sealed under the master key: a stolen database must not hand
// out confirmation or pickup links.
struct OutboundMailRecord {
  MailJobId id;
  Bytes sealed_mail;
  TimePoint created_at;
  TimePoint next_attempt_at;
  int attempts = 0;                      // delivery attempts made so far
  std::optional<TimePoint> lease_until;  // claimed by a deliverer until then
  std::string last_error;                // the last failure, for logs and reports; no secrets
  // The pickup whose notification this is (its lookup): delivery or giving up is recorded on it.
  std::optional<std::string> pickup_lookup{};
};

// A recipient address that is not a member (a guest), with its Message Unlock Code (MUC).
// The MUC belongs to the address, not to one message. It is never kept: the address's X25519
// secret key is wrapped under argon2id(MUC) (keys/pickup_keys.h), and unwrapping it is the MUC
// check. Rows from before that (public_key empty) keep the MUC's argon2id PHC string instead.
struct GuestAddressRecord {
  std::string email;     // normalised
  std::string muc_hash;  // legacy rows only: argon2id PHC string; "" once the address has keys
  int64_t failures = 0;  // MUC attempts not (yet) followed by a success; locked at the limit
  TimePoint created_at;
  TimePoint updated_at;
  Bytes public_key{};      // the address's X25519 public key; empty for a legacy row
  Bytes wrapped_secret{};  // its secret key under argon2id(MUC, kek_salt, kek_ops, kek_mem)
  Bytes kek_salt{};
  int64_t kek_ops = 0;
  int64_t kek_mem = 0;  // bytes
  // After the address enrolled through the portal: its secret key sealed to the member's own
  // X25519 key (the MUC slot is then emptied), so the member opens what still waits for it.
  Bytes member_sealed_secret{};
};

// kRevoked: recalled by the sender; kExpired: past expires_at and cleaned up (both have dropped
// their wrapped key). kClaimed: re-sealed to the member the guest address became; the link no
// longer opens it.
enum class PickupState : int {
  kPending = 0,
  kOpened = 1,
  kRevoked = 2,
  kExpired = 3,
  kClaimed = 4
};

// One (message, guest recipient): the link in the notification opens it together with the MUC.
struct PickupRecord {
  std::string lookup;  // BearerSecret::Lookup() of the link secret (never the secret)
  MessageId message_id;
  UserId sender_id;
  std::string email;  // the guest's normalised address
  // The message data key under PickupShareKey(link key, share) (keys/pickup_keys.h); for a
  // legacy pickup (sealed_share empty) under the link secret's WrappingKey() alone.
  Bytes wrapped_key;
  TimePoint created_at;
  TimePoint expires_at;
  PickupState state = PickupState::kPending;
  // For the sender's status: when the relay accepted the notification (or the queue gave up on
  // it), the first successful unlock, the first reply.
  std::optional<TimePoint> notified_at{};
  std::optional<TimePoint> notify_failed_at{};
  std::optional<TimePoint> opened_at{};
  std::optional<TimePoint> replied_at{};
  Bytes sealed_share{};  // the share sealed to the address's public key (empty: legacy pickup)
  Bytes share_key{};     // the address public key it is sealed to (stale after a new MUC)
  Bytes sender_share{};  // the share sealed to the sender's own X25519 key; none for a guest
};

// A member's S/MIME certificate and OpenPGP key (docs/formats/key-slots.md, "Certified member
// keys"): the public halves in the clear, the private halves wrapped under the member's UMK.
struct MemberKeysRecord {
  UserId user_id;
  Bytes smime_certificate;          // DER, issued by the platform's issuing CA
  std::string smime_fingerprint;    // lower-case hex SHA-256 of the DER
  Bytes smime_wrapped_key;          // PKCS#8 under the UMK (keys::WrapSmimeKey)
  Bytes openpgp_public_key;         // transferable public key, binary
  std::string openpgp_fingerprint;  // primary key, 40 upper-case hex digits
  Bytes openpgp_wrapped_key;        // transferable secret key under the UMK (keys::WrapOpenPgpKey)
  TimePoint created_at;
};

struct PlatformKeyRecord {
  std::string name;
  Bytes public_key;
  Bytes wrapped_secret;  // under the master key
};

}  // namespace sealpost::store
