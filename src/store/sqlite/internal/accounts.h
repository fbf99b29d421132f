// The accounts domain (store/accounts_store.h: users, sessions and tokens) on SQLite.
#pragma once

#include "store/accounts_store.h"
#include "store/sqlite/internal/connection.h"
#include "store/sqlite/internal/reader_pool.h"

namespace sealpost::store::sqlite {

class SqliteAccountsReader final : public AccountsReader {
 public:
  explicit SqliteAccountsReader(ReaderPool& pool) : pool_(pool) {}

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
  ReaderPool& pool_;
};

// Over the writer connection; used only by the writer thread inside a transaction.
class SqliteAccountsWriter final : public AccountsWriter {
 public:
  explicit SqliteAccountsWriter(Connection& db) : db_(db) {}

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
  Connection& db_;
};

}  // namespace sealpost::store::sqlite
