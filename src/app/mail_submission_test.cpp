// Mail submitted by a mail program (app/mail_submission.h): real MIME in, read back through
// Mailbox as the recipient; the policy's relay path through the outbound queue; bad input and a
// failing store leave nothing behind.
#include "app/mail_submission.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "app/app_test_fixture.h"
#include "app/mailbox.h"
#include "core/encoding.h"
#include "crypto/hash.h"
#include "crypto/security_policy.h"
#include "mime/message_builder.h"
#include "testing/peak_memory.h"

namespace sealpost::app {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

std::string Crlf(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\n') out += '\r';
    out += c;
  }
  return out;
}

class MailSubmissionTest : public AppTest {
 protected:
  void SetUp() override {
    alice_totp_ = Enrol("alice@example.org");
    bob_totp_ = Enrol("bob@example.org");
    alice_.emplace(LoggedIn("alice@example.org", alice_totp_));
    bob_.emplace(LoggedIn("bob@example.org", bob_totp_));
    Configure({});
  }

  void Configure(SubmissionConfig config) {
    config.spool_directory = SpoolDir();
    auto made = MailSubmission::Create(services_, std::move(config));
    ASSERT_THAT(made.status(), IsOk());
    submission_ = std::move(*made);
  }

  std::string SpoolDir() const { return dir_.path() + "/spool"; }

  size_t SpoolFiles() const {
    if (!std::filesystem::exists(SpoolDir())) return 0;
    size_t n = 0;
    for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(SpoolDir())) ++n;
    return n;
  }

  // Submits `message` in 1000-byte pieces, as an SMTP session hands them over.
  Result<SubmissionOutcome> Submit(const std::string& message,
                                   std::vector<std::string> recipients = {"bob@example.org"},
                                   const std::string& from = "alice@example.org") {
    auto spooled = submission_->BeginMessage();
    if (!spooled.ok()) return spooled.status();
    for (size_t at = 0; at < message.size(); at += 1000) {
      SP_RETURN_IF_ERROR((*spooled)->Append(std::string_view(message).substr(at, 1000)));
    }
    return submission_->Submit(*alice_, {from, std::move(recipients)}, **spooled);
  }

  std::vector<ListedMessage> Inbox(const AuthContext& who) {
    auto page = mailbox_.List(who, store::Folder::kInbox, "", 100);
    EXPECT_THAT(page.status(), IsOk());
    return page.ok() ? page->items : std::vector<ListedMessage>{};
  }

  MessageView ReadOnly(const AuthContext& who) {
    const auto inbox = Inbox(who);
    EXPECT_EQ(inbox.size(), 1u);
    if (inbox.empty()) return {};
    auto view = mailbox_.Read(who, inbox[0].id.str());
    EXPECT_THAT(view.status(), IsOk());
    return view.ok() ? *view : MessageView{};
  }

  std::string Attachment(const AuthContext& who, const MessageId& id, int index) {
    auto download = mailbox_.OpenAttachment(who, id.str(), index);
    EXPECT_THAT(download.status(), IsOk());
    if (!download.ok()) return "";
    std::string out;
    std::vector<uint8_t> buf(65536);
    while (true) {
      auto n = download->reader->Read(buf);
      EXPECT_THAT(n.status(), IsOk());
      if (!n.ok() || *n == 0) break;
      out.append(reinterpret_cast<const char*>(buf.data()), *n);
    }
    return out;
  }

  std::string alice_totp_, bob_totp_;
  std::optional<AuthContext> alice_, bob_;
  std::unique_ptr<MailSubmission> submission_;
  Mailbox mailbox_{services_};
};

// What Thunderbird sends for an HTML message with an inline image and a PDF.
const char* kThunderbirdMessage = R"(From: Alice <alice@example.org>
To: Bob <bob@example.org>
Subject: =?UTF-8?Q?Quartalsbericht_f=C3=BCr_M=C3=A4rz?=
Message-ID: <1d2c3b4a@example.org>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="mixed"

--mixed
Content-Type: multipart/alternative; boundary="alt"

--alt
Content-Type: text/plain; charset=UTF-8
Content-Transfer-Encoding: quoted-printable

Gr=C3=BC=C3=9Fe, see the chart.

--alt
Content-Type: multipart/related; boundary="rel"

--rel
Content-Type: text/html; charset=UTF-8

<p>Gr&uuml;&szlig;e, see the chart: <img src="cid:chart@x"></p>
--rel
Content-Type: image/png
Content-Transfer-Encoding: base64
Content-ID: <chart@x>
Content-Disposition: inline

iVBORw0KGgo=
--rel--

--alt--

--mixed
Content-Type: application/pdf; name="=?UTF-8?B?QmVyaWNodCBNw6RyeiAucGRm?="
Content-Transfer-Encoding: base64
Content-Disposition: attachment; filename*=UTF-8''Bericht%20M%C3%A4rz.pdf

