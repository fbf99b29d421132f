#include "smtp/proto/auth.h"

#include <gtest/gtest.h>

#include "core/encoding.h"
#include "testing/status_matchers.h"

namespace sealpost::smtp::proto {
namespace {

std::string B64(std::string_view s) { return Base64Encode(AsBytes(s)); }

TEST(SmtpAuth, PlainWithAndWithoutAuthzid) {
  // RFC 4616 4's example: "\0tim\0tanstaaftanstaaf".
  auto creds = DecodePlain("AHRpbQB0YW5zdGFhZnRhbnN0YWFm");
  ASSERT_TRUE(creds.ok());
  EXPECT_EQ(creds->authorization_id, "");
  EXPECT_EQ(creds->user, "tim");
  EXPECT_EQ(creds->password.view(), "tanstaaftanstaaf");
  auto with = DecodePlain(B64(std::string("admin\0tim\0pw", 12)));
  ASSERT_TRUE(with.ok());
  EXPECT_EQ(with->authorization_id, "admin");
}

TEST(SmtpAuth, PlainRefusals) {
  EXPECT_THAT(DecodePlain("=").status(), StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(DecodePlain("not base64!").status(), StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(DecodePlain(B64("timpw")).status(), StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(DecodePlain(B64(std::string("\0tim", 4))).status(),
              StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(DecodePlain(B64(std::string("\0\0pw", 4))).status(),
              StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(DecodePlain(B64(std::string("\0tim\0", 5))).status(),
              StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(DecodePlain(B64(std::string("\0tim\0p\0w", 8))).status(),
              StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(DecodePlain(B64(std::string("\0tim\0", 5) + std::string(256, 'p'))).status(),
              StatusIs(ErrorCode::kInvalidArgument));
}

TEST(SmtpAuth, Login) {
  auto user = DecodeLoginLine(B64("alice@example.org"));
  ASSERT_TRUE(user.ok());
  EXPECT_EQ(user->view(), "alice@example.org");
  EXPECT_THAT(DecodeLoginLine("").status(), StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(DecodeLoginLine("*").status(), StatusIs(ErrorCode::kInvalidArgument));
  // The challenges are base64 of "Username:" and "Password:".
  EXPECT_EQ(B64("Username:"), kLoginUserChallenge);
  EXPECT_EQ(B64("Password:"), kLoginPasswordChallenge);
}

}  // namespace
}  // namespace sealpost::smtp::proto
