// Password change and recovery: the key slots change, the keys (and so the messages) do not.
#include <gtest/gtest.h>

#include "app/app_test_fixture.h"
#include "app/mailbox.h"

namespace sealpost::app {
namespace {

constexpr const char* kNewPassword = "a brand new long password";

class CredentialsTest : public AppTest {
 protected:
  // Alice sends Bob one message; returns its id.
  MessageId SendToBob(const AuthContext& alice) {
    auto id = mailbox_.Send(alice, {{"bob@example.org"}, "hello bob", "the body", "", {}});
    EXPECT_THAT(id.status(), IsOk());
    return *id;
  }

  void ExpectReadable(const AuthContext& ctx, const MessageId& id) {
    auto view = mailbox_.Read(ctx, id.str());
    ASSERT_THAT(view.status(), IsOk());
    EXPECT_EQ(view->body.text, "the body");
    EXPECT_EQ(view->header.seal, SealState::kValid);
  }

  int CountEvents(const std::string& type) {
    int n = 0;
    for (const auto& e : AuditEvents()) n += e.type == type;
    return n;
  }

  Mailbox mailbox_{services_};
};

TEST_F(CredentialsTest, ChangedPasswordOpensTheSameKeysAndEndsOtherSessions) {
  const std::string alice_totp = Enrol("alice@example.org");
  const std::string bob_totp = Enrol("bob@example.org");
  const MessageId id = SendToBob(LoggedIn("alice@example.org", alice_totp));

  const std::string here = LoginCookie("bob@example.org", bob_totp);
  const std::string elsewhere = LoginCookie("bob@example.org", bob_totp);
  auto ctx = accounts_.Authenticate(here, "127.0.0.1");
  ASSERT_THAT(ctx.status(), IsOk());
  ASSERT_THAT(accounts_.ChangePassword(*ctx, kPassword, kNewPassword), IsOk());
  EXPECT_EQ(CountEvents("password_changed"), 1);

  // The current session stays and still reads; the other one is gone.
  auto still = accounts_.Authenticate(here, "127.0.0.1");
  ASSERT_THAT(still.status(), IsOk());
  ExpectReadable(*still, id);
  EXPECT_THAT(accounts_.Authenticate(elsewhere, "127.0.0.1").status(),
              StatusIs(ErrorCode::kUnauthenticated));

  // The old password no longer logs in, with the usual answer; the new one does and reads.
  clock_.Advance(31s);
  auto old_login = accounts_.Login("bob@example.org", kPassword, "127.0.0.1");
  EXPECT_THAT(old_login.status(), StatusIs(ErrorCode::kUnauthenticated));
  EXPECT_EQ(old_login.status().message(), "wrong email address or password");
  ExpectReadable(LoggedIn("bob@example.org", bob_totp, kNewPassword), id);
  // Bob's Sent copies (wrapped under the same UMK) stay readable too.
  const AuthContext bob = LoggedIn("bob@example.org", bob_totp, kNewPassword);
  auto sent = mailbox_.Send(bob, {{"alice@example.org"}, "reply", "the body", "", {}});
  ASSERT_THAT(sent.status(), IsOk());
  ASSERT_THAT(accounts_.ChangePassword(bob, kNewPassword, "yet another long password"), IsOk());
  ExpectReadable(LoggedIn("bob@example.org", bob_totp, "yet another long password"), *sent);
}

TEST_F(CredentialsTest, WrongCurrentPasswordIsRefusedAndThrottled) {
  const std::string totp = Enrol("carol@example.org");
  const AuthContext ctx = LoggedIn("carol@example.org", totp);
  const Bytes slot = store_->accounts().GetUser(ctx.user.id)->umk_by_password;

  // Rules of sign-up apply to the new password; nothing is counted or changed.
  EXPECT_THAT(accounts_.ChangePassword(ctx, kPassword, "short"),
              StatusIs(ErrorCode::kInvalidArgument));
  for (int i = 0; i < 5; ++i) {
    EXPECT_THAT(accounts_.ChangePassword(ctx, "not the password at all", kNewPassword),
                StatusIs(ErrorCode::kPermissionDenied))
        << i;
  }
  EXPECT_EQ(CountEvents("password_change_failed"), 5);
  // Throttled now, even with the right password, and log-in is throttled as well.
  EXPECT_THAT(accounts_.ChangePassword(ctx, kPassword, kNewPassword),
              StatusIs(ErrorCode::kRateLimited));
  EXPECT_THAT(accounts_.Login("carol@example.org", kPassword, "127.0.0.1").status(),
              StatusIs(ErrorCode::kRateLimited));
  EXPECT_EQ(store_->accounts().GetUser(ctx.user.id)->umk_by_password, slot);
  EXPECT_EQ(CountEvents("password_changed"), 0);

  clock_.Advance(16min);
  EXPECT_THAT(accounts_.ChangePassword(ctx, kPassword, kNewPassword), IsOk());
}

TEST_F(CredentialsTest, RecoveryReplacesPasswordAndRecoveryCode) {
  const std::string alice_totp = Enrol("alice@example.org");
  const std::string bob_totp = Enrol("bob@example.org");
  const MessageId id = SendToBob(LoggedIn("alice@example.org", alice_totp));
  const std::string bob_session = LoginCookie("bob@example.org", bob_totp);
  const std::string old_code = recovery_codes_["bob@example.org"];
  ASSERT_EQ(old_code.size(), 39u);

  // Typed in lower case with spaces: the same code.
  std::string typed = old_code;
  for (char& c : typed) c = c == '-' ? ' ' : static_cast<char>(std::tolower(c));
  auto new_code = accounts_.Recover("bob@example.org", typed, kNewPassword, "10.0.0.1");
  ASSERT_THAT(new_code.status(), IsOk());
  EXPECT_EQ(new_code->size(), 39u);
  EXPECT_NE(new_code->AsStringView(), old_code);
  EXPECT_EQ(CountEvents("password_recovered"), 1);

  // Every session ended; TOTP is still required; messages are readable with the new password.
  EXPECT_THAT(accounts_.Authenticate(bob_session, "127.0.0.1").status(),
              StatusIs(ErrorCode::kUnauthenticated));
  clock_.Advance(31s);
  auto login = accounts_.Login("bob@example.org", kNewPassword, "127.0.0.1");
  ASSERT_THAT(login.status(), IsOk());
  EXPECT_TRUE(login->login_ticket.has_value());
  ExpectReadable(LoggedIn("bob@example.org", bob_totp, kNewPassword), id);
  EXPECT_THAT(accounts_.Login("bob@example.org", kPassword, "127.0.0.1").status(),
              StatusIs(ErrorCode::kUnauthenticated));

  // The old code stops working; the new one works once.
  auto again = accounts_.Recover("bob@example.org", old_code, "third long password", "10.0.0.1");
  EXPECT_THAT(again.status(), StatusIs(ErrorCode::kUnauthenticated));
  auto newer = accounts_.Recover("bob@example.org", new_code->AsStringView(), "third long password",
                                 "10.0.0.1");
  ASSERT_THAT(newer.status(), IsOk());
  EXPECT_THAT(
      accounts_
          .Recover("bob@example.org", new_code->AsStringView(), "fourth long password", "10.0.0.1")
          .status(),
      StatusIs(ErrorCode::kUnauthenticated));
  ExpectReadable(LoggedIn("bob@example.org", bob_totp, "third long password"), id);
}

// The operator raises [auth] argon2_*: recovery codes issued before keep working, because the
// slot keeps the parameters it was made with; the slot written by the recovery uses the new ones.
TEST_F(CredentialsTest, RecoveryCodeSurvivesAChangeOfArgon2Parameters) {
  Enrol("bob@example.org");
  const std::string code = recovery_codes_["bob@example.org"];
  auto before = store_->accounts().GetUserByEmail("bob@example.org");
  ASSERT_THAT(before.status(), IsOk());
  EXPECT_EQ(before->recovery_ops, crypto::kMinimumPasswordHashParams.ops_limit);
  EXPECT_EQ(before->recovery_mem, crypto::kMinimumPasswordHashParams.mem_limit_bytes);

  Services raised = services_;
  raised.config.password_hash = {3, crypto::kMinimumPasswordHashParams.mem_limit_bytes};
  Accounts later(raised);
  auto recovered = later.Recover("bob@example.org", code, kNewPassword, "10.0.0.1");
  ASSERT_THAT(recovered.status(), IsOk());
  auto after = store_->accounts().GetUserByEmail("bob@example.org");
  ASSERT_THAT(after.status(), IsOk());
  EXPECT_EQ(after->recovery_ops, 3u);
  EXPECT_EQ(after->password_ops, 3u);
  EXPECT_THAT(
      later.Recover("bob@example.org", recovered->AsStringView(), "third long password", "10.0.0.1")
          .status(),
      IsOk());
}

TEST_F(CredentialsTest, EveryRecoveryFailureLooksTheSame) {
  const std::string totp = Enrol("dave@example.org");
  const std::string code = recovery_codes_["dave@example.org"];
  ASSERT_THAT(accounts_.SignUp({"unverified@example.org", crypto::SecretString::CopyOf(kPassword),
                                "", "127.0.0.1"}),
              IsOk());

  const Status wrong_code =
      accounts_
          .Recover("dave@example.org", "AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA", kNewPassword,
                   "10.0.0.2")
          .status();
  const Status unknown =
      accounts_.Recover("nobody@example.org", code, kNewPassword, "10.0.0.3").status();
  const Status unverified =
      accounts_.Recover("unverified@example.org", code, kNewPassword, "10.0.0.4").status();
  const Status malformed =
      accounts_.Recover("not an address", "x", kNewPassword, "10.0.0.5").status();
  for (const Status& s : {wrong_code, unknown, unverified, malformed}) {
    EXPECT_THAT(s, StatusIs(ErrorCode::kUnauthenticated));
    EXPECT_EQ(s.message(), wrong_code.message());
  }
  EXPECT_EQ(CountEvents("password_recovery_failed"), 4);
  // A new password that breaks the rules is a different, account-independent answer.
  EXPECT_THAT(accounts_.Recover("dave@example.org", code, "short", "10.0.0.2").status(),
              StatusIs(ErrorCode::kInvalidArgument));

  // Throttled like log-ins: four more wrong codes from that address, then even the right code
  // waits there, while the owner at another address recovers the account.
  for (int i = 0; i < 4; ++i) {
    EXPECT_THAT(accounts_
                    .Recover("dave@example.org", "BBBB-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA",
                             kNewPassword, "10.0.0.2")
                    .status(),
                StatusIs(ErrorCode::kUnauthenticated));
  }
  EXPECT_THAT(accounts_.Recover("dave@example.org", code, kNewPassword, "10.0.0.2").status(),
              StatusIs(ErrorCode::kRateLimited));
  EXPECT_THAT(accounts_.Recover("dave@example.org", code, kNewPassword, "10.0.2.1").status(),
              IsOk());
  (void)totp;
}

TEST_F(CredentialsTest, SessionsAreListedAndEndedOneByOne) {
  const std::string totp = Enrol("erin@example.org");
  const std::string first = LoginCookie("erin@example.org", totp);
  const std::string second = LoginCookie("erin@example.org", totp);
  auto ctx = accounts_.Authenticate(second, "127.0.0.1");
  ASSERT_THAT(ctx.status(), IsOk());
  // A half-finished log-in (password only) is not a session to list.
  ASSERT_THAT(accounts_.Login("erin@example.org", kPassword, "127.0.0.1").status(), IsOk());

  auto sessions = accounts_.ListSessions(*ctx);
  ASSERT_THAT(sessions.status(), IsOk());
  // Enrol's session, `first` and `second`.
  int current = 0;
  for (const auto& s : *sessions) {
    current += s.current;
    EXPECT_TRUE(IsWellFormedId(s.public_id));
    EXPECT_EQ(s.client_ip, "127.0.0.1");
  }
  EXPECT_EQ(current, 1);
  ASSERT_GE(sessions->size(), 2u);
  EXPECT_TRUE((*sessions)[0].current);  // newest first
  EXPECT_EQ((*sessions)[0].user_agent, "TestBrowser/1.0");
  const std::string other_id = (*sessions)[1].public_id;

  // Another member cannot end it; a malformed or unknown id is NotFound.
  const std::string frank_totp = Enrol("frank@example.org");
  const AuthContext frank = LoggedIn("frank@example.org", frank_totp);
  EXPECT_THAT(accounts_.EndSession(frank, other_id), StatusIs(ErrorCode::kNotFound));
  EXPECT_THAT(accounts_.EndSession(*ctx, "nonsense"), StatusIs(ErrorCode::kNotFound));
  EXPECT_THAT(accounts_.EndSession(*ctx, std::string(32, '0')), StatusIs(ErrorCode::kNotFound));

  EXPECT_THAT(accounts_.EndSession(*ctx, other_id), IsOk());
  EXPECT_THAT(accounts_.Authenticate(first, "127.0.0.1").status(),
              StatusIs(ErrorCode::kUnauthenticated));
  EXPECT_THAT(accounts_.Authenticate(second, "127.0.0.1").status(), IsOk());
  auto after = accounts_.ListSessions(*ctx);
  ASSERT_THAT(after.status(), IsOk());
  EXPECT_EQ(after->size(), sessions->size() - 1);

  // Idle sessions are no longer listed.
  clock_.Advance(31min);
  auto fresh = LoggedIn("erin@example.org", totp);
  after = accounts_.ListSessions(fresh);
  ASSERT_THAT(after.status(), IsOk());
  ASSERT_EQ(after->size(), 1u);
  EXPECT_TRUE((*after)[0].current);
}

}  // namespace
}  // namespace sealpost::app
