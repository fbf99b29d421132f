#include "delivery/internal/smtp_session.h"

#include <algorithm>
#include <random>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "testing/status_matchers.h"

namespace sealpost::delivery::internal {
namespace {

using ::testing::HasSubstr;

// The encoder as first written, octet by octet: the oracle for the line-at-a-time one.
Result<std::string> EncodeDataOctetByOctet(std::string_view message, bool* eight_bit) {
  std::string out;
  std::string line;
  *eight_bit = false;
  auto flush = [&]() -> Status {
    if (line.size() > 998) return InvalidArgument("long");
    if (!line.empty() && line.front() == '.') out += '.';
    out += line + "\r\n";
    line.clear();
    return Status::Ok();
  };
  for (const char c : message) {
    if (c == '\n') {
      SP_RETURN_IF_ERROR(flush());
    } else if (c == '\0') {
      return InvalidArgument("nul");
    } else if (c != '\r') {
      if (static_cast<unsigned char>(c) >= 0x80) *eight_bit = true;
      line += c;
    }
  }
  if (!line.empty()) SP_RETURN_IF_ERROR(flush());
  out += ".\r\n";
  return out;
}

TEST(EncodeDataTest, LineEndsDotsAndEightBit) {
  bool eight_bit = true;
  auto out = EncodeData("a\n.b\r\n..c\rd\n\r\n.", &eight_bit);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out, "a\r\n..b\r\n...cd\r\n\r\n..\r\n.\r\n");
  EXPECT_FALSE(eight_bit);
  // A last line of nothing but CRs adds no line; an empty message is just the terminator.
  EXPECT_EQ(*EncodeData("x\n\r\r", &eight_bit), "x\r\n.\r\n");
  EXPECT_EQ(*EncodeData("", &eight_bit), ".\r\n");
  EXPECT_EQ(*EncodeData("caf\xc3\xa9\n", &eight_bit), "caf\xc3\xa9\r\n.\r\n");
  EXPECT_TRUE(eight_bit);
}

TEST(EncodeDataTest, RefusesNulAndOverlongLines) {
  bool eight_bit = false;
  const auto nul = EncodeData(std::string("a\nb\0c\n", 6), &eight_bit);
  EXPECT_THAT(nul.status(), StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(nul.status().message(), HasSubstr("NUL"));
  const std::string longest(998, 'x');
  EXPECT_TRUE(EncodeData(longest + "\n", &eight_bit).ok());
  // CRs do not count: they are dropped before the line is measured.
  EXPECT_TRUE(EncodeData(longest + "\r\r\r\n", &eight_bit).ok());
  const auto overlong = EncodeData(longest + "y", &eight_bit);
  EXPECT_THAT(overlong.status(), StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(overlong.status().message(), HasSubstr("longer than 998"));
}

// Random messages over the octets that matter (LF, CR, dot, NUL, 8-bit, text), with long lines
// now and then: the same bytes, flag and verdict as the octet-by-octet encoder.
TEST(EncodeDataTest, SameAsTheOctetByOctetEncoder) {
  std::mt19937 rng(20261206);
  const std::string alphabet = std::string("\n\r.\0\x80\xff", 6) + "abc ";
  for (int i = 0; i < 20000; ++i) {
    std::string message;
    const size_t size = rng() % 64;
    for (size_t j = 0; j < size; ++j) message += alphabet[rng() % alphabet.size()];
    if (i % 50 == 0)
      message.insert(rng() % (message.size() + 1), std::string(990 + rng() % 20, 'z'));
    if (i % 3 == 0) message.erase(std::remove(message.begin(), message.end(), '\0'), message.end());
    bool ours_flag = false;
    bool oracle_flag = false;
    const auto ours = EncodeData(message, &ours_flag);
    const auto oracle = EncodeDataOctetByOctet(message, &oracle_flag);
    ASSERT_EQ(ours.ok(), oracle.ok()) << i;
    if (!ours.ok()) continue;
    ASSERT_EQ(*ours, *oracle) << i;
    ASSERT_EQ(ours_flag, oracle_flag) << i;
  }
}

}  // namespace
}  // namespace sealpost::delivery::internal
