#include "smtp/proto/command.h"

#include <gtest/gtest.h>

#include <string>

namespace sealpost::smtp::proto {
namespace {

Command Parsed(std::string_view line) {
  auto result = ParseCommand(line);
  EXPECT_TRUE(std::holds_alternative<Command>(result)) << line;
  if (auto* reply = std::get_if<Reply>(&result)) ADD_FAILURE() << reply->text;
  return std::holds_alternative<Command>(result) ? std::get<Command>(result) : Command{};
}

Reply Refused(std::string_view line) {
  auto result = ParseCommand(line);
  EXPECT_TRUE(std::holds_alternative<Reply>(result)) << line;
  return std::holds_alternative<Reply>(result) ? std::get<Reply>(result) : Reply{};
}

TEST(SmtpCommand, VerbsAreCaseInsensitive) {
  EXPECT_EQ(Parsed("ehlo client.example").verb, Verb::kEhlo);
  EXPECT_EQ(Parsed("EhLo client.example").domain, "client.example");
  EXPECT_EQ(Parsed("quit").verb, Verb::kQuit);
  EXPECT_EQ(Parsed("STARTTLS").verb, Verb::kStartTls);
  EXPECT_EQ(Parsed("NOOP anything").verb, Verb::kNoop);
  EXPECT_EQ(Parsed("HELO [192.0.2.1]").domain, "[192.0.2.1]");
  EXPECT_EQ(Parsed("EHLO [IPv6:2001:db8::1]").domain, "[IPv6:2001:db8::1]");
}

TEST(SmtpCommand, UnknownAndMalformedCommands) {
  EXPECT_EQ(Refused("EXPN staff").code, 500);
  EXPECT_EQ(Refused("").code, 500);
  EXPECT_EQ(Refused("MAILFROM:<a@b.example>").code, 500);
  EXPECT_EQ(Refused("EHLO").code, 501);
  EXPECT_EQ(Refused("EHLO bad_name!").code, 501);
  EXPECT_EQ(Refused("DATA now").code, 501);
  EXPECT_EQ(Refused("STARTTLS please").code, 501);
  EXPECT_EQ(Refused("NOOP \x01").code, 500);
  EXPECT_EQ(Refused("NOOP a\rb").code, 500);
}

TEST(SmtpCommand, TenThousandByteCommandIsRefused) {
  const Reply reply = Refused("NOOP " + std::string(10000, 'a'));
  EXPECT_EQ(reply.code, 500);
  EXPECT_EQ(reply.enhanced, "5.5.2");
}

TEST(SmtpCommand, MailFromPathsAndParameters) {
  Command mail = Parsed("MAIL FROM:<alice@example.org> SIZE=1000 BODY=8BITMIME");
  EXPECT_EQ(mail.verb, Verb::kMail);
  EXPECT_EQ(mail.path, "alice@example.org");
  ASSERT_TRUE(mail.mail.declared_size.has_value());
  EXPECT_EQ(*mail.mail.declared_size, 1000u);
  EXPECT_TRUE(mail.mail.eight_bit_mime);
  EXPECT_FALSE(mail.mail.smtputf8);
  EXPECT_EQ(Parsed("MAIL FROM:<>").path, "");
  EXPECT_EQ(Parsed("mail from: <a@b.example>").path, "a@b.example");
  EXPECT_EQ(Parsed("MAIL FROM:<@relay.example:a@b.example>").path, "a@b.example");
  EXPECT_TRUE(Parsed("MAIL FROM:<a@b.example> SMTPUTF8 AUTH=<>").mail.smtputf8);
  EXPECT_TRUE(Parsed("MAIL FROM:<a@b.example> BODY=7BIT").body_7bit_declared);
}

TEST(SmtpCommand, QuotedLocalParts) {
  EXPECT_EQ(Parsed("RCPT TO:<\"john doe\"@example.org>").path, "\"john doe\"@example.org");
  EXPECT_EQ(Parsed("RCPT TO:<\"a\\\"b>c\"@example.org>").path, "\"a\\\"b>c\"@example.org");
  EXPECT_EQ(Refused("RCPT TO:<\"unterminated@example.org>").enhanced, "5.1.3");
}

TEST(SmtpCommand, Utf8AddressesAreFlagged) {
  const Command mail = Parsed(
      "MAIL FROM:<j\xC3\xB6rg@b\xC3\xBC"
      "cher.example> SMTPUTF8");
  EXPECT_FALSE(mail.path_is_ascii);
  EXPECT_TRUE(Parsed("RCPT TO:<jorg@example.org>").path_is_ascii);
  // Malformed UTF-8 (an overlong encoding, a lone continuation byte) is refused.
  EXPECT_EQ(Refused("RCPT TO:<\xC0\xAF@example.org>").code, 501);
  EXPECT_EQ(Refused("RCPT TO:<a\x80@example.org>").code, 501);
}

TEST(SmtpCommand, MalformedAddresses) {
  for (const char* line : {
           "MAIL FROM:alice@example.org",
           "MAIL FROM:<alice@example.org",
           "MAIL FROM:<alice>",
           "MAIL FROM:<@example.org>",
           "MAIL FROM:<a..b@example.org>",
           "MAIL FROM:<.a@example.org>",
           "MAIL FROM:<a@-example.org>",
           "MAIL FROM:<a@example..org>",
           "MAIL FROM:<a@exa_mple.org>",
           "MAIL FROM:<a b@example.org>",
           "MAIL FROM:<a@[300.1.1.1]>",
           "MAIL FROM:<a@example.org>x",
           "MAIL FROM:<a@b@example.org>",
       }) {
    const Reply reply = Refused(line);
    EXPECT_EQ(reply.code, 501) << line;
    EXPECT_EQ(reply.enhanced, "5.1.7") << line;
  }
  EXPECT_EQ(Refused("RCPT TO:<nobody>").enhanced, "5.1.3");
  EXPECT_EQ(Refused("RCPT <a@example.org>").code, 501);
}

TEST(SmtpCommand, OverlongAddresses) {
  const std::string local64(64, 'a');
  EXPECT_EQ(Parsed("RCPT TO:<" + local64 + "@example.org>").path, local64 + "@example.org");
  EXPECT_EQ(Refused("RCPT TO:<" + local64 + "a@example.org>").code, 501);
  const std::string label63(63, 'b');
  EXPECT_EQ(Refused("RCPT TO:<a@" + label63 + "b.example>").code, 501);
  // 254 octets in all is the most; one more is refused.
  const std::string domain = label63 + "." + label63 + "." + label63 + "." + std::string(59, 'c');
  const std::string at_limit = std::string(2, 'a') + "@" + domain;
  ASSERT_EQ(at_limit.size(), 254u);
  EXPECT_EQ(Parsed("RCPT TO:<" + at_limit + ">").path, at_limit);
  EXPECT_EQ(Refused("RCPT TO:<a" + at_limit + ">").code, 501);
}

TEST(SmtpCommand, BadParameters) {
  EXPECT_EQ(Refused("MAIL FROM:<a@b.example> SIZE=abc").code, 501);
  EXPECT_EQ(Refused("MAIL FROM:<a@b.example> SIZE=99999999999999999999").code, 501);
  EXPECT_EQ(Refused("MAIL FROM:<a@b.example> BODY=BINARYMIME").code, 555);
  EXPECT_EQ(Refused("MAIL FROM:<a@b.example> RET=FULL").code, 555);
  EXPECT_EQ(Refused("MAIL FROM:<a@b.example> SMTPUTF8=yes").code, 501);
  EXPECT_EQ(Refused("RCPT TO:<a@b.example> NOTIFY=NEVER").code, 555);
}

TEST(SmtpCommand, PostmasterWithoutDomain) {
  EXPECT_EQ(Parsed("RCPT TO:<postmaster>").path, "Postmaster");
}

TEST(SmtpCommand, Bdat) {
  const Command chunk = Parsed("BDAT 1000");
  EXPECT_EQ(chunk.chunk_size, 1000u);
  EXPECT_FALSE(chunk.last_chunk);
  const Command last = Parsed("bdat 0 last");
  EXPECT_EQ(last.chunk_size, 0u);
  EXPECT_TRUE(last.last_chunk);
  EXPECT_EQ(Refused("BDAT").code, 501);
  EXPECT_EQ(Refused("BDAT -1").code, 501);
  EXPECT_EQ(Refused("BDAT 10 FIRST").code, 501);
}

TEST(SmtpCommand, Auth) {
  const Command plain = Parsed("AUTH plain AGFsaWNlAHNlY3JldA==");
  EXPECT_EQ(plain.mechanism, "PLAIN");
  EXPECT_TRUE(plain.has_initial_response);
  EXPECT_EQ(plain.initial_response, "AGFsaWNlAHNlY3JldA==");
  const Command login = Parsed("AUTH LOGIN");
  EXPECT_EQ(login.mechanism, "LOGIN");
  EXPECT_FALSE(login.has_initial_response);
  EXPECT_EQ(Refused("AUTH").code, 501);
}

}  // namespace
}  // namespace sealpost::smtp::proto
