#include "auth/bearer_secret.h"

#include <gtest/gtest.h>

#include "testing/status_matchers.h"

namespace sealpost::auth {
namespace {

TEST(BearerSecretTest, EncodesAndParsesBack) {
  const BearerSecret s = BearerSecret::Generate();
  const std::string encoded = s.Encode();
  EXPECT_EQ(encoded.size(), 43u);
  auto parsed = BearerSecret::Parse(encoded);
  ASSERT_THAT(parsed.status(), IsOk());
  EXPECT_EQ(parsed->Lookup(), s.Lookup());
  EXPECT_EQ(parsed->CsrfToken(), s.CsrfToken());
}

TEST(BearerSecretTest, DerivedValuesAreDistinct) {
  const BearerSecret s = BearerSecret::Generate();
  EXPECT_NE(s.Lookup(), BearerSecret::Generate().Lookup());
  EXPECT_EQ(s.Lookup().find(s.Encode()), std::string::npos);
  EXPECT_NE(s.CsrfToken(), s.Encode());
}

TEST(BearerSecretTest, RejectsMalformed) {
  for (const char* bad : {"", "short", "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!",
                          "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}) {
    EXPECT_THAT(BearerSecret::Parse(bad).status(), StatusIs(ErrorCode::kInvalidArgument)) << bad;
  }
}

}  // namespace
}  // namespace sealpost::auth
