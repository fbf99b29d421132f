// The access domain (store/access_store.h) on every backend, like store_test.cpp: role grants
// unique per (user, role, domain) and gone with their user, users listed by exact domain, and API
// tokens found by lookup, listed per user, touched and revoked.
#include <gtest/gtest.h>

#include "store/store.h"
#include "store/testing/backend_test.h"
#include "store/testing/test_database.h"
#include "testing/status_matchers.h"

namespace sealpost::store {
namespace {

const TimePoint kT0 = FromUnixMillis(1'790'000'000'000);

using testing::Backend;

class AccessStoreTest : public testing::BackendTest {
 protected:
  UserId AddUser(char fill, const std::string& email) {
    const UserRecord u = testing::MakeTestUser(std::string(32, fill), email, kT0);
    EXPECT_THAT(Write([&](WriteTxn& tx) { return tx.accounts().CreateUser(u); }), IsOk());
    return u.id;
  }
  static ApiTokenRecord Token(const std::string& public_id, const UserId& user, int64_t at_ms) {
    ApiTokenRecord t;
    t.public_id = public_id;
    t.lookup = std::string(64, public_id[0]);
    t.user_id = user;
    t.name = "ci " + public_id;
    t.role = Role::kAuditor;
    t.created_at = kT0 + std::chrono::milliseconds(at_ms);
    t.expires_at = kT0 + std::chrono::hours(24);
    return t;
  }
};

INSTANTIATE_TEST_SUITE_P(Backends, AccessStoreTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         [](const auto& info) { return testing::BackendName(info.param); });

TEST_P(AccessStoreTest, GrantsAreUniqueListedAndRevoked) {
  const UserId alice = AddUser('a', "alice@example.org");
  const UserId bob = AddUser('b', "bob@example.net");
  const RoleGrantRecord admin_org{alice, Role::kAdministrator, "example.org", "system", kT0};
  const RoleGrantRecord auditor_all{alice, Role::kAuditor, "*", "system", kT0};
  const RoleGrantRecord bob_co{bob, Role::kComplianceOfficer, "example.net", alice.str(), kT0};
  for (const auto* g : {&admin_org, &auditor_all, &bob_co}) {
    ASSERT_THAT(Write([&](WriteTxn& tx) { return tx.access().PutRoleGrant(*g); }), IsOk());
  }
  EXPECT_THAT(Write([&](WriteTxn& tx) { return tx.access().PutRoleGrant(admin_org); }),
              StatusIs(ErrorCode::kConflict));

  auto mine = store_->access().ListRoleGrantsOfUser(alice);
  ASSERT_THAT(mine.status(), IsOk());
  ASSERT_EQ(mine->size(), 2u);
  EXPECT_EQ((*mine)[0].role, Role::kAdministrator);
  EXPECT_EQ((*mine)[0].domain, "example.org");
  EXPECT_EQ((*mine)[1].role, Role::kAuditor);
  EXPECT_EQ((*mine)[1].domain, "*");
  EXPECT_EQ((*mine)[1].granted_at, kT0);

  auto all = store_->access().ListRoleGrants(10);
  ASSERT_THAT(all.status(), IsOk());
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].domain, "*");              // by domain first
  EXPECT_EQ((*all)[1].granted_by, alice.str());  // example.net before example.org
  EXPECT_EQ((*all)[2].domain, "example.org");
  auto one = store_->access().ListRoleGrants(1);
  ASSERT_THAT(one.status(), IsOk());
  EXPECT_EQ(one->size(), 1u);

  ASSERT_THAT(Write([&](WriteTxn& tx) {
                return tx.access().DeleteRoleGrant(alice, Role::kAdministrator, "example.org");
              }),
              IsOk());
  EXPECT_THAT(Write([&](WriteTxn& tx) {
                return tx.access().DeleteRoleGrant(alice, Role::kAdministrator, "example.org");
              }),
              StatusIs(ErrorCode::kNotFound));
  // Another domain's grant is another grant.
  EXPECT_THAT(Write([&](WriteTxn& tx) {
                return tx.access().DeleteRoleGrant(bob, Role::kComplianceOfficer, "example.org");
              }),
              StatusIs(ErrorCode::kNotFound));
  mine = store_->access().ListRoleGrantsOfUser(alice);
  ASSERT_THAT(mine.status(), IsOk());
  EXPECT_EQ(mine->size(), 1u);
}

