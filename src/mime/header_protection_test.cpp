#include "mime/header_protection.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <fmt/format.h>

#include "mime/message_builder.h"
#include "mime/message_parser.h"
#include "testing/run_tool.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

namespace sealpost::mime {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::Pair;

EmailAddress Addr(const char* text) { return EmailAddress::Parse(text).value(); }

OutgoingMessage Secret() {
  OutgoingMessage m(Mailbox{"Alice", Addr("alice@sealpost.example")});
  m.to = {{"Bob", Addr("bob@partner.example")}};
  m.cc = {{"Carol", Addr("carol@partner.example")}};
  m.subject = "Übernahme von Acme: streng vertraulich";
  m.date = FromUnixMillis(int64_t{1764930000} * 1000);
  m.message_id = "hp1@sealpost.example";
  m.in_reply_to = "parent@partner.example";
  m.references = {"parent@partner.example"};
  m.text_body = "Der Preis steht fest.\n";
  m.html_body = "<p>Der Preis steht fest.</p>";
  m.attachments = {{"Angebot.pdf", "application/pdf", std::string("%PDF-1.7\n\0\1\2", 13)}};
  return m;
}

// What smime/ writes for an encrypted part (the body here is not real CMS: this layer does not
// look into it).
constexpr char kSmimePart[] =
    "Content-Type: application/pkcs7-mime; smime-type=authEnveloped-data;\n"
    " name=smime.p7m\n"
    "Content-Disposition: attachment; filename=smime.p7m\n"
    "Content-Transfer-Encoding: base64\n"
    "\n"
    "MIAGCyqGSIb3DQEJEAEXoIAwgAIBADGCAR8wggEbAgEAMIGCMH0xCzAJBgNVBAYT\n";

TEST(HeaderProtection, OuterHeadersAreTheTransportMinimum) {
  auto outer = BuildOuterHeaders(Secret());
  ASSERT_THAT(outer.status(), IsOk());
  EXPECT_THAT(*outer, HasSubstr("Subject: [...]\r\n"));
  EXPECT_THAT(*outer, HasSubstr("From: Alice <alice@sealpost.example>\r\n"));
  EXPECT_THAT(*outer, HasSubstr("To: Bob <bob@partner.example>\r\n"));
  EXPECT_THAT(*outer, HasSubstr("Cc: Carol <carol@partner.example>\r\n"));
  EXPECT_THAT(*outer, HasSubstr("Date: Fri, 05 Dec 2025 10:20:00 +0000\r\n"));
  EXPECT_THAT(*outer, HasSubstr("Message-Id: <hp1@sealpost.example>\r\n"));
  EXPECT_THAT(*outer, HasSubstr("MIME-Version: 1.0\r\n"));
  EXPECT_THAT(*outer, Not(HasSubstr("bernahme")));
  // Threading fields stay outside, so that mail programs thread the copy (hcp_baseline).
  EXPECT_THAT(*outer, HasSubstr("In-Reply-To: <parent@partner.example>\r\n"));
  EXPECT_THAT(*outer, HasSubstr("References: <parent@partner.example>\r\n"));
  EXPECT_THAT(*outer, Not(HasSubstr("\r\n\r\n")));  // the section only, no end
}

TEST(HeaderProtection, InnerCarriesHpCipherTheRealFieldsAndHpOuter) {
  auto inner = BuildProtectedInner(Secret());
  ASSERT_THAT(inner.status(), IsOk());
  EXPECT_THAT(*inner, HasSubstr("hp=cipher"));
  EXPECT_THAT(*inner, HasSubstr("HP-Outer: Subject: [...]\r\n"));
  EXPECT_THAT(*inner, HasSubstr("HP-Outer: From: Alice <alice@sealpost.example>\r\n"));
  EXPECT_THAT(*inner, HasSubstr("HP-Outer: Message-Id: <hp1@sealpost.example>\r\n"));
  EXPECT_THAT(*inner, Not(HasSubstr("HP-Outer: MIME-Version")));
  EXPECT_THAT(*inner, HasSubstr("In-Reply-To: <parent@partner.example>\r\n"));
  EXPECT_THAT(*inner, HasSubstr("HP-Outer: In-Reply-To: <parent@partner.example>\r\n"));
  EXPECT_THAT(*inner, HasSubstr("hp-legacy-display=1"));

  auto parsed = ParseMessage(*inner);
  ASSERT_THAT(parsed.status(), IsOk());
  EXPECT_EQ(parsed->header_protection, HeaderProtection::kCipher);
  EXPECT_EQ(parsed->subject, Secret().subject);
  EXPECT_EQ(parsed->in_reply_to, "parent@partner.example");
  EXPECT_THAT(parsed->hp_outer, Contains(Pair("Subject", "[...]")));
  EXPECT_THAT(parsed->hp_outer, Contains(Pair("To", "Bob <bob@partner.example>")));
  // The Legacy Display Element is for readers without RFC 9788; this one strips it.
  EXPECT_EQ(parsed->text_body, "Der Preis steht fest.\r\n");
  ASSERT_TRUE(parsed->html_body.has_value());
  EXPECT_THAT(*parsed->html_body, HasSubstr("header-protection-legacy-display"));
  ASSERT_EQ(parsed->attachments.size(), 1u);
  EXPECT_EQ(parsed->attachments[0].data, Secret().attachments[0].data);
}

TEST(HeaderProtection, LegacyDisplayEscapesHtml) {
  OutgoingMessage m = Secret();
  m.subject = "<script>alert(1)</script> & co";
  auto inner = BuildProtectedInner(m);
  ASSERT_THAT(inner.status(), IsOk());
  auto parsed = ParseMessage(*inner);
  ASSERT_THAT(parsed.status(), IsOk());
  EXPECT_THAT(*parsed->html_body, HasSubstr("&lt;script&gt;alert(1)&lt;/script&gt; &amp; co"));
  EXPECT_THAT(*parsed->html_body, Not(HasSubstr("<script>")));
}

TEST(HeaderProtection, WrapEncryptedMakesTheOuterMessage) {
  auto outer = WrapEncrypted(Secret(), kSmimePart);
  ASSERT_THAT(outer.status(), IsOk());
  EXPECT_THAT(*outer, HasSubstr("MIME-Version: 1.0\r\nContent-Type: application/pkcs7-mime;"));
  EXPECT_THAT(*outer, Not(HasSubstr("bernahme")));
  auto parsed_outer = ParseMessage(*outer);
  ASSERT_THAT(parsed_outer.status(), IsOk());
  EXPECT_EQ(parsed_outer->subject, "[...]");
  EXPECT_EQ(parsed_outer->header_protection, HeaderProtection::kNone);
  ASSERT_EQ(parsed_outer->attachments.size(), 1u);
  EXPECT_EQ(parsed_outer->attachments[0].content_type, "application/pkcs7-mime");

  // After decryption the protected fields win over the outer ones (RFC 9788: no merging).
  auto inner = BuildProtectedInner(Secret());
  ASSERT_THAT(inner.status(), IsOk());
  auto decrypted = ParseDecrypted(*outer, *inner);
  ASSERT_THAT(decrypted.status(), IsOk());
  EXPECT_EQ(decrypted->subject, Secret().subject);
  EXPECT_EQ(decrypted->header_protection, HeaderProtection::kCipher);
  EXPECT_EQ(decrypted->in_reply_to, "parent@partner.example");
}

// The shape pgp::WrapPgpMime(...).ToEntity() gives (RFC 3156 section 4).
TEST(HeaderProtection, WrapEncryptedTakesAPgpMimeEntity) {
  const std::string pgp_mime =
      "Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\";\r\n"
      " boundary=\"pgp-1\"\r\n"
      "\r\n"
      "--pgp-1\r\n"
      "Content-Type: application/pgp-encrypted\r\n"
      "\r\n"
      "Version: 1\r\n"
      "--pgp-1\r\n"
      "Content-Type: application/octet-stream; name=\"encrypted.asc\"\r\n"
      "\r\n"
      "-----BEGIN PGP MESSAGE-----\r\n\r\nhF4DAAAAAAAAAAASAQdA\r\n-----END PGP MESSAGE-----\r\n"
      "--pgp-1--\r\n";
  auto outer = WrapEncrypted(Secret(), pgp_mime);
  ASSERT_THAT(outer.status(), IsOk());
  auto parsed = ParseMessage(*outer);
  ASSERT_THAT(parsed.status(), IsOk());
  EXPECT_EQ(parsed->subject, "[...]");
  ASSERT_EQ(parsed->attachments.size(), 2u);
  EXPECT_EQ(parsed->attachments[0].content_type, "application/pgp-encrypted");
  EXPECT_THAT(parsed->attachments[1].data, HasSubstr("BEGIN PGP MESSAGE"));
}

TEST(HeaderProtection, WrapEncryptedMakesEveryLineEndCrlf) {
  // LF, CR, CRLF and a last line without an end: each becomes CRLF, nothing else changes.
  const std::string part =
      "Content-Type: application/pkcs7-mime\rContent-Transfer-Encoding: base64\n\r\n"
      "AAAA\r\rBBBB\n\nCC\r\nDD";
  auto outer = WrapEncrypted(Secret(), part);
  ASSERT_THAT(outer.status(), IsOk());
  auto headers = BuildOuterHeaders(Secret());
  ASSERT_THAT(headers.status(), IsOk());
  EXPECT_EQ(*outer, *headers +
                        "Content-Type: application/pkcs7-mime\r\nContent-Transfer-Encoding: "
                        "base64\r\n\r\nAAAA\r\n\r\nBBBB\r\n\r\nCC\r\nDD");
}

TEST(HeaderProtection, BuildProtectedIsBothInOnePass) {
  auto built = BuildProtected(Secret());
  ASSERT_THAT(built.status(), IsOk());
  auto headers = BuildOuterHeaders(Secret());
  ASSERT_THAT(headers.status(), IsOk());
  EXPECT_EQ(built->outer_headers, *headers);
  auto parsed = ParseMessage(built->payload);
  ASSERT_THAT(parsed.status(), IsOk());
  EXPECT_EQ(parsed->subject, Secret().subject);
  EXPECT_EQ(parsed->header_protection, HeaderProtection::kCipher);
  EXPECT_THAT(parsed->hp_outer, Contains(Pair("Subject", "[...]")));

  auto wrapped = WrapEncryptedWithHeaders(built->outer_headers, kSmimePart);
  ASSERT_THAT(wrapped.status(), IsOk());
  auto reference = WrapEncrypted(Secret(), kSmimePart);
  ASSERT_THAT(reference.status(), IsOk());
  EXPECT_EQ(*wrapped, *reference);
  EXPECT_THAT(WrapEncryptedWithHeaders(built->outer_headers, "X-Evil: 1\r\n\r\nAAAA").status(),
              StatusIs(ErrorCode::kInvalidArgument));
  // Bad fields are refused here as in BuildProtectedInner.
  OutgoingMessage bad = Secret();
  bad.subject = "a\r\nBcc: spy@evil.example";
  EXPECT_THAT(BuildProtected(bad).status(), StatusIs(ErrorCode::kInvalidArgument));
}

// Issue 12: a message to 1,000 recipients names each of them, in order, in the outer To field, in
// its HP-Outer record and in the payload's own To, as the plain message does (GMime is given each
// field's addresses in one step, internal::AddMailboxes, instead of re-encoding the field per
// address: a message to n recipients cost n² to build).
TEST(HeaderProtection, AThousandRecipientsAreEachListedInOrder) {
  OutgoingMessage m = Secret();
  m.to.clear();
  std::vector<std::string> expected;
  for (int i = 0; i < 1000; ++i) {
    expected.push_back(fmt::format("r{:04}@partner.example", i));
    m.to.push_back({i % 2 == 0 ? fmt::format("Reader {}", i) : "", Addr(expected.back().c_str())});
  }
  const auto addresses = [](const std::vector<ParsedMailbox>& boxes) {
    std::vector<std::string> out;
    for (const ParsedMailbox& b : boxes) out.push_back(b.address);
    return out;
  };
  auto built = BuildProtected(m);
  ASSERT_THAT(built.status(), IsOk());
  auto outer = ParseMessage(built->outer_headers + "\r\n");
  ASSERT_THAT(outer.status(), IsOk());
  EXPECT_EQ(addresses(outer->to), expected);
  auto inner = ParseMessage(built->payload);
  ASSERT_THAT(inner.status(), IsOk());
  EXPECT_EQ(addresses(inner->to), expected);
  size_t recorded = 0;
  for (const auto& [name, value] : inner->hp_outer) {
    if (name != "To") continue;
    for (size_t at = value.find("@partner.example"); at != std::string::npos;
         at = value.find("@partner.example", at + 1)) {
      ++recorded;
    }
  }
  EXPECT_EQ(recorded, expected.size());
  auto plain = BuildMessage(m);
  ASSERT_THAT(plain.status(), IsOk());
  auto parsed = ParseMessage(*plain);
  ASSERT_THAT(parsed.status(), IsOk());
  EXPECT_EQ(addresses(parsed->to), expected);
  EXPECT_EQ(parsed->to[0].display_name, "Reader 0");
}

TEST(HeaderProtection, WithoutProtectionTheOuterFieldsCount) {
  auto outer = WrapEncrypted(Secret(), kSmimePart);
  ASSERT_THAT(outer.status(), IsOk());
  const std::string payload =
      "Subject: inner subject, not protected\r\nContent-Type: text/plain\r\n\r\nbody\r\n";
  auto decrypted = ParseDecrypted(*outer, payload);
  ASSERT_THAT(decrypted.status(), IsOk());
  EXPECT_EQ(decrypted->subject, "[...]");
  EXPECT_EQ(decrypted->header_protection, HeaderProtection::kNone);
  EXPECT_EQ(decrypted->text_body, "body\r\n");
  ASSERT_EQ(decrypted->from.size(), 1u);
  EXPECT_EQ(decrypted->from[0].address, "alice@sealpost.example");
}

TEST(HeaderProtection, WrapEncryptedRefusesWhatIsNotOneContentEntity) {
  const OutgoingMessage m = Secret();
  EXPECT_THAT(WrapEncrypted(m, "Content-Transfer-Encoding: base64\r\n\r\nAAAA\r\n").status(),
              StatusIs(ErrorCode::kInvalidArgument));  // no Content-Type
  EXPECT_THAT(WrapEncrypted(
                  m, "Content-Type: application/pkcs7-mime\r\nBcc: eve@evil.example\r\n\r\nAA\r\n")
                  .status(),
              StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(WrapEncrypted(m, "Content-Type: application/pkcs7-mime\r\nAAAA").status(),
              StatusIs(ErrorCode::kInvalidArgument));  // no end of the header section
  EXPECT_THAT(WrapEncrypted(m, "").status(), StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(WrapEncrypted(m, " x\r\nContent-Type: application/pkcs7-mime\r\n\r\nAA\r\n").status(),
              StatusIs(ErrorCode::kInvalidArgument));  // starts folded
  // A folded Content-Type is fine; LF line ends become CRLF.
  auto folded = WrapEncrypted(m, "Content-Type: application/pkcs7-mime;\n name=smime.p7m\n\nAA\n");
  ASSERT_THAT(folded.status(), IsOk());
  EXPECT_THAT(*folded,
              HasSubstr("Content-Type: application/pkcs7-mime;\r\n name=smime.p7m\r\n\r\nAA\r\n"));
}

TEST(HeaderProtection, BccCopyNamesNobodyOutside) {
  OutgoingMessage m = Secret();
  m.to.clear();
  m.cc.clear();
  m.bcc_self = Mailbox{"Dave", Addr("dave@partner.example")};
  auto outer = BuildOuterHeaders(m);
  ASSERT_THAT(outer.status(), IsOk());
  EXPECT_THAT(*outer, HasSubstr("To: undisclosed-recipients: ;\r\n"));
  EXPECT_THAT(*outer, Not(HasSubstr("dave")));
  auto inner = BuildProtectedInner(m);
  ASSERT_THAT(inner.status(), IsOk());
  EXPECT_THAT(*inner, HasSubstr("Bcc: Dave <dave@partner.example>\r\n"));
}

TEST(HeaderProtection, RefusesInjectionLikeTheBuilder) {
  OutgoingMessage m = Secret();
  m.subject = "x\r\nBcc: eve@evil.example";
  EXPECT_THAT(BuildProtectedInner(m).status(), StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(BuildOuterHeaders(m).status(), StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(WrapEncrypted(m, kSmimePart).status(), StatusIs(ErrorCode::kInvalidArgument));
}

// Python's email package reads the outer message and the payload independently.
constexpr char kPythonCheck[] = R"PY(
import email, email.policy, sys
outer = email.message_from_binary_file(open(sys.argv[1], 'rb'), policy=email.policy.default)
inner = email.message_from_binary_file(open(sys.argv[2], 'rb'), policy=email.policy.default)
print('outer-subject=' + str(outer['subject']))
print('outer-type=' + outer.get_content_type())
print('outer-smime-type=' + str(outer.get_param('smime-type')))
print('inner-subject=' + str(inner['subject']))
print('inner-hp=' + str(inner.get_param('hp')))
print('hp-outer=' + ' | '.join(str(v) for v in inner.get_all('HP-Outer')))
for part in inner.walk():
    if part.get_content_type() == 'text/plain':
        print('legacy=%s %r' % (part.get_param('hp-legacy-display'), part.get_content()))
print('defects=%d' % (sum(len(p.defects) for p in outer.walk()) +
                      sum(len(p.defects) for p in inner.walk())))
)PY";

TEST(HeaderProtection, PythonEmailReadsOuterAndInner) {
  auto outer = WrapEncrypted(Secret(), kSmimePart);
  auto inner = BuildProtectedInner(Secret());
  ASSERT_THAT(outer.status(), IsOk());
  ASSERT_THAT(inner.status(), IsOk());
  testutil::TempDir dir;
  const std::string outer_path = testutil::WriteTestFile(dir.path(), "outer.eml", *outer);
  const std::string inner_path = testutil::WriteTestFile(dir.path(), "inner.eml", *inner);
  const testutil::ToolResult r =
      testutil::RunTool({"python3", "-c", kPythonCheck, outer_path, inner_path}, dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.output();
  EXPECT_THAT(r.out, HasSubstr("outer-subject=[...]\n"));
  EXPECT_THAT(r.out, HasSubstr("outer-type=application/pkcs7-mime\n"));
  EXPECT_THAT(r.out, HasSubstr("outer-smime-type=authEnveloped-data\n"));
  EXPECT_THAT(r.out, HasSubstr("inner-subject=" + Secret().subject + "\n"));
  EXPECT_THAT(r.out, HasSubstr("inner-hp=cipher\n"));
  EXPECT_THAT(r.out, HasSubstr("Subject: [...]"));
  EXPECT_THAT(r.out, HasSubstr("legacy=1 'Subject: " + Secret().subject +
                               "\\n\\nDer Preis steht fest.\\n'"));
  EXPECT_THAT(r.out, HasSubstr("defects=0\n"));
}

}  // namespace
}  // namespace sealpost::mime
