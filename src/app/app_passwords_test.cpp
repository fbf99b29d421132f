// App passwords: shown once, found again only by the password, tied to their member's address,
// unwrapping that member's UMK without any session, one answer for every failure, throttled,
// limited, revoked at once (by the member, by disabling, by a password change or recovery), and
// audited without the secret.
#include "app/app_passwords.h"

#include <gtest/gtest.h>

#include "app/admin.h"
#include "app/app_test_fixture.h"
#include "testing/app_password_shape.h"

namespace sealpost::app {
namespace {

crypto::SecretString Pw(std::string_view text) { return crypto::SecretString::CopyOf(text); }

class AppPasswordsTest : public AppTest {
 protected:
  void SetUp() override {
    totp_ = Enrol("ann@a.example");
    ctx_.emplace(LoggedIn("ann@a.example", totp_));
  }
  const AuthContext& ann() { return *ctx_; }

  std::string Create(const std::string& name = "Thunderbird") {
    auto created = passwords_.Create(ann(), name);
    EXPECT_THAT(created.status(), IsOk());
    return created.ok() ? std::string(created->password.view()) : "";
  }
  Status Auth(std::string_view email, std::string_view password,
              std::string_view client = "192.0.2.7") {
    return passwords_.Authenticate(email, Pw(password), client).status();
  }

