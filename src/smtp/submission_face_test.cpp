// The submission face (smtp/submission_face.h), driven through its Session methods as the SMTP
// server calls them (face.h), over real app services.
#include "smtp/submission_face.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "app/app_passwords.h"
#include "app/app_test_fixture.h"
#include "app/mailbox.h"

namespace sealpost::smtp {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr const char* kAppPassword = "app-password-0123456789abcdef";

class SubmissionFaceTest : public app::AppTest {
 protected:
  void SetUp() override {
    alice_totp_ = Enrol("alice@example.org");
    bob_totp_ = Enrol("bob@example.org");
    app::SubmissionConfig config;
    config.spool_directory = dir_.path() + "/spool";
    auto made = app::MailSubmission::Create(services_, std::move(config));
    ASSERT_THAT(made.status(), IsOk());
    submission_ = std::move(*made);
    // Stands in for the app passwords (another part of issue 13): one password for Alice.
    auto authenticate = [this](std::string_view email, const crypto::SecretString& password,
                               std::string_view client) -> Result<app::AuthContext> {
      ++auth_calls_;
      last_client_ = std::string(client);
      if (email != "alice@example.org" || password.view() != kAppPassword) {
        return Unauthenticated("wrong app password");
      }
      return LoggedIn("alice@example.org", alice_totp_);
    };
    // Its logins stay live (the real AppPasswords::StillLive is tested below).
    auto still_live = [](const app::AuthContext&) { return Status::Ok(); };
    face_ = std::make_unique<SubmissionFace>(*submission_, authenticate, still_live,
                                             SubmissionFaceOptions{3, true});
  }

  std::unique_ptr<Session> Open(bool tls = true) {
    auto opened = face_->Open({"192.0.2.7", 50123, tls, ""});
    EXPECT_TRUE(std::holds_alternative<std::unique_ptr<Session>>(opened));
    return std::move(std::get<std::unique_ptr<Session>>(opened));
  }

  std::unique_ptr<Session> LoggedInSession() {
    auto session = Open();
    EXPECT_EQ(session
                  ->Authenticate("PLAIN", "", "alice@example.org",
                                 crypto::SecretString::CopyOf(kAppPassword))
                  .code,
              235);
    return session;
  }

  // DATA through the sink: the reply of Commit (or of BeginMessage when it refuses).
  Reply Data(Session& session, const std::string& message) {
    auto begun = session.BeginMessage();
    if (std::holds_alternative<Reply>(begun)) return std::get<Reply>(begun);
    auto& sink = std::get<std::unique_ptr<MessageSink>>(begun);
    for (size_t at = 0; at < message.size(); at += 512) {
      const Status s = sink->Append(std::string_view(message).substr(at, 512));
      if (!s.ok()) return ReplyForStatus(s);
    }
    Reply reply = sink->Commit();
    sink.reset();
    session.Reset();
    return reply;
  }

  size_t BobsInbox() {
    const app::AuthContext bob = LoggedIn("bob@example.org", bob_totp_);
    auto page = app::Mailbox(services_).List(bob, store::Folder::kInbox, "", 100);
    EXPECT_THAT(page.status(), IsOk());
    return page.ok() ? page->items.size() : 0;
  }

  size_t SpoolFiles() {
    const std::string d = dir_.path() + "/spool";
    if (!std::filesystem::exists(d)) return 0;
    size_t n = 0;
    for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(d)) ++n;
    return n;
  }

  std::string alice_totp_, bob_totp_;
  std::unique_ptr<app::MailSubmission> submission_;
  std::unique_ptr<SubmissionFace> face_;
  int auth_calls_ = 0;
  std::string last_client_;
};

const std::string kMessage =
    "From: alice@example.org\r\nTo: bob@example.org\r\nSubject: Hi\r\n\r\nHello Bob\r\n";

TEST_F(SubmissionFaceTest, AuthenticatedMemberSendsAndGetsTheMessageId) {
  auto session = LoggedInSession();
  EXPECT_EQ(last_client_, "192.0.2.7");
  EXPECT_EQ(session->MailFrom("Alice@Example.ORG", {}).code, 250);
  EXPECT_EQ(session->RcptTo("bob@example.org").code, 250);
  const Reply reply = Data(*session, kMessage);
  EXPECT_EQ(reply.code, 250);
  EXPECT_EQ(reply.enhanced, "2.0.0");
  EXPECT_THAT(reply.text, StartsWith("Sent securely as "));
  EXPECT_EQ(BobsInbox(), 1u);
  EXPECT_EQ(SpoolFiles(), 0u);
  // Authentication stays for the next transaction.
  EXPECT_EQ(session->MailFrom("alice@example.org", {}).code, 250);
}

