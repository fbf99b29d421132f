#include "core/time.h"

#include <ctime>

#include <fmt/format.h>

namespace sealpost {

int64_t ToUnixMillis(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

namespace {

constexpr int64_t kMaxMillis =
    std::chrono::duration_cast<std::chrono::milliseconds>(TimePoint::max().time_since_epoch())
        .count();
constexpr int64_t kMinMillis =
    std::chrono::duration_cast<std::chrono::milliseconds>(TimePoint::min().time_since_epoch())
        .count();

}  // namespace

TimePoint FromUnixMillis(int64_t ms) {
  if (ms >= kMaxMillis) return TimePoint(std::chrono::milliseconds(kMaxMillis));
  if (ms <= kMinMillis) return TimePoint(std::chrono::milliseconds(kMinMillis));
  return TimePoint(std::chrono::milliseconds(ms));
}

TimePoint FromUnixSeconds(int64_t seconds) {
  if (seconds >= kMaxMillis / 1000) return FromUnixMillis(kMaxMillis);
  if (seconds <= kMinMillis / 1000) return FromUnixMillis(kMinMillis);
  return FromUnixMillis(seconds * 1000);
}

std::string FormatRfc3339(TimePoint t) {
  const int64_t ms = ToUnixMillis(t);
  const std::time_t secs = static_cast<std::time_t>(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ((ms % 1000) + 1000) % 1000);
}

}  // namespace sealpost
