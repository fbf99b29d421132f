#include "smtp/inbound_face.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>

#include "app/app_test_fixture.h"
#include "app/delivery_reports.h"
#include "app/mailbox.h"

namespace sealpost::smtp {
namespace {

using ::testing::HasSubstr;

constexpr const char* kMail =
    "From: Alice <alice@outside.example>\r\n"
    "To: bob@example.org\r\n"
    "Subject: Over SMTP\r\n"
    "\r\n"
    "Hello from outside.\r\n";

class InboundFaceTest : public app::AppTest {
 protected:
  InboundFaceTest() : mail_(services_, {"example.org"}), face_(mail_) {}

  void SetUp() override { bob_totp_ = Enrol("bob@example.org"); }

  std::unique_ptr<Session> OpenSession() {
    auto opened = face_.Open({"198.51.100.7", 40000, false, ""});
    EXPECT_TRUE(std::holds_alternative<std::unique_ptr<Session>>(opened));
    return std::move(std::get<std::unique_ptr<Session>>(opened));
  }

  size_t InboxSize() {
    const app::AuthContext bob = LoggedIn("bob@example.org", bob_totp_);
    auto page = app::Mailbox(services_).List(bob, store::Folder::kInbox, "", 50);
    EXPECT_THAT(page.status(), IsOk());
    return page.ok() ? page->items.size() : 0;
  }