// With the real app passwords (app/app_passwords.h): a revocation stops the connection that is
// already logged in, at its next transaction, and at the end of a DATA under way.
TEST_F(SubmissionFaceTest, RevokedAppPasswordStopsTheOpenConnection) {
  app::AppPasswords passwords(services_);
  const app::AuthContext alice = LoggedIn("alice@example.org", alice_totp_);
  auto created = passwords.Create(alice, "Thunderbird");
  ASSERT_THAT(created.status(), IsOk());
  SubmissionFace face(
      *submission_,
      [&](std::string_view email, const crypto::SecretString& password, std::string_view client) {
        return passwords.Authenticate(email, password, client);
      },
      [&](const app::AuthContext& ctx) { return passwords.StillLive(ctx); });
  auto opened = face.Open({"192.0.2.7", 50123, true, ""});
  auto& session = std::get<std::unique_ptr<Session>>(opened);
  ASSERT_EQ(session->Authenticate("PLAIN", "", "alice@example.org", created->password).code, 235);

  // The first message goes while the password is live.
  ASSERT_EQ(session->MailFrom("alice@example.org", {}).code, 250);
  ASSERT_EQ(session->RcptTo("bob@example.org").code, 250);
  EXPECT_EQ(Data(*session, kMessage).code, 250);
  EXPECT_EQ(BobsInbox(), 1u);

  // Revoked between two messages: MAIL of the next one is refused and nothing goes.
  ASSERT_THAT(passwords.Revoke(alice, created->info.id), IsOk());
  const Reply refused = session->MailFrom("alice@example.org", {});
  EXPECT_EQ(refused.code, 530);
  EXPECT_EQ(refused.enhanced, "5.7.0");
  EXPECT_THAT(refused.text, HasSubstr("app password revoked"));
  // The session forgot the login: no transaction, and a new AUTH is asked for.
  EXPECT_EQ(session->RcptTo("bob@example.org").code, 503);
  EXPECT_TRUE(std::holds_alternative<Reply>(session->BeginMessage()));
  EXPECT_EQ(session->MailFrom("alice@example.org", {}).code, 530);
  EXPECT_EQ(BobsInbox(), 1u);

  // Revoked while DATA is under way: the message is refused at its end and nothing is kept.
  auto second = passwords.Create(alice, "Apple Mail");
  ASSERT_THAT(second.status(), IsOk());
  ASSERT_EQ(session->Authenticate("LOGIN", "", "alice@example.org", second->password).code, 235);
  ASSERT_EQ(session->MailFrom("alice@example.org", {}).code, 250);
  ASSERT_EQ(session->RcptTo("bob@example.org").code, 250);
  auto begun = session->BeginMessage();
  auto& sink = std::get<std::unique_ptr<MessageSink>>(begun);
  ASSERT_THAT(sink->Append(kMessage), IsOk());
  ASSERT_THAT(passwords.Revoke(alice, second->info.id), IsOk());
  const Reply at_end = sink->Commit();
  EXPECT_EQ(at_end.code, 530);
  EXPECT_THAT(at_end.text, HasSubstr("app password revoked"));
  sink.reset();
  EXPECT_EQ(BobsInbox(), 1u);
  EXPECT_EQ(SpoolFiles(), 0u);
}

TEST_F(SubmissionFaceTest, NoAuthenticationIs530) {
  auto session = Open();
  const Reply reply = session->MailFrom("alice@example.org", {});
  EXPECT_EQ(reply.code, 530);
  EXPECT_EQ(reply.enhanced, "5.7.0");
  EXPECT_EQ(session->RcptTo("bob@example.org").code, 503);
  EXPECT_TRUE(std::holds_alternative<Reply>(session->BeginMessage()));
}

TEST_F(SubmissionFaceTest, AnotherMembersAddressIs553) {
  auto session = LoggedInSession();
  Reply reply = session->MailFrom("bob@example.org", {});
  EXPECT_EQ(reply.code, 553);
  EXPECT_EQ(reply.enhanced, "5.7.1");
  EXPECT_THAT(reply.text, HasSubstr("alice@example.org"));
  EXPECT_EQ(session->MailFrom("", {}).code, 553);  // the null path is nobody's own
  EXPECT_EQ(session->RcptTo("bob@example.org").code, 503);
}

TEST_F(SubmissionFaceTest, WrongPasswordsAreRefusedAndThenNoLongerTried) {
  auto session = Open();
  for (int i = 0; i < SubmissionFace::kMaxAuthFailures; ++i) {
    const Reply r = session->Authenticate("LOGIN", "", "alice@example.org",
                                          crypto::SecretString::CopyOf("guess"));
    EXPECT_EQ(r.code, 535);
    EXPECT_EQ(r.enhanced, "5.7.8");
  }
  const int calls = auth_calls_;
  EXPECT_EQ(session
                ->Authenticate("PLAIN", "", "alice@example.org",
                               crypto::SecretString::CopyOf(kAppPassword))
                .code,
            454);
  EXPECT_EQ(auth_calls_, calls);
}