TEST_P(AccessStoreTest, GrantsAndTokensGoWithTheirUser) {
  const UserId alice = AddUser('a', "alice@example.org");
  ASSERT_THAT(Write([&](WriteTxn& tx) {
                return tx.access().PutRoleGrant({alice, Role::kAuditor, "*", "system", kT0});
              }),
              IsOk());
  ASSERT_THAT(Write([&](WriteTxn& tx) { return tx.access().CreateApiToken(Token("1", alice, 0)); }),
              IsOk());
  ASSERT_THAT(Write([&](WriteTxn& tx) { return tx.accounts().DeleteUser(alice); }), IsOk());
  auto grants = store_->access().ListRoleGrants(10);
  ASSERT_THAT(grants.status(), IsOk());
  EXPECT_TRUE(grants->empty());
  EXPECT_THAT(store_->access().GetApiToken(std::string(64, '1')).status(),
              StatusIs(ErrorCode::kNotFound));
}

TEST_P(AccessStoreTest, UsersOfADomainMatchTheWholeDomainOnly) {
  AddUser('a', "alice@example.org");
  AddUser('b', "bob@example.org");
  AddUser('c', "carol@sub.example.org");
  AddUser('d', "dave@example.org.evil");
  AddUser('e', "erin@xexample.org");
  auto page = store_->access().ListUsersOfDomain("example.org", nullptr, 10);
  ASSERT_THAT(page.status(), IsOk());
  ASSERT_EQ(page->size(), 2u);
  EXPECT_EQ((*page)[0].email, "alice@example.org");
  EXPECT_EQ((*page)[1].email, "bob@example.org");
  const std::string after = "alice@example.org";
  page = store_->access().ListUsersOfDomain("example.org", &after, 10);
  ASSERT_THAT(page.status(), IsOk());
  ASSERT_EQ(page->size(), 1u);
  EXPECT_EQ((*page)[0].email, "bob@example.org");
  page = store_->access().ListUsersOfDomain("example.org", nullptr, 1);
  ASSERT_THAT(page.status(), IsOk());
  EXPECT_EQ(page->size(), 1u);
  // A LIKE wildcard in the domain matches nothing.
  page = store_->access().ListUsersOfDomain("%", nullptr, 10);
  ASSERT_THAT(page.status(), IsOk());
  EXPECT_TRUE(page->empty());
}

TEST_P(AccessStoreTest, ApiTokensAreFoundListedTouchedAndRevoked) {
  const UserId alice = AddUser('a', "alice@example.org");
  const UserId bob = AddUser('b', "bob@example.org");
  ASSERT_THAT(Write([&](WriteTxn& tx) { return tx.access().CreateApiToken(Token("1", alice, 0)); }),
              IsOk());
  ASSERT_THAT(Write([&](WriteTxn& tx) { return tx.access().CreateApiToken(Token("2", alice, 5)); }),
              IsOk());
  EXPECT_THAT(Write([&](WriteTxn& tx) { return tx.access().CreateApiToken(Token("1", bob, 9)); }),
              StatusIs(ErrorCode::kConflict));

  auto found = store_->access().GetApiToken(std::string(64, '1'));
  ASSERT_THAT(found.status(), IsOk());
  EXPECT_EQ(found->public_id, "1");
  EXPECT_EQ(found->user_id, alice);
  EXPECT_EQ(found->name, "ci 1");
  EXPECT_EQ(found->role, Role::kAuditor);
  EXPECT_EQ(found->expires_at, kT0 + std::chrono::hours(24));
  EXPECT_FALSE(found->last_used_at.has_value());
  EXPECT_THAT(store_->access().GetApiToken(std::string(64, '9')).status(),
              StatusIs(ErrorCode::kNotFound));

  const TimePoint used = kT0 + std::chrono::minutes(3);
  ASSERT_THAT(
      Write([&](WriteTxn& tx) { return tx.access().TouchApiToken(std::string(64, '1'), used); }),
      IsOk());
  found = store_->access().GetApiToken(std::string(64, '1'));
  ASSERT_THAT(found.status(), IsOk());
  ASSERT_TRUE(found->last_used_at.has_value());
  EXPECT_EQ(*found->last_used_at, used);

  auto list = store_->access().ListApiTokensOfUser(alice);
  ASSERT_THAT(list.status(), IsOk());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].public_id, "2");  // newest first
  list = store_->access().ListApiTokensOfUser(bob);
  ASSERT_THAT(list.status(), IsOk());
  EXPECT_TRUE(list->empty());

  // Only its owner revokes it.
  EXPECT_THAT(Write([&](WriteTxn& tx) { return tx.access().DeleteApiToken(bob, "1"); }),
              StatusIs(ErrorCode::kNotFound));
  ASSERT_THAT(Write([&](WriteTxn& tx) { return tx.access().DeleteApiToken(alice, "1"); }), IsOk());
  EXPECT_THAT(store_->access().GetApiToken(std::string(64, '1')).status(),
              StatusIs(ErrorCode::kNotFound));
  EXPECT_THAT(
      Write([&](WriteTxn& tx) { return tx.access().TouchApiToken(std::string(64, '1'), used); }),
      StatusIs(ErrorCode::kNotFound));
}

}  // namespace
}  // namespace sealpost::store
