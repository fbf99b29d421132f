#include "mime/message_parser.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <string>

#include "core/text.h"
#include "crypto/security_policy.h"
#include "testing/run_tool.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

namespace sealpost::mime {
namespace {

using crypto::policy::kMimeParse;
using ::testing::HasSubstr;
using ::testing::Not;

// As a mail program writes it: RFC 2047 (Q and B, two charsets), RFC 2231 with continuations
// and a language, ISO-8859-1 text, folded fields, LF line ends.
constexpr char kThunderbirdLike[] =
    "Return-Path: <zoe@partner.example>\n"
    "From: =?ISO-8859-1?Q?Zo=EB_M=FCller?= <zoe@partner.example>\n"
    "To: \"Bob, the builder\" <bob@sealpost.example>, carol@sealpost.example\n"
    "Cc: Team: dave@sealpost.example, Erin <erin@sealpost.example>;\n"
    "Subject: =?UTF-8?B?R3LDvMOfZQ==?= aus\n"
    " =?ISO-8859-1?Q?K=F6ln?=\n"
    "Date: Fri, 5 Dec 2025 11:20:00 +0100\n"
    "Message-ID: <tb-1@partner.example>\n"
    "In-Reply-To: <hp1@sealpost.example>\n"
    "References: <root@sealpost.example>\n"
    " <hp1@sealpost.example>\n"
    "MIME-Version: 1.0\n"
    "Content-Type: multipart/mixed; boundary=\"outer\"\n"
    "\n"
    "This is a multi-part message in MIME format.\n"
    "--outer\n"
    "Content-Type: multipart/alternative; boundary=\"alt\"\n"
    "\n"
    "--alt\n"
    "Content-Type: text/plain; charset=ISO-8859-1; format=flowed\n"
    "Content-Transfer-Encoding: quoted-printable\n"
    "\n"
    "Gr=FC=DFe,\n"
    "Zo=EB\n"
    "--alt\n"
    "Content-Type: text/html; charset=UTF-8\n"
    "Content-Transfer-Encoding: 8bit\n"
    "\n"
    "<p>Gr\xc3\xbc\xc3\x9f"
    "e</p>\n"
    "--alt--\n"
    "--outer\n"
    "Content-Type: application/pdf\n"
    "Content-Disposition: attachment;\n"
    " filename*0*=UTF-8'de'Bericht%20M%C3%A4rz;\n"
    " filename*1*=%202026.pdf\n"
    "Content-Transfer-Encoding: base64\n"
    "\n"
    "JVBERi0xLjcK\n"
    "--outer\n"
    "Content-Type: text/plain; charset=UTF-8; name=\"=?UTF-8?Q?notiz_=C3=BC.txt?=\"\n"
    "Content-Disposition: inline; filename=\"=?UTF-8?Q?notiz_=C3=BC.txt?=\"\n"
    "\n"
    "second text part\n"
    "--outer--\n";

TEST(MessageParser, ReadsWhatMailProgramsWrite) {
  auto parsed = ParseMessage(kThunderbirdLike);
  ASSERT_THAT(parsed.status(), IsOk());
  ASSERT_EQ(parsed->from.size(), 1u);
  EXPECT_EQ(parsed->from[0].display_name, "Zoë Müller");
  EXPECT_EQ(parsed->from[0].address, "zoe@partner.example");
  ASSERT_EQ(parsed->to.size(), 2u);
  EXPECT_EQ(parsed->to[0].display_name, "Bob, the builder");
  EXPECT_EQ(parsed->to[1].address, "carol@sealpost.example");
  ASSERT_EQ(parsed->cc.size(), 2u);  // the group's members
  EXPECT_EQ(parsed->cc[1].address, "erin@sealpost.example");
  EXPECT_EQ(parsed->subject, "Grüße aus Köln");
  ASSERT_TRUE(parsed->date.has_value());
  EXPECT_EQ(ToUnixMillis(*parsed->date), int64_t{1764930000} * 1000);
  EXPECT_EQ(parsed->message_id, "tb-1@partner.example");
  EXPECT_EQ(parsed->in_reply_to, "hp1@sealpost.example");
  EXPECT_THAT(parsed->references,
              ::testing::ElementsAre("root@sealpost.example", "hp1@sealpost.example"));
  // The line end before a boundary belongs to the boundary (RFC 2046 §5.1.1).
  EXPECT_EQ(parsed->text_body, "Grüße,\nZoë");
  ASSERT_TRUE(parsed->html_body.has_value());
  EXPECT_EQ(*parsed->html_body, "<p>Grüße</p>");
  ASSERT_EQ(parsed->attachments.size(), 2u);
  EXPECT_EQ(parsed->attachments[0].filename, "Bericht März 2026.pdf");
  EXPECT_EQ(parsed->attachments[0].content_type, "application/pdf");
  EXPECT_EQ(parsed->attachments[0].data, "%PDF-1.7\n");
  EXPECT_EQ(parsed->attachments[1].filename, "notiz ü.txt");
  EXPECT_EQ(parsed->attachments[1].data, "second text part");
  EXPECT_EQ(parsed->header_protection, HeaderProtection::kNone);
}

// An independent writer: Python's email package (policy=default) composes, we read.
constexpr char kPythonWrite[] = R"PY(
import email.message, email.policy, sys
m = email.message.EmailMessage(policy=email.policy.SMTP)
m['From'] = 'Zoë Müller <zoe@partner.example>'
m['To'] = 'Bob <bob@sealpost.example>, "Carol, C." <carol@sealpost.example>'
m['Subject'] = 'Квартальный отчёт — Grüße ' + 'x' * 80
m['Message-ID'] = '<py-1@partner.example>'
m['Date'] = 'Fri, 05 Dec 2025 10:20:00 +0000'
m.set_content('Привет,\nthe report is attached.\n')
m.add_alternative('<p>Привет</p>', subtype='html')
m.add_attachment(bytes(range(256)), maintype='application', subtype='octet-stream',
                 filename='отчёт за март 2026 — final version with a long name.bin')
open(sys.argv[1], 'wb').write(m.as_bytes())
)PY";

TEST(MessageParser, ReadsWhatPythonWrites) {
  testutil::TempDir dir;
  const std::string path = dir.path() + "/py.eml";
  const testutil::ToolResult r =
      testutil::RunTool({"python3", "-c", kPythonWrite, path}, dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.output();
  std::ifstream in(path, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto parsed = ParseMessage(bytes);
  ASSERT_THAT(parsed.status(), IsOk());
  EXPECT_EQ(parsed->subject, "Квартальный отчёт — Grüße " + std::string(80, 'x'));
  ASSERT_EQ(parsed->from.size(), 1u);
  EXPECT_EQ(parsed->from[0].display_name, "Zoë Müller");
  ASSERT_EQ(parsed->to.size(), 2u);
  EXPECT_EQ(parsed->to[1].display_name, "Carol, C.");
  EXPECT_EQ(parsed->message_id, "py-1@partner.example");
  EXPECT_EQ(parsed->text_body, "Привет,\r\nthe report is attached.\r\n");
  ASSERT_TRUE(parsed->html_body.has_value());
  EXPECT_THAT(*parsed->html_body, HasSubstr("<p>Привет</p>"));
  ASSERT_EQ(parsed->attachments.size(), 1u);
  EXPECT_EQ(parsed->attachments[0].filename,
            "отчёт за март 2026 — final version with a long name.bin");
  EXPECT_EQ(parsed->attachments[0].data.size(), 256u);
  EXPECT_EQ(static_cast<unsigned char>(parsed->attachments[0].data[255]), 255);
}

// GMime 3.2 alone loses the text after a padded B word (internal/encoded_words.h).
TEST(MessageParser, ReadsEveryAdjacentBWord) {
  const std::string message =
      "From: =?utf-8?B?Wm/DqyBN?= =?utf-8?B?w7xsbGVy?= <zoe@partner.example>\r\n"
      "Subject: =?UTF-8?B?w6TDpMOkw6TDpCDDpMOkw6TDpMOkw6TDpMOkIMOkw6TDpMOkw6Q=?=\r\n"
      " =?UTF-8?B?IMOkw6TDpMOkw6TDpCDDpMOkw6TDpMOkIMOkw6TDpMOkw6TDpA==?=\r\n"
      " =?UTF-8?B?IMOkw6Q=?=\r\n"
      "\r\nbody\r\n";
  auto parsed = ParseMessage(message);
  ASSERT_THAT(parsed.status(), IsOk());
  // As Python's email.header decodes it.
  EXPECT_EQ(parsed->subject, "äääää ääääääää äääää ääääää äääää ääääää ää");
  ASSERT_EQ(parsed->from.size(), 1u);
  EXPECT_EQ(parsed->from[0].display_name, "Zoë Müller");
}

TEST(MessageParser, ReadsEveryBWordOfAFileName) {
  const std::string message =
      "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
      "Content-Type: application/pdf;\r\n name=\"=?utf-8?B?w7w=?=.pdf\"\r\n"
      "Content-Disposition: attachment;\r\n"
      " filename=\"=?utf-8?B?w6TDpMOkw6Q=?= =?utf-8?B?IMOkw6Q=?=.pdf\"\r\n\r\nx\r\n"
      "--b\r\n"
      "Content-Type: application/pdf;\r\n name=\"=?utf-8?B?w6Q=?= =?utf-8?B?w7w=?=.pdf\"\r\n"
      "\r\ny\r\n--b--\r\n";
  auto parsed = ParseMessage(message);
  ASSERT_THAT(parsed.status(), IsOk());
  ASSERT_EQ(parsed->attachments.size(), 2u);
  EXPECT_EQ(parsed->attachments[0].filename, "ääää ää.pdf");  // filename wins over name
  EXPECT_EQ(parsed->attachments[1].filename, "äü.pdf");       // name when there is no filename
}

// Decoded header text cannot carry a line break into whatever re-emits it.
TEST(MessageParser, DecodedHeadersHaveNoControlCharacters) {
  const std::string message =
      "From: =?UTF-8?Q?Eve=0D=0ABcc:_x@evil.example?= <eve@evil.example>\r\n"
      "Subject: =?UTF-8?Q?hello=0D=0ABcc:_victim@example.org=00?=\r\n"
      "\r\n"
      "body\r\n";
  auto parsed = ParseMessage(message);
  ASSERT_THAT(parsed.status(), IsOk());
  EXPECT_FALSE(HasControlCharacters(parsed->subject, false)) << parsed->subject;
  EXPECT_THAT(parsed->subject, HasSubstr("hello"));
  ASSERT_EQ(parsed->from.size(), 1u);
  EXPECT_FALSE(HasControlCharacters(parsed->from[0].display_name, false));
  EXPECT_TRUE(parsed->bcc.empty());
}

TEST(MessageParser, InvalidUtf8BecomesValid) {
  const std::string message =
      "Subject: =?UTF-8?B?/w==?= \xff\xfe raw\r\n"
      "Content-Type: text/plain; charset=utf-8\r\n"
      "\r\n"
      "bad \xc3\x28 and \xed\xa0\x80 and a NUL \0 here\r\n";
  auto parsed = ParseMessage(std::string_view(message.data(), message.size()));
  ASSERT_THAT(parsed.status(), IsOk());
  EXPECT_TRUE(IsValidUtf8(parsed->subject));
  EXPECT_TRUE(IsValidUtf8(parsed->text_body));
  EXPECT_THAT(parsed->text_body, HasSubstr("bad "));
}

TEST(MessageParser, UnknownCharsetStillGivesValidUtf8) {
  const std::string message =
      "Subject: =?x-unknown?Q?abc=FF?=\r\n"
      "Content-Type: text/plain; charset=x-no-such-charset\r\n"
      "\r\n"
      "caf\xe9\r\n";
  auto parsed = ParseMessage(message);
  ASSERT_THAT(parsed.status(), IsOk());
  EXPECT_TRUE(IsValidUtf8(parsed->subject));
  EXPECT_TRUE(IsValidUtf8(parsed->text_body));
}

// n multipart levels around one text part: the text part is at depth n + 1.
std::string Nested(size_t levels) {
  std::string head = "From: a@example.org\r\nSubject: nested\r\nMIME-Version: 1.0\r\n";
  for (size_t i = 0; i < levels; ++i) {
    const std::string boundary = "b" + std::to_string(i);
    head += "Content-Type: multipart/mixed; boundary=\"" + boundary + "\"\r\n\r\n--" + boundary +
            "\r\n";
  }
  head += "Content-Type: text/plain\r\n\r\ndeep";
  for (size_t i = levels; i > 0; --i) head += "\r\n--b" + std::to_string(i - 1) + "--";
  return head + "\r\n";
}

TEST(MessageParser, NestingUpToTheLimitIsRead) {
  auto parsed = ParseMessage(Nested(kMimeParse.max_depth - 1));
  ASSERT_THAT(parsed.status(), IsOk());
  EXPECT_EQ(parsed->text_body, "deep");
}

TEST(MessageParser, HundredLevelsOfMultipartAreRefused) {
  EXPECT_THAT(ParseMessage(Nested(kMimeParse.max_depth)).status(), StatusIs(ErrorCode::kTooLarge));
  EXPECT_THAT(ParseMessage(Nested(100)).status(), StatusIs(ErrorCode::kTooLarge));
}

// Deeper than GMime should ever descend: refused before GMime parses.
TEST(MessageParser, HundredThousandLevelsAreRefusedBeforeParsing) {
  EXPECT_THAT(ParseMessage(Nested(100000)).status(), StatusIs(ErrorCode::kTooLarge));
  // Folded and oddly spelled declarations count too.
  std::string folded;
  for (size_t i = 0; i < kMimeParse.max_parts + 1; ++i) {
    folded += "content-TYPE :\r\n\tMultiPart (comment) / mixed; boundary=x\r\n";
  }
  EXPECT_THAT(ParseMessage("Subject: x\r\n" + folded + "\r\nbody").status(),
              StatusIs(ErrorCode::kTooLarge));
}

TEST(MessageParser, TooManyPartsAreRefused) {
  std::string message = "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n";
  for (size_t i = 0; i < kMimeParse.max_parts; ++i) {
    message += "--b\r\nContent-Type: application/octet-stream\r\n\r\nx\r\n";
  }
  message += "--b--\r\n";
  EXPECT_THAT(ParseMessage(message).status(), StatusIs(ErrorCode::kTooLarge));
}

TEST(MessageParser, TooManyOrTooLongHeaderFieldsAreRefused) {
  std::string many;
  for (size_t i = 0; i <= kMimeParse.max_header_fields; ++i) many += "X-Field: v\r\n";
  EXPECT_THAT(ParseMessage(many + "\r\nbody").status(), StatusIs(ErrorCode::kTooLarge));

  const std::string long_field =
      "Subject: " + std::string(kMimeParse.max_header_field_bytes + 1, 'a') + "\r\n\r\nbody";
  EXPECT_THAT(ParseMessage(long_field).status(), StatusIs(ErrorCode::kTooLarge));
}

// GMime builds every header field and part before its result can be checked: floods of either
// are refused before GMime parses (60 MiB of them took GMime 6-12 GB and 44-83 s).
TEST(MessageParser, FloodsOfFieldsOrPartsAreRefusedBeforeParsing) {
  std::string fields;
  while (fields.size() < (8u << 20)) fields += "a:b\r\n";
  EXPECT_THAT(ParseMessage(fields + "\r\nbody").status(), StatusIs(ErrorCode::kTooLarge));
  std::string parts = "Content-Type: multipart/mixed; boundary=b\r\n\r\n";
  while (parts.size() < (8u << 20)) parts += "--b\r\n\r\n";
  EXPECT_THAT(ParseMessage(parts).status(), StatusIs(ErrorCode::kTooLarge));
}

// Text that merely looks like fields or boundaries is read: the budgets leave room for it.
TEST(MessageParser, BodyLinesLikeFieldsAndDashesAreFine) {
  std::string message = "Subject: log\r\nContent-Type: text/plain\r\n\r\n";
  for (int i = 0; i < 10000; ++i) message += "Note: line " + std::to_string(i) + "\r\n-- \r\n";
  auto parsed = ParseMessage(message);
  ASSERT_THAT(parsed.status(), IsOk());
  EXPECT_THAT(parsed->text_body, HasSubstr("Note: line 9999"));
}

// GMime recurses once per nested address group while it builds the message: 80,000 levels
// crashed it. Groups do not nest in RFC 5322; deep nesting is refused before GMime parses.
TEST(MessageParser, NestedAddressGroupsAreRefusedBeforeParsing) {
  for (const char* field : {"To", "from", "Resent-Cc", "Sender"}) {
    std::string value;
    for (int i = 0; i < 80000; ++i) value += "g:";
    value += "a@b";
    for (int i = 0; i < 80000; ++i) value += ";";
    EXPECT_THAT(ParseMessage(std::string(field) + ": " + value + "\r\n\r\nbody").status(),
                StatusIs(ErrorCode::kInvalidArgument))
        << field;
    // Folded over many lines too.
    std::string folded = std::string(field) + ":";
    for (int i = 0; i < 1000; ++i) folded += "\r\n g:";
    EXPECT_THAT(ParseMessage(folded + " a@b\r\n\r\nbody").status(),
                StatusIs(ErrorCode::kInvalidArgument))
        << field;
  }
  // One group, and display names with colons, are read.
  auto parsed =
      ParseMessage("To: Team: \"Dept: Sales\" <a@example.org>, b@example.org;\r\n\r\nbody");
  ASSERT_THAT(parsed.status(), IsOk());
  ASSERT_EQ(parsed->to.size(), 2u);
  EXPECT_EQ(parsed->to[0].display_name, "Dept: Sales");
}

TEST(MessageParser, TooLargeMessageIsRefused) {
  const std::string big(kMimeParse.max_message_bytes + 1, 'a');
  EXPECT_THAT(ParseMessage(big).status(), StatusIs(ErrorCode::kTooLarge));
}

TEST(MessageParser, GarbageIsAnErrorOrAMessageNeverACrash) {
  for (const std::string& garbage :
       {std::string(), std::string("\0\0\0", 3), std::string("--\r\n--\r\n"),
        std::string("Content-Type: multipart/mixed\r\n\r\n--\r\n"),
        std::string("Content-Type: multipart/mixed; boundary=\"\"\r\n\r\n--\r\n--\r\n"),
        std::string(":\r\n:\r\n\r\n"), std::string("Content-Type: message/rfc822\r\n\r\n")}) {
    auto parsed = ParseMessage(garbage);
    if (parsed.ok()) {
      EXPECT_TRUE(IsValidUtf8(parsed->subject));
    } else {
      EXPECT_THAT(parsed.status(), StatusIs(ErrorCode::kInvalidArgument));
    }
  }
}

// A signed-only message with header protection (RFC 9788 hp="clear"): the signed payload's
// fields win, and the signature is not an attachment.
TEST(MessageParser, SignedPayloadFieldsWinWhenHpClear) {
  const std::string message =
      "From: outer@example.org\r\n"
      "Subject: outer subject\r\n"
      "MIME-Version: 1.0\r\n"
      "Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\";\r\n"
      " micalg=sha-256; boundary=\"s\"\r\n"
      "\r\n"
      "--s\r\n"
      "Content-Type: text/plain; charset=utf-8; hp=\"clear\"\r\n"
      "From: Alice <alice@example.org>\r\n"
      "Subject: signed subject\r\n"
      "\r\n"
      "signed text\r\n"
      "--s\r\n"
      "Content-Type: application/pkcs7-signature; name=smime.p7s\r\n"
      "Content-Transfer-Encoding: base64\r\n"
      "\r\n"
      "MIAGCSqGSIb3DQEHAqCAMIACAQExDzANBglghkgBZQMEAgEFADCABgkqhkiG9w0BBwGggCSABA==\r\n"
      "--s--\r\n";
  auto parsed = ParseMessage(message);
  ASSERT_THAT(parsed.status(), IsOk());
  EXPECT_EQ(parsed->header_protection, HeaderProtection::kClear);
  EXPECT_EQ(parsed->subject, "signed subject");
  ASSERT_EQ(parsed->from.size(), 1u);
  EXPECT_EQ(parsed->from[0].address, "alice@example.org");
  EXPECT_EQ(parsed->text_body, "signed text");
  EXPECT_TRUE(parsed->attachments.empty());
  // The signature part, decoded, for the crypto layer (the key directory reads its certificates).
  ASSERT_EQ(parsed->signatures.size(), 1u);
  const std::string& sig = parsed->signatures[0];
  ASSERT_GE(sig.size(), 2u);
  EXPECT_EQ(static_cast<uint8_t>(sig[0]), 0x30);  // the DER SEQUENCE the base64 starts with
  EXPECT_EQ(static_cast<uint8_t>(sig[1]), 0x80);
}

TEST(MessageParser, AttachedMessageIsOneAttachment) {
  const std::string message =
      "Subject: fwd\r\n"
      "Content-Type: multipart/mixed; boundary=\"m\"\r\n"
      "\r\n"
      "--m\r\n"
      "Content-Type: text/plain\r\n"
      "\r\n"
      "see below\r\n"
      "--m\r\n"
      "Content-Type: message/rfc822\r\n"
      "Content-Disposition: attachment; filename=\"old.eml\"\r\n"
      "\r\n"
      "Subject: the old one\r\n"
      "\r\n"
      "old body\r\n"
      "--m--\r\n";
  auto parsed = ParseMessage(message);
  ASSERT_THAT(parsed.status(), IsOk());
  EXPECT_EQ(parsed->subject, "fwd");
  EXPECT_EQ(parsed->text_body, "see below");
  ASSERT_EQ(parsed->attachments.size(), 1u);
  EXPECT_EQ(parsed->attachments[0].content_type, "message/rfc822");
  EXPECT_EQ(parsed->attachments[0].filename, "old.eml");
  EXPECT_THAT(parsed->attachments[0].data, HasSubstr("the old one"));
  EXPECT_THAT(parsed->attachments[0].data, HasSubstr("old body"));
}

TEST(MessageParser, HpOuterIsIgnoredWithoutHp) {
  const std::string message =
      "Subject: s\r\nHP-Outer: Subject: [...]\r\nContent-Type: text/plain\r\n\r\nb\r\n";
  auto parsed = ParseMessage(message);
  ASSERT_THAT(parsed.status(), IsOk());
  EXPECT_EQ(parsed->header_protection, HeaderProtection::kNone);
  EXPECT_TRUE(parsed->hp_outer.empty());
  EXPECT_THAT(parsed->subject, Not(HasSubstr("[...]")));
}

}  // namespace
}  // namespace sealpost::mime
