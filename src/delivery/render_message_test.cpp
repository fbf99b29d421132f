#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/encoding.h"
#include "core/time.h"
#include "delivery/mailer.h"

namespace sealpost::delivery {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// Decodes RFC 2045 quoted-printable (for checking round trips; independent of the encoder).
std::string DecodeQp(const std::string& qp) {
  std::string out;
  for (size_t i = 0; i < qp.size(); ++i) {
    if (qp[i] == '=' && qp.compare(i, 3, "=\r\n") == 0) {
      i += 2;
    } else if (qp[i] == '=') {
      out += static_cast<char>(std::stoi(qp.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else if (qp.compare(i, 2, "\r\n") == 0) {
      out += '\n';
      ++i;
    } else {
      out += qp[i];
    }
  }
  return out;
}

size_t LongestLine(const std::string& s) {
  size_t longest = 0;
  size_t start = 0;
  for (size_t lf = s.find("\r\n"); lf != std::string::npos; lf = s.find("\r\n", start)) {
    longest = std::max(longest, lf - start);
    start = lf + 2;
  }
  return std::max(longest, s.size() - start);
}

OutgoingMail Mail() { return {*EmailAddress::Parse("carol@example.net"), "Hi", "text"}; }

TEST(QuotedPrintableTest, RoundTripsLongUtf8AndSpecialCharacters) {
  const std::string text = "Grüße = schön\t \n" + std::string(3000, 'x') + "ä.\n. leading dot\n";
  const std::string qp = QuotedPrintable(text);
  EXPECT_LE(LongestLine(qp), 76u);
  EXPECT_EQ(DecodeQp(qp), text);
  for (const char c : qp) EXPECT_LT(static_cast<unsigned char>(c), 0x80);
  EXPECT_THAT(qp, HasSubstr("\t=20\r\n"));  // trailing white space is encoded, not lost
  EXPECT_THAT(qp, Not(HasSubstr("=_")));
}

TEST(QuotedPrintableTest, KnownAnswer) {
  // RFC 2045 §6.7 rules (1), (2), (3): "=" is encoded, a non-ASCII octet too, CRLF kept.
  EXPECT_EQ(QuotedPrintable("a=b\r\n\xc3\xa9"), "a=3Db\r\n=C3=A9\r\n");
}

TEST(EncodeHeaderTextTest, AsciiStaysNonAsciiIsEncodedInShortFoldedWords) {
  EXPECT_EQ(EncodeHeaderText("Hello there"), "Hello there");
  EXPECT_EQ(EncodeHeaderText("a\r\nBcc: x@y"), "a  Bcc: x@y");
  EXPECT_EQ(EncodeHeaderText("é"), "=?UTF-8?B?w6k=?=");
  std::string long_utf8;
  for (int i = 0; i < 200; ++i) long_utf8 += "ü";
  const std::string encoded = EncodeHeaderText(long_utf8);
  EXPECT_LE(LongestLine(encoded), 75u);
  std::string decoded;
  size_t pos = 0;
  while ((pos = encoded.find("=?UTF-8?B?", pos)) != std::string::npos) {
    const size_t end = encoded.find("?=", pos + 10);
    const Bytes word = *Base64Decode(encoded.substr(pos + 10, end - pos - 10));
    const std::string part(word.begin(), word.end());
    EXPECT_TRUE(part.size() % 2 == 0) << "a word splits a UTF-8 character";
    decoded += part;
    pos = end + 2;
  }
  EXPECT_EQ(decoded, long_utf8);
  // Text that looks like an encoded-word is encoded, so readers cannot be fooled by it.
  EXPECT_THAT(EncodeHeaderText("=?UTF-8?B?w6k=?="), HasSubstr("=?UTF-8?B?PT9"));
}

TEST(RenderMessageTest, PlainMailHasTheRequiredHeadersAndNoListUnsubscribe) {
  const std::string m = RenderMessage(Mail(), "Sealpost <no-reply@example.org>", "abc@example.org",
                                      FromUnixMillis(0));
  EXPECT_THAT(m, HasSubstr("From: Sealpost <no-reply@example.org>\r\n"));
  EXPECT_THAT(m, HasSubstr("To: carol@example.net\r\nSubject: Hi\r\n"));
  EXPECT_THAT(m, HasSubstr("Date: Thu, 01 Jan 1970 00:00:00 +0000\r\n"));
  EXPECT_THAT(m, HasSubstr("Message-ID: <abc@example.org>\r\n"));
  EXPECT_THAT(m, HasSubstr("Auto-Submitted: auto-generated\r\n"));
  EXPECT_THAT(m, HasSubstr("Content-Type: text/plain; charset=utf-8\r\n"
                           "Content-Transfer-Encoding: quoted-printable\r\n\r\ntext\r\n"));
  EXPECT_THAT(m, Not(HasSubstr("List-Unsubscribe")));
  EXPECT_THAT(m, Not(HasSubstr("multipart")));
}

TEST(RenderMessageTest, HtmlMakesAMultipartAlternativeWithShortLines) {
  OutgoingMail mail = Mail();
  mail.subject = "Grüße";
  mail.text = "plain " + std::string(2000, 'p');
  mail.html = "<p>" + std::string(2000, 'h') + "</p>";
  const std::string m =
      RenderMessage(mail, "Zoë <no-reply@example.org>", "id1@example.org", FromUnixMillis(0));
  EXPECT_LE(LongestLine(m), 78u);
  EXPECT_THAT(m, HasSubstr("From: =?UTF-8?B?Wm/Dqw==?= <no-reply@example.org>\r\n"));
  EXPECT_THAT(m, HasSubstr("Subject: =?UTF-8?B?R3LDvMOfZQ==?=\r\n"));
  const size_t ct = m.find("Content-Type: multipart/alternative;\r\n boundary=\"");
  ASSERT_NE(ct, std::string::npos);
  const size_t start = ct + 49;
  const std::string boundary = m.substr(start, m.find('"', start) - start);
  const size_t text_part = m.find("--" + boundary + "\r\nContent-Type: text/plain; charset=utf-8");
  const size_t html_part = m.find("--" + boundary + "\r\nContent-Type: text/html; charset=utf-8");
  ASSERT_NE(text_part, std::string::npos);
  ASSERT_NE(html_part, std::string::npos);
  EXPECT_LT(text_part, html_part);
  EXPECT_THAT(m, HasSubstr("\r\n--" + boundary + "--\r\n"));
  for (const char c : m) EXPECT_LT(static_cast<unsigned char>(c), 0x80);
}

}  // namespace
}  // namespace sealpost::delivery