JVBERi0xLjQK
--mixed--
)";

TEST_F(MailSubmissionTest, ThunderbirdMessageArrivesAsTheRecipientReadsItInSealpost) {
  auto outcome = Submit(Crlf(kThunderbirdMessage));
  ASSERT_THAT(outcome.status(), IsOk());
  EXPECT_EQ(outcome->kind, SubmissionOutcome::Kind::kSentSecurely);
  EXPECT_EQ(outcome->marked_by, "policy");
  ASSERT_TRUE(outcome->message_id);

  const MessageView view = ReadOnly(*bob_);
  EXPECT_EQ(view.header.id, *outcome->message_id);
  EXPECT_EQ(view.header.from_email, "alice@example.org");
  EXPECT_THAT(view.header.to, ElementsAre("bob@example.org"));
  EXPECT_EQ(view.header.subject, "Quartalsbericht für März");
  EXPECT_EQ(view.header.seal, SealState::kValid);
  EXPECT_EQ(view.body.text, "Grüße, see the chart.\n");
  EXPECT_THAT(view.body.html, HasSubstr("<img src=\"cid:chart@x\">"));
  ASSERT_EQ(view.attachments.size(), 2u);
  EXPECT_EQ(view.attachments[0].content_type, "image/png");
  EXPECT_EQ(view.attachments[0].name, "attachment-1.png");
  EXPECT_EQ(view.attachments[1].content_type, "application/pdf");
  EXPECT_EQ(view.attachments[1].name, "Bericht März.pdf");
  EXPECT_EQ(Attachment(*bob_, view.header.id, 0), std::string("\x89PNG\r\n\x1a\n", 8));
  EXPECT_EQ(Attachment(*bob_, view.header.id, 1), "%PDF-1.4\n");
  // Alice's Sent holds it too; the spool is gone.
  auto sent = mailbox_.List(*alice_, store::Folder::kSent, "", 10);
  ASSERT_THAT(sent.status(), IsOk());
  EXPECT_EQ(sent->items.size(), 1u);
  EXPECT_EQ(SpoolFiles(), 0u);
}

TEST_F(MailSubmissionTest, MessageBuiltByTheMimeBuilderRoundTrips) {
  mime::OutgoingMessage m({"Alice", *EmailAddress::Parse("alice@example.org")});
  m.to.push_back({"Bob", *EmailAddress::Parse("bob@example.org")});
  m.subject = "Ünïcödé ✓ subject";
  m.date = clock_.Now();
  m.message_id = "abc@example.org";
  m.text_body = "line one\nline two\n";
  m.html_body = "<p>line one</p>";
  m.attachments.push_back({"data.bin", "application/octet-stream", std::string("\0\1\2\xff", 4)});
  auto bytes = mime::BuildMessage(m);
  ASSERT_THAT(bytes.status(), IsOk());
  ASSERT_THAT(Submit(*bytes).status(), IsOk());
  const MessageView view = ReadOnly(*bob_);
  EXPECT_EQ(view.header.subject, m.subject);
  EXPECT_EQ(view.body.text, m.text_body);
  EXPECT_EQ(view.body.html, *m.html_body);
  ASSERT_EQ(view.attachments.size(), 1u);
  EXPECT_EQ(view.attachments[0].name, "data.bin");
  EXPECT_EQ(Attachment(*bob_, view.header.id, 0), m.attachments[0].data);
}

TEST_F(MailSubmissionTest, EncodedWordsCannotInjectHeadersOrRecipients) {
  const std::string message = Crlf(
      "From: alice@example.org\n"
      "To: bob@example.org\n"
      "Subject: =?UTF-8?Q?Hello=0D=0ABcc:_mallory@evil.example?=\n"
      "\n"
      "Body\n");
  ASSERT_THAT(Submit(message).status(), IsOk());
  const MessageView view = ReadOnly(*bob_);
  EXPECT_THAT(view.header.subject, Not(HasSubstr("\n")));
  EXPECT_THAT(view.header.subject, Not(HasSubstr("\r")));
  EXPECT_THAT(view.header.to, ElementsAre("bob@example.org"));
  // Nothing went anywhere else.
  DeliverQueuedMail();
  for (const auto& mail : mailer_.sent) EXPECT_NE(mail.to.str(), "mallory@evil.example");
}

