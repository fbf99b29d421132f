// The app password domain (store/app_password_store.h) on PostgreSQL.
#pragma once

#include "store/app_password_store.h"
#include "store/postgres/internal/reader.h"
#include "store/postgres/internal/txn.h"

namespace sealpost::store::postgres {

class PgAppPasswordReader final : public AppPasswordReader {
 public:
  explicit PgAppPasswordReader(Reader& reader) : reader_(reader) {}

  Result<AppPasswordRecord> GetAppPasswordByLookup(const std::string& lookup) override;
  Result<std::vector<AppPasswordRecord>> ListAppPasswordsOfUser(const UserId& user_id) override;

 private:
  Reader& reader_;
};

// On the batch's transaction (PgTxn: the first error sticks).
class PgAppPasswordWriter final : public AppPasswordWriter {
 public:
  explicit PgAppPasswordWriter(PgTxn& txn) : txn_(txn), tx_(txn.tx()) {}

  Status CreateAppPassword(const AppPasswordRecord& password) override;
  Result<int64_t> CountLiveAppPasswordsOfUser(const UserId& user_id) override;
  Status RevokeAppPassword(const UserId& user_id, const std::string& id, TimePoint at) override;
  Result<int64_t> RevokeAppPasswordsOfUser(const UserId& user_id, TimePoint at) override;
  Status PruneRevokedAppPasswords(const UserId& user_id, int keep) override;
  Status TouchAppPassword(const std::string& lookup, TimePoint at) override;

 private:
  PgTxn& txn_;
  pqxx::transaction_base& tx_;
};

}  // namespace sealpost::store::postgres
