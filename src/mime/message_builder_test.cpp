#include "mime/message_builder.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "mime/message_parser.h"
#include "testing/run_tool.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

namespace sealpost::mime {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

EmailAddress Addr(const char* text) { return EmailAddress::Parse(text).value(); }

OutgoingMessage Sample() {
  OutgoingMessage m(Mailbox{"Alice Example", Addr("alice@sealpost.example")});
  m.to = {{"Bob", Addr("bob@partner.example")}};
  m.cc = {{"", Addr("carol@partner.example")}};
  m.subject = "Quarterly figures";
  m.date = FromUnixMillis(int64_t{1764930000} * 1000);  // 2025-12-05T10:20:00Z
  m.message_id = "0123abcd@sealpost.example";
  m.text_body = "Hello Bob,\nthe figures are attached.\n";
  return m;
}

// Every line of `bytes` ends in CRLF: no bare LF, no bare CR.
bool AllCrlf(const std::string& bytes) {
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (bytes[i] == '\n' && (i == 0 || bytes[i - 1] != '\r')) return false;
    if (bytes[i] == '\r' && (i + 1 == bytes.size() || bytes[i + 1] != '\n')) return false;
  }
  return true;
}

bool SevenBit(const std::string& bytes) {
  for (const unsigned char c : bytes) {
    if (c >= 0x80 || c == 0) return false;
  }
  return true;
}

TEST(MessageBuilder, PlainTextHasTheHeadersAndCrlf) {
  auto built = BuildMessage(Sample());
  ASSERT_THAT(built.status(), IsOk());
  const std::string& bytes = *built;
  EXPECT_THAT(bytes, HasSubstr("From: Alice Example <alice@sealpost.example>\r\n"));
  EXPECT_THAT(bytes, HasSubstr("To: Bob <bob@partner.example>\r\n"));
  EXPECT_THAT(bytes, HasSubstr("Cc: carol@partner.example\r\n"));
  EXPECT_THAT(bytes, HasSubstr("Subject: Quarterly figures\r\n"));
  EXPECT_THAT(bytes, HasSubstr("Message-Id: <0123abcd@sealpost.example>\r\n"));
  EXPECT_THAT(bytes, HasSubstr("MIME-Version: 1.0\r\n"));
  EXPECT_THAT(bytes, HasSubstr("Content-Type: text/plain; charset=utf-8\r\n"));
  EXPECT_THAT(bytes, HasSubstr("Content-Transfer-Encoding: quoted-printable\r\n"));
  EXPECT_THAT(bytes, Not(HasSubstr("Bcc")));
  EXPECT_TRUE(AllCrlf(bytes)) << bytes;
  EXPECT_TRUE(SevenBit(bytes));
}

TEST(MessageBuilder, BccOnlyInTheBccRecipientsOwnCopy) {
  OutgoingMessage m = Sample();
  m.bcc_self = Mailbox{"Dave", Addr("dave@partner.example")};
  auto built = BuildMessage(m);
  ASSERT_THAT(built.status(), IsOk());
  EXPECT_THAT(*built, HasSubstr("Bcc: Dave <dave@partner.example>\r\n"));
}

TEST(MessageBuilder, ThreadingFields) {
  OutgoingMessage m = Sample();
  m.in_reply_to = "parent@partner.example";
  m.references = {"root@partner.example", "parent@partner.example"};
  auto built = BuildMessage(m);
  ASSERT_THAT(built.status(), IsOk());
  EXPECT_THAT(*built, HasSubstr("In-Reply-To: <parent@partner.example>\r\n"));
  EXPECT_THAT(*built, HasSubstr("<root@partner.example>"));
  auto parsed = ParseMessage(*built);
  ASSERT_THAT(parsed.status(), IsOk());
  EXPECT_EQ(parsed->in_reply_to, "parent@partner.example");
  EXPECT_THAT(parsed->references,
              ::testing::ElementsAre("root@partner.example", "parent@partner.example"));
}

