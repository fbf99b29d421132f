// API tokens: created for a role the member holds, shown once, found again only by the secret,
// limited, expiring, revocable, audited, and never a way to a member's keys.
#include "app/api_tokens.h"

#include <gtest/gtest.h>

#include "app/admin.h"
#include "app/app_test_fixture.h"

namespace sealpost::app {
namespace {

class ApiTokensTest : public AppTest {
 protected:
  void SetUp() override {
    totp_ = Enrol("aud@a.example");
    ctx_.emplace(LoggedIn("aud@a.example", totp_));
    ASSERT_THAT(store_->Write([&](store::WriteTxn& tx) {
      return tx.access().PutRoleGrant({ctx_->user.id, Role::kAuditor, "*", "test", clock_.Now()});
    }),
                IsOk());
  }
  const AuthContext& aud() { return *ctx_; }

  std::string totp_;
  std::optional<AuthContext> ctx_;
  ApiTokens tokens_{services_, ApiTokenLimits{3, 64, 365}};
  Admin admin_{services_};
};

TEST_F(ApiTokensTest, ATokenAuthenticatesAsItsMemberWithItsRole) {
  auto created = tokens_.Create(aud(), "siem export", "auditor", 30);
  ASSERT_THAT(created.status(), IsOk());
  const std::string secret(created->secret.view());
  EXPECT_TRUE(secret.starts_with("spt_"));
  EXPECT_EQ(secret.size(), 4u + 43u);
  // Only a derivation of the secret is stored.
  EXPECT_EQ(secret.find(created->record.lookup), std::string::npos);
  auto stored = store_->access().GetApiToken(created->record.lookup);
  ASSERT_THAT(stored.status(), IsOk());
  EXPECT_EQ(stored->name, "siem export");
  EXPECT_EQ(stored->expires_at, clock_.Now() + std::chrono::hours(24 * 30));
  EXPECT_TRUE(AuditHas("api_token_created"));
  for (const auto& e : AuditEvents())
    EXPECT_EQ(e.details.find(secret.substr(4)), std::string::npos);

  auto caller = tokens_.Authenticate(secret, "192.0.2.1");
  ASSERT_THAT(caller.status(), IsOk());
  EXPECT_EQ(caller->user.id, aud().user.id);
  ASSERT_TRUE(caller->token_role.has_value());
  EXPECT_EQ(*caller->token_role, Role::kAuditor);
  EXPECT_EQ(caller->token_id, created->record.public_id);
  EXPECT_TRUE(store_->access().GetApiToken(created->record.lookup)->last_used_at.has_value());

  // What the auditor may: read and verify the log. What not: change anything.
  EXPECT_THAT(admin_.ListAudit(*caller, std::nullopt, 10).status(), IsOk());
  EXPECT_THAT(admin_.VerifyAudit(*caller).status(), IsOk());
  EXPECT_THAT(admin_.Invite(*caller, "x@a.example"), StatusIs(ErrorCode::kPermissionDenied));
  EXPECT_THAT(admin_.SetDisabled(*caller, aud().user.id.str(), true),
              StatusIs(ErrorCode::kPermissionDenied));
  EXPECT_THAT(admin_.GrantRole(*caller, aud().user.id.str(), "administrator", "*"),
              StatusIs(ErrorCode::kPermissionDenied));
}

TEST_F(ApiTokensTest, AnyAlteredUnknownExpiredOrRevokedTokenIsUnauthenticated) {
  auto created = tokens_.Create(aud(), "ci", "auditor", 1);
  ASSERT_THAT(created.status(), IsOk());
  std::string secret(created->secret.view());
  std::string flipped = secret;
  flipped[10] = flipped[10] == 'A' ? 'B' : 'A';
  for (const std::string& bad :
       std::vector<std::string>{flipped, secret.substr(4), "spt_", "Bearer " + secret, secret + "A",
                                std::string("spt_") + std::string(43, '!')}) {
    EXPECT_THAT(tokens_.Authenticate(bad, "x").status(), StatusIs(ErrorCode::kUnauthenticated))
        << bad;
  }
  clock_.Advance(std::chrono::hours(24));
  EXPECT_THAT(tokens_.Authenticate(secret, "x").status(), StatusIs(ErrorCode::kUnauthenticated));

  auto second = tokens_.Create(aud(), "ci 2", "auditor", 1);
  ASSERT_THAT(second.status(), IsOk());
  ASSERT_THAT(tokens_.Authenticate(second->secret.view(), "x").status(), IsOk());
  ASSERT_THAT(tokens_.Revoke(aud(), second->record.public_id), IsOk());
  EXPECT_TRUE(AuditHas("api_token_revoked"));
  EXPECT_THAT(tokens_.Authenticate(second->secret.view(), "x").status(),
              StatusIs(ErrorCode::kUnauthenticated));
  EXPECT_THAT(tokens_.Revoke(aud(), second->record.public_id), StatusIs(ErrorCode::kNotFound));
  EXPECT_THAT(tokens_.Revoke(aud(), "../x"), StatusIs(ErrorCode::kNotFound));
}

TEST_F(ApiTokensTest, OnlyTheOwnerRevokesAndADisabledOwnersTokensStop) {
  const std::string bob_totp = Enrol("bob@a.example");
  const AuthContext bob = LoggedIn("bob@a.example", bob_totp);
  auto created = tokens_.Create(aud(), "ci", "auditor", 7);
  ASSERT_THAT(created.status(), IsOk());
  EXPECT_THAT(tokens_.Revoke(bob, created->record.public_id), StatusIs(ErrorCode::kNotFound));
  EXPECT_TRUE(tokens_.List(bob)->empty());
  ASSERT_EQ(tokens_.List(aud())->size(), 1u);
  ASSERT_THAT(store_->Write([&](store::WriteTxn& tx) {
    return tx.accounts().SetUserDisabled(aud().user.id, true);
  }),
              IsOk());
  EXPECT_THAT(tokens_.Authenticate(created->secret.view(), "x").status(),
              StatusIs(ErrorCode::kUnauthenticated));
}

TEST_F(ApiTokensTest, CreationIsLimited) {
  EXPECT_THAT(tokens_.Create(aud(), "x", "administrator", 1).status(),
              StatusIs(ErrorCode::kPermissionDenied));  // a role she does not hold
  EXPECT_THAT(tokens_.Create(aud(), "x", "member", 1).status(),
              StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(tokens_.Create(aud(), "x", "boss", 1).status(),
              StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(tokens_.Create(aud(), "", "auditor", 1).status(),
              StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(tokens_.Create(aud(), std::string(65, 'n'), "auditor", 1).status(),
              StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(tokens_.Create(aud(), "tab\there", "auditor", 1).status(),
              StatusIs(ErrorCode::kInvalidArgument));
  for (const int64_t days : {int64_t{0}, int64_t{-1}, int64_t{366}}) {
    EXPECT_THAT(tokens_.Create(aud(), "x", "auditor", days).status(),
                StatusIs(ErrorCode::kInvalidArgument))
        << days;
  }
  for (int i = 0; i < 3; ++i) {
    ASSERT_THAT(tokens_.Create(aud(), "t" + std::to_string(i), "auditor", 365).status(), IsOk());
  }
  EXPECT_THAT(tokens_.Create(aud(), "t4", "auditor", 1).status(), StatusIs(ErrorCode::kConflict));
}

}  // namespace
}  // namespace sealpost::app