  std::string totp_;
  std::optional<AuthContext> ctx_;
  AppPasswords passwords_{services_, AppPasswordLimits{3, 20, 2},
                          MailProgramSettings{"mail.a.example", 2587, 2465}};
};

TEST_F(AppPasswordsTest, APasswordLogsInAsItsMemberAndUnwrapsTheMembersKeys) {
  auto created = passwords_.Create(ann(), "Thunderbird at home");
  ASSERT_THAT(created.status(), IsOk());
  const std::string password(created->password.view());
  EXPECT_TRUE(testutil::IsShownAppPassword(password)) << password;
  EXPECT_EQ(created->info.name, "Thunderbird at home");
  EXPECT_EQ(created->info.id.size(), 32u);
  EXPECT_FALSE(created->info.last_used_at.has_value());
  EXPECT_TRUE(AuditHas("app_password_created"));

  // Sessions play no part: even with every session ended, the password works.
  ASSERT_THAT(accounts_.LogoutEverywhere(ann()), IsOk());
  auto ctx = passwords_.Authenticate("Ann@A.example", created->password, "192.0.2.7");
  ASSERT_THAT(ctx.status(), IsOk());
  EXPECT_EQ(ctx->user.id, ann().user.id);
  EXPECT_EQ(ctx->client_address, "192.0.2.7");
  EXPECT_EQ(ctx->session.public_id, created->info.id);
  EXPECT_EQ(ctx->session.kind, store::SessionKind::kFull);
  EXPECT_TRUE(ctx->session.lookup.empty());
  // The UMK it unwrapped opens the member's own signing key: mail from a mail program is sealed
  // with the member's key.
  auto signing = ctx->SigningKey();
  ASSERT_THAT(signing.status(), IsOk());
  const Bytes stored_verify_key = ann().user.verify_key;
  EXPECT_EQ(Bytes(signing->verify_key().bytes().begin(), signing->verify_key().bytes().end()),
            stored_verify_key);
  EXPECT_THAT(ctx->BoxKey().status(), IsOk());
  // A typed copy without dashes, in capitals, works too.
  std::string typed;
  for (char c : password) {
    if (c != '-') typed += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  EXPECT_THAT(Auth("ann@a.example", typed), IsOk());

  // Only a derivation of the password is stored, and no audit event carries it.
  auto stored = store_->app_passwords().ListAppPasswordsOfUser(ann().user.id);
  ASSERT_THAT(stored.status(), IsOk());
  ASSERT_EQ(stored->size(), 1u);
  EXPECT_EQ((*stored)[0].lookup.find(typed), std::string::npos);
  for (const auto& e : AuditEvents()) {
    EXPECT_EQ(e.details.find(password.substr(0, 9)), std::string::npos) << e.type;
  }
  EXPECT_EQ(passwords_.mail_settings().host, "mail.a.example");
}

TEST_F(AppPasswordsTest, EveryFailureIsTheSameAnswer) {
  const std::string password = Create();
  const std::string bens_totp = Enrol("ben@a.example");
  auto bens = passwords_.Create(LoggedIn("ben@a.example", bens_totp), "Outlook");
  ASSERT_THAT(bens.status(), IsOk());
  const std::string revoked = Create("old phone");
  const auto listed = passwords_.List(ann());
  ASSERT_THAT(listed.status(), IsOk());
  for (const AppPasswordInfo& p : *listed) {
    if (p.name == "old phone") {
      ASSERT_THAT(passwords_.Revoke(ann(), p.id), IsOk());
    }
  }

  std::string flipped = password;
  flipped[0] = flipped[0] == 'a' ? 'b' : 'a';
  const std::vector<std::pair<std::string, std::string>> failures = {
      {"ann@a.example", flipped},                             // wrong password
      {"ann@a.example", std::string(bens->password.view())},  // another member's password
      {"ben@a.example", password},                            // my password, another's address
      {"nobody@a.example", password},                         // unknown address
      {"not an address", password},                           // malformed address
      {"ann@a.example", "correct horse battery staple"},      // the log-in password is not one
      {"ann@a.example", ""},                                  // empty
      {"ann@a.example", std::string(10'000, 'a')},            // over-long
      {"ann@a.example", revoked},                             // revoked
  };
  for (size_t i = 0; i < failures.size(); ++i) {
    const auto& [email, typed] = failures[i];
    // Each from its own address, so the throttle does not answer first.
    const Status s = Auth(email, typed, "198.51.100." + std::to_string(i + 1));
    EXPECT_THAT(s, StatusIs(ErrorCode::kUnauthenticated)) << email << " " << typed;
    EXPECT_EQ(s.message(), "wrong email address or app password");
    EXPECT_EQ(s.reason(), Reason::kInvalidCredentials);
  }
  const auto events = AuditEvents();
  EXPECT_GE(std::count_if(events.begin(), events.end(),
                          [](const auto& e) { return e.type == "app_password_auth_failed"; }),
            static_cast<long>(failures.size()));
  for (const auto& e : events) {
    EXPECT_EQ(e.details.find(password.substr(0, 9)), std::string::npos) << e.type;
  }
  // The right password still works.
  EXPECT_THAT(Auth("ann@a.example", password), IsOk());
}

TEST_F(AppPasswordsTest, RevocationIsImmediateAndOnlyTheOwnersToMake) {
  const std::string password = Create();
  const std::string id = (*passwords_.List(ann()))[0].id;
  ASSERT_THAT(Auth("ann@a.example", password), IsOk());
  const std::string bens_totp = Enrol("ben@a.example");
  const AuthContext ben = LoggedIn("ben@a.example", bens_totp);
  EXPECT_THAT(passwords_.Revoke(ben, id), StatusIs(ErrorCode::kNotFound));
  EXPECT_THAT(Auth("ann@a.example", password), IsOk());

  // A connection that logged in before the revocation is stopped too.
  auto logged_in = passwords_.Authenticate("ann@a.example", Pw(password), "192.0.2.7");
  ASSERT_THAT(logged_in.status(), IsOk());
  EXPECT_THAT(passwords_.StillLive(*logged_in), IsOk());
  ASSERT_THAT(passwords_.Revoke(ann(), id), IsOk());
  EXPECT_THAT(passwords_.StillLive(*logged_in), StatusIs(ErrorCode::kUnauthenticated));
  EXPECT_TRUE(AuditHas("app_password_revoked"));
  EXPECT_THAT(Auth("ann@a.example", password), StatusIs(ErrorCode::kUnauthenticated));
  EXPECT_THAT(passwords_.Revoke(ann(), id), StatusIs(ErrorCode::kNotFound));
  EXPECT_THAT(passwords_.Revoke(ann(), "../etc"), StatusIs(ErrorCode::kNotFound));
  EXPECT_TRUE(passwords_.List(ann())->empty());
  // Nothing left that could unwrap the UMK.
  auto stored = store_->app_passwords().ListAppPasswordsOfUser(ann().user.id);
  ASSERT_EQ(stored->size(), 1u);
  EXPECT_TRUE((*stored)[0].wrapped_umk.empty());
}

TEST_F(AppPasswordsTest, ListShowsLivePasswordsWithTheirLastUseNotedOnceAMinute) {
  const std::string first = Create("Thunderbird");
  clock_.Advance(1s);
  Create("Apple Mail");
  auto list = passwords_.List(ann());
  ASSERT_THAT(list.status(), IsOk());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].name, "Apple Mail");
  EXPECT_EQ((*list)[1].name, "Thunderbird");
  EXPECT_FALSE((*list)[1].last_used_at.has_value());

  const TimePoint first_use = clock_.Now();
  ASSERT_THAT(Auth("ann@a.example", first), IsOk());
  EXPECT_EQ((*passwords_.List(ann()))[1].last_used_at, first_use);
  clock_.Advance(30s);
  ASSERT_THAT(Auth("ann@a.example", first), IsOk());
  EXPECT_EQ((*passwords_.List(ann()))[1].last_used_at, first_use);  // not written again yet
  clock_.Advance(31s);
  ASSERT_THAT(Auth("ann@a.example", first), IsOk());
  EXPECT_EQ((*passwords_.List(ann()))[1].last_used_at, clock_.Now());
}

TEST_F(AppPasswordsTest, NamesAndNumbersAreLimited) {
  for (const std::string& bad : {std::string(), std::string(21, 'x'), std::string("tab\there")}) {
    EXPECT_THAT(passwords_.Create(ann(), bad).status(), StatusIs(ErrorCode::kInvalidArgument))
        << bad;
  }
  EXPECT_THAT(passwords_.Create(ann(), "Téléphone").status(), IsOk());
  Create("2");
  Create("3");
  EXPECT_THAT(passwords_.Create(ann(), "4").status(), StatusIs(ErrorCode::kConflict));
  // Revoked ones do not count, and only the newest revoked ones are kept (keep_revoked = 2).
  for (int i = 0; i < 4; ++i) {
    ASSERT_THAT(passwords_.Revoke(ann(), (*passwords_.List(ann()))[0].id), IsOk());
    ASSERT_THAT(passwords_.Create(ann(), "again").status(), IsOk());
  }
  EXPECT_EQ(passwords_.List(ann())->size(), 3u);
  EXPECT_EQ(store_->app_passwords().ListAppPasswordsOfUser(ann().user.id)->size(), 3u + 2u);
}

TEST_F(AppPasswordsTest, GuessingIsThrottledPerAccountAndAddress) {
  const std::string password = Create();
  std::string wrong = password;
  wrong[0] = wrong[0] == 'a' ? 'b' : 'a';
  for (int i = 0; i < 5; ++i) {
    EXPECT_THAT(Auth("ann@a.example", wrong, "203.0.113.9"), StatusIs(ErrorCode::kUnauthenticated));
  }
  // Throttled at that address, even with the right password…
  EXPECT_THAT(Auth("ann@a.example", password, "203.0.113.9"), StatusIs(ErrorCode::kRateLimited));
  // …while the member's own mail program elsewhere goes on.
  EXPECT_THAT(Auth("ann@a.example", password, "192.0.2.7"), IsOk());
  // The window passes.
  clock_.Advance(16min);
  EXPECT_THAT(Auth("ann@a.example", password, "203.0.113.9"), IsOk());
}

TEST_F(AppPasswordsTest, DisablingTheMemberRevokesTheirPasswords) {
  const AuthContext root = BootstrapAdminSession();
  const std::string password = Create();
  auto logged_in = passwords_.Authenticate("ann@a.example", Pw(password), "192.0.2.7");
  ASSERT_THAT(logged_in.status(), IsOk());
  Admin admin(services_);
  ASSERT_THAT(admin.SetDisabled(root, ann().user.id.str(), true), IsOk());
  EXPECT_THAT(passwords_.StillLive(*logged_in), StatusIs(ErrorCode::kUnauthenticated));
  EXPECT_THAT(Auth("ann@a.example", password), StatusIs(ErrorCode::kUnauthenticated));
  ASSERT_THAT(admin.SetDisabled(root, ann().user.id.str(), false), IsOk());
  // Enabled again, the member makes new passwords: the old ones stay revoked.
  EXPECT_THAT(Auth("ann@a.example", password), StatusIs(ErrorCode::kUnauthenticated));
  auto stored = store_->app_passwords().ListAppPasswordsOfUser(ann().user.id);
  ASSERT_EQ(stored->size(), 1u);
  EXPECT_FALSE((*stored)[0].live());
}

TEST_F(AppPasswordsTest, APasswordChangeOrRecoveryRevokesThem) {
  const std::string before_change = Create();
  ASSERT_THAT(accounts_.ChangePassword(ann(), kPassword, "another long password"), IsOk());
  EXPECT_THAT(Auth("ann@a.example", before_change), StatusIs(ErrorCode::kUnauthenticated));

  const std::string before_recovery = Create();
  ASSERT_THAT(Auth("ann@a.example", before_recovery), IsOk());
  auto recovered = accounts_.Recover("ann@a.example", recovery_codes_["ann@a.example"],
                                     "a third long password", "10.0.0.1");
  ASSERT_THAT(recovered.status(), IsOk());
  EXPECT_THAT(Auth("ann@a.example", before_recovery), StatusIs(ErrorCode::kUnauthenticated));
  EXPECT_TRUE(passwords_.List(ann())->empty());
}

TEST_F(AppPasswordsTest, MailSettingsDefaultToThePublicHost) {
  EXPECT_EQ(AppPasswords(services_).mail_settings().host, "127.0.0.1");
  EXPECT_EQ(AppPasswords(services_).mail_settings().starttls_port, 0);
}

}  // namespace
}  // namespace sealpost::app