TEST_F(MailSubmissionTest, BccRecipientsGetTheirOwnCopyAndStayHidden) {
  const std::string carol_totp = Enrol("carol@example.org");
  const std::string dave_totp = Enrol("dave@example.org");
  const AuthContext carol = LoggedIn("carol@example.org", carol_totp);
  const AuthContext dave = LoggedIn("dave@example.org", dave_totp);
  const std::string message = Crlf(
      "From: alice@example.org\nTo: bob@example.org\nCc: carol@example.org\n"
      "Bcc: dave@example.org\nSubject: Board minutes\n\nAttached.\n");
  auto outcome = Submit(
      message, {"bob@example.org", "carol@example.org", "dave@example.org", "BOB@example.org"});
  ASSERT_THAT(outcome.status(), IsOk());
  const MessageView bob = ReadOnly(*bob_);
  EXPECT_EQ(bob.header.id, *outcome->message_id);
  EXPECT_THAT(bob.header.to, ElementsAre("bob@example.org"));
  EXPECT_THAT(bob.header.cc, ElementsAre("carol@example.org"));
  EXPECT_TRUE(bob.header.bcc.empty());
  const MessageView copied = ReadOnly(carol);
  EXPECT_EQ(copied.header.id, bob.header.id);
  EXPECT_THAT(copied.header.cc, ElementsAre("carol@example.org"));
  const MessageView hidden = ReadOnly(dave);
  EXPECT_NE(hidden.header.id, bob.header.id);
  EXPECT_TRUE(hidden.header.to.empty());
  EXPECT_TRUE(hidden.header.cc.empty());
  EXPECT_THAT(hidden.header.bcc, ElementsAre("dave@example.org"));
  EXPECT_EQ(hidden.header.subject, "Board minutes");
  EXPECT_EQ(Inbox(*bob_).size(), 1u);  // BOB@ is the same recipient
}

TEST_F(MailSubmissionTest, SenderMustBeTheMember) {
  EXPECT_THAT(submission_->CheckSender(*alice_, "alice@example.org"), IsOk());
  EXPECT_THAT(submission_->CheckSender(*alice_, "Alice@EXAMPLE.org"), IsOk());
  EXPECT_THAT(submission_->CheckSender(*alice_, "bob@example.org"),
              StatusIs(ErrorCode::kPermissionDenied));
  EXPECT_THAT(submission_->CheckSender(*alice_, ""), StatusIs(ErrorCode::kPermissionDenied));
  auto outcome = Submit(Crlf("Subject: x\n\nhi\n"), {"bob@example.org"}, "bob@example.org");
  EXPECT_THAT(outcome.status(), StatusIs(ErrorCode::kPermissionDenied));
  EXPECT_TRUE(Inbox(*bob_).empty());
}

TEST_F(MailSubmissionTest, GuestsGetGeneratedCodesDeliveredToTheSendersInbox) {
  const std::string message =
      Crlf("From: alice@example.org\nTo: guest@outside.example\nSubject: Loan\n\nSee attached.\n");
  auto outcome = Submit(message, {"guest@outside.example"});
  ASSERT_THAT(outcome.status(), IsOk());
  EXPECT_THAT(outcome->generated_muc_for, ElementsAre("guest@outside.example"));
  // The codes are in Alice's own inbox, sealed; no clear e-mail carries them.
  const MessageView notice = ReadOnly(*alice_);
  EXPECT_EQ(notice.header.subject, "Unlock codes for your message \"Loan\"");
  EXPECT_THAT(notice.body.text, HasSubstr("guest@outside.example: "));
  const size_t at = notice.body.text.find("guest@outside.example: ") + 23;
  const std::string code = notice.body.text.substr(at, notice.body.text.find('\n', at) - at);
  EXPECT_GE(code.size(), 6u);
  DeliverQueuedMail();
  ASSERT_FALSE(mailer_.sent.empty());  // the guest's notification
  for (const auto& mail : mailer_.sent) {
    EXPECT_THAT(mail.text, Not(HasSubstr(code)));
    EXPECT_THAT(mail.html, Not(HasSubstr(code)));
  }
}

TEST_F(MailSubmissionTest, InReplyToKeepsTheThreadOnlyForAMessageTheMemberCanRead) {
  // Bob writes to Alice in Sealpost; Alice answers from her mail program.
  auto original = mailbox_.Send(*bob_, {{"alice@example.org"}, "Question", "?", ""});
  ASSERT_THAT(original.status(), IsOk());
  const std::string reply = Crlf(
      "From: alice@example.org\nTo: bob@example.org\nSubject: Re: "
      "Question\nIn-Reply-To: <" +
      original->str() + "@sealpost.example>\n\nAnswer\n");
  ASSERT_THAT(Submit(reply).status(), IsOk());
  MessageView view = ReadOnly(*bob_);
  EXPECT_EQ(view.header.in_reply_to, original->str());

  // A Message-ID Sealpost does not know is dropped, the message still goes.
  auto other =
      Submit(Crlf("To: bob@example.org\nSubject: B\nIn-Reply-To: "
                  "<CAFoo123@mail.gmail.com>\n\nx\n"));
  ASSERT_THAT(other.status(), IsOk());
  auto read = mailbox_.Read(*bob_, other->message_id->str());
  ASSERT_THAT(read.status(), IsOk());
  EXPECT_EQ(read->header.in_reply_to, "");
}