  app::InboundMail mail_;
  InboundFace face_;
  std::string bob_totp_;
};

TEST_F(InboundFaceTest, DeliversToAMemberWith250AfterCommit) {
  auto session = OpenSession();
  EXPECT_EQ(session->MailFrom("alice@outside.example", {}).code, 250);
  EXPECT_EQ(session->RcptTo("bob@example.org").code, 250);
  auto sink = session->BeginMessage();
  ASSERT_TRUE(std::holds_alternative<std::unique_ptr<MessageSink>>(sink));
  auto& s = std::get<std::unique_ptr<MessageSink>>(sink);
  ASSERT_THAT(s->Append(kMail), IsOk());
  const Reply reply = s->Commit();
  EXPECT_EQ(reply.code, 250);
  EXPECT_EQ(reply.enhanced, "2.0.0");
  session->Reset();
  EXPECT_EQ(InboxSize(), 1u);
  const app::AuthContext bob = LoggedIn("bob@example.org", bob_totp_);
  auto page = app::Mailbox(services_).List(bob, store::Folder::kInbox, "", 50);
  ASSERT_THAT(page.status(), IsOk());
  auto view = app::Mailbox(services_).Read(bob, page->items[0].id.str());
  ASSERT_THAT(view.status(), IsOk());
  EXPECT_THAT(view->body.text, HasSubstr("Hello from outside."));
  ASSERT_TRUE(view->header.received.has_value());
  EXPECT_EQ(view->header.received->client_address, "198.51.100.7");
}

TEST_F(InboundFaceTest, NullReversePathIsAccepted) {
  auto session = OpenSession();
  EXPECT_EQ(session->MailFrom("", {}).code, 250);
  EXPECT_EQ(session->RcptTo("bob@example.org").code, 250);
  auto sink = session->BeginMessage();
  ASSERT_TRUE(std::holds_alternative<std::unique_ptr<MessageSink>>(sink));
  auto& s = std::get<std::unique_ptr<MessageSink>>(sink);
  ASSERT_THAT(s->Append(kMail), IsOk());
  EXPECT_EQ(s->Commit().code, 250);
}

TEST_F(InboundFaceTest, UnknownUserAndRelayAreRefusedAtRcpt) {
  auto session = OpenSession();
  ASSERT_EQ(session->MailFrom("alice@outside.example", {}).code, 250);
  const Reply unknown = session->RcptTo("nobody@example.org");
  EXPECT_EQ(unknown.code, 550);
  EXPECT_EQ(unknown.enhanced, "5.1.1");
  const Reply relay = session->RcptTo("someone@elsewhere.example");
  EXPECT_EQ(relay.code, 550);
  EXPECT_EQ(relay.enhanced, "5.7.1");
  // No accepted recipient: DATA is refused, nothing is stored.
  auto sink = session->BeginMessage();
  ASSERT_TRUE(std::holds_alternative<Reply>(sink));
  EXPECT_EQ(std::get<Reply>(sink).code, 554);
  EXPECT_EQ(InboxSize(), 0u);
}

// [smtp.inbound] domains: a member whose domain is not listed is not served ("relay denied"),
// though the same member is served when no domains are listed.
TEST_F(InboundFaceTest, AMembersDomainNotListedIsRefusedAtRcpt) {
  Enrol("carol@second.example");
  auto session = OpenSession();
  ASSERT_EQ(session->MailFrom("alice@outside.example", {}).code, 250);
  const Reply refused = session->RcptTo("carol@second.example");
  EXPECT_EQ(refused.code, 550);
  EXPECT_EQ(refused.enhanced, "5.7.1");
  EXPECT_EQ(session->RcptTo("bob@example.org").code, 250);

  app::InboundMail every_members_domain(services_, {});
  InboundFace unlisted(every_members_domain);
  auto opened = unlisted.Open({"198.51.100.7", 40000, false, ""});
  auto& other = std::get<std::unique_ptr<Session>>(opened);
  ASSERT_EQ(other->MailFrom("alice@outside.example", {}).code, 250);
  EXPECT_EQ(other->RcptTo("carol@second.example").code, 250);
}

TEST_F(InboundFaceTest, NoAuthentication) {
  auto session = OpenSession();
  const Reply reply = session->Authenticate("PLAIN", "", "bob@example.org",
                                            crypto::SecretString::CopyOf(app::kPassword));
  EXPECT_EQ(reply.code, 502);
}

TEST_F(InboundFaceTest, RcptBeforeMailIsRefused) {
  auto session = OpenSession();
  EXPECT_EQ(session->RcptTo("bob@example.org").code, 503);
}

TEST_F(InboundFaceTest, ResetForgetsTheEnvelope) {
  auto session = OpenSession();
  ASSERT_EQ(session->MailFrom("alice@outside.example", {}).code, 250);
  ASSERT_EQ(session->RcptTo("bob@example.org").code, 250);
  session->Reset();
  auto sink = session->BeginMessage();
  ASSERT_TRUE(std::holds_alternative<Reply>(sink));
  EXPECT_EQ(std::get<Reply>(sink).code, 554);
}

TEST_F(InboundFaceTest, AStoreFailureIs451AndKeepsNothing) {
  auto session = OpenSession();
  ASSERT_EQ(session->MailFrom("alice@outside.example", {}).code, 250);
  ASSERT_EQ(session->RcptTo("bob@example.org").code, 250);
  auto sink = session->BeginMessage();
  ASSERT_TRUE(std::holds_alternative<std::unique_ptr<MessageSink>>(sink));
  auto& s = std::get<std::unique_ptr<MessageSink>>(sink);
  ASSERT_THAT(s->Append(kMail), IsOk());
  faults_.FailWrites(Unavailable("injected"));
  const Reply reply = s->Commit();
  faults_.StopFailing();
  EXPECT_EQ(reply.code, 451);
  s.reset();
  EXPECT_EQ(InboxSize(), 0u);
}

TEST_F(InboundFaceTest, TooLargeWhileStreamingIs552) {
  app::InboundMail small(services_, {"example.org"}, nullptr, app::InboundLimits{64});
  InboundFace face(small);
  auto opened = face.Open({"198.51.100.7", 40000, false, ""});
  auto& session = std::get<std::unique_ptr<Session>>(opened);
  ASSERT_EQ(session->MailFrom("alice@outside.example", {}).code, 250);
  ASSERT_EQ(session->RcptTo("bob@example.org").code, 250);
  auto sink = session->BeginMessage();
  auto& s = std::get<std::unique_ptr<MessageSink>>(sink);
  EXPECT_THAT(s->Append(kMail), StatusIs(ErrorCode::kTooLarge));
  EXPECT_EQ(s->Commit().code, 552);
  s.reset();
  EXPECT_EQ(InboxSize(), 0u);
}

// A figure, not a benchmark (bench/ has the SMTP load drivers): messages of 10 KiB through one
// session, each durable and encrypted before its 250.
TEST_F(InboundFaceTest, AcceptRateFigure) {
  std::string mail = std::string(kMail);
  mail.pop_back();
  mail.pop_back();
  while (mail.size() < 10 * 1024)
    mail += "\r\nfiller line of an ordinary ten kibibyte message body";
  mail += "\r\n";
  auto session = OpenSession();
  constexpr int kMessages = 40;
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < kMessages; ++i) {
    ASSERT_EQ(session->MailFrom("alice@outside.example", {}).code, 250);
    ASSERT_EQ(session->RcptTo("bob@example.org").code, 250);
    auto sink = session->BeginMessage();
    auto& s = std::get<std::unique_ptr<MessageSink>>(sink);
    ASSERT_THAT(s->Append(mail), IsOk());
    ASSERT_EQ(s->Commit().code, 250);
    session->Reset();
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("inbound: %d messages of %zu bytes in %.2f s: %.1f messages/s (one session)\n",
              kMessages, mail.size(), seconds, kMessages / seconds);
  EXPECT_EQ(InboxSize(), static_cast<size_t>(kMessages));
}

// Delivery status notifications to our tagged bounce addresses go to DeliveryReports, in a
// transaction of their own, and never into a mailbox.
class InboundFaceReportsTest : public InboundFaceTest {
 protected:
  InboundFaceReportsTest()
      : with_bounces_(WithBounceDomain()),
        reports_(with_bounces_),
        reporting_face_(mail_, &reports_) {}

