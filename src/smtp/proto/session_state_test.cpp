#include "smtp/proto/session_state.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace sealpost::smtp::proto {
namespace {

Command Cmd(std::string_view line) {
  auto parsed = ParseCommand(line);
  EXPECT_TRUE(std::holds_alternative<Command>(parsed)) << line;
  return std::get<Command>(parsed);
}

int CodeFor(const SessionState& state, std::string_view line) {
  const auto refusal = state.Check(Cmd(line));
  return refusal ? refusal->code : 0;
}

SessionPolicy Submission() {
  SessionPolicy policy;
  policy.starttls_offered = true;
  policy.auth_offered = true;
  policy.max_message_bytes = 1000;
  policy.max_recipients = 3;
  return policy;
}

bool Has(const std::vector<std::string>& lines, std::string_view keyword) {
  return std::find(lines.begin(), lines.end(), keyword) != lines.end();
}

TEST(SmtpSessionState, SequenceRules) {
  SessionState state(Submission());
  EXPECT_EQ(CodeFor(state, "MAIL FROM:<a@b.example>"), 503);
  EXPECT_EQ(CodeFor(state, "STARTTLS"), 503);  // EHLO first
  state.Greeted(true);
  EXPECT_EQ(CodeFor(state, "RCPT TO:<a@b.example>"), 503);
  EXPECT_EQ(CodeFor(state, "DATA"), 503);
  EXPECT_EQ(CodeFor(state, "MAIL FROM:<a@b.example>"), 0);
  state.MailAccepted({});
  EXPECT_EQ(CodeFor(state, "MAIL FROM:<a@b.example>"), 503);
  EXPECT_EQ(CodeFor(state, "DATA"), 554);  // no recipient yet
  EXPECT_EQ(CodeFor(state, "STARTTLS"), 503);
  state.RecipientAccepted();
  EXPECT_EQ(CodeFor(state, "DATA"), 0);
  EXPECT_EQ(CodeFor(state, "BDAT 10"), 0);
  state.ChunkingStarted();
  EXPECT_EQ(CodeFor(state, "DATA"), 503);
  EXPECT_EQ(CodeFor(state, "MAIL FROM:<a@b.example>"), 503);
  EXPECT_EQ(CodeFor(state, "RSET"), 0);
  state.TransactionEnded();
  EXPECT_FALSE(state.in_transaction());
  EXPECT_EQ(CodeFor(state, "RCPT TO:<a@b.example>"), 503);
}

TEST(SmtpSessionState, AuthBeforeStartTlsIsRefused) {
  SessionState state(Submission());
  state.Greeted(true);
  const auto refusal = state.Check(Cmd("AUTH PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm"));
  ASSERT_TRUE(refusal.has_value());
  EXPECT_EQ(refusal->code, 538);
  EXPECT_EQ(refusal->enhanced, "5.7.11");
  EXPECT_FALSE(Has(state.EhloKeywords(), "AUTH PLAIN LOGIN"));
  EXPECT_TRUE(Has(state.EhloKeywords(), "STARTTLS"));

  SessionPolicy in_tls = Submission();
  in_tls.tls = true;
  SessionState tls(in_tls);
  tls.Greeted(true);
  EXPECT_EQ(CodeFor(tls, "AUTH PLAIN"), 0);
  EXPECT_EQ(CodeFor(tls, "AUTH CRAM-MD5"), 504);
  EXPECT_EQ(CodeFor(tls, "STARTTLS"), 503);
  EXPECT_TRUE(Has(tls.EhloKeywords(), "AUTH PLAIN LOGIN"));
  EXPECT_FALSE(Has(tls.EhloKeywords(), "STARTTLS"));
  tls.Authenticated();
  EXPECT_EQ(CodeFor(tls, "AUTH PLAIN"), 503);
  EXPECT_FALSE(Has(tls.EhloKeywords(), "AUTH PLAIN LOGIN"));
}

TEST(SmtpSessionState, ListenerWithoutAuthOrStartTls) {
  SessionState state(SessionPolicy{});
  state.Greeted(true);
  EXPECT_EQ(CodeFor(state, "STARTTLS"), 502);
  EXPECT_EQ(CodeFor(state, "AUTH PLAIN"), 502);
  const auto lines = state.EhloKeywords();
  EXPECT_TRUE(Has(lines, "PIPELINING"));
  EXPECT_TRUE(Has(lines, "CHUNKING"));
  EXPECT_TRUE(Has(lines, "8BITMIME"));
  EXPECT_TRUE(Has(lines, "SMTPUTF8"));
  EXPECT_TRUE(Has(lines, "ENHANCEDSTATUSCODES"));
}

TEST(SmtpSessionState, SizeOverTheLimit) {
  SessionState state(Submission());
  state.Greeted(true);
  EXPECT_EQ(CodeFor(state, "MAIL FROM:<a@b.example> SIZE=1000"), 0);
  const auto refusal = state.Check(Cmd("MAIL FROM:<a@b.example> SIZE=1001"));
  ASSERT_TRUE(refusal.has_value());
  EXPECT_EQ(refusal->code, 552);
  EXPECT_EQ(refusal->enhanced, "5.3.4");
  EXPECT_TRUE(Has(state.EhloKeywords(), "SIZE 1000"));
}

TEST(SmtpSessionState, RecipientLimit) {
  SessionState state(Submission());
  state.Greeted(true);
  state.MailAccepted({});
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(CodeFor(state, "RCPT TO:<a@b.example>"), 0);
    state.RecipientAccepted();
  }
  EXPECT_EQ(CodeFor(state, "RCPT TO:<a@b.example>"), 452);
}

TEST(SmtpSessionState, Utf8NeedsSmtpUtf8AndEsmtpNeedsEhlo) {
  SessionState state(Submission());
  state.Greeted(true);
  EXPECT_EQ(CodeFor(state, "MAIL FROM:<j\xC3\xB6rg@example.org>"), 553);
  EXPECT_EQ(CodeFor(state, "MAIL FROM:<j\xC3\xB6rg@example.org> SMTPUTF8"), 0);
  state.MailAccepted({});
  EXPECT_EQ(CodeFor(state, "RCPT TO:<j\xC3\xB6rg@example.org>"), 553);
  SessionState helo(Submission());
  helo.Greeted(false);
  EXPECT_EQ(CodeFor(helo, "MAIL FROM:<a@b.example> BODY=8BITMIME"), 555);
  EXPECT_EQ(CodeFor(helo, "MAIL FROM:<a@b.example>"), 0);
}

TEST(SmtpSessionState, ContentLimitsFollowTheEnvelope) {
  SessionState state(Submission());
  state.Greeted(true);
  MailParameters eight;
  eight.eight_bit_mime = true;
  state.MailAccepted(eight);
  EXPECT_TRUE(state.content_limits().eight_bit_allowed);
  EXPECT_EQ(state.content_limits().max_message_bytes, 1000u);
  state.TransactionEnded();
  state.MailAccepted({});
  EXPECT_FALSE(state.content_limits().eight_bit_allowed);
}

TEST(SmtpSessionState, PipelineGroups) {
  EXPECT_FALSE(EndsPipelineGroup(Verb::kMail));
  EXPECT_FALSE(EndsPipelineGroup(Verb::kRcpt));
  EXPECT_TRUE(EndsPipelineGroup(Verb::kData));
  EXPECT_TRUE(EndsPipelineGroup(Verb::kStartTls));
  EXPECT_TRUE(EndsPipelineGroup(Verb::kEhlo));
}

}  // namespace
}  // namespace sealpost::smtp::proto
