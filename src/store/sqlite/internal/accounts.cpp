#include "store/sqlite/internal/accounts.h"

#include "store/column_list.h"
#include "store/sqlite/internal/rows.h"

namespace sealpost::store::sqlite {

Result<UserRecord> SqliteAccountsReader::GetUser(const UserId& id) {
  return pool_.ReadOne<UserRecord>(
      std::string("SELECT ") + kUserColumns + " FROM users WHERE id = ?",
      [&](Statement& s) { s.Bind(1, id.str()); }, ReadUser, "user");
}

Result<UserRecord> SqliteAccountsReader::GetUserByEmail(const std::string& email) {
  return pool_.ReadOne<UserRecord>(
      std::string("SELECT ") + kUserColumns + " FROM users WHERE email = ?",
      [&](Statement& s) { s.Bind(1, email); }, ReadUser, "user");
}

Result<bool> SqliteAccountsReader::HasActiveAdmin() {
  return pool_.WithReader<bool>([](Connection& db) -> Result<bool> {
    SP_ASSIGN_OR_RETURN(auto s, db.Prepare("SELECT 1 FROM users WHERE is_admin = 1 AND "
                                           "state = 1 AND disabled = 0 LIMIT 1"));
    SP_ASSIGN_OR_RETURN(const bool row, s.Step());
    return row;
  });
}

Result<std::vector<UserRecord>> SqliteAccountsReader::ListUsers(const std::string* after_email,
                                                                int limit) {
  return pool_.WithReader<std::vector<UserRecord>>(
      [&](Connection& db) -> Result<std::vector<UserRecord>> {
        std::string sql = std::string("SELECT ") + kUserColumns + " FROM users ";
        if (after_email) sql += "WHERE email > ? ";
        sql += "ORDER BY email LIMIT ?";
        SP_ASSIGN_OR_RETURN(auto s, db.Prepare(sql));
        int next = 1;
        if (after_email) s.Bind(next++, *after_email);
        s.Bind(next, int64_t{limit});
        std::vector<UserRecord> out;
        for (;;) {
          SP_ASSIGN_OR_RETURN(const bool row, s.Step());
          if (!row) break;
          out.push_back(ReadUser(s));
        }
        return out;
      });
}

Result<std::vector<SessionRecord>> SqliteAccountsReader::ListSessionsOfUser(const UserId& user_id,
                                                                            int limit) {
  return pool_.WithReader<std::vector<SessionRecord>>(
      [&](Connection& db) -> Result<std::vector<SessionRecord>> {
        SP_ASSIGN_OR_RETURN(auto s, db.Prepare(std::string("SELECT ") + kSessionColumns +
                                               " FROM sessions WHERE user_id = ? "
                                               "ORDER BY created_ms DESC, lookup LIMIT ?"));
        s.Bind(1, user_id.str()).Bind(2, int64_t{limit});
        std::vector<SessionRecord> out;
        for (;;) {
          SP_ASSIGN_OR_RETURN(const bool row, s.Step());
          if (!row) break;
          out.push_back(ReadSession(s));
        }
        return out;
      });
}

Result<SessionRecord> SqliteAccountsReader::GetSession(const std::string& lookup) {
  return pool_.ReadOne<SessionRecord>(
      std::string("SELECT ") + kSessionColumns + " FROM sessions WHERE lookup = ?",
      [&](Statement& s) { s.Bind(1, lookup); }, ReadSession, "session");
}

Result<SessionWithUser> SqliteAccountsReader::GetSessionWithUser(const std::string& lookup) {
  static const std::string kSql = "SELECT " + QualifiedColumns(kSessionColumns, "s") + ", " +
                                  QualifiedColumns(kUserColumns, "u") +
                                  " FROM sessions s JOIN users u ON u.id = s.user_id "
                                  "WHERE s.lookup = ?";
  return pool_.ReadOne<SessionWithUser>(
      kSql, [&](Statement& s) { s.Bind(1, lookup); },
      [](const Statement& s) {
        return SessionWithUser{ReadSession(s), ReadUserAt(s, kSessionColumnCount)};
      },
      "session");
}

Result<TokenRecord> SqliteAccountsReader::GetToken(const std::string& lookup, TokenPurpose purpose,
                                                   TimePoint now) {
  return pool_.ReadOne<TokenRecord>(
      "SELECT lookup, purpose, user_id, payload, expires_ms FROM tokens WHERE lookup = ? AND "
      "purpose = ? AND expires_ms > ?",
      [&](Statement& s) {
        s.Bind(1, lookup).Bind(2, int64_t{static_cast<int>(purpose)}).Bind(3, ToUnixMillis(now));
      },
      ReadToken, "token");
}

Result<MemberKeysRecord> SqliteAccountsReader::GetMemberKeys(const UserId& user_id) {
  return pool_.ReadOne<MemberKeysRecord>(
      std::string("SELECT ") + kMemberKeysColumns + " FROM member_keys WHERE user_id = ?",
      [&](Statement& s) { s.Bind(1, user_id.str()); },
      [](const Statement& s) {
        return MemberKeysRecord{UserId::FromTrusted(s.Text(0)),
                                s.Blob(1),
                                s.Text(2),
                                s.Blob(3),
                                s.Blob(4),
                                s.Text(5),
                                s.Blob(6),
                                FromUnixMillis(s.Int(7))};
      },
      "member keys");
}

Status SqliteAccountsWriter::CreateUser(const UserRecord& u) {
  SP_ASSIGN_OR_RETURN(auto s, db_.Prepare(std::string("INSERT INTO users(") + kUserColumns +
                                          ") VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"));
  s.Bind(1, u.id.str()).Bind(2, u.email).Bind(3, u.display_name);
  s.Bind(4, int64_t{static_cast<int>(u.state)}).Bind(5, int64_t{u.is_admin});
  s.Bind(6, ByteView(u.box_public_key)).Bind(7, ByteView(u.verify_key));
  s.Bind(8, ByteView(u.wrapped_private_keys)).Bind(9, ByteView(u.password_salt));
  s.Bind(10, static_cast<int64_t>(u.password_ops)).Bind(11, static_cast<int64_t>(u.password_mem));
  s.Bind(12, ByteView(u.umk_by_password)).Bind(13, ByteView(u.recovery_salt));
  s.Bind(14, ByteView(u.umk_by_recovery)).Bind(15, ByteView(u.totp_secret));
  s.Bind(16, int64_t{u.totp_enabled}).Bind(17, u.totp_last_step);
  s.Bind(18, ToUnixMillis(u.created_at)).Bind(19, int64_t{u.disabled});
  s.Bind(20, static_cast<int64_t>(u.recovery_ops)).Bind(21, static_cast<int64_t>(u.recovery_mem));
  Status st = s.Run();
  if (st.code() == ErrorCode::kConflict) return Conflict("email address already registered");
  return st;
}

Status SqliteAccountsWriter::DeleteUser(const UserId& id) {
  SP_ASSIGN_OR_RETURN(auto s, db_.Prepare("DELETE FROM users WHERE id = ?"));
  SP_RETURN_IF_ERROR(s.Bind(1, id.str()).Run());
  return ExpectOneRow(db_, "user");
}

Status SqliteAccountsWriter::ActivateUser(const UserId& id, ByteView recovery_salt,
                                          uint64_t recovery_ops, uint64_t recovery_mem,
                                          ByteView umk_by_recovery) {
  SP_ASSIGN_OR_RETURN(auto s, db_.Prepare("UPDATE users SET state = 1, recovery_salt = ?, "
                                          "recovery_ops = ?, recovery_mem = ?, "
                                          "umk_by_recovery = ? WHERE id = ? AND state = 0"));
  s.Bind(1, recovery_salt).Bind(2, static_cast<int64_t>(recovery_ops));
  s.Bind(3, static_cast<int64_t>(recovery_mem)).Bind(4, umk_by_recovery).Bind(5, id.str());
  SP_RETURN_IF_ERROR(s.Run());
  return ExpectOneRow(db_, "pending user");
}

Status SqliteAccountsWriter::SetPasswordSlot(const UserId& id, ByteView salt, uint64_t ops,
                                             uint64_t mem, ByteView umk_by_password,
                                             ByteView expected) {
  SP_ASSIGN_OR_RETURN(auto s, db_.Prepare("UPDATE users SET password_salt = ?, password_ops = ?, "
                                          "password_mem = ?, umk_by_password = ? "
                                          "WHERE id = ? AND umk_by_password = ?"));
  s.Bind(1, salt).Bind(2, static_cast<int64_t>(ops)).Bind(3, static_cast<int64_t>(mem));
  SP_RETURN_IF_ERROR(s.Bind(4, umk_by_password).Bind(5, id.str()).Bind(6, expected).Run());
  if (db_.Changes() == 0) return Conflict("the password was changed at the same time");
  return Status::Ok();
}

Status SqliteAccountsWriter::SetRecoverySlot(const UserId& id, ByteView salt, uint64_t ops,
                                             uint64_t mem, ByteView umk_by_recovery,
                                             ByteView expected) {
  SP_ASSIGN_OR_RETURN(auto s, db_.Prepare("UPDATE users SET recovery_salt = ?, recovery_ops = ?, "
                                          "recovery_mem = ?, umk_by_recovery = ? "
                                          "WHERE id = ? AND umk_by_recovery = ?"));
  s.Bind(1, salt).Bind(2, static_cast<int64_t>(ops)).Bind(3, static_cast<int64_t>(mem));
  SP_RETURN_IF_ERROR(s.Bind(4, umk_by_recovery).Bind(5, id.str()).Bind(6, expected).Run());
  if (db_.Changes() == 0) return Conflict("the recovery code was changed at the same time");
  return Status::Ok();
}

Status SqliteAccountsWriter::SetUserDisabled(const UserId& id, bool disabled) {
  SP_ASSIGN_OR_RETURN(auto s, db_.Prepare("UPDATE users SET disabled = ? WHERE id = ?"));
  SP_RETURN_IF_ERROR(s.Bind(1, int64_t{disabled}).Bind(2, id.str()).Run());
  return ExpectOneRow(db_, "user");
}

Status SqliteAccountsWriter::SetTotp(const UserId& id, ByteView totp_secret, bool enabled) {
  SP_ASSIGN_OR_RETURN(
      auto s, db_.Prepare("UPDATE users SET totp_secret = ?, totp_enabled = ? WHERE id = ?"));
  SP_RETURN_IF_ERROR(s.Bind(1, totp_secret).Bind(2, int64_t{enabled}).Bind(3, id.str()).Run());
  return ExpectOneRow(db_, "user");
}

Status SqliteAccountsWriter::ConsumeTotpStep(const UserId& id, int64_t step) {
  SP_ASSIGN_OR_RETURN(auto s, db_.Prepare("UPDATE users SET totp_last_step = ? "
                                          "WHERE id = ? AND totp_last_step < ?"));
  SP_RETURN_IF_ERROR(s.Bind(1, step).Bind(2, id.str()).Bind(3, step).Run());
  if (db_.Changes() == 0) return Conflict("one-time code already used");
  return Status::Ok();
}

Status SqliteAccountsWriter::CreateSession(const SessionRecord& r) {
  SP_ASSIGN_OR_RETURN(auto s, db_.Prepare(std::string("INSERT INTO sessions(") + kSessionColumns +
                                          ") VALUES(?,?,?,?,?,?,?,?,?,?,?)"));
  s.Bind(1, r.lookup).Bind(2, r.user_id.str()).Bind(3, int64_t{static_cast<int>(r.kind)});
  s.Bind(4, ByteView(r.wrapped_umk)).Bind(5, ToUnixMillis(r.created_at));
  s.Bind(6, ToUnixMillis(r.last_seen_at)).Bind(7, ToUnixMillis(r.expires_at)).Bind(8, r.failures);
  s.Bind(9, r.public_id).Bind(10, r.client_ip).Bind(11, r.user_agent);
  return s.Run();
}

Status SqliteAccountsWriter::UpdateSession(const SessionRecord& r) {
  SP_ASSIGN_OR_RETURN(auto s, db_.Prepare("UPDATE sessions SET kind = ?, wrapped_umk = ?, "
                                          "last_seen_ms = ?, expires_ms = ?, failures = ?, "
                                          "client_ip = ? WHERE lookup = ?"));
  s.Bind(1, int64_t{static_cast<int>(r.kind)}).Bind(2, ByteView(r.wrapped_umk));
  s.Bind(3, ToUnixMillis(r.last_seen_at)).Bind(4, ToUnixMillis(r.expires_at));
  s.Bind(5, r.failures).Bind(6, r.client_ip).Bind(7, r.lookup);
  SP_RETURN_IF_ERROR(s.Run());
  return ExpectOneRow(db_, "session");
}

Status SqliteAccountsWriter::DeleteSession(const std::string& lookup) {
  SP_ASSIGN_OR_RETURN(auto s, db_.Prepare("DELETE FROM sessions WHERE lookup = ?"));
  return s.Bind(1, lookup).Run();
}

Status SqliteAccountsWriter::DeleteSessionsOfUser(const UserId& user_id) {
  SP_ASSIGN_OR_RETURN(auto s, db_.Prepare("DELETE FROM sessions WHERE user_id = ?"));
  return s.Bind(1, user_id.str()).Run();
}

Status SqliteAccountsWriter::DeleteOtherSessionsOfUser(const UserId& user_id,
                                                       const std::string& keep_lookup) {
  SP_ASSIGN_OR_RETURN(auto s,
                      db_.Prepare("DELETE FROM sessions WHERE user_id = ? AND lookup <> ?"));
  return s.Bind(1, user_id.str()).Bind(2, keep_lookup).Run();
}

Status SqliteAccountsWriter::DeleteSessionByPublicId(const UserId& user_id,
                                                     const std::string& public_id) {
  SP_ASSIGN_OR_RETURN(auto s,
                      db_.Prepare("DELETE FROM sessions WHERE user_id = ? AND public_id = ?"));
  SP_RETURN_IF_ERROR(s.Bind(1, user_id.str()).Bind(2, public_id).Run());
  return ExpectOneRow(db_, "session");
}

Status SqliteAccountsWriter::DeleteExpiredSessions(TimePoint now) {
  SP_ASSIGN_OR_RETURN(auto s, db_.Prepare("DELETE FROM sessions WHERE expires_ms <= ?"));
  return s.Bind(1, ToUnixMillis(now)).Run();
}

Status SqliteAccountsWriter::CreateToken(const TokenRecord& t) {
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

Result<TokenRecord> SqliteAccountsWriter::ConsumeToken(const std::string& lookup,
                                                       TokenPurpose purpose, TimePoint now) {
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

Status SqliteAccountsWriter::DeleteTokensOfUser(const UserId& user_id, TokenPurpose purpose) {
  SP_ASSIGN_OR_RETURN(auto s, db_.Prepare("DELETE FROM tokens WHERE user_id = ? AND purpose = ?"));
  return s.Bind(1, user_id.str()).Bind(2, int64_t{static_cast<int>(purpose)}).Run();
}

Result<int64_t> SqliteAccountsWriter::DeleteExpiredTokens(TokenPurpose purpose, TimePoint now) {
  SP_ASSIGN_OR_RETURN(auto s,
                      db_.Prepare("DELETE FROM tokens WHERE purpose = ? AND expires_ms <= ?"));
  SP_RETURN_IF_ERROR(
      s.Bind(1, int64_t{static_cast<int>(purpose)}).Bind(2, ToUnixMillis(now)).Run());
  return static_cast<int64_t>(db_.Changes());
}

Status SqliteAccountsWriter::CreateMemberKeys(const MemberKeysRecord& k) {
  SP_ASSIGN_OR_RETURN(auto s, db_.Prepare(std::string("INSERT INTO member_keys(") +
                                          kMemberKeysColumns + ") VALUES(?,?,?,?,?,?,?,?)"));
  s.Bind(1, k.user_id.str()).Bind(2, ByteView(k.smime_certificate)).Bind(3, k.smime_fingerprint);
  s.Bind(4, ByteView(k.smime_wrapped_key)).Bind(5, ByteView(k.openpgp_public_key));
  s.Bind(6, k.openpgp_fingerprint).Bind(7, ByteView(k.openpgp_wrapped_key));
  s.Bind(8, ToUnixMillis(k.created_at));
  return s.Run();
}

}  // namespace sealpost::store::sqlite
