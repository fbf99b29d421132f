#include "core/time.h"

#include <gtest/gtest.h>

#include <limits>

namespace sealpost {
namespace {

TEST(Time, MillisRoundTripInsideTheRange) {
  EXPECT_EQ(ToUnixMillis(FromUnixMillis(1764547200123)), 1764547200123);
  EXPECT_EQ(ToUnixMillis(FromUnixSeconds(-86400)), -86400000);
  EXPECT_EQ(FormatRfc3339(FromUnixMillis(0)), "1970-01-01T00:00:00.000Z");
}

// Found by fuzzing the certificate, MIME and receipt parsers: a year past 2262 (certificates say
// 9999 for "no expiry") overflowed the nanosecond count. Such times now saturate.
TEST(Time, OutOfRangeTimesSaturateInsteadOfOverflowing) {
  const TimePoint latest = FromUnixMillis(std::numeric_limits<int64_t>::max());
  const TimePoint earliest = FromUnixMillis(std::numeric_limits<int64_t>::min());
  EXPECT_GT(latest, FromUnixSeconds(9'000'000'000));  // year 2255
  EXPECT_LT(earliest, FromUnixSeconds(-9'000'000'000));
  EXPECT_EQ(FromUnixSeconds(253'402'300'799), latest);  // 9999-12-31T23:59:59Z
  EXPECT_EQ(FromUnixSeconds(std::numeric_limits<int64_t>::max()), latest);
  EXPECT_EQ(FromUnixSeconds(std::numeric_limits<int64_t>::min()), earliest);
  EXPECT_EQ(FromUnixMillis(ToUnixMillis(latest)), latest);
}

}  // namespace
}  // namespace sealpost
