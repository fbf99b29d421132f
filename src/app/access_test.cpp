// The permission table (every role × every permission, spelled out here independently of
// access.cpp's switch), domain scoping, and how the is_admin flag and API tokens count.
#include "app/access.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "app/app_test_fixture.h"

namespace sealpost::app {
namespace {

using P = Permission;

store::RoleGrantRecord G(Role role, std::string domain) {
  return {UserId::FromTrusted(std::string(32, 'a')), role, std::move(domain), "test", {}};
}

TEST(PermissionTable, EveryRoleAndPermission) {
  const std::map<Role, std::set<P>> expected = {
      {Role::kMember, {}},
      {Role::kAdministrator,
       {P::kListUsers, P::kManageUsers, P::kInviteUsers, P::kListRoles, P::kManageRoles,
        P::kManagePolicies, P::kReadAudit}},
      {Role::kAuditor, {P::kListUsers, P::kListRoles, P::kReadAudit, P::kExportEvidence}},
      {Role::kComplianceOfficer, {P::kListUsers, P::kRetention, P::kLegalHold}},
  };
  for (const Role role : kAllRoles) {
    for (const P p : kAllPermissions) {
      EXPECT_EQ(RoleHas(role, p), expected.at(role).count(p) == 1)
          << RoleName(role) << " × " << PermissionName(p);
    }
  }
}

TEST(PermissionTable, NobodyButAnAdministratorChangesUsersOrRoles) {
  for (const Role role : {Role::kMember, Role::kAuditor, Role::kComplianceOfficer}) {
    for (const P p : {P::kManageUsers, P::kInviteUsers, P::kManageRoles, P::kManagePolicies}) {
      EXPECT_FALSE(RoleHas(role, p)) << RoleName(role) << " × " << PermissionName(p);
    }
  }
}

TEST(PermissionTable, RoleNamesRoundTripAndUnknownOnesAreRefused) {
  for (const Role role : kAllRoles) {
    auto parsed = ParseRole(RoleName(role));
    ASSERT_THAT(parsed.status(), IsOk());
    EXPECT_EQ(*parsed, role);
  }
  for (const char* bad : {"", "admin", "Administrator", "root", "auditor ", "*"}) {
    EXPECT_THAT(ParseRole(bad).status(), StatusIs(ErrorCode::kInvalidArgument)) << bad;
  }
}

TEST(DomainScope, ADomainGrantCoversThatDomainOnly) {
  const std::vector<store::RoleGrantRecord> grants = {G(Role::kAdministrator, "a.example")};
  EXPECT_TRUE(Allows(grants, P::kManageUsers, "a.example"));
  EXPECT_FALSE(Allows(grants, P::kManageUsers, "b.example"));
  EXPECT_FALSE(Allows(grants, P::kManageUsers, "sub.a.example"));
  EXPECT_FALSE(Allows(grants, P::kManageUsers, "*"));  // instance-wide needs a "*" grant
  EXPECT_FALSE(Allows(grants, P::kReadAudit, "*"));
  EXPECT_FALSE(Allows(grants, P::kLegalHold, "a.example"));  // not the administrator's
}

TEST(DomainScope, AStarGrantCoversEveryDomainAndTheInstance) {
  const std::vector<store::RoleGrantRecord> grants = {G(Role::kAuditor, "*")};
  EXPECT_TRUE(Allows(grants, P::kReadAudit, "*"));
  EXPECT_TRUE(Allows(grants, P::kListUsers, "b.example"));
  EXPECT_FALSE(Allows(grants, P::kManageUsers, "b.example"));
  EXPECT_FALSE(Allows({}, P::kListUsers, "b.example"));
}

TEST(DomainScope, ScopesAreNormalisedOrRefused) {
  EXPECT_EQ(*NormaliseDomainScope("*"), "*");
  EXPECT_EQ(*NormaliseDomainScope("Example.ORG"), "example.org");
  for (const char* bad : {"", "a b", "%", "x@y.org", "**", "-bad-.org", "a..b"}) {
    EXPECT_THAT(NormaliseDomainScope(bad).status(), StatusIs(ErrorCode::kInvalidArgument)) << bad;
  }
  EXPECT_EQ(DomainOf("alice@a.example"), "a.example");
  EXPECT_EQ(DomainOf("nobody"), "");
}

class AccessTest : public AppTest {
 protected:
  store::UserRecord User(const std::string& email, bool is_admin = false) {
    store::UserRecord u;
    u.id = UserId::FromTrusted(std::string(32, email[0]));
    u.email = email;
    u.is_admin = is_admin;
    return u;
  }
  void Grant(const store::UserRecord& u, Role role, const std::string& domain) {
    store::UserRecord row = u;
    row.display_name = "x";
    row.box_public_key = Bytes(32, 1);
    row.verify_key = Bytes(32, 2);
    row.wrapped_private_keys = Bytes(80, 3);
    row.password_salt = Bytes(16, 4);
    row.umk_by_password = Bytes(73, 5);
    ASSERT_THAT(store_->Write([&](store::WriteTxn& tx) {
      if (!store_->accounts().GetUser(u.id).ok()) {
        SP_RETURN_IF_ERROR(tx.accounts().CreateUser(row));
      }
      return tx.access().PutRoleGrant({u.id, role, domain, "test", clock_.Now()});
    }),
                IsOk());
  }
  Access access_{*store_};
};

TEST_F(AccessTest, TheAdminFlagIsAdministratorOfEveryDomain) {
  const Caller root(User("root@a.example", true), std::nullopt, "127.0.0.1");
  EXPECT_THAT(access_.Require(root, P::kReadAudit), IsOk());
  EXPECT_THAT(access_.Require(root, P::kManageUsers, "b.example"), IsOk());
  EXPECT_THAT(access_.Require(root, P::kLegalHold, "a.example"),
              StatusIs(ErrorCode::kPermissionDenied));
  EXPECT_EQ(*access_.DomainsWith(root, P::kListUsers), std::vector<std::string>{"*"});
  const Caller member(User("mary@a.example"), std::nullopt, "127.0.0.1");
  EXPECT_THAT(access_.RequireSomewhere(member, P::kListUsers),
              StatusIs(ErrorCode::kPermissionDenied));
  EXPECT_TRUE(access_.DomainsWith(member, P::kListUsers)->empty());
}

TEST_F(AccessTest, UsersOutsideTheScopeAreNotFound) {
  const store::UserRecord dana = User("dana@a.example");
  Grant(dana, Role::kAdministrator, "a.example");
  Grant(dana, Role::kAdministrator, "c.example");
  const Caller caller(dana, std::nullopt, "127.0.0.1");
  EXPECT_THAT(access_.RequireForUser(caller, P::kManageUsers, User("eve@a.example")), IsOk());
  EXPECT_THAT(access_.RequireForUser(caller, P::kManageUsers, User("bob@b.example")),
              StatusIs(ErrorCode::kNotFound));
  EXPECT_THAT(access_.RequireForUser(caller, P::kLegalHold, User("eve@a.example")),
              StatusIs(ErrorCode::kPermissionDenied));
  EXPECT_EQ(*access_.DomainsWith(caller, P::kManageUsers),
            (std::vector<std::string>{"a.example", "c.example"}));
  EXPECT_THAT(access_.Require(caller, P::kReadAudit), StatusIs(ErrorCode::kPermissionDenied));
}

TEST_F(AccessTest, ATokenActsWithItsRoleOnlyAndOnlyWhileTheMemberHoldsIt) {
  const store::UserRecord olga = User("olga@a.example", /*is_admin=*/true);
  Grant(olga, Role::kAuditor, "*");
  const Caller as_auditor(olga, Role::kAuditor, "127.0.0.1");
  EXPECT_THAT(access_.Require(as_auditor, P::kReadAudit), IsOk());
  // The flag makes her an administrator, but not through an auditor token.
  EXPECT_THAT(access_.RequireSomewhere(as_auditor, P::kManageUsers),
              StatusIs(ErrorCode::kPermissionDenied));
  const Caller as_officer(olga, Role::kComplianceOfficer, "127.0.0.1");
  EXPECT_THAT(access_.RequireSomewhere(as_officer, P::kLegalHold),
              StatusIs(ErrorCode::kPermissionDenied));
  ASSERT_THAT(store_->Write([&](store::WriteTxn& tx) {
    return tx.access().DeleteRoleGrant(olga.id, Role::kAuditor, "*");
  }),
              IsOk());
  EXPECT_THAT(access_.Require(as_auditor, P::kReadAudit), StatusIs(ErrorCode::kPermissionDenied));
}

}  // namespace
}  // namespace sealpost::app
