#include "core/address.h"

#include <gtest/gtest.h>

#include "testing/status_matchers.h"

namespace sealpost {
namespace {

TEST(EmailAddressTest, NormalisesCase) {
  auto a = EmailAddress::Parse("Alice.Smith@Example.ORG");
  ASSERT_THAT(a.status(), IsOk());
  EXPECT_EQ(a->str(), "alice.smith@example.org");
  EXPECT_EQ(a->local_part(), "alice.smith");
  EXPECT_EQ(a->domain(), "example.org");
}

TEST(EmailAddressTest, AcceptsAtextSpecials) {
  EXPECT_THAT(EmailAddress::Parse("a+tag_x-y@sub.example.org").status(), IsOk());
}

TEST(EmailAddressTest, RefusesInjectionAndMalformed) {
  for (const char* bad : {"",
                          "a",
                          "@example.org",
                          "a@",
                          "a@@example.org",
                          "a@b@example.org",
                          "a b@example.org",
                          "a@example.org\r\nBcc: x@y.org",
                          "a\n@example.org",
                          "<a@example.org>",
                          "a,b@example.org",
                          "\"a\"@example.org",
                          ".a@example.org",
                          "a.@example.org",
                          "a..b@example.org",
                          "a@localhost",
                          "a@-x.org",
                          "a@x-.org",
                          "a@ex_ample.org",
                          "a@.org",
                          "a@example..org"}) {
    EXPECT_THAT(EmailAddress::Parse(bad).status(), StatusIs(ErrorCode::kInvalidArgument)) << bad;
  }
  EXPECT_THAT(EmailAddress::Parse(std::string_view("a\0b@example.org", 15)).status(),
              StatusIs(ErrorCode::kInvalidArgument));
}

TEST(EmailAddressTest, EnforcesLengthLimits) {
  EXPECT_THAT(EmailAddress::Parse(std::string(64, 'a') + "@example.org").status(), IsOk());
  EXPECT_FALSE(EmailAddress::Parse(std::string(65, 'a') + "@example.org").ok());
  std::string long_domain;
  for (int i = 0; i < 5; ++i) long_domain += std::string(60, 'd') + ".";
  long_domain += "org";
  EXPECT_FALSE(EmailAddress::Parse("a@" + long_domain).ok());
}

}  // namespace
}  // namespace sealpost