TEST_F(MailSubmissionTest, TagPolicyRelaysUntaggedMailUnchangedAndSendsTaggedMailSecurely) {
  SubmissionConfig config;
  config.policy = SubmissionPolicy::kTag;
  Configure(config);
  DeliverQueuedMail();
  mailer_.sent.clear();  // the enrolments' mail
  const std::string plain = Crlf(
      "From: alice@example.org\nTo: partner@outside.example\nBcc: hidden@outside.example\n"
      "Subject: Lunch\n\nNoon?\n");
  auto relayed = Submit(plain, {"partner@outside.example", "hidden@outside.example"});
  ASSERT_THAT(relayed.status(), IsOk());
  EXPECT_EQ(relayed->kind, SubmissionOutcome::Kind::kRelayed);
  EXPECT_FALSE(relayed->message_id);
  DeliverQueuedMail();
  ASSERT_EQ(mailer_.sent.size(), 2u);
  const std::string expected =
      Crlf("From: alice@example.org\nTo: partner@outside.example\nSubject: Lunch\n\nNoon?\n");
  std::set<std::string> to;
  for (const auto& mail : mailer_.sent) {
    EXPECT_EQ(mail.raw, expected);
    to.insert(mail.to.str());
  }
  EXPECT_EQ(to, (std::set<std::string>{"hidden@outside.example", "partner@outside.example"}));

  auto secure = Submit(Crlf("To: bob@example.org\nSubject: [SECURE] Salary\n\nNumbers\n"));
  ASSERT_THAT(secure.status(), IsOk());
  EXPECT_EQ(secure->kind, SubmissionOutcome::Kind::kSentSecurely);
  EXPECT_EQ(secure->marked_by, "tag");
  EXPECT_EQ(ReadOnly(*bob_).header.subject, "Salary");
}

// 8BITMIME mail need not be UTF-8: the queue keeps its bytes exactly (JSON holds only text).
TEST_F(MailSubmissionTest, RelayedEightBitMailKeepsItsBytesAndAFailedQueueKeepsNothing) {
  SubmissionConfig config;
  config.policy = SubmissionPolicy::kTag;
  Configure(config);
  DeliverQueuedMail();
  mailer_.sent.clear();
  const std::string latin1 = Crlf(
      "To: partner@outside.example\nSubject: Caf\xe9\nContent-Type: text/plain; "
      "charset=ISO-8859-1\nContent-Transfer-Encoding: 8bit\n\nCr\xe8"
      "me br\xfb"
      "l\xe9"
      "e\n");
  faults_.FailWrites(Unavailable("injected"));
  EXPECT_THAT(Submit(latin1, {"partner@outside.example"}).status(),
              StatusIs(ErrorCode::kUnavailable));
  faults_.StopFailing();
  DeliverQueuedMail();
  EXPECT_TRUE(mailer_.sent.empty());

  ASSERT_THAT(Submit(latin1, {"partner@outside.example"}).status(), IsOk());
  DeliverQueuedMail();
  ASSERT_EQ(mailer_.sent.size(), 1u);
  EXPECT_EQ(mailer_.sent[0].raw, latin1);
  EXPECT_EQ(mailer_.sent[0].to.str(), "partner@outside.example");
}

TEST_F(MailSubmissionTest, RulesPolicyMarksAnIbanButNotAnOrdinaryNumber) {
  SubmissionConfig config;
  config.policy = SubmissionPolicy::kRules;
  config.rules.ready = {"iban", "card", "ssn"};
  Configure(config);
  auto plain = Submit(Crlf("To: bob@example.org\nSubject: Order\n\nOrder 12345, thanks\n"));
  ASSERT_THAT(plain.status(), IsOk());
  EXPECT_EQ(plain->kind, SubmissionOutcome::Kind::kRelayed);
  EXPECT_TRUE(Inbox(*bob_).empty());

  auto iban =
      Submit(Crlf("To: bob@example.org\nSubject: Invoice\n\n"
                  "Please pay to GB82 WEST 1234 5698 7654 32.\n"));
  ASSERT_THAT(iban.status(), IsOk());
  EXPECT_EQ(iban->kind, SubmissionOutcome::Kind::kSentSecurely);
  EXPECT_EQ(iban->marked_by, "iban");
  EXPECT_EQ(Inbox(*bob_).size(), 1u);
}