// Header injection: any CR, LF or other control character in a header value is refused.
TEST(MessageBuilder, RefusesLineBreaksInEveryHeaderField) {
  for (const char* evil :
       {"x\r\nBcc: eve@evil.example", "x\nBcc: eve@evil.example", "x\rBcc: eve@evil.example",
        "x\r\n\r\n--boundary", "a\0b", "tab\there"}) {
    const std::string bad(evil, std::string_view(evil).size() + (evil[0] == 'a' ? 2 : 0));
    OutgoingMessage m = Sample();
    m.subject = bad;
    EXPECT_THAT(BuildMessage(m).status(), StatusIs(ErrorCode::kInvalidArgument)) << "subject";
    m = Sample();
    m.from.display_name = bad;
    EXPECT_THAT(BuildMessage(m).status(), StatusIs(ErrorCode::kInvalidArgument)) << "from";
    m = Sample();
    m.to[0].display_name = bad;
    EXPECT_THAT(BuildMessage(m).status(), StatusIs(ErrorCode::kInvalidArgument)) << "to";
    m = Sample();
    m.cc[0].display_name = bad;
    EXPECT_THAT(BuildMessage(m).status(), StatusIs(ErrorCode::kInvalidArgument)) << "cc";
    m = Sample();
    m.message_id = "id@x" + bad;
    EXPECT_THAT(BuildMessage(m).status(), StatusIs(ErrorCode::kInvalidArgument)) << "msgid";
    m = Sample();
    m.in_reply_to = "id@x" + bad;
    EXPECT_THAT(BuildMessage(m).status(), StatusIs(ErrorCode::kInvalidArgument)) << "irt";
    m = Sample();
    m.references = {"id@x" + bad};
    EXPECT_THAT(BuildMessage(m).status(), StatusIs(ErrorCode::kInvalidArgument)) << "refs";
    m = Sample();
    m.attachments = {{"file" + bad + ".pdf", "application/pdf", "data"}};
    EXPECT_THAT(BuildMessage(m).status(), StatusIs(ErrorCode::kInvalidArgument)) << "filename";
    m = Sample();
    m.attachments = {{"file.pdf", "application/pdf" + bad, "data"}};
    EXPECT_THAT(BuildMessage(m).status(), StatusIs(ErrorCode::kInvalidArgument)) << "type";
  }
}

TEST(MessageBuilder, RefusesBadIdsTypesAndText) {
  OutgoingMessage m = Sample();
  m.message_id = "<id@x>";
  EXPECT_THAT(BuildMessage(m).status(), StatusIs(ErrorCode::kInvalidArgument));
  m.message_id = "no-at-sign";
  EXPECT_THAT(BuildMessage(m).status(), StatusIs(ErrorCode::kInvalidArgument));
  m = Sample();
  m.subject = "\xff\xfe";
  EXPECT_THAT(BuildMessage(m).status(), StatusIs(ErrorCode::kInvalidArgument));
  m = Sample();
  m.text_body = "bad \xc3\x28";
  EXPECT_THAT(BuildMessage(m).status(), StatusIs(ErrorCode::kInvalidArgument));
  m = Sample();
  m.attachments = {{"a.bin", "application/pdf; name=x", "data"}};
  EXPECT_THAT(BuildMessage(m).status(), StatusIs(ErrorCode::kInvalidArgument));
  m = Sample();
  m.to.clear();
  m.cc.clear();
  EXPECT_THAT(BuildMessage(m).status(), StatusIs(ErrorCode::kInvalidArgument));
}

// A body line that looks like a header or a boundary stays body text.
TEST(MessageBuilder, BodyCannotEndThePartOrAddHeaders) {
  OutgoingMessage m = Sample();
  m.text_body = "\r\n\r\nBcc: eve@evil.example\r\n--=-boundary\r\n.\r\nFrom x\r\n";
  m.attachments = {{"a.txt", "text/plain", "--=-\r\n\r\nContent-Type: text/html\r\n"}};
  auto built = BuildMessage(m);
  ASSERT_THAT(built.status(), IsOk());
  auto parsed = ParseMessage(*built);
  ASSERT_THAT(parsed.status(), IsOk());
  EXPECT_TRUE(parsed->bcc.empty());
  EXPECT_EQ(parsed->text_body, m.text_body);
  ASSERT_EQ(parsed->attachments.size(), 1u);
  EXPECT_EQ(parsed->attachments[0].data, m.attachments[0].data);
  EXPECT_FALSE(parsed->html_body.has_value());
}

