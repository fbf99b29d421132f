#include "smtp/proto/reply.h"

#include <gtest/gtest.h>

namespace sealpost::smtp::proto {
namespace {

TEST(SmtpReplyFormat, OneLine) {
  EXPECT_EQ(FormatReply(Reply::Ok()), "250 2.0.0 OK\r\n");
  EXPECT_EQ(FormatReply({550, "5.1.1", "No such user"}), "550 5.1.1 No such user\r\n");
  EXPECT_EQ(FormatReply({354, "", "Go ahead"}), "354 Go ahead\r\n");
  EXPECT_EQ(FormatReply({220, "", "ready"}), "220 2.0.0 ready\r\n");
}

TEST(SmtpReplyFormat, EnhancedCodeClassMustMatch) {
  EXPECT_EQ(FormatReply({550, "4.1.1", "x"}), "550 5.0.0 x\r\n");
  EXPECT_EQ(FormatReply({451, "", "x"}), "451 4.0.0 x\r\n");
  EXPECT_EQ(FormatReply({550, "5.1", "x"}), "550 5.0.0 x\r\n");
  EXPECT_EQ(FormatReply({550, "5.1234.1", "x"}), "550 5.0.0 x\r\n");
  EXPECT_EQ(FormatReply({550, "5.6.11", "x"}), "550 5.6.11 x\r\n");
}

TEST(SmtpReplyFormat, ControlCharactersCannotInjectReplies) {
  EXPECT_EQ(FormatReply({550, "5.1.1", "no\r\n250 OK"}), "550 5.1.1 no  250 OK\r\n");
  EXPECT_EQ(FormatReply({550, "5.1.1", std::string("a\0b\x7f\xff", 5)}), "550 5.1.1 a b ?\r\n");
  EXPECT_LE(FormatReply({550, "5.1.1", std::string(5000, 'x')}).size(), 512u);
}

TEST(SmtpReplyFormat, InvalidCodeBecomesTemporaryFailure) {
  EXPECT_EQ(FormatReply({99, "", "x"}), "451 4.3.0 x\r\n");
  EXPECT_EQ(FormatReply({700, "7.0.0", "x"}), "451 4.3.0 x\r\n");
}

TEST(SmtpReplyFormat, Multiline) {
  EXPECT_EQ(FormatMultiline(250, "", {"mx.example", "PIPELINING", "SIZE 10"}),
            "250-mx.example\r\n250-PIPELINING\r\n250 SIZE 10\r\n");
  EXPECT_EQ(FormatMultiline(214, "2.0.0", {"a", "b"}), "214-2.0.0 a\r\n214 2.0.0 b\r\n");
}

}  // namespace
}  // namespace sealpost::smtp::proto
