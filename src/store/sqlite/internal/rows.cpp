#include "store/sqlite/internal/rows.h"

namespace sealpost::store::sqlite {

UserRecord ReadUserAt(const Statement& s, int first) {
  UserRecord u;
  u.id = UserId::FromTrusted(s.Text(first + 0));
  u.email = s.Text(first + 1);
  u.display_name = s.Text(first + 2);
  u.state = static_cast<UserState>(s.Int(first + 3));
  u.is_admin = s.Int(first + 4) != 0;
  u.box_public_key = s.Blob(first + 5);
  u.verify_key = s.Blob(first + 6);
  u.wrapped_private_keys = s.Blob(first + 7);
  u.password_salt = s.Blob(first + 8);
  u.password_ops = static_cast<uint64_t>(s.Int(first + 9));
  u.password_mem = static_cast<uint64_t>(s.Int(first + 10));
  u.umk_by_password = s.Blob(first + 11);
  u.recovery_salt = s.Blob(first + 12);
  u.umk_by_recovery = s.Blob(first + 13);
  u.totp_secret = s.Blob(first + 14);
  u.totp_enabled = s.Int(first + 15) != 0;
  u.totp_last_step = s.Int(first + 16);
  u.created_at = FromUnixMillis(s.Int(first + 17));
  u.disabled = s.Int(first + 18) != 0;
  u.recovery_ops = static_cast<uint64_t>(s.Int(first + 19));
  u.recovery_mem = static_cast<uint64_t>(s.Int(first + 20));
  return u;
}

SessionRecord ReadSessionAt(const Statement& s, int first) {
  SessionRecord r;
  r.lookup = s.Text(first + 0);
  r.user_id = UserId::FromTrusted(s.Text(first + 1));
  r.kind = static_cast<SessionKind>(s.Int(first + 2));
  r.wrapped_umk = s.Blob(first + 3);
  r.created_at = FromUnixMillis(s.Int(first + 4));
  r.last_seen_at = FromUnixMillis(s.Int(first + 5));
  r.expires_at = FromUnixMillis(s.Int(first + 6));
  r.failures = s.Int(first + 7);
  r.public_id = s.Text(first + 8);
  r.client_ip = s.Text(first + 9);
  r.user_agent = s.Text(first + 10);
  return r;
}

UserRecord ReadUser(const Statement& s) { return ReadUserAt(s, 0); }
SessionRecord ReadSession(const Statement& s) { return ReadSessionAt(s, 0); }

TokenRecord ReadToken(const Statement& s) {
  TokenRecord t;
  t.lookup = s.Text(0);
  t.purpose = static_cast<TokenPurpose>(s.Int(1));
  if (sqlite3_column_type(s.raw(), 2) != SQLITE_NULL) t.user_id = UserId::FromTrusted(s.Text(2));
  t.payload = s.Blob(3);
  t.expires_at = FromUnixMillis(s.Int(4));
  return t;
}

UploadRecord ReadUpload(const Statement& s) {
  UploadRecord u;
  u.id = UploadId::FromTrusted(s.Text(0));
  u.owner_id = UserId::FromTrusted(s.Text(1));
  u.blob_id = BlobId::FromTrusted(s.Text(2));
  u.sealed_key = s.Blob(3);
  u.size = static_cast<uint64_t>(s.Int(4));
  u.created_at = FromUnixMillis(s.Int(5));
  return u;
}

OutboundMailRecord ReadOutboundMail(const Statement& s) {
  OutboundMailRecord m;
  m.id = MailJobId::FromTrusted(s.Text(0));
  m.sealed_mail = s.Blob(1);
  m.created_at = FromUnixMillis(s.Int(2));
  m.next_attempt_at = FromUnixMillis(s.Int(3));
  m.attempts = static_cast<int>(s.Int(4));
  if (sqlite3_column_type(s.raw(), 5) != SQLITE_NULL) m.lease_until = FromUnixMillis(s.Int(5));
  m.last_error = s.Text(6);
  if (sqlite3_column_type(s.raw(), 7) != SQLITE_NULL) m.pickup_lookup = s.Text(7);
  return m;
}

GuestAddressRecord ReadGuestAddress(const Statement& s) {
  GuestAddressRecord g;
  g.email = s.Text(0);
  g.muc_hash = s.Text(1);
  g.failures = s.Int(2);
  g.created_at = FromUnixMillis(s.Int(3));
  g.updated_at = FromUnixMillis(s.Int(4));
  g.public_key = s.Blob(5);
  g.wrapped_secret = s.Blob(6);
  g.kek_salt = s.Blob(7);
  g.kek_ops = s.Int(8);
  g.kek_mem = s.Int(9);
  g.member_sealed_secret = s.Blob(10);
  return g;
}

PickupRecord ReadPickup(const Statement& s) {
  PickupRecord p;
  p.lookup = s.Text(0);
  p.message_id = MessageId::FromTrusted(s.Text(1));
  p.sender_id = UserId::FromTrusted(s.Text(2));
  p.email = s.Text(3);
  p.wrapped_key = s.Blob(4);
  p.created_at = FromUnixMillis(s.Int(5));
  p.expires_at = FromUnixMillis(s.Int(6));
  p.state = static_cast<PickupState>(s.Int(7));
  const auto time_at = [&](int col) -> std::optional<TimePoint> {
    if (sqlite3_column_type(s.raw(), col) == SQLITE_NULL) return std::nullopt;
    return FromUnixMillis(s.Int(col));
  };
  p.notified_at = time_at(8);
  p.notify_failed_at = time_at(9);
  p.opened_at = time_at(10);
  p.replied_at = time_at(11);
  p.sealed_share = s.Blob(12);
  p.share_key = s.Blob(13);
  p.sender_share = s.Blob(14);
  return p;
}

AuditEntry ReadAuditEntry(const Statement& s) {
  AuditEntry e;
  e.seq = s.Int(0);
  e.event.time = FromUnixMillis(s.Int(1));
  e.event.type = s.Text(2);
  e.event.actor = s.Text(3);
  e.event.subject = s.Text(4);
  e.event.details = s.Text(5);
  e.prev_hash = s.Blob(6);
  e.hash = s.Blob(7);
  return e;
}

}  // namespace sealpost::store::sqlite