// Display names with address syntax in them stay one name: they cannot add a recipient.
TEST(MessageBuilder, DisplayNamesWithSpecialsStayOneMailbox) {
  for (const std::string name : {"Bob \"the\" \\ builder", "a,b;c:d<e>@f, eve@evil.example",
                                 "(comment)", "Müller, \"Zoë\"", "[...]", "x@y.example"}) {
    OutgoingMessage m = Sample();
    m.to[0].display_name = name;
    m.cc.clear();
    auto built = BuildMessage(m);
    ASSERT_THAT(built.status(), IsOk()) << name;
    auto parsed = ParseMessage(*built);
    ASSERT_THAT(parsed.status(), IsOk()) << name;
    ASSERT_EQ(parsed->to.size(), 1u) << name;
    EXPECT_EQ(parsed->to[0].display_name, name);
    EXPECT_EQ(parsed->to[0].address, "bob@partner.example");
    // Python's email package agrees: one address, the name as given.
    testutil::TempDir dir;
    const std::string path = testutil::WriteTestFile(dir.path(), "m.eml", *built);
    const testutil::ToolResult r =
        testutil::RunTool({"python3", "-c",
                           "import email, email.policy, sys\n"
                           "m = email.message_from_binary_file(open(sys.argv[1], 'rb'),"
                           " policy=email.policy.default)\n"
                           "a = m['to'].addresses\n"
                           "print(len(a)); print(a[0].display_name); print(a[0].addr_spec)",
                           path},
                          dir.path());
    ASSERT_EQ(r.exit_code, 0) << r.output();
    EXPECT_EQ(r.out, "1\n" + name + "\nbob@partner.example\n");
  }
}

