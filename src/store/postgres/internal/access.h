// The access domain (store/access_store.h: role grants and API tokens) on PostgreSQL.
#pragma once

#include "store/access_store.h"
#include "store/postgres/internal/reader.h"
#include "store/postgres/internal/txn.h"

namespace sealpost::store::postgres {

class PgAccessReader final : public AccessReader {
 public:
  explicit PgAccessReader(Reader& reader) : reader_(reader) {}

  Result<std::vector<RoleGrantRecord>> ListRoleGrantsOfUser(const UserId& user_id) override;
  Result<std::vector<RoleGrantRecord>> ListRoleGrants(int limit) override;
  Result<std::vector<UserRecord>> ListUsersOfDomain(const std::string& domain,
                                                    const std::string* after_email,
                                                    int limit) override;
  Result<ApiTokenRecord> GetApiToken(const std::string& lookup) override;
  Result<std::vector<ApiTokenRecord>> ListApiTokensOfUser(const UserId& user_id) override;

 private:
  Reader& reader_;
};

// On the batch's transaction (PgTxn: the first error sticks).
class PgAccessWriter final : public AccessWriter {
 public:
  explicit PgAccessWriter(PgTxn& txn) : txn_(txn), tx_(txn.tx()) {}

  Status PutRoleGrant(const RoleGrantRecord& grant) override;
  Status DeleteRoleGrant(const UserId& user_id, Role role, const std::string& domain) override;
  Status CreateApiToken(const ApiTokenRecord& token) override;
  Status DeleteApiToken(const UserId& user_id, const std::string& public_id) override;
  Status TouchApiToken(const std::string& lookup, TimePoint at) override;

 private:
  PgTxn& txn_;
  pqxx::transaction_base& tx_;
};

}  // namespace sealpost::store::postgres
