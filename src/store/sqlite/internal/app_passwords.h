// The app password domain (store/app_password_store.h) on SQLite.
#pragma once

#include "store/app_password_store.h"
#include "store/sqlite/internal/connection.h"
#include "store/sqlite/internal/reader_pool.h"

namespace sealpost::store::sqlite {

class SqliteAppPasswordReader final : public AppPasswordReader {
 public:
  explicit SqliteAppPasswordReader(ReaderPool& pool) : pool_(pool) {}

  Result<AppPasswordRecord> GetAppPasswordByLookup(const std::string& lookup) override;
  Result<std::vector<AppPasswordRecord>> ListAppPasswordsOfUser(const UserId& user_id) override;

 private:
  ReaderPool& pool_;
};

// Over the writer connection; used only by the writer thread inside a transaction.
class SqliteAppPasswordWriter final : public AppPasswordWriter {
 public:
  explicit SqliteAppPasswordWriter(Connection& db) : db_(db) {}

  Status CreateAppPassword(const AppPasswordRecord& password) override;
  Result<int64_t> CountLiveAppPasswordsOfUser(const UserId& user_id) override;
  Status RevokeAppPassword(const UserId& user_id, const std::string& id, TimePoint at) override;
  Result<int64_t> RevokeAppPasswordsOfUser(const UserId& user_id, TimePoint at) override;
  Status PruneRevokedAppPasswords(const UserId& user_id, int keep) override;
  Status TouchAppPassword(const std::string& lookup, TimePoint at) override;

 private:
  Connection& db_;
};

}  // namespace sealpost::store::sqlite
