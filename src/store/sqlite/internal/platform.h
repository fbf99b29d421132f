// The platform domain (store/platform_store.h: platform keys and rate counters) on SQLite.
#pragma once

#include "store/platform_store.h"
#include "store/sqlite/internal/connection.h"
#include "store/sqlite/internal/reader_pool.h"

namespace sealpost::store::sqlite {

class SqlitePlatformReader final : public PlatformReader {
 public:
  explicit SqlitePlatformReader(ReaderPool& pool) : pool_(pool) {}

  Result<PlatformKeyRecord> GetPlatformKey(const std::string& name) override;
  Result<int64_t> GetCounter(const std::string& key, TimePoint now,
                             std::chrono::milliseconds window) override;

 private:
  ReaderPool& pool_;
};

// Over the writer connection; used only by the writer thread inside a transaction.
class SqlitePlatformWriter final : public PlatformWriter {
 public:
  explicit SqlitePlatformWriter(Connection& db) : db_(db) {}

  Status PutPlatformKey(const PlatformKeyRecord& key) override;
  Result<int64_t> BumpCounter(const std::string& key, TimePoint now,
                              std::chrono::milliseconds window) override;
  Status ResetCounter(const std::string& key) override;

 private:
  Connection& db_;
};

}  // namespace sealpost::store::sqlite
