#include "store/sqlite/internal/stats.h"

#include "store/records.h"

namespace sealpost::store::sqlite {

Result<int64_t> SqliteStatsReader::CountLiveSessions(TimePoint now, TimePoint idle_cutoff) {
  return pool_.WithReader<int64_t>([&](Connection& db) -> Result<int64_t> {
    SP_ASSIGN_OR_RETURN(auto s, db.Prepare("SELECT COUNT(*) FROM (SELECT 1 FROM sessions "
                                           "WHERE kind = ? AND expires_ms > ? AND "
                                           "last_seen_ms > ? LIMIT ?)"));
    s.Bind(1, static_cast<int64_t>(SessionKind::kFull))
        .Bind(2, ToUnixMillis(now))
        .Bind(3, ToUnixMillis(idle_cutoff))
        .Bind(4, kMaxCountedRows);
    SP_ASSIGN_OR_RETURN(const bool row, s.Step());
    return row ? s.Int(0) : int64_t{0};
  });
}

}  // namespace sealpost::store::sqlite
