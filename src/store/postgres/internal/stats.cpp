#include "store/postgres/internal/stats.h"

#include "store/records.h"

namespace sealpost::store::postgres {

Result<int64_t> PgStatsReader::CountLiveSessions(TimePoint now, TimePoint idle_cutoff) {
  return reader_.Read<int64_t>([&](pqxx::transaction_base& tx) -> Result<int64_t> {
    const auto r = tx.exec_params(
        "SELECT COUNT(*) FROM (SELECT 1 FROM sessions WHERE kind = $1 AND expires_ms > $2 AND "
        "last_seen_ms > $3 LIMIT $4) AS live",
        static_cast<int>(SessionKind::kFull), ToUnixMillis(now), ToUnixMillis(idle_cutoff),
        kMaxCountedRows);
    return r[0][0].as<int64_t>();
  });
}

}  // namespace sealpost::store::postgres
