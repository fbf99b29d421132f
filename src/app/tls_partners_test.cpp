// The enforced-TLS partner use cases (app/tls_partners.h): validation naming each field, the
// config entries' precedence, audit, the TLS-only policy and the look-ups routing makes.
#include "app/tls_partners.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "app/app_test_fixture.h"

namespace sealpost::app {
namespace {

using ::testing::HasSubstr;

const std::string kPinHex(64, 'a');
// The same 32 bytes (0xaa...) in the base64 spelling.
const std::string kPinB64 = "sha256/qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqo=";

class TlsPartnersTest : public AppTest {
 protected:
  void SetUp() override {
    admin_.emplace(BootstrapAdminSession());
    const std::string totp = Enrol("alice@example.org");
    alice_.emplace(LoggedIn("alice@example.org", totp));
  }

  static std::vector<delivery::TlsPartnerPolicy> ConfigPartners() {
    delivery::TlsPartnerPolicy p;
    p.domain = "config.example";
    p.mode = delivery::TlsPartnerMode::kVerify;
    return {p};
  }

  const AuthContext& root() { return *admin_; }
  const AuthContext& alice() { return *alice_; }

  TlsPartners partners_{services_, ConfigPartners()};
  std::optional<AuthContext> admin_;
  std::optional<AuthContext> alice_;
};

TEST_F(TlsPartnersTest, PutListLookupDelete) {
  TlsPartnerInput in;
  in.domain = "Bank.Example.";
  in.mode = "pin";
  in.pins = {kPinHex};
  in.override_host = "mx.bank.example:2525";
  auto put = partners_.Put(root(), in);
  ASSERT_THAT(put.status(), IsOk());
  EXPECT_TRUE(put->created);
  EXPECT_EQ(put->partner.policy.domain, "bank.example");
  EXPECT_EQ(put->partner.source, "admin");
  EXPECT_EQ(put->partner.added_by, root().user.id.str());
  EXPECT_EQ(LastAuditType(), "tls_partner_added");

  auto list = partners_.List(root());
  ASSERT_THAT(list.status(), IsOk());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].policy.domain, "config.example");
  EXPECT_EQ((*list)[0].source, "config");
  EXPECT_FALSE((*list)[0].added_by.has_value());
  EXPECT_EQ((*list)[1].policy.domain, "bank.example");

  auto found = partners_.Lookup("example.org", "BANK.example");
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->mode, delivery::TlsPartnerMode::kPin);
  ASSERT_EQ(found->pins.size(), 1u);
  EXPECT_EQ(found->pins[0][0], 0xaa);
  EXPECT_EQ(found->override_host, "mx.bank.example");
  EXPECT_EQ(found->override_port, 2525);
  EXPECT_TRUE(partners_.Lookup("example.org", "config.example").has_value());
  EXPECT_FALSE(partners_.Lookup("example.org", "other.example").has_value());
  EXPECT_FALSE(partners_.Lookup("example.org", "not a domain").has_value());

  // Changing keeps who added it; the base64 spelling of the same pin is the same pin.
  in.pins = {kPinB64};
  in.override_host = "";
  auto changed = partners_.Put(root(), in);
  ASSERT_THAT(changed.status(), IsOk());
  EXPECT_FALSE(changed->created);
  EXPECT_EQ(changed->partner.policy.pins, found->pins);
  EXPECT_TRUE(changed->partner.policy.override_host.empty());
  EXPECT_EQ(LastAuditType(), "tls_partner_changed");

  ASSERT_THAT(partners_.Delete(root(), "bank.example"), IsOk());
  EXPECT_EQ(LastAuditType(), "tls_partner_deleted");
  EXPECT_FALSE(partners_.Lookup("example.org", "bank.example").has_value());
  EXPECT_THAT(partners_.Delete(root(), "bank.example"), StatusIs(ErrorCode::kNotFound));
}

