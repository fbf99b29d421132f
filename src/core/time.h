// Time points and their wire forms. Pure: the current time comes from platform::Clock.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace sealpost {

using TimePoint = std::chrono::system_clock::time_point;

int64_t ToUnixMillis(TimePoint t);
// A TimePoint counts nanoseconds in 64 bits, so it holds about the years 1677 to 2262. Times from
// outside (certificates valid until 9999, a Date header, a fuzzer) saturate at those ends instead
// of overflowing.
TimePoint FromUnixMillis(int64_t ms);
TimePoint FromUnixSeconds(int64_t seconds);
// RFC 3339 in UTC with milliseconds, e.g. 2026-11-22T16:05:00.123Z.
std::string FormatRfc3339(TimePoint t);

}  // namespace sealpost
