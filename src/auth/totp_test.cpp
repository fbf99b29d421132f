#include "auth/totp.h"

#include <gtest/gtest.h>

#include "testing/status_matchers.h"

namespace sealpost::auth {
namespace {

// RFC 6238 Appendix B, SHA-1 rows (8 digits), secret "12345678901234567890".
TEST(TotpTest, Rfc6238Vectors) {
  const ByteView secret = AsBytes("12345678901234567890");
  const std::pair<int64_t, const char*> rows[] = {
      {59, "94287082"},         {1111111109, "07081804"}, {1111111111, "14050471"},
      {1234567890, "89005924"}, {2000000000, "69279037"}, {20000000000, "65353130"}};
  for (const auto& [unix_seconds, code] : rows) {
    EXPECT_EQ(TotpCode(secret, unix_seconds / kTotpStepSeconds, 8), code) << unix_seconds;
  }
  // The last row lies beyond system_clock's range (year 2603); the others also go through
  // TotpStep.
  for (size_t i = 0; i + 1 < std::size(rows); ++i) {
    EXPECT_EQ(TotpCode(secret, TotpStep(FromUnixMillis(rows[i].first * 1000)), 8), rows[i].second);
  }
}

// RFC 4226 Appendix D (HOTP, 6 digits).
TEST(TotpTest, Rfc4226Vectors) {
  const ByteView secret = AsBytes("12345678901234567890");
  const char* expected[] = {"755224", "287082", "359152", "969429", "338314",
                            "254676", "287922", "162583", "399871", "520489"};
  for (int i = 0; i < 10; ++i) EXPECT_EQ(TotpCode(secret, i), expected[i]);
}

TEST(TotpTest, MatchesWithinWindowOnly) {
  const ByteView secret = AsBytes("12345678901234567890");
  const TimePoint now = FromUnixMillis(1'111'111'109'000);
  const int64_t step = TotpStep(now);
  auto m = MatchTotp(secret, TotpCode(secret, step - 1), now);
  ASSERT_THAT(m.status(), IsOk());
  EXPECT_EQ(*m, step - 1);
  EXPECT_THAT(MatchTotp(secret, TotpCode(secret, step + 2), now).status(),
              StatusIs(ErrorCode::kUnauthenticated));
  EXPECT_FALSE(MatchTotp(secret, "12345", now).ok());
  EXPECT_FALSE(MatchTotp(secret, "abcdef", now).ok());
}

TEST(TotpTest, OtpauthUriEncodesParts) {
  const std::string uri = OtpauthUri("Sealpost", "alice@example.org", AsBytes("foobar"));
  EXPECT_EQ(uri,
            "otpauth://totp/Sealpost:alice@example.org?secret=MZXW6YTBOI&issuer=Sealpost&"
            "algorithm=SHA1&digits=6&period=30");
}

}  // namespace
}  // namespace sealpost::auth