TEST_F(TlsPartnersTest, BadInputIsRefusedNamingTheFieldAndNothingIsStored) {
  struct Case {
    std::string name;
    TlsPartnerInput in;
    std::string field;
  };
  const std::vector<Case> cases = {
      {"bad domain", {"bad_domain!", "verify", {}, ""}, "domain:"},
      {"empty domain", {"", "verify", {}, ""}, "domain:"},
      {"bad mode", {"p.example", "maybe", {}, ""}, "mode:"},
      {"pin without pins", {"p.example", "pin", {}, ""}, "pins:"},
      {"verify with pins", {"p.example", "verify", {kPinHex}, ""}, "pins:"},
      {"bad pin text", {"p.example", "pin", {"abc"}, ""}, "pins[0]:"},
      {"second pin bad", {"p.example", "pin", {kPinHex, "zz"}, ""}, "pins[1]:"},
      {"same pin twice", {"p.example", "pin", {kPinHex, kPinB64}, ""}, "pins[1]:"},
      {"too many pins",
       {"p.example", "pin", std::vector<std::string>(delivery::kMaxTlsPartnerPins + 1, kPinHex),
        ""},
       "pins:"},
      {"bad port", {"p.example", "verify", {}, "mx.p.example:99999"}, "override:"},
      {"bad host", {"p.example", "verify", {}, "[::1"}, "override:"},
  };
  for (const Case& c : cases) {
    const Status s = partners_.Put(root(), c.in).status();
    EXPECT_THAT(s, StatusIs(ErrorCode::kInvalidArgument)) << c.name;
    EXPECT_THAT(std::string(s.client_text()), HasSubstr(c.field)) << c.name << ": " << s.message();
  }
  auto list = partners_.List(root());
  ASSERT_THAT(list.status(), IsOk());
  EXPECT_EQ(list->size(), 1u);  // the config entry only
  EXPECT_FALSE(AuditHas("tls_partner_added"));
}

TEST_F(TlsPartnersTest, ConfigEntriesAreReadOnly) {
  TlsPartnerInput in;
  in.domain = "config.example";
  EXPECT_THAT(partners_.Put(root(), in).status(), StatusIs(ErrorCode::kConflict));
  EXPECT_THAT(partners_.Delete(root(), "config.example"), StatusIs(ErrorCode::kConflict));
  auto got = partners_.Get(root(), "CONFIG.example");
  ASSERT_THAT(got.status(), IsOk());
  EXPECT_EQ(got->source, "config");
}

TEST_F(TlsPartnersTest, MembersGetPermissionDenied) {
  TlsPartnerInput in;
  in.domain = "p.example";
  EXPECT_THAT(partners_.Put(alice(), in).status(), StatusIs(ErrorCode::kPermissionDenied));
  EXPECT_THAT(partners_.List(alice()).status(), StatusIs(ErrorCode::kPermissionDenied));
  EXPECT_THAT(partners_.Get(alice(), "config.example").status(),
              StatusIs(ErrorCode::kPermissionDenied));
  EXPECT_THAT(partners_.Delete(alice(), "config.example"), StatusIs(ErrorCode::kPermissionDenied));
  EXPECT_THAT(partners_.GetTlsOnlyPolicy(alice()).status(), StatusIs(ErrorCode::kPermissionDenied));
  EXPECT_THAT(partners_.SetTlsOnlyPolicy(alice(), {true, {}}).status(),
              StatusIs(ErrorCode::kPermissionDenied));
  EXPECT_FALSE(partners_.TlsOnlyForbidden("p.example"));
}

// Two organisations on one instance: each domain administrator keeps their own domain's entries,
// never sees or touches the other's, and routing uses the sender's organisation's entry.
class DomainTlsPartnersTest : public TlsPartnersTest {
 protected:
  void SetUp() override {
    TlsPartnersTest::SetUp();
    const std::string a_totp = Enrol("ann@a.example");
    ann_.emplace(LoggedIn("ann@a.example", a_totp));
    const std::string b_totp = Enrol("ben@b.example");
    ben_.emplace(LoggedIn("ben@b.example", b_totp));
    ASSERT_THAT(store_->Write([&](store::WriteTxn& tx) -> Status {
      SP_RETURN_IF_ERROR(
          tx.access().PutRoleGrant({ann_->user.id, store::Role::kAdministrator, "a.example",
                                    root().user.id.str(), clock_.Now()}));
      return tx.access().PutRoleGrant({ben_->user.id, store::Role::kAdministrator, "b.example",
                                       root().user.id.str(), clock_.Now()});
    }),
                IsOk());
  }

  static TlsPartnerInput Entry(const std::string& domain, const std::string& override_host,
                               const std::string& owner = "") {
    TlsPartnerInput in;
    in.domain = domain;
    in.override_host = override_host;
    in.owner_domain = owner;
    return in;
  }

  std::optional<AuthContext> ann_;
  std::optional<AuthContext> ben_;
};

