// The platform domain (store/platform_store.h: platform keys and rate counters) on PostgreSQL.
#pragma once

#include "store/platform_store.h"
#include "store/postgres/internal/reader.h"
#include "store/postgres/internal/txn.h"

namespace sealpost::store::postgres {

class PgPlatformReader final : public PlatformReader {
 public:
  explicit PgPlatformReader(Reader& reader) : reader_(reader) {}

  Result<PlatformKeyRecord> GetPlatformKey(const std::string& name) override;
  Result<int64_t> GetCounter(const std::string& key, TimePoint now,
                             std::chrono::milliseconds window) override;

 private:
  Reader& reader_;
};

// On the batch's transaction (PgTxn: the first error sticks).
class PgPlatformWriter final : public PlatformWriter {
 public:
  explicit PgPlatformWriter(PgTxn& txn) : txn_(txn), tx_(txn.tx()) {}

  Status PutPlatformKey(const PlatformKeyRecord& key) override;
  Result<int64_t> BumpCounter(const std::string& key, TimePoint now,
                              std::chrono::milliseconds window) override;
  Status ResetCounter(const std::string& key) override;

 private:
  PgTxn& txn_;
  pqxx::transaction_base& tx_;
};

}  // namespace sealpost::store::postgres