TEST_F(SubmissionFaceTest, AuthOutsideTlsAndProxyIdentitiesAreRefused) {
  auto plain = Open(/*tls=*/false);
  EXPECT_EQ(plain
                ->Authenticate("PLAIN", "", "alice@example.org",
                               crypto::SecretString::CopyOf(kAppPassword))
                .code,
            538);
  auto session = Open();
  EXPECT_EQ(session
                ->Authenticate("PLAIN", "bob@example.org", "alice@example.org",
                               crypto::SecretString::CopyOf(kAppPassword))
                .code,
            535);
  EXPECT_EQ(session
                ->Authenticate("CRAM-MD5", "", "alice@example.org",
                               crypto::SecretString::CopyOf(kAppPassword))
                .code,
            504);
  EXPECT_EQ(auth_calls_, 0);
}

TEST_F(SubmissionFaceTest, RecipientLimitAndOversizeDeclarations) {
  auto session = LoggedInSession();
  MailParameters big;
  big.declared_size = submission_->max_message_bytes() + 1;
  EXPECT_EQ(session->MailFrom("alice@example.org", big).code, 552);
  ASSERT_EQ(session->MailFrom("alice@example.org", {}).code, 250);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(session->RcptTo("r" + std::to_string(i) + "@example.org").code, 250);
  }
  const Reply fourth = session->RcptTo("r4@example.org");
  EXPECT_EQ(fourth.code, 452);
  EXPECT_EQ(fourth.enhanced, "4.5.3");
}

TEST_F(SubmissionFaceTest, FailingStoreIs451AndNothingIsKept) {
  auto session = LoggedInSession();
  ASSERT_EQ(session->MailFrom("alice@example.org", {}).code, 250);
  ASSERT_EQ(session->RcptTo("bob@example.org").code, 250);
  faults_.FailWrites(Unavailable("injected: database gone"));
  const Reply reply = Data(*session, kMessage);
  faults_.StopFailing();
  EXPECT_EQ(reply.code, 451);
  EXPECT_EQ(reply.enhanced, "4.3.0");
  EXPECT_THAT(reply.text, ::testing::Not(HasSubstr("injected")));
  EXPECT_EQ(BobsInbox(), 0u);
  EXPECT_EQ(SpoolFiles(), 0u);
  // The session serves on.
  ASSERT_EQ(session->MailFrom("alice@example.org", {}).code, 250);
  ASSERT_EQ(session->RcptTo("bob@example.org").code, 250);
  EXPECT_EQ(Data(*session, kMessage).code, 250);
}

TEST_F(SubmissionFaceTest, AbandonedDataKeepsNothing) {
  auto session = LoggedInSession();
  ASSERT_EQ(session->MailFrom("alice@example.org", {}).code, 250);
  ASSERT_EQ(session->RcptTo("bob@example.org").code, 250);
  {
    auto begun = session->BeginMessage();
    auto& sink = std::get<std::unique_ptr<MessageSink>>(begun);
    EXPECT_THAT(sink->Append(kMessage.substr(0, 20)), IsOk());
    EXPECT_EQ(SpoolFiles(), 0u);  // small so far: spooled in memory
    EXPECT_THAT(sink->Append(std::string(400 * 1024, 'x')), IsOk());
    EXPECT_EQ(SpoolFiles(), 1u);  // past 256 KiB: in a file from then on
  }                               // the connection was cut: the sink goes without Commit
  EXPECT_EQ(SpoolFiles(), 0u);
  EXPECT_EQ(BobsInbox(), 0u);
}

TEST_F(SubmissionFaceTest, MimeBombIs552AndKeepsNothing) {
  auto session = LoggedInSession();
  ASSERT_EQ(session->MailFrom("alice@example.org", {}).code, 250);
  ASSERT_EQ(session->RcptTo("bob@example.org").code, 250);
  std::string bomb = "To: bob@example.org\r\nMIME-Version: 1.0\r\n";
  for (int i = 0; i < 100; ++i) {
    bomb += "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\n";
  }
  const Reply reply = Data(*session, bomb);
  EXPECT_EQ(reply.code, 552);
  EXPECT_EQ(BobsInbox(), 0u);
}

TEST(ReplyForStatusTest, EveryCodeHasItsReply) {
  EXPECT_EQ(ReplyForStatus(PermissionDenied("x")).code, 553);
  EXPECT_EQ(ReplyForStatus(InvalidArgument("x")).code, 554);
  EXPECT_EQ(ReplyForStatus(InvalidArgument("x").ShownToClient(Reason::kInvalidRecipient)).code,
            550);
  EXPECT_EQ(ReplyForStatus(TooLarge("x")).code, 552);
  EXPECT_EQ(ReplyForStatus(StorageFull("x")).code, 452);
  EXPECT_EQ(ReplyForStatus(RateLimited("x")).code, 451);
  EXPECT_EQ(ReplyForStatus(Unavailable("x")).code, 451);
  EXPECT_EQ(ReplyForStatus(Internal("x")).code, 451);
  // Only texts written for the client reach it.
  EXPECT_EQ(ReplyForStatus(InvalidArgument("db row 7 broken")).text,
            "Message cannot be sent as it is");
  EXPECT_EQ(ReplyForStatus(InvalidArgument("no recipients").ShownToClient()).text, "no recipients");
}

}  // namespace
}  // namespace sealpost::smtp
