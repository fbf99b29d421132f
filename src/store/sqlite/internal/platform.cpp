#include "store/sqlite/internal/platform.h"

#include "store/sqlite/internal/rows.h"

namespace sealpost::store::sqlite {

Result<int64_t> SqlitePlatformReader::GetCounter(const std::string& key, TimePoint now,
                                                 std::chrono::milliseconds window) {
  return pool_.WithReader<int64_t>([&](Connection& db) -> Result<int64_t> {
    SP_ASSIGN_OR_RETURN(auto s, db.Prepare("SELECT count FROM counters WHERE key = ? AND "
                                           "window_start_ms + ? > ?"));
    s.Bind(1, key).Bind(2, static_cast<int64_t>(window.count())).Bind(3, ToUnixMillis(now));
    SP_ASSIGN_OR_RETURN(const bool row, s.Step());
    return row ? s.Int(0) : int64_t{0};
  });
}

Result<PlatformKeyRecord> SqlitePlatformReader::GetPlatformKey(const std::string& name) {
  return pool_.ReadOne<PlatformKeyRecord>(
      "SELECT name, public_key, wrapped_secret FROM platform_keys WHERE name = ?",
      [&](Statement& s) { s.Bind(1, name); },
      [](const Statement& s) {
        return PlatformKeyRecord{s.Text(0), s.Blob(1), s.Blob(2)};
      },
      "platform key");
}

Result<int64_t> SqlitePlatformWriter::BumpCounter(const std::string& key, TimePoint now,
                                                  std::chrono::milliseconds window) {
  const int64_t now_ms = ToUnixMillis(now);
  SP_ASSIGN_OR_RETURN(
      auto s, db_.Prepare("INSERT INTO counters(key, window_start_ms, count) VALUES(?1, ?2, 1) "
                          "ON CONFLICT(key) DO UPDATE SET "
                          "count = CASE WHEN window_start_ms + ?3 <= ?2 THEN 1 ELSE count + 1 END, "
                          "window_start_ms = CASE WHEN window_start_ms + ?3 <= ?2 THEN ?2 "
                          "ELSE window_start_ms END RETURNING count"));
  s.Bind(1, key).Bind(2, now_ms).Bind(3, static_cast<int64_t>(window.count()));
  SP_ASSIGN_OR_RETURN(const bool row, s.Step());
  if (!row) return Internal("counter upsert returned no row");
  const int64_t count = s.Int(0);
  SP_RETURN_IF_ERROR(s.Run());
  return count;
}

Status SqlitePlatformWriter::ResetCounter(const std::string& key) {
  SP_ASSIGN_OR_RETURN(auto s, db_.Prepare("DELETE FROM counters WHERE key = ?"));
  return s.Bind(1, key).Run();
}

Status SqlitePlatformWriter::PutPlatformKey(const PlatformKeyRecord& k) {
  SP_ASSIGN_OR_RETURN(auto s, db_.Prepare("INSERT INTO platform_keys(name, public_key, "
                                          "wrapped_secret) VALUES(?,?,?)"));
  return s.Bind(1, k.name)
      .Bind(2, ByteView(k.public_key))
      .Bind(3, ByteView(k.wrapped_secret))
      .Run();
}

}  // namespace sealpost::store::sqlite
