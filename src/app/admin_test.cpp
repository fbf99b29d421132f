// Administrator use cases: accounts, disabling, invitations, the audit listing.
#include "app/admin.h"

#include "tlog/merkle.h"

#include <gtest/gtest.h>

#include <set>

#include "app/app_test_fixture.h"

namespace sealpost::app {
namespace {

class AdminTest : public AppTest {
 protected:
  void SetUp() override { admin_ctx_.emplace(BootstrapAdminSession()); }

  const AuthContext& root() { return *admin_ctx_; }

  std::optional<AuthContext> admin_ctx_;
  Admin admin_{services_};
};

TEST_F(AdminTest, DisabledAccountsLoseSessionsAndCannotLogInOrRecover) {
  const std::string totp = Enrol("bob@example.org");
  const std::string cookie = LoginCookie("bob@example.org", totp);
  const UserId bob = store_->accounts().GetUserByEmail("bob@example.org")->id;

  ASSERT_THAT(admin_.SetDisabled(root(), bob.str(), true), IsOk());
  EXPECT_THAT(accounts_.Authenticate(cookie, "127.0.0.1").status(),
              StatusIs(ErrorCode::kUnauthenticated));
  EXPECT_TRUE(store_->accounts().ListSessionsOfUser(bob, 10)->empty());
  clock_.Advance(31s);
  auto login = accounts_.Login("bob@example.org", kPassword, "127.0.0.1");
  EXPECT_THAT(login.status(), StatusIs(ErrorCode::kUnauthenticated));
  auto wrong = accounts_.Login("bob@example.org", "a wrong password!", "127.0.0.2");
  EXPECT_EQ(login.status().message(), wrong.status().message());
  EXPECT_THAT(accounts_
                  .Recover("bob@example.org", recovery_codes_["bob@example.org"],
                           "a new long password", "127.0.0.3")
                  .status(),
              StatusIs(ErrorCode::kUnauthenticated));

  auto page = admin_.ListAccounts(root(), "", 10);
  ASSERT_THAT(page.status(), IsOk());
  bool seen = false;
  for (const auto& a : page->items) {
    if (a.id == bob) {
      seen = true;
      EXPECT_EQ(a.status, AccountStatus::kDisabled);
    }
  }
  EXPECT_TRUE(seen);

  ASSERT_THAT(admin_.SetDisabled(root(), bob.str(), false), IsOk());
  EXPECT_FALSE(store_->accounts().GetUser(bob)->disabled);
  EXPECT_EQ(store_->accounts().GetUser(bob)->state, store::UserState::kActive);
  EXPECT_NE(LoginCookie("bob@example.org", totp), "");

  int disabled = 0, enabled = 0;
  for (const auto& e : AuditEvents()) {
    if (e.type == "user_disabled" && e.subject == bob.str()) ++disabled;
    if (e.type == "user_enabled" && e.subject == bob.str()) ++enabled;
  }
  EXPECT_EQ(disabled, 1);
  EXPECT_EQ(enabled, 1);
}

TEST_F(AdminTest, RulesForWhoAndWhom) {
  const std::string totp = Enrol("carol@example.org");
  const AuthContext carol = LoggedIn("carol@example.org", totp);
  EXPECT_THAT(admin_.SetDisabled(root(), root().user.id.str(), true),
              StatusIs(ErrorCode::kConflict));
  EXPECT_FALSE(store_->accounts().GetUser(root().user.id)->disabled);
  EXPECT_THAT(admin_.SetDisabled(carol, root().user.id.str(), true),
              StatusIs(ErrorCode::kPermissionDenied));
  EXPECT_THAT(admin_.ListAccounts(carol, "", 10).status(), StatusIs(ErrorCode::kPermissionDenied));
  EXPECT_THAT(admin_.ListAudit(carol, std::nullopt, 10).status(),
              StatusIs(ErrorCode::kPermissionDenied));
  EXPECT_THAT(admin_.Invite(carol, "x@example.org"), StatusIs(ErrorCode::kPermissionDenied));
  EXPECT_THAT(admin_.SetDisabled(root(), std::string(32, 'f'), true),
              StatusIs(ErrorCode::kNotFound));
  EXPECT_THAT(admin_.SetDisabled(root(), "../etc", true), StatusIs(ErrorCode::kNotFound));
  EXPECT_THAT(admin_.ListAccounts(root(), "", 0).status(), StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(admin_.ListAccounts(root(), "", 201).status(), StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(admin_.ListAccounts(root(), "zz", 10).status(),
              StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(admin_.ListAudit(root(), 0, 10).status(), StatusIs(ErrorCode::kInvalidArgument));
}

TEST_F(AdminTest, AccountsArePagedInAddressOrder) {
  Enrol("dave@example.org");
  Enrol("bob@example.org");
  ASSERT_THAT(accounts_.SignUp(
                  {"carol@example.org", crypto::SecretString::CopyOf(kPassword), "", "127.0.0.1"}),
              IsOk());
  std::vector<AccountSummary> all;
  std::string cursor;
  int pages = 0;
  do {
    auto page = admin_.ListAccounts(root(), cursor, 2);
    ASSERT_THAT(page.status(), IsOk());
    ASSERT_LE(page->items.size(), 2u);
    all.insert(all.end(), page->items.begin(), page->items.end());
    cursor = page->next_cursor.value_or("");
    ++pages;
  } while (!cursor.empty() && pages < 10);
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(pages, 2);
  EXPECT_EQ(all[0].email, "bob@example.org");
  EXPECT_EQ(all[1].email, "carol@example.org");
  EXPECT_EQ(all[1].status, AccountStatus::kUnverified);
  EXPECT_EQ(all[2].email, "dave@example.org");
  EXPECT_EQ(all[2].status, AccountStatus::kActive);
  EXPECT_TRUE(all[2].totp_enabled);
  EXPECT_FALSE(all[2].is_admin);
  EXPECT_EQ(all[3].email, "root@example.org");
  EXPECT_TRUE(all[3].is_admin);
}

TEST_F(AdminTest, AuditIsPagedNewestFirst) {
  Enrol("bob@example.org");
  const auto everything = AuditEvents();
  ASSERT_GT(everything.size(), 7u);
  // Pending so far: the first page sequences them (this process is the sequencer).
  EXPECT_FALSE(store_->log().ReadPendingEvents(1)->empty());

  std::vector<uint64_t> indexes;
  std::optional<int64_t> before;
  for (int i = 0; i < 100; ++i) {
    auto page = admin_.ListAudit(root(), before, 3);
    ASSERT_THAT(page.status(), IsOk());
    ASSERT_LE(page->items.size(), 3u);
    EXPECT_EQ(page->pending, 0);
    for (const auto& e : page->items) {
      ASSERT_TRUE(e.index.has_value());
      indexes.push_back(*e.index);
    }
    if (!page->next_before) break;
    EXPECT_EQ(*page->next_before, static_cast<int64_t>(*page->items.back().index));
    before = page->next_before;
  }
  ASSERT_EQ(indexes.size(), everything.size());
  for (size_t i = 0; i < indexes.size(); ++i) EXPECT_EQ(indexes[i], everything.size() - 1 - i);
  auto newest = admin_.ListAudit(root(), std::nullopt, 1);
  ASSERT_THAT(newest.status(), IsOk());
  auto last = store_->log().ReadLogEntriesBefore(UINT64_MAX >> 1, 1);
  ASSERT_THAT(last.status(), IsOk());
  const tlog::Hash hash = tlog::LeafHash((*last)[0].leaf);
  EXPECT_EQ(newest->items[0].leaf_hash, Bytes(hash.begin(), hash.end()));
  EXPECT_EQ(newest->items[0].event.type, everything.back().type);
}

// A process that is not the sequencer lists what waits on top, without an index.
TEST_F(AdminTest, PendingEventsAreListedOnTopWhenAnotherProcessSequences) {
  auto lease = store_->log().TryAcquireSequencerLease();  // "another process" holds it
  ASSERT_THAT(lease.status(), IsOk());
  ASSERT_THAT(admin_.Invite(root(), "someone@example.org"), IsOk());
  auto page = admin_.ListAudit(root(), std::nullopt, 5);
  ASSERT_THAT(page.status(), IsOk());
  ASSERT_FALSE(page->items.empty());
  EXPECT_GT(page->pending, 0);
  EXPECT_FALSE(page->items[0].index.has_value());
  EXPECT_EQ(page->items[0].event.type, "invitation_sent");
  auto report = admin_.VerifyAudit(root());
  ASSERT_THAT(report.status(), IsOk());
  EXPECT_TRUE(report->ok) << report->problem;
  EXPECT_GT(report->pending, 0);
}

TEST_F(AdminTest, InvitationsAreMailedAuditedAndLimited) {
  ASSERT_THAT(admin_.Invite(root(), "New.Person+x@Example.org"), IsOk());
  auto audit = admin_.ListAudit(root(), std::nullopt, 1);
  ASSERT_THAT(audit.status(), IsOk());
  EXPECT_EQ(audit->items[0].event.type, "invitation_sent");
  EXPECT_EQ(audit->items[0].event.actor, root().user.id.str());
  DeliverQueuedMail();
  const std::string& text = mailer_.sent.back().text;
  EXPECT_NE(text.find(services_.config.public_url + "/signup?email=new.person%2Bx%40example.org"),
            std::string::npos)
      << text;

  EXPECT_THAT(admin_.Invite(root(), "root@example.org"), StatusIs(ErrorCode::kConflict));
  EXPECT_THAT(admin_.Invite(root(), "not an address"), StatusIs(ErrorCode::kInvalidArgument));

  Services limited = services_;
  limited.config.max_invitations_per_hour = 2;
  Admin strict(limited);
  const size_t mails = mailer_.sent.size();
  EXPECT_THAT(strict.Invite(root(), "second@example.org"), IsOk());
  EXPECT_THAT(strict.Invite(root(), "third@example.org"), StatusIs(ErrorCode::kRateLimited));
  DeliverQueuedMail();
  EXPECT_EQ(mailer_.sent.size(), mails + 1);
  clock_.Advance(61min);
  EXPECT_THAT(strict.Invite(root(), "third@example.org"), IsOk());
}

}  // namespace
}  // namespace sealpost::app

namespace sealpost::app {
namespace {

// Two organisations on one instance: a.example's administrator sees and changes only a.example.
class DomainAdminTest : public AdminTest {
 protected:
  void SetUp() override {
    AdminTest::SetUp();
    dana_totp_ = Enrol("dana@a.example");
    eve_totp_ = Enrol("eve@a.example");
    Enrol("bob@b.example");
    dana_id_ = store_->accounts().GetUserByEmail("dana@a.example")->id;
    ASSERT_THAT(admin_.GrantRole(root(), dana_id_.str(), "administrator", "a.example"), IsOk());
    dana_.emplace(LoggedIn("dana@a.example", dana_totp_));
  }
  UserId Id(const std::string& email) { return store_->accounts().GetUserByEmail(email)->id; }

  std::string dana_totp_;
  std::string eve_totp_;
  UserId dana_id_;
  std::optional<AuthContext> dana_;
};

TEST_F(DomainAdminTest, ADomainAdministratorListsAndChangesOnlyTheirDomain) {
  auto page = admin_.ListAccounts(*dana_, "", 50);
  ASSERT_THAT(page.status(), IsOk());
  std::set<std::string> emails;
  for (const auto& a : page->items) emails.insert(a.email);
  EXPECT_EQ(emails, (std::set<std::string>{"dana@a.example", "eve@a.example"}));
  EXPECT_THAT(admin_.ListAccounts(*dana_, "", 50, "b.example").status(),
              StatusIs(ErrorCode::kPermissionDenied));
  EXPECT_THAT(admin_.SetDisabled(*dana_, Id("bob@b.example").str(), true),
              StatusIs(ErrorCode::kNotFound));
  EXPECT_FALSE(store_->accounts().GetUserByEmail("bob@b.example")->disabled);
  EXPECT_THAT(admin_.SetDisabled(*dana_, Id("eve@a.example").str(), true), IsOk());
  EXPECT_TRUE(store_->accounts().GetUserByEmail("eve@a.example")->disabled);
  EXPECT_THAT(admin_.Invite(*dana_, "new@b.example"), StatusIs(ErrorCode::kPermissionDenied));
  EXPECT_THAT(admin_.Invite(*dana_, "new@a.example"), IsOk());
  // The log is not split by domain: reading it needs a grant over every domain.
  EXPECT_THAT(admin_.ListAudit(*dana_, std::nullopt, 10).status(),
              StatusIs(ErrorCode::kPermissionDenied));
  // The global administrator sees both domains.
  page = admin_.ListAccounts(root(), "", 50);
  ASSERT_THAT(page.status(), IsOk());
  EXPECT_EQ(page->items.size(), 4u);
  page = admin_.ListAccounts(root(), "", 50, "B.example");
  ASSERT_THAT(page.status(), IsOk());
  ASSERT_EQ(page->items.size(), 1u);
  EXPECT_EQ(page->items[0].email, "bob@b.example");
}

TEST_F(DomainAdminTest, RolesAreGrantedWithinScopeAndAudited) {
  const UserId eve = Id("eve@a.example");
  const UserId bob = Id("bob@b.example");
  ASSERT_THAT(admin_.GrantRole(*dana_, eve.str(), "auditor", "a.example"), IsOk());
  EXPECT_EQ(LastAuditType(), "role_granted");
  const size_t events = AuditEvents().size();
  ASSERT_THAT(admin_.GrantRole(*dana_, eve.str(), "auditor", "a.example"), IsOk());  // idempotent
  EXPECT_EQ(AuditEvents().size(), events);
  // Outside her domain: another domain's scope, or a user of another domain.
  EXPECT_THAT(admin_.GrantRole(*dana_, eve.str(), "auditor", "*"),
              StatusIs(ErrorCode::kPermissionDenied));
  EXPECT_THAT(admin_.GrantRole(*dana_, eve.str(), "auditor", "b.example"),
              StatusIs(ErrorCode::kPermissionDenied));
  EXPECT_THAT(admin_.GrantRole(*dana_, bob.str(), "auditor", "a.example"),
              StatusIs(ErrorCode::kNotFound));
  EXPECT_THAT(admin_.GrantRole(*dana_, dana_id_.str(), "auditor", "a.example"),
              StatusIs(ErrorCode::kConflict));
  EXPECT_THAT(admin_.GrantRole(*dana_, eve.str(), "member", "a.example"),
              StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(admin_.GrantRole(*dana_, eve.str(), "auditor", "a example"),
              StatusIs(ErrorCode::kInvalidArgument));

  auto roles = admin_.ListRoles(*dana_);
  ASSERT_THAT(roles.status(), IsOk());
  ASSERT_EQ(roles->size(), 2u);  // dana's and eve's, both on a.example
  for (const auto& r : *roles) EXPECT_EQ(r.domain, "a.example");
  ASSERT_THAT(admin_.GrantRole(root(), bob.str(), "compliance_officer", "b.example"), IsOk());
  EXPECT_EQ(admin_.ListRoles(*dana_)->size(), 2u);
  EXPECT_EQ(admin_.ListRoles(root())->size(), 3u);

  ASSERT_THAT(admin_.RevokeRole(*dana_, eve.str(), "auditor", "a.example"), IsOk());
  EXPECT_EQ(LastAuditType(), "role_revoked");
  EXPECT_THAT(admin_.RevokeRole(*dana_, eve.str(), "auditor", "a.example"),
              StatusIs(ErrorCode::kNotFound));
  EXPECT_THAT(admin_.RevokeRole(*dana_, bob.str(), "compliance_officer", "b.example"),
              StatusIs(ErrorCode::kPermissionDenied));
  // Once revoked, dana is a member again.
  ASSERT_THAT(admin_.RevokeRole(root(), dana_id_.str(), "administrator", "a.example"), IsOk());
  EXPECT_THAT(admin_.ListAccounts(*dana_, "", 50).status(), StatusIs(ErrorCode::kPermissionDenied));
}

TEST_F(DomainAdminTest, AnAuditorReadsTheLogButChangesNothing) {
  const UserId eve = Id("eve@a.example");
  const UserId bob = Id("bob@b.example");
  ASSERT_THAT(admin_.GrantRole(root(), eve.str(), "auditor", "*"), IsOk());
  const AuthContext auditor = LoggedIn("eve@a.example", eve_totp_);
  EXPECT_THAT(admin_.ListAudit(auditor, std::nullopt, 10).status(), IsOk());
  EXPECT_THAT(admin_.VerifyAudit(auditor).status(), IsOk());
  EXPECT_THAT(admin_.ListAccounts(auditor, "", 50).status(), IsOk());
  EXPECT_THAT(admin_.ListRoles(auditor).status(), IsOk());
  const size_t events = AuditEvents().size();
  EXPECT_THAT(admin_.SetDisabled(auditor, bob.str(), true), StatusIs(ErrorCode::kPermissionDenied));
  EXPECT_THAT(admin_.Invite(auditor, "x@a.example"), StatusIs(ErrorCode::kPermissionDenied));
  EXPECT_THAT(admin_.GrantRole(auditor, bob.str(), "auditor", "*"),
              StatusIs(ErrorCode::kPermissionDenied));
  EXPECT_THAT(admin_.RevokeRole(auditor, eve.str(), "auditor", "*"),
              StatusIs(ErrorCode::kPermissionDenied));
  EXPECT_FALSE(store_->accounts().GetUser(bob)->disabled);
  EXPECT_EQ(AuditEvents().size(), events);
}

}  // namespace
}  // namespace sealpost::app