TEST_F(DomainTlsPartnersTest, EachDomainAdministratorKeepsOnlyTheirOwnEntries) {
  auto put = partners_.Put(*ann_, Entry("bank.example", "mx-a.bank.example"));
  ASSERT_THAT(put.status(), IsOk());
  EXPECT_EQ(put->partner.owner_domain, "a.example");  // the administrator's own domain
  EXPECT_TRUE(put->partner.editable);
  EXPECT_EQ(LastAuditType(), "tls_partner_added");
  ASSERT_THAT(partners_.Put(*ben_, Entry("bank.example", "mx-b.bank.example")).status(), IsOk());
  ASSERT_THAT(partners_.Put(root(), Entry("shared.example", "")).status(), IsOk());

  // Ann sees the config entry, the instance-wide one (read-only) and her own; never Ben's.
  auto list = partners_.List(*ann_);
  ASSERT_THAT(list.status(), IsOk());
  std::vector<std::string> seen;
  for (const auto& v : *list) {
    seen.push_back(v.owner_domain + "/" + v.policy.domain + (v.editable ? " rw" : " ro"));
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"*/config.example ro", "a.example/bank.example rw",
                                            "*/shared.example ro"}));
  // The instance administrator sees every entry.
  auto all = partners_.List(root());
  ASSERT_THAT(all.status(), IsOk());
  EXPECT_EQ(all->size(), 4u);

  // Ben's entry is out of Ann's reach: 403 for reading, changing and removing, nothing changed.
  const size_t events = AuditEvents().size();
  EXPECT_THAT(partners_.Get(*ann_, "bank.example", "b.example").status(),
              StatusIs(ErrorCode::kPermissionDenied));
  EXPECT_THAT(partners_.Put(*ann_, Entry("bank.example", "evil.example", "b.example")).status(),
              StatusIs(ErrorCode::kPermissionDenied));
  EXPECT_THAT(partners_.Delete(*ann_, "bank.example", "b.example"),
              StatusIs(ErrorCode::kPermissionDenied));
  // Nor may she change the instance-wide entries.
  EXPECT_THAT(partners_.Put(*ann_, Entry("shared.example", "evil.example", "*")).status(),
              StatusIs(ErrorCode::kPermissionDenied));
  EXPECT_THAT(partners_.Delete(*ann_, "shared.example", "*"),
              StatusIs(ErrorCode::kPermissionDenied));
  EXPECT_THAT(partners_.SetTlsOnlyPolicy(*ann_, {true, {}}).status(),
              StatusIs(ErrorCode::kPermissionDenied));
  EXPECT_EQ(AuditEvents().size(), events);
  auto bens = partners_.Get(*ben_, "bank.example");
  ASSERT_THAT(bens.status(), IsOk());
  EXPECT_EQ(bens->policy.override_host, "mx-b.bank.example");
  EXPECT_THAT(partners_.Get(*ann_, "shared.example", "*").status(), IsOk());

  // The instance administrator may manage a domain's entries by naming the owner.
  ASSERT_THAT(partners_.Delete(root(), "bank.example", "b.example"), IsOk());
  EXPECT_THAT(partners_.Get(*ben_, "bank.example").status(), StatusIs(ErrorCode::kNotFound));
  EXPECT_THAT(partners_.Get(*ann_, "bank.example").status(), IsOk());
}

TEST_F(DomainTlsPartnersTest, RoutingUsesTheSendersOrganisationsEntry) {
  ASSERT_THAT(partners_.Put(root(), Entry("bank.example", "mx-shared.bank.example")).status(),
              IsOk());
  ASSERT_THAT(partners_.Put(*ann_, Entry("bank.example", "mx-a.bank.example")).status(), IsOk());
  ASSERT_THAT(partners_.Put(*ben_, Entry("only-b.example", "")).status(), IsOk());

  // A domain's own entry wins over the instance-wide one; others get the instance's.
  auto for_a = partners_.Lookup("a.example", "bank.example");
  ASSERT_TRUE(for_a.has_value());
  EXPECT_EQ(for_a->override_host, "mx-a.bank.example");
  auto for_b = partners_.Lookup("B.example", "bank.example");
  ASSERT_TRUE(for_b.has_value());
  EXPECT_EQ(for_b->override_host, "mx-shared.bank.example");
  // Ben's partner is no partner for Ann's members.
  EXPECT_TRUE(partners_.Lookup("b.example", "only-b.example").has_value());
  EXPECT_FALSE(partners_.Lookup("a.example", "only-b.example").has_value());
  EXPECT_FALSE(partners_.Lookup("", "only-b.example").has_value());
  // Config entries stay instance-wide: no domain may shadow them.
  EXPECT_TRUE(partners_.Lookup("a.example", "config.example").has_value());
  EXPECT_THAT(partners_.Put(*ann_, Entry("config.example", "")).status(),
              StatusIs(ErrorCode::kConflict));
}

