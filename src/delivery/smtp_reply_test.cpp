// Tests of the pure SMTP reply reader (smtp_reply.h): framing, the bounds on untrusted replies,
// EHLO keywords and the mapping of refusals to Status codes. The relay mailer's own tests
// (smtp_relay_mailer_test.cpp) cover the same limits end to end over a socket.
#include "delivery/smtp_reply.h"

#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "testing/status_matchers.h"

namespace sealpost::delivery {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

// Feeds `bytes` and collects every reply until the reader needs more or fails.
struct Drained {
  std::vector<SmtpReply> replies;
  Status error;
};
Drained Drain(SmtpReplyReader& reader, std::string_view bytes) {
  reader.Feed(bytes);
  Drained out;
  for (;;) {
    auto next = reader.Next();
    if (!next.ok()) {
      out.error = next.status();
      return out;
    }
    if (!*next) return out;
    out.replies.push_back(**std::move(next));
  }
}

TEST(SmtpReplyReaderTest, ReadsSingleAndMultiLineReplies) {
  SmtpReplyReader reader;
  const Drained d =
      Drain(reader, "220 relay.test ESMTP\r\n250-relay.test\r\n250-SIZE 1000\r\n250 OK\r\n");
  ASSERT_THAT(d.error, IsOk());
  ASSERT_EQ(d.replies.size(), 2u);
  EXPECT_EQ(d.replies[0].code, 220);
  EXPECT_THAT(d.replies[0].lines, ElementsAre("relay.test ESMTP"));
  EXPECT_EQ(d.replies[1].code, 250);
  EXPECT_THAT(d.replies[1].lines, ElementsAre("relay.test", "SIZE 1000", "OK"));
  EXPECT_FALSE(reader.has_buffered_input());
}

TEST(SmtpReplyReaderTest, WaitsForCompleteLinesAcrossFeeds) {
  SmtpReplyReader reader;
  EXPECT_TRUE(Drain(reader, "25").replies.empty());
  EXPECT_TRUE(Drain(reader, "0-first\r").replies.empty());
  EXPECT_TRUE(Drain(reader, "\n250 sec").replies.empty());
  const Drained d = Drain(reader, "ond\n");  // a bare LF ends a line too
  ASSERT_THAT(d.error, IsOk());
  ASSERT_EQ(d.replies.size(), 1u);
  EXPECT_THAT(d.replies[0].lines, ElementsAre("first", "second"));
}

TEST(SmtpReplyReaderTest, CodeAloneAndCodeWithSpaceHaveEmptyText) {
  SmtpReplyReader reader;
  const Drained d = Drain(reader, "250\r\n354 \r\n");
  ASSERT_THAT(d.error, IsOk());
  ASSERT_EQ(d.replies.size(), 2u);
  EXPECT_THAT(d.replies[0].lines, ElementsAre(""));
  EXPECT_THAT(d.replies[1].lines, ElementsAre(""));
}

TEST(SmtpReplyReaderTest, KeepsBytesAfterTheReply) {
  SmtpReplyReader reader;
  const Drained d = Drain(reader, "220 go ahead\r\n250 injected");
  ASSERT_EQ(d.replies.size(), 1u);
  EXPECT_TRUE(reader.has_buffered_input());  // what the STARTTLS injection check looks at
}

TEST(SmtpReplyReaderTest, LineOfExactly1000OctetsIsAccepted) {
  SmtpReplyReader reader;
  const std::string line = "250 " + std::string(kMaxReplyLineOctets - 6, 'x') + "\r\n";
  ASSERT_EQ(line.size(), kMaxReplyLineOctets);
  const Drained d = Drain(reader, line);
  ASSERT_THAT(d.error, IsOk());
  ASSERT_EQ(d.replies.size(), 1u);
}

TEST(SmtpReplyReaderTest, OverlongLineIsRefused) {
  SmtpReplyReader reader;
  const Drained d = Drain(reader, "250 " + std::string(kMaxReplyLineOctets - 5, 'x') + "\r\n");
  EXPECT_THAT(d.error, StatusIs(ErrorCode::kUnavailable));
  EXPECT_THAT(d.error.message(), HasSubstr("longer than 1000 octets"));
}

TEST(SmtpReplyReaderTest, OverlongLineIsRefusedBeforeItsEndArrives) {
  SmtpReplyReader reader;
  EXPECT_THAT(Drain(reader, std::string(kMaxReplyLineOctets - 1, '2')).error, IsOk());
  const Drained d = Drain(reader, "2");
  EXPECT_THAT(d.error, StatusIs(ErrorCode::kUnavailable));
  EXPECT_THAT(d.error.message(), HasSubstr("longer than 1000 octets"));
}

TEST(SmtpReplyReaderTest, HundredLinesAreAcceptedButNotMore) {
  std::string reply;
  for (size_t i = 0; i + 1 < kMaxReplyLines; ++i) reply += "250-x\r\n";
  SmtpReplyReader ok_reader;
  const Drained ok = Drain(ok_reader, reply + "250 end\r\n");
  ASSERT_THAT(ok.error, IsOk());
  ASSERT_EQ(ok.replies.size(), 1u);
  EXPECT_EQ(ok.replies[0].lines.size(), kMaxReplyLines);

  SmtpReplyReader reader;
  const Drained d = Drain(reader, reply + "250-x\r\n");  // refused without waiting for more
  EXPECT_THAT(d.error, StatusIs(ErrorCode::kUnavailable));
  EXPECT_THAT(d.error.message(), HasSubstr("more than 100 lines"));
}

TEST(SmtpReplyReaderTest, MalformedLinesAreRefused) {
  for (const std::string bad :
       {"HELLO THERE\r\n", "25\r\n", "\r\n", "199 too low\r\n", "600 too high\r\n",
        "260 second digit\r\n", "2x0 x\r\n", "250+plus\r\n", "250\tTab\r\n"}) {
    SmtpReplyReader reader;
    const Drained d = Drain(reader, bad);
    EXPECT_THAT(d.error, StatusIs(ErrorCode::kUnavailable)) << bad;
    EXPECT_THAT(d.error.message(), HasSubstr("malformed reply line")) << bad;
    EXPECT_THAT(d.error.message(), Not(HasSubstr("\r"))) << bad;
  }
}

TEST(SmtpReplyReaderTest, LinesWithDifferentCodesAreRefused) {
  SmtpReplyReader reader;
  const Drained d = Drain(reader, "250-first\r\n550 second\r\n");
  EXPECT_THAT(d.error, StatusIs(ErrorCode::kUnavailable));
  EXPECT_THAT(d.error.message(), HasSubstr("different codes"));
}

TEST(SmtpReplyTest, SummaryIsPrintableAndBounded) {
  const SmtpReply reply{550, {"5.1.0 bad\x1b[31m\x01 sender", std::string(2000, 'y')}};
  const std::string summary = reply.Summary();
  EXPECT_THAT(summary, HasSubstr("550 5.1.0 bad?[31m? sender"));
  EXPECT_EQ(summary.size(), kMaxLoggedReply + 3);
  EXPECT_THAT(summary, ::testing::EndsWith("..."));
}

TEST(SmtpReplyTest, EhloKeywords) {
  const SmtpReply reply{250,
                        {"relay.test greets you", "starttls", "AUTH LOGIN plain", "8BITMIME",
                         "SIZE 10240000", "Pipelining"}};
  const SmtpExtensions ext = ParseEhloReply(reply);
  EXPECT_TRUE(ext.starttls);
  EXPECT_TRUE(ext.auth_plain);
  EXPECT_TRUE(ext.eight_bit_mime);
  EXPECT_TRUE(ext.size);
  EXPECT_TRUE(ext.pipelining);
  // The greeting line is not a keyword; "AUTH=PLAIN" and "PLAINX" are not AUTH PLAIN.
  const SmtpExtensions none =
      ParseEhloReply(SmtpReply{250, {"STARTTLS", "AUTH=PLAIN", "AUTH PLAINX LOGIN"}});
  EXPECT_FALSE(none.starttls);
  EXPECT_FALSE(none.auth_plain);
  EXPECT_FALSE(none.pipelining);
}

TEST(SmtpReplyTest, ErrorsMapByCode) {
  EXPECT_THAT(SmtpReplyError("RCPT TO", {450, {"4.2.0 busy"}}), StatusIs(ErrorCode::kUnavailable));
  EXPECT_THAT(SmtpReplyError("RCPT TO", {550, {"5.1.1 unknown"}}),
              StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(SmtpReplyError("RCPT TO", {554, {"5.7.1 denied"}}),
              StatusIs(ErrorCode::kPermissionDenied));
  EXPECT_THAT(SmtpReplyError("AUTH", {535, {"bad credentials"}}),
              StatusIs(ErrorCode::kPermissionDenied));
  EXPECT_THAT(SmtpReplyError("AUTH", {530, {}}), StatusIs(ErrorCode::kPermissionDenied));
  const Status odd = SmtpReplyError("DATA", {250, {"ok"}});
  EXPECT_THAT(odd, StatusIs(ErrorCode::kUnavailable));
  EXPECT_THAT(odd.message(), HasSubstr("unexpected reply"));
}

}  // namespace
}  // namespace sealpost::delivery
