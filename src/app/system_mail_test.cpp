#include "app/system_mail.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace sealpost::app {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

AppConfig Config() {
  AppConfig c;
  c.product_name = "Example Post";
  c.public_url = "https://post.example.org";
  c.verification_ttl = std::chrono::hours(48);
  return c;
}

EmailAddress To() { return *EmailAddress::Parse("Ann+news@Example.org"); }

TEST(SystemMailTest, ConfirmationCarriesTheTokenInTheFragmentAndSaysWhenItEnds) {
  const delivery::OutgoingMail m = AddressConfirmationMail(Config(), To(), "TOKEN123");
  EXPECT_EQ(m.to.str(), To().str());
  EXPECT_EQ(m.subject, "Confirm your Example Post address");
  EXPECT_THAT(m.text, HasSubstr("https://post.example.org/verify#token=TOKEN123\n"));
  EXPECT_THAT(m.text, HasSubstr("expires in 48 hours"));
}

TEST(SystemMailTest, InvitationFillsInTheAddressPercentEncoded) {
  const delivery::OutgoingMail m = InvitationMail(Config(), To());
  EXPECT_THAT(m.text, HasSubstr("https://post.example.org/signup?email=ann%2Bnews%40example.org"));
  EXPECT_EQ(PercentEncode("a b/ü~"), "a%20b%2F%C3%BC~");
}

TEST(SystemMailTest, NoticesNameWhatHappenedAndWhereToGo) {
  const delivery::OutgoingMail attempt = SignUpAttemptMail(Config(), To());
  EXPECT_THAT(attempt.text, HasSubstr("https://post.example.org/login"));
  const delivery::OutgoingMail locked = MucLockedMail(Config(), To(), "guest@example.net", 5);
  EXPECT_THAT(locked.text, HasSubstr("5 times for guest@example.net"));
  EXPECT_THAT(locked.subject, HasSubstr("unlock code locked"));
  const delivery::OutgoingMail undelivered =
      UndeliveredMail(Config(), To(), "bob@example.net", 7, "550 5.1.1 no such user");
  EXPECT_THAT(undelivered.text, HasSubstr("bob@example.net after 7 attempt(s)"));
  EXPECT_THAT(undelivered.text, HasSubstr("550 5.1.1 no such user"));
  // None of them carries a link secret but the confirmation.
  for (const auto& m : {attempt, locked, undelivered, InvitationMail(Config(), To())}) {
    EXPECT_THAT(m.text, Not(HasSubstr("#token=")));
    EXPECT_THAT(m.text, Not(HasSubstr("/pickup#")));
  }
}

}  // namespace
}  // namespace sealpost::app
