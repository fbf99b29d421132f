#include "store/sqlite/write_txn.h"

#include "store/audit_chain.h"
#include "store/sqlite/rows.h"

namespace sealpost::store::sqlite {

Status SqliteWriteTxn::ExpectOneRow(const char* what) {
  if (db_.Changes() == 0) return NotFound(std::string(what) + " not found");
  return Status::Ok();
}

Status SqliteWriteTxn::CreateUser(const UserRecord& u) {
  SP_ASSIGN_OR_RETURN(auto s, db_.Prepare(std::string("INSERT INTO users(") + kUserColumns +
                                          ") VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"));
  s.Bind(1, u.id.str()).Bind(2, u.email).Bind(3, u.display_name);
  s.Bind(4, int64_t{static_cast<int>(u.state)}).Bind(5, int64_t{u.is_admin});
  s.Bind(6, ByteView(u.box_public_key)).Bind(7, ByteView(u.verify_key));
  s.Bind(8, ByteView(u.wrapped_private_keys)).Bind(9, ByteView(u.password_salt));
  s.Bind(10, static_cast<int64_t>(u.password_ops)).Bind(11, static_cast<int64_t>(u.password_mem));
  s.Bind(12, ByteView(u.umk_by_password)).Bind(13, ByteView(u.recovery_salt));
  s.Bind(14, ByteView(u.umk_by_recovery)).Bind(15, ByteView(u.totp_secret));
  s.Bind(16, int64_t{u.totp_enabled}).Bind(17, u.totp_last_step);
  s.Bind(18, ToUnixMillis(u.created_at)).Bind(19, int64_t{u.disabled});
  Status st = s.Run();
  if (st.code() == ErrorCode::kConflict) return Conflict("email address already registered");
  return st;
}

Status SqliteWriteTxn::DeleteUser(const UserId& id) {
  SP_ASSIGN_OR_RETURN(auto s, db_.Prepare("DELETE FROM users WHERE id = ?"));
  SP_RETURN_IF_ERROR(s.Bind(1, id.str()).Run());
  return ExpectOneRow("user");
}

Status SqliteWriteTxn::ActivateUser(const UserId& id, ByteView recovery_salt,
                                    ByteView umk_by_recovery) {
  SP_ASSIGN_OR_RETURN(auto s, db_.Prepare("UPDATE users SET state = 1, recovery_salt = ?, "
                                          "umk_by_recovery = ? WHERE id = ? AND state = 0"));
  SP_RETURN_IF_ERROR(s.Bind(1, recovery_salt).Bind(2, umk_by_recovery).Bind(3, id.str()).Run());
  return ExpectOneRow("pending user");
}

Status SqliteWriteTxn::SetPasswordSlot(const UserId& id, ByteView salt, uint64_t ops, uint64_t mem,
                                       ByteView umk_by_password, ByteView expected) {
  SP_ASSIGN_OR_RETURN(auto s, db_.Prepare("UPDATE users SET password_salt = ?, password_ops = ?, "
                                          "password_mem = ?, umk_by_password = ? "
                                          "WHERE id = ? AND umk_by_password = ?"));
  s.Bind(1, salt).Bind(2, static_cast<int64_t>(ops)).Bind(3, static_cast<int64_t>(mem));
  SP_RETURN_IF_ERROR(s.Bind(4, umk_by_password).Bind(5, id.str()).Bind(6, expected).Run());
  if (db_.Changes() == 0) return Conflict("the password was changed at the same time");
  return Status::Ok();
}

Status SqliteWriteTxn::SetRecoverySlot(const UserId& id, ByteView salt, ByteView umk_by_recovery,
                                       ByteView expected) {
  SP_ASSIGN_OR_RETURN(auto s, db_.Prepare("UPDATE users SET recovery_salt = ?, umk_by_recovery = ? "
                                          "WHERE id = ? AND umk_by_recovery = ?"));
  SP_RETURN_IF_ERROR(
      s.Bind(1, salt).Bind(2, umk_by_recovery).Bind(3, id.str()).Bind(4, expected).Run());
  if (db_.Changes() == 0) return Conflict("the recovery code was changed at the same time");
  return Status::Ok();
}

Status SqliteWriteTxn::SetUserDisabled(const UserId& id, bool disabled) {
  SP_ASSIGN_OR_RETURN(auto s, db_.Prepare("UPDATE users SET disabled = ? WHERE id = ?"));
  SP_RETURN_IF_ERROR(s.Bind(1, int64_t{disabled}).Bind(2, id.str()).Run());
  return ExpectOneRow("user");
}

Status SqliteWriteTxn::SetTotp(const UserId& id, ByteView totp_secret, bool enabled) {
  SP_ASSIGN_OR_RETURN(
      auto s, db_.Prepare("UPDATE users SET totp_secret = ?, totp_enabled = ? WHERE id = ?"));
  SP_RETURN_IF_ERROR(s.Bind(1, totp_secret).Bind(2, int64_t{enabled}).Bind(3, id.str()).Run());
  return ExpectOneRow("user");
}

Status SqliteWriteTxn::ConsumeTotpStep(const UserId& id, int64_t step) {
  SP_ASSIGN_OR_RETURN(auto s, db_.Prepare("UPDATE users SET totp_last_step = ? "
                                          "WHERE id = ? AND totp_last_step < ?"));
  SP_RETURN_IF_ERROR(s.Bind(1, step).Bind(2, id.str()).Bind(3, step).Run());
  if (db_.Changes() == 0) return Conflict("one-time code already used");
  return Status::Ok();
}

Status SqliteWriteTxn::CreateSession(const SessionRecord& r) {
  SP_ASSIGN_OR_RETURN(auto s, db_.Prepare(std::string("INSERT INTO sessions(") + kSessionColumns +
                                          ") VALUES(?,?,?,?,?,?,?,?,?,?,?)"));
  s.Bind(1, r.lookup).Bind(2, r.user_id.str()).Bind(3, int64_t{static_cast<int>(r.kind)});
  s.Bind(4, ByteView(r.wrapped_umk)).Bind(5, ToUnixMillis(r.created_at));
  s.Bind(6, ToUnixMillis(r.last_seen_at)).Bind(7, ToUnixMillis(r.expires_at)).Bind(8, r.failures);
  s.Bind(9, r.public_id).Bind(10, r.client_ip).Bind(11, r.user_agent);
  return s.Run();
}

Status SqliteWriteTxn::UpdateSession(const SessionRecord& r) {
  SP_ASSIGN_OR_RETURN(auto s, db_.Prepare("UPDATE sessions SET kind = ?, wrapped_umk = ?, "
                                          "last_seen_ms = ?, expires_ms = ?, failures = ?, "
                                          "client_ip = ? WHERE lookup = ?"));
  s.Bind(1, int64_t{static_cast<int>(r.kind)}).Bind(2, ByteView(r.wrapped_umk));
  s.Bind(3, ToUnixMillis(r.last_seen_at)).Bind(4, ToUnixMillis(r.expires_at));
  s.Bind(5, r.failures).Bind(6, r.client_ip).Bind(7, r.lookup);
  SP_RETURN_IF_ERROR(s.Run());
  return ExpectOneRow("session");
}

Status SqliteWriteTxn::DeleteSession(const std::string& lookup) {
  SP_ASSIGN_OR_RETURN(auto s, db_.Prepare("DELETE FROM sessions WHERE lookup = ?"));
  return s.Bind(1, lookup).Run();
}

Status SqliteWriteTxn::DeleteSessionsOfUser(const UserId& user_id) {
  SP_ASSIGN_OR_RETURN(auto s, db_.Prepare("DELETE FROM sessions WHERE user_id = ?"));
  return s.Bind(1, user_id.str()).Run();
}

Status SqliteWriteTxn::DeleteOtherSessionsOfUser(const UserId& user_id,
                                                 const std::string& keep_lookup) {
  SP_ASSIGN_OR_RETURN(auto s,
                      db_.Prepare("DELETE FROM sessions WHERE user_id = ? AND lookup <> ?"));
  return s.Bind(1, user_id.str()).Bind(2, keep_lookup).Run();
}

Status SqliteWriteTxn::DeleteSessionByPublicId(const UserId& user_id,
                                               const std::string& public_id) {
  SP_ASSIGN_OR_RETURN(auto s,
                      db_.Prepare("DELETE FROM sessions WHERE user_id = ? AND public_id = ?"));
  SP_RETURN_IF_ERROR(s.Bind(1, user_id.str()).Bind(2, public_id).Run());
  return ExpectOneRow("session");
}

Status SqliteWriteTxn::DeleteExpiredSessions(TimePoint now) {
  SP_ASSIGN_OR_RETURN(auto s, db_.Prepare("DELETE FROM sessions WHERE expires_ms <= ?"));
  return s.Bind(1, ToUnixMillis(now)).Run();
}

Status SqliteWriteTxn::CreateToken(const TokenRecord& t) {
  SP_ASSIGN_OR_RETURN(auto s, db_.Prepare("INSERT INTO tokens(lookup, purpose, user_id, payload, "
                                          "expires_ms) VALUES(?,?,?,?,?)"));
  s.Bind(1, t.lookup).Bind(2, int64_t{static_cast<int>(t.purpose)});
  if (t.user_id) {
    s.Bind(3, t.user_id->str());
  } else {
    s.BindNull(3);
  }
  s.Bind(4, ByteView(t.payload)).Bind(5, ToUnixMillis(t.expires_at));
  return s.Run();
}

Result<TokenRecord> SqliteWriteTxn::ConsumeToken(const std::string& lookup, TokenPurpose purpose,
                                                 TimePoint now) {
  SP_ASSIGN_OR_RETURN(auto s, db_.Prepare("DELETE FROM tokens WHERE lookup = ? RETURNING lookup, "
                                          "purpose, user_id, payload, expires_ms"));
  s.Bind(1, lookup);
  SP_ASSIGN_OR_RETURN(const bool found, s.Step());
  if (!found) return NotFound("token not found");
  TokenRecord token = ReadToken(s);
  SP_RETURN_IF_ERROR(s.Run());
  if (token.purpose != purpose || token.expires_at <= now) return NotFound("token not found");
  return token;
}

Status SqliteWriteTxn::DeleteTokensOfUser(const UserId& user_id, TokenPurpose purpose) {
  SP_ASSIGN_OR_RETURN(auto s, db_.Prepare("DELETE FROM tokens WHERE user_id = ? AND purpose = ?"));
  return s.Bind(1, user_id.str()).Bind(2, int64_t{static_cast<int>(purpose)}).Run();
}

Status SqliteWriteTxn::CreateUpload(const UploadRecord& u) {
  SP_ASSIGN_OR_RETURN(auto s, db_.Prepare(std::string("INSERT INTO uploads(") + kUploadColumns +
                                          ") VALUES(?,?,?,?,?,?)"));
  s.Bind(1, u.id.str()).Bind(2, u.owner_id.str()).Bind(3, u.blob_id.str());
  s.Bind(4, ByteView(u.sealed_key)).Bind(5, static_cast<int64_t>(u.size));
  s.Bind(6, ToUnixMillis(u.created_at));
  return s.Run();
}

Status SqliteWriteTxn::DeleteUpload(const UploadId& id) {
  SP_ASSIGN_OR_RETURN(auto s, db_.Prepare("DELETE FROM uploads WHERE id = ?"));
  SP_RETURN_IF_ERROR(s.Bind(1, id.str()).Run());
  return ExpectOneRow("upload");
}

Status SqliteWriteTxn::CreateMessage(const MessageRecord& m, std::span<const MailboxEntry> entries,
                                     std::span<const AttachmentRecord> attachments) {
  {
    SP_ASSIGN_OR_RETURN(auto s, db_.Prepare("INSERT INTO messages(id, sender_id, created_ms, "
                                            "summary, body) VALUES(?,?,?,?,?)"));
    s.Bind(1, m.id.str()).Bind(2, m.sender_id.str()).Bind(3, ToUnixMillis(m.created_at));
    SP_RETURN_IF_ERROR(s.Bind(4, ByteView(m.summary)).Bind(5, ByteView(m.body)).Run());
  }
  for (const MailboxEntry& e : entries) {
    SP_ASSIGN_OR_RETURN(auto s, db_.Prepare("INSERT INTO mailbox(owner_id, message_id, folder, "
                                            "sealed_key, unread, created_ms) VALUES(?,?,?,?,?,?)"));
    s.Bind(1, e.owner_id.str()).Bind(2, e.message_id.str());
    s.Bind(3, int64_t{static_cast<int>(e.folder)}).Bind(4, ByteView(e.sealed_key));
    s.Bind(5, int64_t{e.unread}).Bind(6, ToUnixMillis(e.created_at));
    SP_RETURN_IF_ERROR(s.Run());
  }
  for (const AttachmentRecord& a : attachments) {
    SP_ASSIGN_OR_RETURN(auto s, db_.Prepare("INSERT INTO attachments(message_id, idx, blob_id, "
                                            "stored_size) VALUES(?,?,?,?)"));
    s.Bind(1, a.message_id.str()).Bind(2, int64_t{a.index}).Bind(3, a.blob_id.str());
    SP_RETURN_IF_ERROR(s.Bind(4, static_cast<int64_t>(a.stored_size)).Run());
  }
  return Status::Ok();
}

Status SqliteWriteTxn::AddMailboxEntry(const MailboxEntry& e) {
  SP_ASSIGN_OR_RETURN(auto s, db_.Prepare("INSERT INTO mailbox(owner_id, message_id, folder, "
                                          "sealed_key, unread, created_ms) VALUES(?,?,?,?,?,?)"));
  s.Bind(1, e.owner_id.str()).Bind(2, e.message_id.str());
  s.Bind(3, int64_t{static_cast<int>(e.folder)}).Bind(4, ByteView(e.sealed_key));
  s.Bind(5, int64_t{e.unread}).Bind(6, ToUnixMillis(e.created_at));
  return s.Run();
}

Status SqliteWriteTxn::MarkRead(const UserId& owner, const MessageId& id) {
  SP_ASSIGN_OR_RETURN(auto s, db_.Prepare("UPDATE mailbox SET unread = 0 WHERE owner_id = ? AND "
                                          "message_id = ? AND unread = 1"));
  return s.Bind(1, owner.str()).Bind(2, id.str()).Run();
}

Result<int64_t> SqliteWriteTxn::BumpCounter(const std::string& key, TimePoint now,
                                            std::chrono::milliseconds window) {
  const int64_t now_ms = ToUnixMillis(now);
  SP_ASSIGN_OR_RETURN(
      auto s, db_.Prepare("INSERT INTO counters(key, window_start_ms, count) VALUES(?1, ?2, 1) "
                          "ON CONFLICT(key) DO UPDATE SET "
                          "count = CASE WHEN window_start_ms + ?3 <= ?2 THEN 1 ELSE count + 1 END, "
                          "window_start_ms = CASE WHEN window_start_ms + ?3 <= ?2 THEN ?2 "
                          "ELSE window_start_ms END RETURNING count"));
  s.Bind(1, key).Bind(2, now_ms).Bind(3, static_cast<int64_t>(window.count()));
  SP_ASSIGN_OR_RETURN(const bool row, s.Step());
  if (!row) return Internal("counter upsert returned no row");
  const int64_t count = s.Int(0);
  SP_RETURN_IF_ERROR(s.Run());
  return count;
}

Status SqliteWriteTxn::ResetCounter(const std::string& key) {
  SP_ASSIGN_OR_RETURN(auto s, db_.Prepare("DELETE FROM counters WHERE key = ?"));
  return s.Bind(1, key).Run();
}

Result<AuditEntry> SqliteWriteTxn::AppendAudit(const AuditEvent& event) {
  AuditEntry entry;
  entry.event = event;
  {
    SP_ASSIGN_OR_RETURN(auto s, db_.Prepare("SELECT seq, hash FROM audit_log "
                                            "ORDER BY seq DESC LIMIT 1"));
    SP_ASSIGN_OR_RETURN(const bool row, s.Step());
    entry.seq = row ? s.Int(0) + 1 : 1;
    entry.prev_hash = row ? s.Blob(1) : Bytes(kAuditHashBytes, 0);
    SP_RETURN_IF_ERROR(s.Run());
  }
  entry.hash = AuditEntryHash(entry.prev_hash, entry.seq, event);
  SP_ASSIGN_OR_RETURN(auto s, db_.Prepare(std::string("INSERT INTO audit_log(") + kAuditColumns +
                                          ") VALUES(?,?,?,?,?,?,?,?)"));
  s.Bind(1, entry.seq).Bind(2, ToUnixMillis(event.time)).Bind(3, event.type);
  s.Bind(4, event.actor).Bind(5, event.subject).Bind(6, event.details);
  s.Bind(7, ByteView(entry.prev_hash)).Bind(8, ByteView(entry.hash));
  SP_RETURN_IF_ERROR(s.Run());
  return entry;
}

Status SqliteWriteTxn::AddAuditCheckpoint(const AuditCheckpoint& c) {
  SP_ASSIGN_OR_RETURN(auto s, db_.Prepare("INSERT INTO audit_checkpoints(seq, hash, signature, "
                                          "time_ms) VALUES(?,?,?,?)"));
  s.Bind(1, c.seq).Bind(2, ByteView(c.hash)).Bind(3, ByteView(c.signature));
  return s.Bind(4, ToUnixMillis(c.time)).Run();
}

Status SqliteWriteTxn::PutPlatformKey(const PlatformKeyRecord& k) {
  SP_ASSIGN_OR_RETURN(auto s, db_.Prepare("INSERT INTO platform_keys(name, public_key, "
                                          "wrapped_secret) VALUES(?,?,?)"));
  return s.Bind(1, k.name)
      .Bind(2, ByteView(k.public_key))
      .Bind(3, ByteView(k.wrapped_secret))
      .Run();
}

Status SqliteWriteTxn::EnqueueMail(const OutboundMailRecord& m) {
  SP_ASSIGN_OR_RETURN(auto s, db_.Prepare(std::string("INSERT INTO outbound_mail(") +
                                          kOutboundMailColumns + ") VALUES(?,?,?,?,?,?,?,?)"));
  s.Bind(1, m.id.str()).Bind(2, ByteView(m.sealed_mail)).Bind(3, ToUnixMillis(m.created_at));
  s.Bind(4, ToUnixMillis(m.next_attempt_at)).Bind(5, int64_t{m.attempts});
  if (m.lease_until) {
    s.Bind(6, ToUnixMillis(*m.lease_until));
  } else {
    s.BindNull(6);
  }
  if (m.pickup_lookup) {
    s.Bind(8, *m.pickup_lookup);
  } else {
    s.BindNull(8);
  }
  return s.Bind(7, m.last_error).Run();
}

Result<std::vector<OutboundMailRecord>> SqliteWriteTxn::ClaimDueMail(TimePoint now,
                                                                     TimePoint lease_until,
                                                                     int limit) {
  // One writer at a time (the writer thread): selecting then leasing cannot race in SQLite.
  std::vector<OutboundMailRecord> due;
  {
    SP_ASSIGN_OR_RETURN(auto s, db_.Prepare(std::string("SELECT ") + kOutboundMailColumns +
                                            " FROM outbound_mail WHERE next_attempt_ms <= ?1 "
                                            "AND (lease_until_ms IS NULL OR lease_until_ms <= ?1) "
                                            "ORDER BY next_attempt_ms, id LIMIT ?2"));
    s.Bind(1, ToUnixMillis(now)).Bind(2, int64_t{limit});
    for (;;) {
      SP_ASSIGN_OR_RETURN(const bool row, s.Step());
      if (!row) break;
      due.push_back(ReadOutboundMail(s));
    }
  }
  for (OutboundMailRecord& m : due) {
    SP_ASSIGN_OR_RETURN(auto s,
                        db_.Prepare("UPDATE outbound_mail SET lease_until_ms = ? WHERE id = ?"));
    SP_RETURN_IF_ERROR(s.Bind(1, ToUnixMillis(lease_until)).Bind(2, m.id.str()).Run());
    m.lease_until = lease_until;
  }
  return due;
}

Status SqliteWriteTxn::RescheduleMail(const MailJobId& id, TimePoint next_attempt_at, int attempts,
                                      const std::string& last_error) {
  SP_ASSIGN_OR_RETURN(auto s, db_.Prepare("UPDATE outbound_mail SET next_attempt_ms = ?, "
                                          "attempts = ?, last_error = ?, lease_until_ms = NULL "
                                          "WHERE id = ?"));
  s.Bind(1, ToUnixMillis(next_attempt_at)).Bind(2, int64_t{attempts}).Bind(3, last_error);
  SP_RETURN_IF_ERROR(s.Bind(4, id.str()).Run());
  return ExpectOneRow("queued mail");
}

Status SqliteWriteTxn::PutGuestAddress(const GuestAddressRecord& g) {
  SP_ASSIGN_OR_RETURN(
      auto s, db_.Prepare(std::string("INSERT INTO guest_addresses(") + kGuestAddressColumns +
                          ") VALUES(?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(email) DO UPDATE SET "
                          "muc_hash = excluded.muc_hash, failures = excluded.failures, "
                          "updated_ms = excluded.updated_ms, public_key = excluded.public_key, "
                          "wrapped_secret = excluded.wrapped_secret, kek_salt = excluded.kek_salt, "
                          "kek_ops = excluded.kek_ops, kek_mem = excluded.kek_mem, "
                          "member_sealed_secret = excluded.member_sealed_secret"));
  s.Bind(1, g.email).Bind(2, g.muc_hash).Bind(3, g.failures);
  s.Bind(4, ToUnixMillis(g.created_at)).Bind(5, ToUnixMillis(g.updated_at));
  s.Bind(6, ByteView(g.public_key)).Bind(7, ByteView(g.wrapped_secret));
  s.Bind(8, ByteView(g.kek_salt)).Bind(9, g.kek_ops).Bind(10, g.kek_mem);
  s.Bind(11, ByteView(g.member_sealed_secret));
  return s.Run();
}

Status SqliteWriteTxn::DeleteGuestAddress(const std::string& email) {
  SP_ASSIGN_OR_RETURN(auto s, db_.Prepare("DELETE FROM guest_addresses WHERE email = ?"));
  return s.Bind(1, email).Run();
}

Result<int64_t> SqliteWriteTxn::ReserveMucAttempt(const std::string& email, int64_t limit,
                                                  TimePoint now) {
  SP_ASSIGN_OR_RETURN(auto s, db_.Prepare("UPDATE guest_addresses SET failures = failures + 1, "
                                          "updated_ms = ? WHERE email = ? AND failures < ? "
                                          "RETURNING failures"));
  s.Bind(1, ToUnixMillis(now)).Bind(2, email).Bind(3, limit);
  SP_ASSIGN_OR_RETURN(const bool row, s.Step());
  if (row) {
    const int64_t failures = s.Int(0);
    SP_RETURN_IF_ERROR(s.Run());
    return failures;
  }
  SP_ASSIGN_OR_RETURN(auto q, db_.Prepare("SELECT 1 FROM guest_addresses WHERE email = ?"));
  q.Bind(1, email);
  SP_ASSIGN_OR_RETURN(const bool exists, q.Step());
  SP_RETURN_IF_ERROR(q.Run());
  if (!exists) return NotFound("guest address not found");
  return Conflict("the message unlock code is locked");
}

Status SqliteWriteTxn::ResetMucFailures(const std::string& email) {
  SP_ASSIGN_OR_RETURN(auto s,
                      db_.Prepare("UPDATE guest_addresses SET failures = 0 WHERE email = ?"));
  SP_RETURN_IF_ERROR(s.Bind(1, email).Run());
  return ExpectOneRow("guest address");
}

Status SqliteWriteTxn::CreatePickup(const PickupRecord& p) {
  SP_ASSIGN_OR_RETURN(auto s, db_.Prepare(std::string("INSERT INTO pickups(") + kPickupColumns +
                                          ") VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"));
  s.Bind(1, p.lookup).Bind(2, p.message_id.str()).Bind(3, p.sender_id.str()).Bind(4, p.email);
  s.Bind(5, ByteView(p.wrapped_key)).Bind(6, ToUnixMillis(p.created_at));
  s.Bind(7, ToUnixMillis(p.expires_at)).Bind(8, int64_t{static_cast<int>(p.state)});
  int index = 9;
  for (const auto& t : {p.notified_at, p.notify_failed_at, p.opened_at, p.replied_at}) {
    if (t) {
      s.Bind(index++, ToUnixMillis(*t));
    } else {
      s.BindNull(index++);
    }
  }
  s.Bind(13, ByteView(p.sealed_share)).Bind(14, ByteView(p.share_key));
  s.Bind(15, ByteView(p.sender_share));
  return s.Run();
}

Status SqliteWriteTxn::SetPickupState(const std::string& lookup, PickupState state) {
  SP_ASSIGN_OR_RETURN(auto s, db_.Prepare("UPDATE pickups SET state = ? WHERE lookup = ?"));
  SP_RETURN_IF_ERROR(s.Bind(1, int64_t{static_cast<int>(state)}).Bind(2, lookup).Run());
  return ExpectOneRow("pickup");
}

Status SqliteWriteTxn::MarkPickupOpened(const std::string& lookup, TimePoint now) {
  SP_ASSIGN_OR_RETURN(auto s, db_.Prepare("UPDATE pickups SET state = 1, opened_ms = "
                                          "coalesce(opened_ms, ?1) WHERE lookup = ?2 AND "
                                          "state IN (0, 1) AND expires_ms > ?1"));
  SP_RETURN_IF_ERROR(s.Bind(1, ToUnixMillis(now)).Bind(2, lookup).Run());
  return ExpectOneRow("live pickup");
}

Status SqliteWriteTxn::SetPickupReplied(const std::string& lookup, TimePoint at) {
  SP_ASSIGN_OR_RETURN(
      auto s,
      db_.Prepare("UPDATE pickups SET replied_ms = coalesce(replied_ms, ?) WHERE lookup = ?"));
  SP_RETURN_IF_ERROR(s.Bind(1, ToUnixMillis(at)).Bind(2, lookup).Run());
  return ExpectOneRow("pickup");
}

Status SqliteWriteTxn::SetPickupNotified(const std::string& lookup, TimePoint at) {
  SP_ASSIGN_OR_RETURN(auto s, db_.Prepare("UPDATE pickups SET notified_ms = ? WHERE lookup = ?"));
  SP_RETURN_IF_ERROR(s.Bind(1, ToUnixMillis(at)).Bind(2, lookup).Run());
  return ExpectOneRow("pickup");
}

Status SqliteWriteTxn::SetPickupNotifyFailed(const std::string& lookup, TimePoint at) {
  SP_ASSIGN_OR_RETURN(auto s,
                      db_.Prepare("UPDATE pickups SET notify_failed_ms = ? WHERE lookup = ?"));
  SP_RETURN_IF_ERROR(s.Bind(1, ToUnixMillis(at)).Bind(2, lookup).Run());
  return ExpectOneRow("pickup");
}

Status SqliteWriteTxn::RevokePendingPickup(const std::string& lookup) {
  SP_ASSIGN_OR_RETURN(auto s, db_.Prepare("UPDATE pickups SET state = 2, wrapped_key = X'', "
                                          "sealed_share = X'', sender_share = X'' "
                                          "WHERE lookup = ? AND state = 0"));
  SP_RETURN_IF_ERROR(s.Bind(1, lookup).Run());
  return ExpectOneRow("pending pickup");
}

Status SqliteWriteTxn::ExpirePickup(const std::string& lookup, TimePoint now) {
  SP_ASSIGN_OR_RETURN(auto s, db_.Prepare("UPDATE pickups SET state = 3, wrapped_key = X'', "
                                          "sealed_share = X'', sender_share = X'' "
                                          "WHERE lookup = ? AND state IN (0, 1) AND "
                                          "expires_ms <= ?"));
  SP_RETURN_IF_ERROR(s.Bind(1, lookup).Bind(2, ToUnixMillis(now)).Run());
  return ExpectOneRow("expired pickup");
}

Status SqliteWriteTxn::ResealPickupShare(const std::string& lookup, ByteView sealed_share,
                                         ByteView share_key) {
  SP_ASSIGN_OR_RETURN(auto s, db_.Prepare("UPDATE pickups SET sealed_share = ?, share_key = ? "
                                          "WHERE lookup = ? AND state IN (0, 1)"));
  SP_RETURN_IF_ERROR(s.Bind(1, sealed_share).Bind(2, share_key).Bind(3, lookup).Run());
  return ExpectOneRow("live pickup");
}

Result<int64_t> SqliteWriteTxn::DeleteExpiredTokens(TokenPurpose purpose, TimePoint now) {
  SP_ASSIGN_OR_RETURN(auto s,
                      db_.Prepare("DELETE FROM tokens WHERE purpose = ? AND expires_ms <= ?"));
  SP_RETURN_IF_ERROR(
      s.Bind(1, int64_t{static_cast<int>(purpose)}).Bind(2, ToUnixMillis(now)).Run());
  return static_cast<int64_t>(db_.Changes());
}

Status SqliteWriteTxn::DeleteUnreadInboxEntry(const UserId& owner, const MessageId& id) {
  SP_ASSIGN_OR_RETURN(auto s, db_.Prepare("DELETE FROM mailbox WHERE owner_id = ? AND "
                                          "message_id = ? AND folder = 1 AND unread = 1"));
  SP_RETURN_IF_ERROR(s.Bind(1, owner.str()).Bind(2, id.str()).Run());
  return ExpectOneRow("unread inbox entry");
}

Status SqliteWriteTxn::DeleteMailOfPickup(const std::string& pickup_lookup) {
  SP_ASSIGN_OR_RETURN(auto s, db_.Prepare("DELETE FROM outbound_mail WHERE pickup_lookup = ?"));
  return s.Bind(1, pickup_lookup).Run();
}

Status SqliteWriteTxn::DeleteMail(const MailJobId& id) {
  SP_ASSIGN_OR_RETURN(auto s, db_.Prepare("DELETE FROM outbound_mail WHERE id = ?"));
  SP_RETURN_IF_ERROR(s.Bind(1, id.str()).Run());
  return ExpectOneRow("queued mail");
}

}  // namespace sealpost::store::sqlite
