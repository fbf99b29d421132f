#include "store/postgres/internal/platform.h"

#include "store/postgres/internal/statements.h"

namespace sealpost::store::postgres {

Result<int64_t> PgPlatformReader::GetCounter(const std::string& key, TimePoint now,
                                             std::chrono::milliseconds window) {
  return reader_.Read<int64_t>([&](pqxx::transaction_base& tx) {
    const auto r = tx.exec_prepared("get_counter", key, static_cast<int64_t>(window.count()),
                                    ToUnixMillis(now));
    return r.empty() ? int64_t{0} : r[0][0].as<int64_t>();
  });
}

Result<PlatformKeyRecord> PgPlatformReader::GetPlatformKey(const std::string& name) {
  return reader_.ReadOne<PlatformKeyRecord>(
      "get_platform_key",
      [](const pqxx::row& r) {
        return PlatformKeyRecord{r[0].as<std::string>(), ReadBytes(r[1]), ReadBytes(r[2])};
      },
      "platform key", name);
}

Result<int64_t> PgPlatformWriter::BumpCounter(const std::string& key, TimePoint now,
                                              std::chrono::milliseconds window) {
  return txn_.Guard<int64_t>([&]() -> Result<int64_t> {
    const auto r = tx_.exec_prepared("bump_counter", key, ToUnixMillis(now),
                                     static_cast<int64_t>(window.count()));
    if (r.empty()) return Internal("counter upsert returned no row");
    return r[0][0].as<int64_t>();
  });
}

Status PgPlatformWriter::ResetCounter(const std::string& key) {
  return txn_.GuardStatus([&] {
    tx_.exec_prepared("reset_counter", key);
    return Status::Ok();
  });
}

Status PgPlatformWriter::PutPlatformKey(const PlatformKeyRecord& k) {
  return txn_.GuardStatus([&] {
    return ExpectInserted(
        tx_.exec_prepared("put_platform_key", k.name, Bin(k.public_key), Bin(k.wrapped_secret)),
        "platform key");
  });
}

}  // namespace sealpost::store::postgres