// Text that looks like an encoded word is sent so that readers show it as it was typed.
TEST(MessageBuilder, TextThatLooksEncodedStaysAsTyped) {
  OutgoingMessage m = Sample();
  m.subject = "=?utf-8?q?Invoice?= paid";
  m.from.display_name = "=?utf-8?q?Bank?=";
  m.attachments = {{"=?utf-8?q?x?=.pdf", "application/pdf", "%PDF"}};
  auto built = BuildMessage(m);
  ASSERT_THAT(built.status(), IsOk());
  auto parsed = ParseMessage(*built);
  ASSERT_THAT(parsed.status(), IsOk());
  EXPECT_EQ(parsed->subject, m.subject);
  ASSERT_EQ(parsed->from.size(), 1u);
  EXPECT_EQ(parsed->from[0].display_name, m.from.display_name);
  ASSERT_EQ(parsed->attachments.size(), 1u);
  EXPECT_EQ(parsed->attachments[0].filename, m.attachments[0].filename);
  testutil::TempDir dir;
  const std::string path = testutil::WriteTestFile(dir.path(), "m.eml", *built);
  const testutil::ToolResult r =
      testutil::RunTool({"python3", "-c",
                         "import email, email.policy, sys\n"
                         "m = email.message_from_binary_file(open(sys.argv[1], 'rb'),"
                         " policy=email.policy.default)\n"
                         "print(m['subject']); print(m['from'].addresses[0].display_name)\n"
                         "print([p.get_filename() for p in m.iter_attachments()][0])",
                         path},
                        dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.output();
  EXPECT_EQ(r.out, "=?utf-8?q?Invoice?= paid\n=?utf-8?q?Bank?=\n=?utf-8?q?x?=.pdf\n");
}

OutgoingMessage Rich() {
  OutgoingMessage m = Sample();
  m.subject =
      "Grüße aus Köln — 日本語の件名 with a long tail that needs folding over several lines";
  m.from.display_name = "Zoë Müller, Ph.D.";
  m.text_body = "Zeile 1: äöü\r\nZeile 2 = gleich\nlast line without newline";
  m.html_body = "<p>Grüße</p>";
  std::string binary;
  for (int i = 0; i < 256; ++i) binary += static_cast<char>(i);
  m.attachments = {{"Bericht März 2026.pdf", "application/pdf", binary},
                   {"naïve résumé.txt", "text/plain", "plain\n"},
                   {"forwarded.eml", "message/rfc822", "From: x@y\r\n\r\nhi\r\n"}};
  return m;
}

TEST(MessageBuilder, RoundTripUtf8SubjectHtmlAndAttachments) {
  const OutgoingMessage m = Rich();
  auto built = BuildMessage(m);
  ASSERT_THAT(built.status(), IsOk());
  EXPECT_TRUE(AllCrlf(*built));
  EXPECT_TRUE(SevenBit(*built));
  EXPECT_THAT(*built, HasSubstr("multipart/mixed"));
  EXPECT_THAT(*built, HasSubstr("multipart/alternative"));
  EXPECT_THAT(*built, HasSubstr("filename*=UTF-8''"));  // RFC 2231
  auto parsed = ParseMessage(*built);
  ASSERT_THAT(parsed.status(), IsOk());
  EXPECT_EQ(parsed->subject, m.subject);
  ASSERT_EQ(parsed->from.size(), 1u);
  EXPECT_EQ(parsed->from[0].display_name, m.from.display_name);
  EXPECT_EQ(parsed->from[0].address, "alice@sealpost.example");
  ASSERT_EQ(parsed->to.size(), 1u);
  EXPECT_EQ(parsed->to[0].address, "bob@partner.example");
  ASSERT_TRUE(parsed->date.has_value());
  EXPECT_EQ(ToUnixMillis(*parsed->date), ToUnixMillis(m.date));
  EXPECT_EQ(parsed->message_id, m.message_id);
  EXPECT_EQ(parsed->text_body, "Zeile 1: äöü\r\nZeile 2 = gleich\r\nlast line without newline");
  ASSERT_TRUE(parsed->html_body.has_value());
  EXPECT_EQ(*parsed->html_body, "<p>Grüße</p>");
  ASSERT_EQ(parsed->attachments.size(), 3u);
  EXPECT_EQ(parsed->attachments[0].filename, "Bericht März 2026.pdf");
  EXPECT_EQ(parsed->attachments[0].content_type, "application/pdf");
  EXPECT_EQ(parsed->attachments[0].data, m.attachments[0].data);
  EXPECT_EQ(parsed->attachments[1].filename, "naïve résumé.txt");
  EXPECT_EQ(parsed->attachments[1].data, "plain\n");
  EXPECT_EQ(parsed->attachments[2].content_type, "application/octet-stream");
  EXPECT_EQ(parsed->attachments[2].data, m.attachments[2].data);
  EXPECT_EQ(parsed->header_protection, HeaderProtection::kNone);
}

// GMime objects are never shared: copies built and parsed on several threads at once (the first
// call of all initialises GMime) come out as on one thread.
TEST(MessageBuilder, ThreadsBuildAndParseIndependently) {
  const OutgoingMessage m = Rich();
  std::vector<int> good(4, 0);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < good.size(); ++t) {
    threads.emplace_back([&m, &good, t] {
      for (int i = 0; i < 50; ++i) {
        auto built = BuildMessage(m);
        if (!built.ok()) continue;
        auto parsed = ParseMessage(*built);
        if (parsed.ok() && parsed->subject == m.subject && parsed->attachments.size() == 3 &&
            parsed->attachments[0].data == m.attachments[0].data) {
          ++good[t];
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_THAT(good, ::testing::Each(50));
}

// An independent reader: Python's email package (policy=default) reads what we build.
constexpr char kPythonCheck[] = R"PY(
import email, email.policy, sys
m = email.message_from_binary_file(open(sys.argv[1], 'rb'), policy=email.policy.default)
print('subject=' + str(m['subject']))
print('from=' + str(m['from']))
print('type=' + m.get_content_type())
for part in m.walk():
    if part.is_multipart():
        print('multipart=' + part.get_content_type())
    elif part.get_filename():
        print('file=%s|%s|%d' % (part.get_filename(), part.get_content_type(),
                                 len(part.get_payload(decode=True))))
    else:
        print('text=%s|%r' % (part.get_content_type(), part.get_content()))
print('defects=%d' % sum(len(p.defects) for p in m.walk()))
)PY";

TEST(MessageBuilder, PythonEmailReadsWhatWeBuild) {
  const OutgoingMessage m = Rich();
  auto built = BuildMessage(m);
  ASSERT_THAT(built.status(), IsOk());
  testutil::TempDir dir;
  const std::string path = testutil::WriteTestFile(dir.path(), "m.eml", *built);
  const testutil::ToolResult r =
      testutil::RunTool({"python3", "-c", kPythonCheck, path}, dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.output();
  EXPECT_THAT(r.out, HasSubstr("subject=" + m.subject + "\n"));
  EXPECT_THAT(r.out, HasSubstr("from=\"Zoë Müller, Ph.D.\" <alice@sealpost.example>\n"));
  EXPECT_THAT(r.out, HasSubstr("type=multipart/mixed\n"));
  EXPECT_THAT(r.out, HasSubstr("multipart=multipart/alternative\n"));
  EXPECT_THAT(r.out, HasSubstr("text=text/plain|'Zeile 1: äöü\\nZeile 2 = gleich\\nlast line"));
  EXPECT_THAT(r.out, HasSubstr("text=text/html|'<p>Grüße</p>'"));
  EXPECT_THAT(r.out, HasSubstr("file=Bericht März 2026.pdf|application/pdf|256\n"));
  EXPECT_THAT(r.out, HasSubstr("file=naïve résumé.txt|text/plain|6\n"));
  EXPECT_THAT(r.out, HasSubstr("defects=0\n"));
}

}  // namespace
}  // namespace sealpost::mime
