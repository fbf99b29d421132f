// Column lists and row-to-record mapping shared by the SQLite reader and writer.
#pragma once

#include "store/records.h"
#include "store/sqlite/internal/connection.h"

namespace sealpost::store::sqlite {

inline constexpr const char* kUserColumns =
    "id, email, display_name, state, is_admin, box_public_key, verify_key, wrapped_private_keys, "
    "password_salt, password_ops, password_mem, umk_by_password, recovery_salt, umk_by_recovery, "
    "totp_secret, totp_enabled, totp_last_step, created_ms, disabled, recovery_ops, recovery_mem";
inline constexpr const char* kSessionColumns =
    "lookup, user_id, kind, wrapped_umk, created_ms, last_seen_ms, expires_ms, failures, "
    "public_id, client_ip, user_agent";
inline constexpr int kSessionColumnCount = 11;
inline constexpr const char* kUploadColumns = "id, owner_id, blob_id, sealed_key, size, created_ms";
inline constexpr const char* kOutboundMailColumns =
    "id, sealed_mail, created_ms, next_attempt_ms, attempts, lease_until_ms, last_error, "
    "pickup_lookup";
inline constexpr const char* kGuestAddressColumns =
    "email, muc_hash, failures, created_ms, updated_ms, public_key, wrapped_secret, kek_salt, "
    "kek_ops, kek_mem, member_sealed_secret";
inline constexpr const char* kPickupColumns =
    "lookup, message_id, sender_id, email, wrapped_key, created_ms, expires_ms, state, "
    "notified_ms, notify_failed_ms, opened_ms, replied_ms, sealed_share, share_key, sender_share";
inline constexpr const char* kMemberKeysColumns =
    "user_id, smime_certificate, smime_fingerprint, smime_wrapped_key, openpgp_public_key, "
    "openpgp_fingerprint, openpgp_wrapped_key, created_ms";
inline constexpr const char* kAuditColumns =
    "seq, time_ms, type, actor, subject, details, prev_hash, hash";

UserRecord ReadUser(const Statement& s);
SessionRecord ReadSession(const Statement& s);
// The same from a joined row whose record columns start at column `first`.
UserRecord ReadUserAt(const Statement& s, int first);
SessionRecord ReadSessionAt(const Statement& s, int first);
TokenRecord ReadToken(const Statement& s);  // lookup, purpose, user_id, payload, expires_ms
UploadRecord ReadUpload(const Statement& s);
AuditEntry ReadAuditEntry(const Statement& s);
OutboundMailRecord ReadOutboundMail(const Statement& s);
GuestAddressRecord ReadGuestAddress(const Statement& s);
PickupRecord ReadPickup(const Statement& s);

}  // namespace sealpost::store::sqlite
