#include "store/postgres/internal/accounts.h"

#include "store/postgres/internal/statements.h"

namespace sealpost::store::postgres {

Result<UserRecord> PgAccountsReader::GetUser(const UserId& id) {
  return reader_.ReadOne<UserRecord>("get_user", ReadUser, "user", id.str());
}

Result<UserRecord> PgAccountsReader::GetUserByEmail(const std::string& email) {
  return reader_.ReadOne<UserRecord>("get_user_by_email", ReadUser, "user", email);
}

Result<bool> PgAccountsReader::HasActiveAdmin() {
  return reader_.Read<bool>(
      [](pqxx::transaction_base& tx) { return !tx.exec_prepared("has_active_admin").empty(); });
}

Result<std::vector<UserRecord>> PgAccountsReader::ListUsers(const std::string* after_email,
                                                            int limit) {
  if (after_email)
    return reader_.ReadAll<UserRecord>(ReadUser, "list_users_after", *after_email, limit);
  return reader_.ReadAll<UserRecord>(ReadUser, "list_users", limit);
}

Result<std::vector<SessionRecord>> PgAccountsReader::ListSessionsOfUser(const UserId& user_id,
                                                                        int limit) {
  return reader_.ReadAll<SessionRecord>(ReadSession, "list_sessions_of_user", user_id.str(), limit);
}

Result<SessionRecord> PgAccountsReader::GetSession(const std::string& lookup) {
  return reader_.ReadOne<SessionRecord>("get_session", ReadSession, "session", lookup);
}

Result<SessionWithUser> PgAccountsReader::GetSessionWithUser(const std::string& lookup) {
  return reader_.ReadOne<SessionWithUser>(
      "get_session_with_user",
      [](const pqxx::row& r) {
        return SessionWithUser{ReadSession(r), ReadUser(r.slice(kSessionColumnCount, r.size()))};
      },
      "session", lookup);
}

Result<TokenRecord> PgAccountsReader::GetToken(const std::string& lookup, TokenPurpose purpose,
                                               TimePoint now) {
  return reader_.ReadOne<TokenRecord>("get_token", ReadToken, "token", lookup,
                                      static_cast<int>(purpose), ToUnixMillis(now));
}

Result<MemberKeysRecord> PgAccountsReader::GetMemberKeys(const UserId& user_id) {
  return reader_.ReadOne<MemberKeysRecord>(
      "get_member_keys",
      [](const pqxx::row& r) {
        return MemberKeysRecord{UserId::FromTrusted(r[0].as<std::string>()),
                                ReadBytes(r[1]),
                                r[2].as<std::string>(),
                                ReadBytes(r[3]),
                                ReadBytes(r[4]),
                                r[5].as<std::string>(),
                                ReadBytes(r[6]),
                                FromUnixMillis(r[7].as<int64_t>())};
      },
      "member keys", user_id.str());
}

Status PgAccountsWriter::CreateUser(const UserRecord& u) {
  return txn_.GuardStatus([&]() -> Status {
    const auto r = tx_.exec_prepared(
        "create_user", u.id.str(), u.email, u.display_name, static_cast<int>(u.state), u.is_admin,
        Bin(u.box_public_key), Bin(u.verify_key), Bin(u.wrapped_private_keys), Bin(u.password_salt),
        static_cast<int64_t>(u.password_ops), static_cast<int64_t>(u.password_mem),
        Bin(u.umk_by_password), Bin(u.recovery_salt), Bin(u.umk_by_recovery), Bin(u.totp_secret),
        u.totp_enabled, u.totp_last_step, ToUnixMillis(u.created_at), u.disabled,
        static_cast<int64_t>(u.recovery_ops), static_cast<int64_t>(u.recovery_mem));
    if (r.affected_rows() == 0) return Conflict("email address already registered");
    return Status::Ok();
  });
}

Status PgAccountsWriter::DeleteUser(const UserId& id) {
  return txn_.GuardStatus(
      [&] { return ExpectOneRow(tx_.exec_prepared("delete_user", id.str()), "user"); });
}

Status PgAccountsWriter::ActivateUser(const UserId& id, ByteView recovery_salt,
                                      uint64_t recovery_ops, uint64_t recovery_mem,
                                      ByteView umk_by_recovery) {
  return txn_.GuardStatus([&] {
    return ExpectOneRow(
        tx_.exec_prepared("activate_user", Bin(recovery_salt), static_cast<int64_t>(recovery_ops),
                          static_cast<int64_t>(recovery_mem), Bin(umk_by_recovery), id.str()),
        "pending user");
  });
}

Status PgAccountsWriter::SetPasswordSlot(const UserId& id, ByteView salt, uint64_t ops,
                                         uint64_t mem, ByteView umk_by_password,
                                         ByteView expected) {
  return txn_.GuardStatus([&]() -> Status {
    const auto r =
        tx_.exec_prepared("set_password_slot", Bin(salt), static_cast<int64_t>(ops),
                          static_cast<int64_t>(mem), Bin(umk_by_password), id.str(), Bin(expected));
    if (r.affected_rows() == 0) return Conflict("the password was changed at the same time");
    return Status::Ok();
  });
}

Status PgAccountsWriter::SetRecoverySlot(const UserId& id, ByteView salt, uint64_t ops,
                                         uint64_t mem, ByteView umk_by_recovery,
                                         ByteView expected) {
  return txn_.GuardStatus([&]() -> Status {
    const auto r =
        tx_.exec_prepared("set_recovery_slot", Bin(salt), static_cast<int64_t>(ops),
                          static_cast<int64_t>(mem), Bin(umk_by_recovery), id.str(), Bin(expected));
    if (r.affected_rows() == 0) return Conflict("the recovery code was changed at the same time");
    return Status::Ok();
  });
}

Status PgAccountsWriter::SetUserDisabled(const UserId& id, bool disabled) {
  return txn_.GuardStatus([&] {
    return ExpectOneRow(tx_.exec_prepared("set_user_disabled", disabled, id.str()), "user");
  });
}

Status PgAccountsWriter::DeleteOtherSessionsOfUser(const UserId& user_id,
                                                   const std::string& keep_lookup) {
  return txn_.GuardStatus([&] {
    tx_.exec_prepared("delete_other_sessions", user_id.str(), keep_lookup);
    return Status::Ok();
  });
}

Status PgAccountsWriter::DeleteSessionByPublicId(const UserId& user_id,
                                                 const std::string& public_id) {
  return txn_.GuardStatus([&] {
    return ExpectOneRow(tx_.exec_prepared("delete_session_by_public_id", user_id.str(), public_id),
                        "session");
  });
}

Status PgAccountsWriter::SetTotp(const UserId& id, ByteView totp_secret, bool enabled) {
  return txn_.GuardStatus([&] {
    return ExpectOneRow(tx_.exec_prepared("set_totp", Bin(totp_secret), enabled, id.str()), "user");
  });
}

Status PgAccountsWriter::ConsumeTotpStep(const UserId& id, int64_t step) {
  return txn_.GuardStatus([&]() -> Status {
    if (tx_.exec_prepared("consume_totp_step", step, id.str()).affected_rows() == 0) {
      return Conflict("one-time code already used");
    }
    return Status::Ok();
  });
}

Status PgAccountsWriter::CreateSession(const SessionRecord& s) {
  return txn_.GuardStatus([&] {
    return ExpectInserted(
        tx_.exec_prepared("create_session", s.lookup, s.user_id.str(), static_cast<int>(s.kind),
                          Bin(s.wrapped_umk), ToUnixMillis(s.created_at),
                          ToUnixMillis(s.last_seen_at), ToUnixMillis(s.expires_at), s.failures,
                          s.public_id, s.client_ip, s.user_agent),
        "session");
  });
}

Status PgAccountsWriter::UpdateSession(const SessionRecord& s) {
  return txn_.GuardStatus([&] {
    return ExpectOneRow(
        tx_.exec_prepared("update_session", static_cast<int>(s.kind), Bin(s.wrapped_umk),
                          ToUnixMillis(s.last_seen_at), ToUnixMillis(s.expires_at), s.failures,
                          s.client_ip, s.lookup),
        "session");
  });
}

Status PgAccountsWriter::DeleteSession(const std::string& lookup) {
  return txn_.GuardStatus([&] {
    tx_.exec_prepared("delete_session", lookup);
    return Status::Ok();
  });
}

Status PgAccountsWriter::DeleteSessionsOfUser(const UserId& user_id) {
  return txn_.GuardStatus([&] {
    tx_.exec_prepared("delete_sessions_of_user", user_id.str());
    return Status::Ok();
  });
}

Status PgAccountsWriter::DeleteExpiredSessions(TimePoint now) {
  return txn_.GuardStatus([&] {
    tx_.exec_prepared("delete_expired_sessions", ToUnixMillis(now));
    return Status::Ok();
  });
}

Status PgAccountsWriter::CreateToken(const TokenRecord& t) {
  return txn_.GuardStatus([&] {
    return ExpectInserted(tx_.exec_prepared("create_token", t.lookup, static_cast<int>(t.purpose),
                                            t.user_id ? t.user_id->str() : std::string(),
                                            Bin(t.payload), ToUnixMillis(t.expires_at)),
                          "token");
  });
}

Result<TokenRecord> PgAccountsWriter::ConsumeToken(const std::string& lookup, TokenPurpose purpose,
                                                   TimePoint now) {
  return txn_.Guard<TokenRecord>([&]() -> Result<TokenRecord> {
    const auto r = tx_.exec_prepared("consume_token", lookup);
    if (r.empty()) return NotFound("token not found");
    TokenRecord token = ReadToken(r[0]);
    if (token.purpose != purpose || token.expires_at <= now) return NotFound("token not found");
    return token;
  });
}

Status PgAccountsWriter::DeleteTokensOfUser(const UserId& user_id, TokenPurpose purpose) {
  return txn_.GuardStatus([&] {
    tx_.exec_prepared("delete_tokens_of_user", user_id.str(), static_cast<int>(purpose));
    return Status::Ok();
  });
}

Result<int64_t> PgAccountsWriter::DeleteExpiredTokens(TokenPurpose purpose, TimePoint now) {
  return txn_.Guard<int64_t>([&]() -> Result<int64_t> {
    const auto r =
        tx_.exec_prepared("delete_expired_tokens", static_cast<int>(purpose), ToUnixMillis(now));
    return static_cast<int64_t>(r.affected_rows());
  });
}

Status PgAccountsWriter::CreateMemberKeys(const MemberKeysRecord& k) {
  return txn_.GuardStatus([&] {
    return ExpectInserted(
        tx_.exec_prepared("create_member_keys", k.user_id.str(), Bin(k.smime_certificate),
                          k.smime_fingerprint, Bin(k.smime_wrapped_key), Bin(k.openpgp_public_key),
                          k.openpgp_fingerprint, Bin(k.openpgp_wrapped_key),
                          ToUnixMillis(k.created_at)),
        "member keys");
  });
}

}  // namespace sealpost::store::postgres
