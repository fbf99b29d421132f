#include "store/postgres/internal/statements.h"

#include <utility>
#include <vector>

#include "store/column_list.h"

namespace sealpost::store::postgres {
namespace {

constexpr const char* kUserColumns =
    "id, email, display_name, state, is_admin, box_public_key, verify_key, wrapped_private_keys, "
    "password_salt, password_ops, password_mem, umk_by_password, recovery_salt, umk_by_recovery, "
    "totp_secret, totp_enabled, totp_last_step, created_ms, disabled, recovery_ops, recovery_mem";
constexpr const char* kSessionColumns =
    "lookup, user_id, kind, wrapped_umk, created_ms, last_seen_ms, expires_ms, failures, "
    "public_id, client_ip, user_agent";
constexpr const char* kTokenColumns = "lookup, purpose, user_id, payload, expires_ms";
constexpr const char* kMemberKeysColumns =
    "user_id, smime_certificate, smime_fingerprint, smime_wrapped_key, openpgp_public_key, "
    "openpgp_fingerprint, openpgp_wrapped_key, created_ms";
constexpr const char* kUploadColumns = "id, owner_id, blob_id, sealed_key, size, created_ms";
constexpr const char* kOutboundMailColumns =
    "id, sealed_mail, created_ms, next_attempt_ms, attempts, lease_until_ms, last_error, "
    "pickup_lookup";
constexpr const char* kGuestAddressColumns =
    "email, muc_hash, failures, created_ms, updated_ms, public_key, wrapped_secret, kek_salt, "
    "kek_ops, kek_mem, member_sealed_secret";
constexpr const char* kPickupColumns =
    "lookup, message_id, sender_id, email, wrapped_key, created_ms, expires_ms, state, "
    "notified_ms, notify_failed_ms, opened_ms, replied_ms, sealed_share, share_key, sender_share";
constexpr const char* kMailboxSelect =
    "SELECT b.owner_id, b.message_id, b.folder, b.sealed_key, b.unread, b.created_ms, "
    "m.sender_id, m.created_ms, m.summary, m.body FROM mailbox b JOIN messages m ON "
    "m.id = b.message_id ";

std::string S(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (auto p : parts) out += p;
  return out;
}

// Inserts use ON CONFLICT DO NOTHING and report a duplicate as "no row": a failed statement would
// abort the whole PostgreSQL transaction, whereas callers expect to see Conflict and go on (as on
// SQLite, where a failed statement leaves the transaction usable).
const std::vector<std::pair<std::string, std::string>>& Catalogue() {
  static const std::vector<std::pair<std::string, std::string>> kStatements = {
      // Reads.
      {"get_user", S({"SELECT ", kUserColumns, " FROM users WHERE id = $1"})},
      {"get_user_by_email", S({"SELECT ", kUserColumns, " FROM users WHERE email = $1"})},
      {"has_active_admin",
       "SELECT 1 FROM users WHERE is_admin AND state = 1 AND NOT disabled LIMIT 1"},
      {"list_users", S({"SELECT ", kUserColumns, " FROM users ORDER BY email LIMIT $1"})},
      {"list_users_after",
       S({"SELECT ", kUserColumns, " FROM users WHERE email > $1 ORDER BY email LIMIT $2"})},
      {"list_sessions_of_user", S({"SELECT ", kSessionColumns,
                                   " FROM sessions WHERE user_id = $1 "
                                   "ORDER BY created_ms DESC, lookup LIMIT $2"})},
      {"get_session", S({"SELECT ", kSessionColumns, " FROM sessions WHERE lookup = $1"})},
      // The session's columns, then its user's (ReadSession on the first 11, ReadUser after).
      {"get_session_with_user",
       S({"SELECT ", QualifiedColumns(kSessionColumns, "s"), ", ",
          QualifiedColumns(kUserColumns, "u"),
          " FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.lookup = $1"})},
      {"get_counter",
       "SELECT count FROM counters WHERE key = $1 AND window_start_ms + $2::bigint > $3::bigint"},
      {"get_upload", S({"SELECT ", kUploadColumns, " FROM uploads WHERE id = $1"})},
      {"list_uploads_before", S({"SELECT ", kUploadColumns,
                                 " FROM uploads WHERE created_ms < $1 ORDER BY created_ms "
                                 "LIMIT $2"})},
      {"list_mailbox", S({kMailboxSelect,
                          "WHERE b.owner_id = $1 AND b.folder = $2 ORDER BY b.created_ms DESC, "
                          "b.message_id DESC LIMIT $3"})},
      {"list_mailbox_before",
       S({kMailboxSelect,
          "WHERE b.owner_id = $1 AND b.folder = $2 AND (b.created_ms, b.message_id) < "
          "($3::bigint, $4::text) ORDER BY b.created_ms DESC, b.message_id DESC LIMIT $5"})},
      {"get_mailbox_item", S({kMailboxSelect,
                              "WHERE b.owner_id = $1 AND b.message_id = $2 ORDER BY b.folder "
                              "LIMIT 1"})},
      {"get_attachments",
       "SELECT message_id, idx, blob_id, stored_size FROM attachments WHERE message_id = $1 "
       "ORDER BY idx"},
      {"read_audit",
       S({"SELECT ", kAuditColumns, " FROM audit_log WHERE seq >= $1 ORDER BY seq LIMIT $2"})},
      {"read_audit_before",
       S({"SELECT ", kAuditColumns, " FROM audit_log WHERE seq < $1 ORDER BY seq DESC LIMIT $2"})},
      {"read_checkpoints",
       "SELECT seq, hash, signature, time_ms FROM audit_checkpoints ORDER BY seq"},
      {"log_read_pending", "SELECT id, leaf, created_ms FROM log_pending ORDER BY id LIMIT $1"},
      {"log_read_pending_before",
       "SELECT id, leaf, created_ms FROM log_pending WHERE id < $1 ORDER BY id DESC LIMIT $2"},
      {"log_read_entries",
       "SELECT idx, leaf FROM log_entries WHERE idx >= $1 ORDER BY idx LIMIT $2"},
      {"log_read_entries_before",
       "SELECT idx, leaf FROM log_entries WHERE idx < $1 ORDER BY idx DESC LIMIT $2"},
      {"log_get_tile", "SELECT width, hashes FROM log_tiles WHERE level = $1 AND idx = $2"},
      {"log_latest_checkpoint",
       "SELECT size, root_hash, note, created_ms FROM log_checkpoints ORDER BY size DESC LIMIT 1"},
      {"log_read_checkpoints",
       "SELECT size, root_hash, note, created_ms FROM log_checkpoints ORDER BY size"},
      {"get_member_keys",
       S({"SELECT ", kMemberKeysColumns, " FROM member_keys WHERE user_id = $1"})},
      {"get_platform_key",
       "SELECT name, public_key, wrapped_secret FROM platform_keys WHERE name = $1"},
      // Writes.
      {"create_user",
       S({"INSERT INTO users(", kUserColumns,
          ") VALUES($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21) "
          "ON CONFLICT DO NOTHING"})},
      {"delete_user", "DELETE FROM users WHERE id = $1"},
      {"activate_user",
       "UPDATE users SET state = 1, recovery_salt = $1, recovery_ops = $2, recovery_mem = $3, "
       "umk_by_recovery = $4 WHERE id = $5 AND state = 0"},
      {"set_password_slot",
       "UPDATE users SET password_salt = $1, password_ops = $2, password_mem = $3, "
       "umk_by_password = $4 WHERE id = $5 AND umk_by_password = $6"},
      {"set_recovery_slot",
       "UPDATE users SET recovery_salt = $1, recovery_ops = $2, recovery_mem = $3, "
       "umk_by_recovery = $4 WHERE id = $5 AND umk_by_recovery = $6"},
      {"set_user_disabled", "UPDATE users SET disabled = $1 WHERE id = $2"},
      {"set_totp", "UPDATE users SET totp_secret = $1, totp_enabled = $2 WHERE id = $3"},
      {"consume_totp_step",
       "UPDATE users SET totp_last_step = $1 WHERE id = $2 AND totp_last_step < $1"},
      {"create_session",
       S({"INSERT INTO sessions(", kSessionColumns,
          ") VALUES($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11) ON CONFLICT DO NOTHING"})},
      {"update_session",
       "UPDATE sessions SET kind = $1, wrapped_umk = $2, last_seen_ms = $3, expires_ms = $4, "
       "failures = $5, client_ip = $6 WHERE lookup = $7"},
      {"delete_other_sessions", "DELETE FROM sessions WHERE user_id = $1 AND lookup <> $2"},
      {"delete_session_by_public_id", "DELETE FROM sessions WHERE user_id = $1 AND public_id = $2"},
      {"delete_session", "DELETE FROM sessions WHERE lookup = $1"},
      {"delete_sessions_of_user", "DELETE FROM sessions WHERE user_id = $1"},
      {"delete_expired_sessions", "DELETE FROM sessions WHERE expires_ms <= $1"},
      {"create_token", S({"INSERT INTO tokens(", kTokenColumns,
                          ") VALUES($1,$2,NULLIF($3,''),$4,$5) ON CONFLICT DO NOTHING"})},
      {"consume_token", S({"DELETE FROM tokens WHERE lookup = $1 RETURNING ", kTokenColumns})},
      {"delete_tokens_of_user", "DELETE FROM tokens WHERE user_id = $1 AND purpose = $2"},
      {"create_upload", S({"INSERT INTO uploads(", kUploadColumns,
                           ") VALUES($1,$2,$3,$4,$5,$6) ON CONFLICT DO NOTHING"})},
      {"delete_upload", "DELETE FROM uploads WHERE id = $1"},
      // A message, its mailbox entries and its attachments in one round trip (the batch holds
      // the write lock meanwhile): arrays of the entries' and attachments' columns, keys in hex.
      // Answers how many rows of each went in; a conflict inserts fewer.
      {"create_message",
       "WITH m AS (INSERT INTO messages(id, sender_id, created_ms, summary, body) "
       "VALUES($1,$2,$3,$4,$5) ON CONFLICT DO NOTHING RETURNING id), "
       "e AS (INSERT INTO mailbox(owner_id, message_id, folder, sealed_key, unread, created_ms) "
       "SELECT x.owner, m.id, x.folder, decode(x.key, 'hex'), x.unread, x.created FROM m, "
       "unnest($6::text[], $7::int[], $8::text[], $9::bool[], $10::bigint[]) "
       "AS x(owner, folder, key, unread, created) ON CONFLICT DO NOTHING RETURNING 1), "
       "a AS (INSERT INTO attachments(message_id, idx, blob_id, stored_size) "
       "SELECT m.id, y.idx, y.blob, y.size FROM m, "
       "unnest($11::int[], $12::text[], $13::bigint[]) AS y(idx, blob, size) "
       "ON CONFLICT DO NOTHING RETURNING 1) "
       "SELECT (SELECT count(*) FROM m), (SELECT count(*) FROM e), (SELECT count(*) FROM a)"},
      {"create_mailbox_entry",
       "INSERT INTO mailbox(owner_id, message_id, folder, sealed_key, unread, created_ms) "
       "VALUES($1,$2,$3,$4,$5,$6) ON CONFLICT DO NOTHING"},
      {"mark_read",
       "UPDATE mailbox SET unread = false WHERE owner_id = $1 AND message_id = $2 AND unread"},
      {"bump_counter",
       "INSERT INTO counters AS c(key, window_start_ms, count) VALUES($1, $2, 1) "
       "ON CONFLICT(key) DO UPDATE SET "
       "count = CASE WHEN c.window_start_ms + $3::bigint <= $2 THEN 1 ELSE c.count + 1 END, "
       "window_start_ms = CASE WHEN c.window_start_ms + $3::bigint <= $2 THEN $2 "
       "ELSE c.window_start_ms END RETURNING count"},
      {"reset_counter", "DELETE FROM counters WHERE key = $1"},
      {"add_checkpoint",
       "INSERT INTO audit_checkpoints(seq, hash, signature, time_ms) VALUES($1,$2,$3,$4) "
       "ON CONFLICT DO NOTHING"},
      // The transparency log (log.cpp). Pending events take a sequence value and nothing else:
      // no lock, no read. Entries go in as arrays (hex leaves) in one statement.
      {"log_add_pending", "INSERT INTO log_pending(leaf, created_ms) VALUES($1, $2)"},
      {"log_append_entries",
       "INSERT INTO log_entries(idx, leaf) SELECT x.idx, decode(x.leaf, 'hex') FROM "
       "unnest($1::bigint[], $2::text[]) AS x(idx, leaf) ON CONFLICT DO NOTHING"},
      {"log_put_tile",
       "INSERT INTO log_tiles AS t(level, idx, width, hashes) VALUES($1,$2,$3,$4) "
       "ON CONFLICT(level, idx) DO UPDATE SET width = excluded.width, hashes = excluded.hashes "
       "WHERE excluded.width > t.width"},
      {"log_add_checkpoint",
       "INSERT INTO log_checkpoints(size, root_hash, note, created_ms) VALUES($1,$2,$3,$4) "
       "ON CONFLICT DO NOTHING"},
      {"log_delete_pending", "DELETE FROM log_pending WHERE id = ANY($1::bigint[])"},
      // Blobs (postgres_blobs.cpp).
      {"blob_create", "INSERT INTO blobs(id, size, created_ms) VALUES($1, 0, $2)"},
      {"blob_append", "INSERT INTO blob_chunks(blob_id, seq, data) VALUES($1, $2, $3)"},
      {"blob_set_size", "UPDATE blobs SET size = $2 WHERE id = $1"},
      {"blob_exists", "SELECT 1 FROM blobs WHERE id = $1"},
      {"blob_chunk", "SELECT data FROM blob_chunks WHERE blob_id = $1 AND seq = $2"},
      {"blob_remove", "DELETE FROM blobs WHERE id = $1"},
      // Outbound mail queue. A claim locks the due rows it takes and skips rows another
      // transaction has locked, so concurrent claimers never get the same mail; the lease makes
      // a mail whose deliverer died claimable again once it runs out.
      {"enqueue_mail", S({"INSERT INTO outbound_mail(", kOutboundMailColumns,
                          ") VALUES($1,$2,$3,$4,$5,NULLIF($6::bigint,-1),$7,NULLIF($8,'')) "
                          "ON CONFLICT DO NOTHING"})},
      {"claim_due_mail",
       S({"UPDATE outbound_mail SET lease_until_ms = $2 WHERE id IN (SELECT id FROM "
          "outbound_mail WHERE next_attempt_ms <= $1 AND (lease_until_ms IS NULL OR "
          "lease_until_ms <= $1) ORDER BY next_attempt_ms, id LIMIT $3 FOR UPDATE SKIP LOCKED) "
          "RETURNING ",
          kOutboundMailColumns})},
      {"reschedule_mail",
       "UPDATE outbound_mail SET next_attempt_ms = $2, attempts = $3, last_error = $4, "
       "lease_until_ms = NULL WHERE id = $1"},
      {"delete_mail", "DELETE FROM outbound_mail WHERE id = $1"},
      {"delete_mail_of_pickup", "DELETE FROM outbound_mail WHERE pickup_lookup = $1"},
      {"list_queued_mail", S({"SELECT ", kOutboundMailColumns,
                              " FROM outbound_mail ORDER BY next_attempt_ms, id LIMIT $1"})},
      // Guests.
      {"get_message",
       "SELECT id, sender_id, created_ms, summary, body FROM messages WHERE id = $1"},
      {"get_token", S({"SELECT ", kTokenColumns,
                       " FROM tokens WHERE lookup = $1 AND purpose = $2 AND expires_ms > $3"})},
      {"get_guest_address",
       S({"SELECT ", kGuestAddressColumns, " FROM guest_addresses WHERE email = $1"})},
      {"get_pickup", S({"SELECT ", kPickupColumns, " FROM pickups WHERE lookup = $1"})},
      {"list_pickups_of_message", S({"SELECT ", kPickupColumns,
                                     " FROM pickups WHERE message_id = $1 "
                                     "ORDER BY created_ms, lookup"})},
      {"list_pickups_of_address", S({"SELECT ", kPickupColumns,
                                     " FROM pickups WHERE email = $1 "
                                     "ORDER BY created_ms, lookup LIMIT $2"})},
      {"put_guest_address",
       S({"INSERT INTO guest_addresses(", kGuestAddressColumns,
          ") VALUES($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11) "
          "ON CONFLICT(email) DO UPDATE SET "
          "muc_hash = excluded.muc_hash, failures = excluded.failures, "
          "updated_ms = excluded.updated_ms, public_key = excluded.public_key, "
          "wrapped_secret = excluded.wrapped_secret, "
          "kek_salt = excluded.kek_salt, kek_ops = excluded.kek_ops, "
          "kek_mem = excluded.kek_mem, "
          "member_sealed_secret = excluded.member_sealed_secret"})},
      {"reserve_muc_attempt",
       "UPDATE guest_addresses SET failures = failures + 1, updated_ms = $1 "
       "WHERE email = $2 AND failures < $3 RETURNING failures"},
      {"guest_address_exists", "SELECT 1 FROM guest_addresses WHERE email = $1"},
      {"delete_guest_address", "DELETE FROM guest_addresses WHERE email = $1"},
      {"list_claimable_pickups_of_sender",
       S({"SELECT ", kPickupColumns,
          " FROM pickups WHERE sender_id = $1 AND state IN (0, 1) AND EXISTS (SELECT 1 FROM "
          "users u WHERE u.email = pickups.email AND u.state = 1) "
          "ORDER BY created_ms, lookup LIMIT $2"})},
      {"reset_muc_failures", "UPDATE guest_addresses SET failures = 0 WHERE email = $1"},
      {"create_pickup",
       S({"INSERT INTO pickups(", kPickupColumns,
          ") VALUES($1,$2,$3,$4,$5,$6,$7,$8,NULLIF($9::bigint,-1),NULLIF($10::bigint,-1),"
          "NULLIF($11::bigint,-1),NULLIF($12::bigint,-1),$13,$14,$15) ON CONFLICT DO NOTHING"})},
      {"upgrade_legacy_guest_address",
       "UPDATE guest_addresses SET muc_hash = '', failures = 0, updated_ms = $3, public_key = $4, "
       "wrapped_secret = $5, kek_salt = $6, kek_ops = $7, kek_mem = $8 WHERE email = $1 AND "
       "muc_hash = $2 AND length(muc_hash) > 0 AND length(public_key) = 0"},
      {"reseal_pickup_share",
       "UPDATE pickups SET sealed_share = $2, share_key = $3 WHERE lookup = $1 AND "
       "state IN (0, 1)"},
      {"list_stale_shares_of_sender",
       S({"SELECT ", kPickupColumns,
          " FROM pickups WHERE sender_id = $1 AND state IN (0, 1) AND length(sender_share) > 0 "
          "AND EXISTS (SELECT 1 FROM guest_addresses g WHERE g.email = pickups.email AND "
          "length(g.public_key) > 0 AND g.public_key <> pickups.share_key) "
          "ORDER BY created_ms, lookup LIMIT $2"})},
      {"set_pickup_state", "UPDATE pickups SET state = $1 WHERE lookup = $2"},
      {"mark_pickup_opened",
       "UPDATE pickups SET state = 1, opened_ms = coalesce(opened_ms, $2) WHERE lookup = $1 "
       "AND state IN (0, 1) AND expires_ms > $2"},
      {"set_pickup_replied",
       "UPDATE pickups SET replied_ms = coalesce(replied_ms, $2) WHERE lookup = $1"},
      {"set_pickup_notified", "UPDATE pickups SET notified_ms = $2 WHERE lookup = $1"},
      {"set_pickup_notify_failed", "UPDATE pickups SET notify_failed_ms = $2 WHERE lookup = $1"},
      {"revoke_pending_pickup",
       "UPDATE pickups SET state = 2, wrapped_key = ''::bytea, sealed_share = ''::bytea, "
       "sender_share = ''::bytea WHERE lookup = $1 AND state = 0"},
      {"expire_pickup",
       "UPDATE pickups SET state = 3, wrapped_key = ''::bytea, sealed_share = ''::bytea, "
       "sender_share = ''::bytea WHERE lookup = $1 AND "
       "state IN (0, 1) AND expires_ms <= $2"},
      {"list_expired_pickups", S({"SELECT ", kPickupColumns,
                                  " FROM pickups WHERE state IN (0, 1) AND expires_ms <= $1 "
                                  "ORDER BY expires_ms, lookup LIMIT $2"})},
      {"delete_expired_tokens", "DELETE FROM tokens WHERE purpose = $1 AND expires_ms <= $2"},
      {"delete_unread_inbox_entry",
       "DELETE FROM mailbox WHERE owner_id = $1 AND message_id = $2 AND folder = 1 AND unread"},
      {"list_mailbox_entries_of_message",
       "SELECT owner_id, message_id, folder, sealed_key, unread, created_ms FROM mailbox "
       "WHERE message_id = $1 ORDER BY owner_id, folder"},
      {"create_member_keys", S({"INSERT INTO member_keys(", kMemberKeysColumns,
                                ") VALUES($1,$2,$3,$4,$5,$6,$7,$8) ON CONFLICT DO NOTHING"})},
      {"put_platform_key",
       "INSERT INTO platform_keys(name, public_key, wrapped_secret) VALUES($1,$2,$3) "
       "ON CONFLICT DO NOTHING"},
  };
  return kStatements;
}

}  // namespace

const char* UserColumns() { return kUserColumns; }

void PrepareAll(pqxx::connection& conn) {
  for (const auto& [name, sql] : Catalogue()) conn.prepare(name, sql);
}

Status StatusFromException(const std::exception_ptr& e, bool* retryable) {
  if (retryable) *retryable = false;
  try {
    std::rethrow_exception(e);
  } catch (const pqxx::in_doubt_error& ex) {
    return Unavailable(std::string("postgres: commit outcome unknown: ") + ex.what());
  } catch (const pqxx::transaction_rollback& ex) {  // serialization failure, deadlock
    if (retryable) *retryable = true;
    return Unavailable(std::string("postgres: transaction rolled back: ") + ex.what());
  } catch (const pqxx::broken_connection& ex) {
    if (retryable) *retryable = true;
    return Unavailable(std::string("postgres: connection lost: ") + ex.what());
  } catch (const pqxx::integrity_constraint_violation& ex) {
    return Conflict(std::string("postgres: constraint violated: ") + ex.what());
  } catch (const pqxx::sql_error& ex) {
    // Class 53, insufficient resources: 53100 is a full disk, the rest (memory, connections)
    // passes with time.
    const std::string& state = ex.sqlstate();
    if (state == "53100") return StorageFull("postgres: disk full: " + std::string(ex.what()));
    if (state.rfind("53", 0) == 0) {
      return Unavailable("postgres: " + state + ": " + std::string(ex.what()));
    }
    return Internal("postgres: " + state + ": " + ex.what());
  } catch (const std::exception& ex) {
    return Internal(std::string("postgres: ") + ex.what());
  } catch (...) {
    return Internal("postgres: unknown error");
  }
}

pqxx::binarystring Bin(ByteView v) {
  static const uint8_t kEmpty = 0;
  return v.empty() ? pqxx::binarystring(&kEmpty, 0) : pqxx::binarystring(v.data(), v.size());
}

Bytes ReadBytes(const pqxx::field& f) {
  const pqxx::binarystring b(f);
  return Bytes(b.data(), b.data() + b.size());
}

UserRecord ReadUser(const pqxx::row& r) {
  UserRecord u;
  u.id = UserId::FromTrusted(r[0].as<std::string>());
  u.email = r[1].as<std::string>();
  u.display_name = r[2].as<std::string>();
  u.state = static_cast<UserState>(r[3].as<int>());
  u.is_admin = r[4].as<bool>();
  u.box_public_key = ReadBytes(r[5]);
  u.verify_key = ReadBytes(r[6]);
  u.wrapped_private_keys = ReadBytes(r[7]);
  u.password_salt = ReadBytes(r[8]);
  u.password_ops = static_cast<uint64_t>(r[9].as<int64_t>());
  u.password_mem = static_cast<uint64_t>(r[10].as<int64_t>());
  u.umk_by_password = ReadBytes(r[11]);
  u.recovery_salt = ReadBytes(r[12]);
  u.umk_by_recovery = ReadBytes(r[13]);
  u.totp_secret = ReadBytes(r[14]);
  u.totp_enabled = r[15].as<bool>();
  u.totp_last_step = r[16].as<int64_t>();
  u.created_at = FromUnixMillis(r[17].as<int64_t>());
  u.disabled = r[18].as<bool>();
  u.recovery_ops = static_cast<uint64_t>(r[19].as<int64_t>());
  u.recovery_mem = static_cast<uint64_t>(r[20].as<int64_t>());
  return u;
}

SessionRecord ReadSession(const pqxx::row& r) {
  SessionRecord s;
  s.lookup = r[0].as<std::string>();
  s.user_id = UserId::FromTrusted(r[1].as<std::string>());
  s.kind = static_cast<SessionKind>(r[2].as<int>());
  s.wrapped_umk = ReadBytes(r[3]);
  s.created_at = FromUnixMillis(r[4].as<int64_t>());
  s.last_seen_at = FromUnixMillis(r[5].as<int64_t>());
  s.expires_at = FromUnixMillis(r[6].as<int64_t>());
  s.failures = r[7].as<int64_t>();
  s.public_id = r[8].as<std::string>();
  s.client_ip = r[9].as<std::string>();
  s.user_agent = r[10].as<std::string>();
  return s;
}

TokenRecord ReadToken(const pqxx::row& r) {
  TokenRecord t;
  t.lookup = r[0].as<std::string>();
  t.purpose = static_cast<TokenPurpose>(r[1].as<int>());
  if (!r[2].is_null()) t.user_id = UserId::FromTrusted(r[2].as<std::string>());
  t.payload = ReadBytes(r[3]);
  t.expires_at = FromUnixMillis(r[4].as<int64_t>());
  return t;
}

UploadRecord ReadUpload(const pqxx::row& r) {
  UploadRecord u;
  u.id = UploadId::FromTrusted(r[0].as<std::string>());
  u.owner_id = UserId::FromTrusted(r[1].as<std::string>());
  u.blob_id = BlobId::FromTrusted(r[2].as<std::string>());
  u.sealed_key = ReadBytes(r[3]);
  u.size = static_cast<uint64_t>(r[4].as<int64_t>());
  u.created_at = FromUnixMillis(r[5].as<int64_t>());
  return u;
}

AuditEntry ReadAuditEntry(const pqxx::row& r) {
  AuditEntry e;
  e.seq = r[0].as<int64_t>();
  e.event.time = FromUnixMillis(r[1].as<int64_t>());
  e.event.type = r[2].as<std::string>();
  e.event.actor = r[3].as<std::string>();
  e.event.subject = r[4].as<std::string>();
  e.event.details = r[5].as<std::string>();
  e.prev_hash = ReadBytes(r[6]);
  e.hash = ReadBytes(r[7]);
  return e;
}

OutboundMailRecord ReadOutboundMail(const pqxx::row& r) {
  OutboundMailRecord m;
  m.id = MailJobId::FromTrusted(r[0].as<std::string>());
  m.sealed_mail = ReadBytes(r[1]);
  m.created_at = FromUnixMillis(r[2].as<int64_t>());
  m.next_attempt_at = FromUnixMillis(r[3].as<int64_t>());
  m.attempts = r[4].as<int>();
  if (!r[5].is_null()) m.lease_until = FromUnixMillis(r[5].as<int64_t>());
  m.last_error = r[6].as<std::string>();
  if (!r[7].is_null()) m.pickup_lookup = r[7].as<std::string>();
  return m;
}

GuestAddressRecord ReadGuestAddress(const pqxx::row& r) {
  GuestAddressRecord g;
  g.email = r[0].as<std::string>();
  g.muc_hash = r[1].as<std::string>();
  g.failures = r[2].as<int64_t>();
  g.created_at = FromUnixMillis(r[3].as<int64_t>());
  g.updated_at = FromUnixMillis(r[4].as<int64_t>());
  g.public_key = ReadBytes(r[5]);
  g.wrapped_secret = ReadBytes(r[6]);
  g.kek_salt = ReadBytes(r[7]);
  g.kek_ops = r[8].as<int64_t>();
  g.kek_mem = r[9].as<int64_t>();
  g.member_sealed_secret = ReadBytes(r[10]);
  return g;
}

PickupRecord ReadPickup(const pqxx::row& r) {
  PickupRecord p;
  p.lookup = r[0].as<std::string>();
  p.message_id = MessageId::FromTrusted(r[1].as<std::string>());
  p.sender_id = UserId::FromTrusted(r[2].as<std::string>());
  p.email = r[3].as<std::string>();
  p.wrapped_key = ReadBytes(r[4]);
  p.created_at = FromUnixMillis(r[5].as<int64_t>());
  p.expires_at = FromUnixMillis(r[6].as<int64_t>());
  p.state = static_cast<PickupState>(r[7].as<int>());
  const auto time_at = [&](int col) -> std::optional<TimePoint> {
    if (r[col].is_null()) return std::nullopt;
    return FromUnixMillis(r[col].as<int64_t>());
  };
  p.notified_at = time_at(8);
  p.notify_failed_at = time_at(9);
  p.opened_at = time_at(10);
  p.replied_at = time_at(11);
  p.sealed_share = ReadBytes(r[12]);
  p.share_key = ReadBytes(r[13]);
  p.sender_share = ReadBytes(r[14]);
  return p;
}

MessageRecord ReadMessage(const pqxx::row& r) {
  return MessageRecord{MessageId::FromTrusted(r[0].as<std::string>()),
                       UserId::FromTrusted(r[1].as<std::string>()),
                       FromUnixMillis(r[2].as<int64_t>()), ReadBytes(r[3]), ReadBytes(r[4])};
}

MailboxEntry ReadMailboxEntry(const pqxx::row& r) {
  return MailboxEntry{UserId::FromTrusted(r[0].as<std::string>()),
                      MessageId::FromTrusted(r[1].as<std::string>()),
                      static_cast<Folder>(r[2].as<int>()),
                      ReadBytes(r[3]),
                      r[4].as<bool>(),
                      FromUnixMillis(r[5].as<int64_t>())};
}

MailboxItem ReadMailboxItem(const pqxx::row& r) {
  MailboxItem item;
  item.entry.owner_id = UserId::FromTrusted(r[0].as<std::string>());
  item.entry.message_id = MessageId::FromTrusted(r[1].as<std::string>());
  item.entry.folder = static_cast<Folder>(r[2].as<int>());
  item.entry.sealed_key = ReadBytes(r[3]);
  item.entry.unread = r[4].as<bool>();
  item.entry.created_at = FromUnixMillis(r[5].as<int64_t>());
  item.message.id = item.entry.message_id;
  item.message.sender_id = UserId::FromTrusted(r[6].as<std::string>());
  item.message.created_at = FromUnixMillis(r[7].as<int64_t>());
  item.message.summary = ReadBytes(r[8]);
  item.message.body = ReadBytes(r[9]);
  return item;
}

}  // namespace sealpost::store::postgres
