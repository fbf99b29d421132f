// The stats domain (store/stats_store.h: counts for /metrics) on PostgreSQL.
#pragma once

#include "store/postgres/internal/reader.h"
#include "store/stats_store.h"

namespace sealpost::store::postgres {

class PgStatsReader final : public StatsReader {
 public:
  explicit PgStatsReader(Reader& reader) : reader_(reader) {}

  Result<int64_t> CountLiveSessions(TimePoint now, TimePoint idle_cutoff) override;

 private:
  Reader& reader_;
};

}  // namespace sealpost::store::postgres