// Each sender's domain's policy decides (app/smtp_policies.h): a.example keeps its own "tag"
// policy, example.org takes the instance default ("all"), and clearing a.example's brings the
// default back at once.
TEST_F(MailSubmissionTest, TheSendersDomainPolicyDecides) {
  const AuthContext root = BootstrapAdminSession();
  const std::string dave_totp = Enrol("dave@a.example");
  const AuthContext dave = LoggedIn("dave@a.example", dave_totp);
  auto admin = SmtpPolicies::Create(services_, {});
  ASSERT_THAT(admin.status(), IsOk());
  GatewayPolicy tag;
  tag.mode = SubmissionPolicy::kTag;
  tag.tag = "[enc]";
  ASSERT_THAT((*admin)->Set(root, "a.example", tag).status(), IsOk());
  DeliverQueuedMail();
  mailer_.sent.clear();

  auto submit_as = [&](const AuthContext& who, const std::string& from,
                       const std::string& subject) -> Result<SubmissionOutcome> {
    auto spooled = submission_->BeginMessage();
    if (!spooled.ok()) return spooled.status();
    SP_RETURN_IF_ERROR((*spooled)->Append(
        Crlf("To: partner@outside.example\nSubject: " + subject + "\n\nHello\n")));
    return submission_->Submit(who, {from, {"partner@outside.example"}}, **spooled);
  };
  auto untagged = submit_as(dave, "dave@a.example", "Lunch");
  ASSERT_THAT(untagged.status(), IsOk());
  EXPECT_EQ(untagged->kind, SubmissionOutcome::Kind::kRelayed);
  auto tagged = submit_as(dave, "dave@a.example", "[ENC] Salary");
  ASSERT_THAT(tagged.status(), IsOk());
  EXPECT_EQ(tagged->kind, SubmissionOutcome::Kind::kSentSecurely);
  EXPECT_EQ(tagged->marked_by, "tag");
  // The instance's "[secure]" tag means nothing to a.example's policy.
  auto other_tag = submit_as(dave, "dave@a.example", "[secure] Salary");
  ASSERT_THAT(other_tag.status(), IsOk());
  EXPECT_EQ(other_tag->kind, SubmissionOutcome::Kind::kRelayed);

  auto alices = submit_as(*alice_, "alice@example.org", "Lunch");
  ASSERT_THAT(alices.status(), IsOk());
  EXPECT_EQ(alices->kind, SubmissionOutcome::Kind::kSentSecurely);
  EXPECT_EQ(alices->marked_by, "policy");

  ASSERT_THAT((*admin)->Clear(root, "a.example"), IsOk());
  auto after = submit_as(dave, "dave@a.example", "Lunch");
  ASSERT_THAT(after.status(), IsOk());
  EXPECT_EQ(after->kind, SubmissionOutcome::Kind::kSentSecurely);
  DeliverQueuedMail();
  // Only the two relayed messages went out in the clear (the rest are pickup notices).
  const auto clear = std::count_if(mailer_.sent.begin(), mailer_.sent.end(), [](const auto& m) {
    return m.raw.find("Hello") != std::string::npos;
  });
  EXPECT_EQ(clear, 2);
}

TEST_F(MailSubmissionTest, MimeBombIsRefusedCleanlyAndNothingIsKept) {
  std::string bomb = "To: bob@example.org\r\nSubject: bomb\r\nMIME-Version: 1.0\r\n";
  for (int i = 0; i < 1000; ++i) {
    bomb += "Content-Type: multipart/mixed; boundary=\"b" + std::to_string(i) + "\"\r\n\r\n--b" +
            std::to_string(i) + "\r\n";
  }
  bomb += "Content-Type: text/plain\r\n\r\nboom\r\n";
  const size_t blobs_before = BlobFiles();
  auto outcome = Submit(bomb);
  EXPECT_THAT(outcome.status(), StatusIs(ErrorCode::kTooLarge));
  EXPECT_FALSE(outcome.status().client_text().empty());
  EXPECT_TRUE(Inbox(*bob_).empty());
  EXPECT_EQ(BlobFiles(), blobs_before);
  EXPECT_EQ(SpoolFiles(), 0u);

  // 600 attachments: more parts than the parser reads.
  std::string wide =
      "To: bob@example.org\r\nSubject: wide\r\nMIME-Version: 1.0\r\n"
      "Content-Type: multipart/mixed; boundary=\"w\"\r\n\r\n";
  for (int i = 0; i < 600; ++i) wide += "--w\r\nContent-Type: text/plain\r\n\r\nx\r\n";
  wide += "--w--\r\n";
  EXPECT_THAT(Submit(wide).status(), StatusIs(ErrorCode::kTooLarge));
  EXPECT_TRUE(Inbox(*bob_).empty());
  EXPECT_EQ(BlobFiles(), blobs_before);
}

