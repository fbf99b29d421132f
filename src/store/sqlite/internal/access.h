// The access domain (store/access_store.h: role grants and API tokens) on SQLite.
#pragma once

#include "store/access_store.h"
#include "store/sqlite/internal/connection.h"
#include "store/sqlite/internal/reader_pool.h"

namespace sealpost::store::sqlite {

class SqliteAccessReader final : public AccessReader {
 public:
  explicit SqliteAccessReader(ReaderPool& pool) : pool_(pool) {}

  Result<std::vector<RoleGrantRecord>> ListRoleGrantsOfUser(const UserId& user_id) override;
  Result<std::vector<RoleGrantRecord>> ListRoleGrants(int limit) override;
  Result<std::vector<UserRecord>> ListUsersOfDomain(const std::string& domain,
                                                    const std::string* after_email,
                                                    int limit) override;
  Result<ApiTokenRecord> GetApiToken(const std::string& lookup) override;
  Result<std::vector<ApiTokenRecord>> ListApiTokensOfUser(const UserId& user_id) override;

 private:
  ReaderPool& pool_;
};

// Over the writer connection; used only by the writer thread inside a transaction.
class SqliteAccessWriter final : public AccessWriter {
 public:
  explicit SqliteAccessWriter(Connection& db) : db_(db) {}

  Status PutRoleGrant(const RoleGrantRecord& grant) override;
  Status DeleteRoleGrant(const UserId& user_id, Role role, const std::string& domain) override;
  Status CreateApiToken(const ApiTokenRecord& token) override;
  Status DeleteApiToken(const UserId& user_id, const std::string& public_id) override;
  Status TouchApiToken(const std::string& lookup, TimePoint at) override;

 private:
  Connection& db_;
};

}  // namespace sealpost::store::sqlite