// An administrator of two domains names the one an entry belongs to.
TEST_F(DomainTlsPartnersTest, SeveralDomainsNeedTheOwnerNamed) {
  ASSERT_THAT(store_->Write([&](store::WriteTxn& tx) -> Status {
    SP_RETURN_IF_ERROR(tx.access().PutRoleGrant({alice().user.id, store::Role::kAdministrator,
                                                 "c.example", root().user.id.str(), clock_.Now()}));
    return tx.access().PutRoleGrant({alice().user.id, store::Role::kAdministrator, "d.example",
                                     root().user.id.str(), clock_.Now()});
  }),
              IsOk());
  const Status unnamed = partners_.Put(alice(), Entry("p.example", "")).status();
  EXPECT_THAT(unnamed, StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(std::string(unnamed.client_text()), HasSubstr("owner_domain"));
  auto named = partners_.Put(alice(), Entry("p.example", "", "D.example"));
  ASSERT_THAT(named.status(), IsOk());
  EXPECT_EQ(named->partner.owner_domain, "d.example");
  EXPECT_THAT(partners_.Put(alice(), Entry("p.example", "", "bad domain")).status(),
              StatusIs(ErrorCode::kInvalidArgument));
}

// A failed write keeps nothing: no partner for routing, no audit event, and the error is said.
TEST_F(TlsPartnersTest, AFailedWriteKeepsNothing) {
  faults_.FailWrites(Unavailable("disk gone"));
  TlsPartnerInput in;
  in.domain = "p.example";
  EXPECT_THAT(partners_.Put(root(), in).status(), StatusIs(ErrorCode::kUnavailable));
  EXPECT_THAT(partners_.SetTlsOnlyPolicy(root(), {true, {}}).status(),
              StatusIs(ErrorCode::kUnavailable));
  faults_.StopFailing();
  EXPECT_FALSE(partners_.Lookup("example.org", "p.example").has_value());
  EXPECT_FALSE(partners_.TlsOnlyForbidden("p.example"));
  EXPECT_FALSE(AuditHas("tls_partner_added"));
}

TEST_F(TlsPartnersTest, TlsOnlyPolicyPerDomainAndEverywhere) {
  EXPECT_FALSE(partners_.TlsOnlyForbidden("a.example"));
  auto set = partners_.SetTlsOnlyPolicy(root(), {false, {"B.example", "a.example", "a.example"}});
  ASSERT_THAT(set.status(), IsOk());
  EXPECT_EQ(set->forbidden_domains, (std::vector<std::string>{"a.example", "b.example"}));
  EXPECT_EQ(LastAuditType(), "tls_only_policy_set");
  EXPECT_TRUE(partners_.TlsOnlyForbidden("A.example."));
  EXPECT_TRUE(partners_.TlsOnlyForbidden("b.example"));
  EXPECT_FALSE(partners_.TlsOnlyForbidden("c.example"));
  // Not a domain: forbidden (fails closed).
  EXPECT_TRUE(partners_.TlsOnlyForbidden("not a domain"));

  const Status bad = partners_.SetTlsOnlyPolicy(root(), {true, {"ok.example", "bad_one"}}).status();
  EXPECT_THAT(bad, StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(std::string(bad.client_text()), HasSubstr("forbidden_domains[1]"));
  EXPECT_FALSE(partners_.TlsOnlyForbidden("c.example"));  // unchanged

  ASSERT_THAT(partners_.SetTlsOnlyPolicy(root(), {true, {}}).status(), IsOk());
  EXPECT_TRUE(partners_.TlsOnlyForbidden("c.example"));
  auto got = partners_.GetTlsOnlyPolicy(root());
  ASSERT_THAT(got.status(), IsOk());
  EXPECT_TRUE(got->forbid_everywhere);
  EXPECT_TRUE(got->forbidden_domains.empty());
}

}  // namespace
}  // namespace sealpost::app