TEST_F(MailSubmissionTest, TooManyAttachmentsForASendAreRefusedBeforeAnyUpload) {
  std::string many =
      "To: bob@example.org\r\nSubject: many\r\nMIME-Version: 1.0\r\n"
      "Content-Type: multipart/mixed; boundary=\"w\"\r\n\r\n--w\r\n"
      "Content-Type: text/plain\r\n\r\nbody\r\n";
  for (int i = 0; i < 101; ++i) {
    many +=
        "--w\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; "
        "filename=\"f" +
        std::to_string(i) + "\"\r\n\r\nx\r\n";
  }
  many += "--w--\r\n";
  const size_t blobs_before = BlobFiles();
  EXPECT_THAT(Submit(many).status(), StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_EQ(BlobFiles(), blobs_before);
}

TEST_F(MailSubmissionTest, MessageOverTheLimitIsRefusedWhileStreaming) {
  SubmissionConfig config;
  config.max_message_bytes = 10'000;
  config.spool_memory_bytes = 0;  // a file from the start, to see it go
  Configure(config);
  auto spooled = submission_->BeginMessage();
  ASSERT_THAT(spooled.status(), IsOk());
  EXPECT_EQ(SpoolFiles(), 1u);
  EXPECT_THAT((*spooled)->Append(std::string(9'000, 'a')), IsOk());
  EXPECT_THAT((*spooled)->Append(std::string(2'000, 'a')), StatusIs(ErrorCode::kTooLarge));
  EXPECT_THAT(
      submission_->Submit(*alice_, {"alice@example.org", {"bob@example.org"}}, **spooled).status(),
      StatusIs(ErrorCode::kTooLarge));
  spooled->reset();
  EXPECT_EQ(SpoolFiles(), 0u);
}

// A small message never touches the disk before it is sent: no spool file at any point.
TEST_F(MailSubmissionTest, SmallMessagesAreSpooledInMemory) {
  auto spooled = submission_->BeginMessage();
  ASSERT_THAT(spooled.status(), IsOk());
  ASSERT_THAT((*spooled)->Append(Crlf(kThunderbirdMessage)), IsOk());
  EXPECT_EQ(SpoolFiles(), 0u);
  EXPECT_THAT(
      submission_->Submit(*alice_, {"alice@example.org", {"bob@example.org"}}, **spooled).status(),
      IsOk());
  EXPECT_EQ(SpoolFiles(), 0u);
  EXPECT_EQ(Inbox(*bob_).size(), 1u);
}

TEST_F(MailSubmissionTest, SpoolHoldsNoClearText) {
  SubmissionConfig config;
  config.spool_memory_bytes = 100'000;  // the message below passes it: it spills into a file
  Configure(config);
  auto spooled = submission_->BeginMessage();
  ASSERT_THAT(spooled.status(), IsOk());
  const std::string secret = "IBAN GB82 WEST 1234 5698 7654 32 belongs to the client";
  std::string message = "To: bob@example.org\r\nSubject: s\r\n\r\n";
  for (int i = 0; i < 3000; ++i) message += secret + "\r\n";  // several chunks
  ASSERT_THAT((*spooled)->Append(message), IsOk());
  ASSERT_EQ(SpoolFiles(), 1u);
  const auto file = std::filesystem::directory_iterator(SpoolDir())->path();
  auto content = platform::ReadSmallFile(platform::DefaultFilesystem(), file.string(), 1 << 24);
  ASSERT_THAT(content.status(), IsOk());
  EXPECT_GT(content->size(), 100'000u);
  EXPECT_EQ(content->find("GB82"), std::string::npos);
  EXPECT_THAT(
      submission_->Submit(*alice_, {"alice@example.org", {"bob@example.org"}}, **spooled).status(),
      IsOk());
  EXPECT_THAT(ReadOnly(*bob_).body.text, HasSubstr(secret));
}

TEST_F(MailSubmissionTest, FailingStoreKeepsNothing) {
  const size_t blobs_before = BlobFiles();
  faults_.FailWrites(Unavailable("injected"));
  auto outcome = Submit(Crlf(kThunderbirdMessage));
  EXPECT_THAT(outcome.status(), StatusIs(ErrorCode::kUnavailable));
  faults_.StopFailing();
  EXPECT_TRUE(Inbox(*bob_).empty());
  EXPECT_EQ(BlobFiles(), blobs_before);
  EXPECT_EQ(SpoolFiles(), 0u);
  // And the next one goes.
  EXPECT_THAT(Submit(Crlf(kThunderbirdMessage)).status(), IsOk());
}

TEST_F(MailSubmissionTest, SpoolsLeftByACrashAreSweptAtStart) {
  SubmissionConfig config;
  config.spool_memory_bytes = 0;
  Configure(config);
  auto left = submission_->BeginMessage();
  ASSERT_THAT(left.status(), IsOk());
  ASSERT_THAT((*left)->Append("To: bob@example.org\r\n\r\nhalf"), IsOk());
  ASSERT_EQ(SpoolFiles(), 1u);
  std::filesystem::copy_file(std::filesystem::directory_iterator(SpoolDir())->path(),
                             SpoolDir() + "/0123.spool");
  std::ofstream(SpoolDir() + "/keep.txt") << "not a spool";
  left->reset();
  ASSERT_EQ(SpoolFiles(), 2u);
  Configure({});
  EXPECT_EQ(SpoolFiles(), 1u);  // keep.txt
}

// Pseudo-random bytes (incompressible, reproducible): byte i of a generated attachment.
uint8_t GeneratedByte(uint64_t i) {
  uint64_t x = (i / 8 + 1) * 0x9E3779B97F4A7C15ull;
  x ^= x >> 31;
  x *= 0xBF58476D1CE4E5B9ull;
  x ^= x >> 29;
  return static_cast<uint8_t>(x >> (8 * (i % 8)));
}

// 100 MiB, the upload limit, as a mail program sends it (base64, 76-character lines: 137 MiB):
// spooled as it is made (never whole in memory here either), then parsed where it lies and
// decoded straight into the blob in bounded memory; the recipient reads every byte back.
TEST_F(MailSubmissionTest, HundredMebibyteAttachmentStreamsIntoItsBlobInBoundedMemory) {
  const uint64_t attachment_bytes = services_.config.limits.max_upload_bytes;
  ASSERT_GE(attachment_bytes, 100ull << 20);
  auto spooled = submission_->BeginMessage();
  ASSERT_THAT(spooled.status(), IsOk());
  ASSERT_THAT(
      (*spooled)->Append("From: Alice <alice@example.org>\r\nTo: Bob <bob@example.org>\r\n"
                         "Subject: =?UTF-8?Q?Gro=C3=9Fe_Datei?=\r\nMIME-Version: 1.0\r\n"
                         "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
                         "--b\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\nsee attached\r\n"
                         "--b\r\nContent-Type: application/octet-stream\r\n"
                         "Content-Disposition: attachment; filename=\"big.bin\"\r\n"
                         "Content-Transfer-Encoding: base64\r\n\r\n"),
      IsOk());
  crypto::Sha256Hasher original;
  constexpr uint64_t kLine = 57;  // raw bytes per 76-character line
  Bytes raw;
  std::string encoded;
  for (uint64_t at = 0; at < attachment_bytes;) {
    raw.clear();
    encoded.clear();
    for (int line = 0; line < 1000 && at < attachment_bytes; ++line) {
      const uint64_t n = std::min(kLine, attachment_bytes - at);
      const size_t first = raw.size();
      for (uint64_t i = 0; i < n; ++i) raw.push_back(GeneratedByte(at + i));
      encoded += Base64Encode(ByteView(raw.data() + first, n)) + "\r\n";
      at += n;
    }
    original.Update(raw);
    ASSERT_THAT((*spooled)->Append(encoded), IsOk());
  }
  ASSERT_THAT((*spooled)->Append("--b--\r\n"), IsOk());
  ASSERT_GT((*spooled)->size(), attachment_bytes * 4 / 3);
  std::string().swap(encoded);

  Result<SubmissionOutcome> outcome = Internal("not run");
  const int64_t growth = testutil::PeakRssGrowth([&] {
    outcome = submission_->Submit(*alice_, {"alice@example.org", {"bob@example.org"}}, **spooled);
  });
  ASSERT_THAT(outcome.status(), IsOk());
  EXPECT_EQ(outcome->kind, SubmissionOutcome::Kind::kSentSecurely);
  ASSERT_GE(growth, 0) << "the peak resident memory cannot be measured here";
  std::printf("peak resident memory growth, 100 MiB attachment submitted: %.1f MiB\n",
              static_cast<double>(growth) / (1 << 20));
  if (testutil::kPeakRssIsMeaningful) {
    EXPECT_LT(growth, int64_t{32} << 20);
  }

  const MessageView view = ReadOnly(*bob_);
  EXPECT_THAT(view.body.text, HasSubstr("see attached"));
  ASSERT_EQ(view.attachments.size(), 1u);
  EXPECT_EQ(view.attachments[0].name, "big.bin");
  EXPECT_EQ(view.attachments[0].size, attachment_bytes);
  auto download = mailbox_.OpenAttachment(*bob_, Inbox(*bob_)[0].id.str(), 0);
  ASSERT_THAT(download.status(), IsOk());
  crypto::Sha256Hasher received;
  uint64_t received_bytes = 0;
  std::vector<uint8_t> buf(1 << 16);
  while (true) {
    auto n = download->reader->Read(buf);
    ASSERT_THAT(n.status(), IsOk());
    if (*n == 0) break;
    received.Update(ByteView(buf.data(), *n));
    received_bytes += *n;
  }
  EXPECT_EQ(received_bytes, attachment_bytes);
  EXPECT_EQ(received.Finish(), original.Finish());
  spooled->reset();
  EXPECT_EQ(SpoolFiles(), 0u);
}

// Past the upload limit: refused with the limit named, and nothing is kept.
TEST_F(MailSubmissionTest, AttachmentOverTheUploadLimitIsRefusedAndNothingIsKept) {
  std::string message =
      "To: bob@example.org\r\nSubject: big\r\nMIME-Version: 1.0\r\n"
      "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
      "--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n"
      "--b\r\nContent-Type: application/octet-stream\r\n"
      "Content-Disposition: attachment; filename=\"big.bin\"\r\n\r\n";
  const size_t blobs_before = BlobFiles();
  // The limit is the services' (100 MiB): more than it, sent as it is (8bit, 1 KiB lines).
  auto spooled = submission_->BeginMessage();
  ASSERT_THAT(spooled.status(), IsOk());
  ASSERT_THAT((*spooled)->Append(message), IsOk());
  std::string block;
  while (block.size() < (1u << 20)) block += std::string(1022, 'x') + "\r\n";
  for (uint64_t at = 0; at <= services_.config.limits.max_upload_bytes; at += block.size()) {
    ASSERT_THAT((*spooled)->Append(block), IsOk());
  }
  ASSERT_THAT((*spooled)->Append("\r\n--b--\r\n"), IsOk());
  auto outcome =
      submission_->Submit(*alice_, {"alice@example.org", {"bob@example.org"}}, **spooled);
  EXPECT_THAT(outcome.status(), StatusIs(ErrorCode::kTooLarge));
  EXPECT_TRUE(Inbox(*bob_).empty());
  EXPECT_EQ(BlobFiles(), blobs_before);
}

// The relay path queues a message whole: past the in-memory bound it is refused, not relayed.
TEST_F(MailSubmissionTest, UnmarkedMessageOverTheRelayBoundIsRefused) {
  SubmissionConfig config;
  config.policy = SubmissionPolicy::kTag;
  Configure(config);
  auto spooled = submission_->BeginMessage();
  ASSERT_THAT(spooled.status(), IsOk());
  ASSERT_THAT((*spooled)->Append("To: bob@example.org\r\nSubject: plain\r\n"
                                 "Content-Type: application/octet-stream\r\n\r\n"),
              IsOk());
  const std::string block(1 << 20, 'x');
  while ((*spooled)->size() <= crypto::policy::kMimeParse.max_message_bytes) {
    ASSERT_THAT((*spooled)->Append(block), IsOk());
  }
  auto outcome =
      submission_->Submit(*alice_, {"alice@example.org", {"carol@elsewhere.example"}}, **spooled);
  EXPECT_THAT(outcome.status(), StatusIs(ErrorCode::kTooLarge));
  EXPECT_THAT(outcome.status().client_text(), HasSubstr("unencrypted"));
}

TEST_F(MailSubmissionTest, UnreadableMessageIsRefusedWithAClearText) {
  auto outcome = Submit(std::string("\0\0\0", 3));
  EXPECT_THAT(outcome.status(), StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_EQ(outcome.status().client_text(), "the message is not a MIME message Sealpost can read");
  EXPECT_TRUE(Inbox(*bob_).empty());
}

TEST(WithoutBccFieldsTest, RemovesBccWithItsContinuationLinesOnlyInTheHeader) {
  EXPECT_EQ(WithoutBccFields("To: a@x\r\nBCC: b@x,\r\n c@x\r\nSubject: s\r\n\r\nBcc: body\r\n"),
            "To: a@x\r\nSubject: s\r\n\r\nBcc: body\r\n");
  EXPECT_EQ(WithoutBccFields("Bcc :b@x\r\nTo: a@x\r\n\r\n"), "To: a@x\r\n\r\n");
  EXPECT_EQ(WithoutBccFields("To: a@x\r\nBcc-Like: kept\r\n\r\nx"),
            "To: a@x\r\nBcc-Like: kept\r\n\r\nx");
}

TEST(SubmissionPolicyTest, ParsesTheThreeNames) {
  EXPECT_EQ(*ParseSubmissionPolicy("all"), SubmissionPolicy::kAll);
  EXPECT_EQ(*ParseSubmissionPolicy("tag"), SubmissionPolicy::kTag);
  EXPECT_EQ(*ParseSubmissionPolicy("rules"), SubmissionPolicy::kRules);
  EXPECT_THAT(ParseSubmissionPolicy("some").status(), StatusIs(ErrorCode::kInvalidArgument));
}

}  // namespace
}  // namespace sealpost::app