  app::Services WithBounceDomain() {
    app::Services s = services_;
    s.config.bounce_domain = "example.org";
    return s;
  }

  std::string BounceAddress() {
    auto a = app::BounceAddressFor(with_bounces_, delivery::BounceKind::kSecureCopy,
                                   std::string(32, 'a'));
    EXPECT_THAT(a.status(), IsOk());
    return a.ok() ? *a : "";
  }

  std::unique_ptr<Session> OpenReportingSession() {
    auto opened = reporting_face_.Open({"198.51.100.7", 40000, false, ""});
    EXPECT_TRUE(std::holds_alternative<std::unique_ptr<Session>>(opened));
    return std::move(std::get<std::unique_ptr<Session>>(opened));
  }

  app::Services with_bounces_;
  app::DeliveryReports reports_;
  InboundFace reporting_face_;
};

TEST_F(InboundFaceReportsTest, ABounceAddressTakesAReportInATransactionOfItsOwn) {
  const std::string bounce = BounceAddress();
  ASSERT_FALSE(bounce.empty());
  auto session = OpenReportingSession();
  EXPECT_EQ(session->MailFrom("", {}).code, 250);
  EXPECT_EQ(session->RcptTo(bounce).code, 250);
  const Reply mixed = session->RcptTo("bob@example.org");
  EXPECT_EQ(mixed.code, 452);
  EXPECT_EQ(mixed.enhanced, "4.5.3");
  auto sink = session->BeginMessage();
  ASSERT_TRUE(std::holds_alternative<std::unique_ptr<MessageSink>>(sink));
  auto& s = std::get<std::unique_ptr<MessageSink>>(sink);
  // Not a delivery status notification: accepted and dropped (RFC 3464 §2), never delivered.
  ASSERT_THAT(s->Append(kMail), IsOk());
  EXPECT_EQ(s->Commit().code, 250);
  session->Reset();
  EXPECT_EQ(InboxSize(), 0u);

  // The other order: a member first, then the bounce address waits for its own transaction.
  EXPECT_EQ(session->MailFrom("", {}).code, 250);
  EXPECT_EQ(session->RcptTo("bob@example.org").code, 250);
  EXPECT_EQ(session->RcptTo(bounce).code, 452);
}

TEST_F(InboundFaceReportsTest, AForgedBounceTagIsAnUnknownUserAndAnOversizedReportIs552) {
  std::string forged = BounceAddress();
  ASSERT_FALSE(forged.empty());
  const size_t at = forged.find('@');
  forged[at - 1] = forged[at - 1] == '0' ? '1' : '0';  // the tag's last hex digit
  auto session = OpenReportingSession();
  EXPECT_EQ(session->MailFrom("", {}).code, 250);
  EXPECT_EQ(session->RcptTo(forged).code, 550);

  // Without DeliveryReports the real address is just an unknown user.
  auto plain = OpenSession();
  EXPECT_EQ(plain->MailFrom("", {}).code, 250);
  EXPECT_EQ(plain->RcptTo(BounceAddress()).code, 550);

  EXPECT_EQ(session->RcptTo(BounceAddress()).code, 250);
  auto sink = session->BeginMessage();
  ASSERT_TRUE(std::holds_alternative<std::unique_ptr<MessageSink>>(sink));
  auto& s = std::get<std::unique_ptr<MessageSink>>(sink);
  const std::string chunk(1u << 20, 'x');
  Status last = Status::Ok();
  for (size_t sent = 0; sent <= InboundFace::kMaxReportBytes && last.ok(); sent += chunk.size())
    last = s->Append(chunk);
  EXPECT_EQ(last.code(), ErrorCode::kTooLarge);
  const Reply reply = s->Commit();
  EXPECT_EQ(reply.code, 552);
}

}  // namespace
}  // namespace sealpost::smtp
