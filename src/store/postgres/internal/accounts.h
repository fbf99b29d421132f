// The accounts domain (store/accounts_store.h: users, sessions and tokens) on PostgreSQL.
#pragma once

#include "store/accounts_store.h"
#include "store/postgres/internal/reader.h"
#include "store/postgres/internal/txn.h"

namespace sealpost::store::postgres {

class PgAccountsReader final : public AccountsReader {
 public:
  explicit PgAccountsReader(Reader& reader) : reader_(reader) {}

  Result<UserRecord> GetUser(const UserId& id) override;
  Result<UserRecord> GetUserByEmail(const std::string& email) override;
  Result<bool> HasActiveAdmin() override;
  Result<std::vector<UserRecord>> ListUsers(const std::string* after_email, int limit) override;
  Result<SessionRecord> GetSession(const std::string& lookup) override;
  Result<SessionWithUser> GetSessionWithUser(const std::string& lookup) override;
  Result<std::vector<SessionRecord>> ListSessionsOfUser(const UserId& user_id, int limit) override;
  Result<TokenRecord> GetToken(const std::string& lookup, TokenPurpose purpose,
                               TimePoint now) override;
  Result<MemberKeysRecord> GetMemberKeys(const UserId& user_id) override;

 private:
  Reader& reader_;
};

// On the batch's transaction (PgTxn: the first error sticks).
class PgAccountsWriter final : public AccountsWriter {
 public:
  explicit PgAccountsWriter(PgTxn& txn) : txn_(txn), tx_(txn.tx()) {}

  Status CreateUser(const UserRecord& user) override;
  Status DeleteUser(const UserId& id) override;
  Status ActivateUser(const UserId& id, ByteView recovery_salt, uint64_t recovery_ops,
                      uint64_t recovery_mem, ByteView umk_by_recovery) override;
  Status SetPasswordSlot(const UserId& id, ByteView salt, uint64_t ops, uint64_t mem,
                         ByteView umk_by_password, ByteView expected) override;
  Status SetRecoverySlot(const UserId& id, ByteView salt, uint64_t ops, uint64_t mem,
                         ByteView umk_by_recovery, ByteView expected) override;
  Status SetUserDisabled(const UserId& id, bool disabled) override;
  Status SetTotp(const UserId& id, ByteView totp_secret, bool enabled) override;
  Status ConsumeTotpStep(const UserId& id, int64_t step) override;
  Status CreateSession(const SessionRecord& session) override;
  Status UpdateSession(const SessionRecord& session) override;
  Status DeleteSession(const std::string& lookup) override;
  Status DeleteSessionsOfUser(const UserId& user_id) override;
  Status DeleteOtherSessionsOfUser(const UserId& user_id, const std::string& keep_lookup) override;
  Status DeleteSessionByPublicId(const UserId& user_id, const std::string& public_id) override;
  Status DeleteExpiredSessions(TimePoint now) override;
  Status CreateToken(const TokenRecord& token) override;
  Result<TokenRecord> ConsumeToken(const std::string& lookup, TokenPurpose purpose,
                                   TimePoint now) override;
  Status DeleteTokensOfUser(const UserId& user_id, TokenPurpose purpose) override;
  Result<int64_t> DeleteExpiredTokens(TokenPurpose purpose, TimePoint now) override;
  Status CreateMemberKeys(const MemberKeysRecord& keys) override;

 private:
  PgTxn& txn_;
  pqxx::transaction_base& tx_;
};

}  // namespace sealpost::store::postgres
