// The stats domain (store/stats_store.h: counts for /metrics) on SQLite.
#pragma once

#include "store/sqlite/internal/reader_pool.h"
#include "store/stats_store.h"

namespace sealpost::store::sqlite {

class SqliteStatsReader final : public StatsReader {
 public:
  explicit SqliteStatsReader(ReaderPool& pool) : pool_(pool) {}

  Result<int64_t> CountLiveSessions(TimePoint now, TimePoint idle_cutoff) override;

 private:
  ReaderPool& pool_;
};

}  // namespace sealpost::store::sqlite
