// Routing (app/routing.h): the precedence of the methods as a pure decision, and the look-ups
// against a real store, key directory (a certificate from an openssl-made CA, a gpg-made key)
// and partner table.
#include "app/routing.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "app/app_test_fixture.h"
#include "app/contacts.h"
#include "pgp/testing/gnupg.h"
#include "smime/testing/test_pki.h"
#include "trust/platform_pki.h"

namespace sealpost::app {
namespace {

delivery::TlsPartnerPolicy Partner(const std::string& domain, const std::string& host = "") {
  delivery::TlsPartnerPolicy p;
  p.domain = domain;
  p.override_host = host;
  return p;
}

// Every fact on: the strongest method wins, and each one removed hands over to the next.
TEST(DecideRouteTest, StrongestMethodWinsInOrder) {
  RouteFacts f;
  f.member = true;
  f.usable_smime = true;
  f.usable_openpgp = true;
  f.partner = Partner("partner.example");
  EXPECT_EQ(DecideRoute(f), RouteMethod::kMember);
  f.member = false;
  EXPECT_EQ(DecideRoute(f), RouteMethod::kSmime);
  f.usable_smime = false;
  EXPECT_EQ(DecideRoute(f), RouteMethod::kOpenPgp);
  f.usable_openpgp = false;
  EXPECT_EQ(DecideRoute(f), RouteMethod::kTls);
  f.partner.reset();
  EXPECT_EQ(DecideRoute(f), RouteMethod::kPickup);
}

TEST(DecideRouteTest, SmimeBeatsTlsAndOpenPgpBeatsTls) {
  RouteFacts f;
  f.partner = Partner("partner.example");
  f.usable_openpgp = true;
  EXPECT_EQ(DecideRoute(f), RouteMethod::kOpenPgp);
  f.usable_openpgp = false;
  f.usable_smime = true;
  EXPECT_EQ(DecideRoute(f), RouteMethod::kSmime);
}

TEST(DecideRouteTest, ForcedPickupMovesEveryoneButMembers) {
  RouteFacts f;
  f.force_pickup = true;
  f.usable_smime = true;
  f.usable_openpgp = true;
  f.partner = Partner("partner.example");
  EXPECT_EQ(DecideRoute(f), RouteMethod::kPickup);
  f.member = true;
  EXPECT_EQ(DecideRoute(f), RouteMethod::kMember);
}

TEST(DecideRouteTest, ForbiddenTlsFallsBackToPickup) {
  RouteFacts f;
  f.partner = Partner("partner.example");
  f.tls_only_forbidden = true;
  EXPECT_EQ(DecideRoute(f), RouteMethod::kPickup);
  // The ban is on TLS-only delivery: end-to-end copies to the same domain still go.
  f.usable_openpgp = true;
  EXPECT_EQ(DecideRoute(f), RouteMethod::kOpenPgp);
}

TEST(DecideRouteTest, NoSenderKeysMeansNoSecureCopy) {
  RouteFacts f;
  f.sender_has_keys = false;
  f.usable_smime = true;
  f.usable_openpgp = true;
  EXPECT_EQ(DecideRoute(f), RouteMethod::kPickup);
  f.partner = Partner("partner.example");  // TLS needs no signature of the sender
  EXPECT_EQ(DecideRoute(f), RouteMethod::kTls);
}

TEST(RouteLabelTest, NamesTheMethodAndTheTlsHostWithoutDns) {
  EXPECT_EQ(RouteLabel(RouteMethod::kMember, std::nullopt, false), "Member");
  EXPECT_EQ(RouteLabel(RouteMethod::kSmime, std::nullopt, false), "S/MIME");
  EXPECT_EQ(RouteLabel(RouteMethod::kOpenPgp, std::nullopt, false), "OpenPGP");
  EXPECT_EQ(RouteLabel(RouteMethod::kTls, Partner("partner.example"), false),
            "TLS to partner.example");
  EXPECT_EQ(RouteLabel(RouteMethod::kTls, Partner("partner.example", "mx.partner.example"), false),
            "TLS to mx.partner.example");
  EXPECT_EQ(RouteLabel(RouteMethod::kPickup, std::nullopt, true),
            "Secure pickup \u2014 unlock code needed");
  EXPECT_EQ(RouteLabel(RouteMethod::kPickup, std::nullopt, false), "Secure pickup");
  EXPECT_EQ(RouteMethodSlug(RouteMethod::kOpenPgp), "openpgp");
  EXPECT_EQ(EvidenceMethodName(RouteMethod::kMember), "mailbox");
  EXPECT_EQ(EvidenceMethodName(RouteMethod::kTls), "tls");
}

class RoutingTest : public AppTest {
 protected:
  RoutingTest() : pki_(*trust::LoadOrCreatePlatformPki(*store_, master_, clock_)) {
    services_.pki = &pki_;
  }

  void SetUp() override {
    clock_.Set(
        std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now()));
    alice_.emplace(EnrolWithKeys("alice@example.org"));
    bob_.emplace(EnrolWithKeys("bob@example.org"));
  }

  // With the PKI: the member gets certified keys.
  AuthContext EnrolWithKeys(const std::string& email) {
    Accounts accounts(services_);
    EXPECT_THAT(accounts.SignUp({email, crypto::SecretString::CopyOf(kPassword), "", "127.0.0.1"}),
                IsOk());
    EXPECT_THAT(accounts.VerifyEmail(LastToken()).status(), IsOk());
    auto login = accounts.Login(email, kPassword, "127.0.0.1");
    EXPECT_THAT(login.status(), IsOk());
    auto ctx = accounts.Authenticate(login->session->cookie_value.view(), "127.0.0.1");
    EXPECT_THAT(ctx.status(), IsOk());
    return std::move(*ctx);
  }

  Route RouteOf(const Routing& routing, const std::string& address, RouteOptions options = {}) {
    auto route = routing.RouteFor(alice_->user.id, *EmailAddress::Parse(address), options);
    EXPECT_THAT(route.status(), IsOk());
    return route.ok() ? *route : Route{*EmailAddress::Parse(address)};
  }

  RoutingPolicy Policy(bool forbid_tls = false) {
    return {
        [](std::string_view, std::string_view domain) -> std::optional<delivery::TlsPartnerPolicy> {
          if (domain == "partner.example") return Partner("partner.example");
          if (domain == "bank.example") return Partner("bank.example", "mx.bank.example");
          return std::nullopt;
        },
        [forbid_tls](std::string_view domain) { return forbid_tls || domain == "bank.example"; }};
  }

  trust::PlatformPki pki_;
  std::optional<AuthContext> alice_;
  std::optional<AuthContext> bob_;
};

TEST_F(RoutingTest, LooksUpEachMethod) {
  Contacts contacts(services_);
  KeyDirectory directory(services_, {""});
  // carol (partner.example) has an S/MIME certificate from a CA alice verified personally, and a
  // gpg key; dave (partner.example) a gpg key only; erin is only at a partner domain.
  smime::testing::TestPki ca(dir_.path() + "/ca");
  std::filesystem::create_directories(dir_.path() + "/ca");
  ASSERT_TRUE(ca.MakeCa("partnerca"));
  smime::testing::LeafSpec spec;
  spec.email = "carol@partner.example";
  ASSERT_TRUE(ca.MakeLeaf("carol", "partnerca", spec));
  pgp::testing::GnuPg gpg;
  std::vector<std::pair<std::string, std::string>> pgp_keys;  // address, fingerprint
  for (const std::string who : {"carol@partner.example", "dave@partner.example"}) {
    pgp_keys.emplace_back(who, gpg.MakeKey(who, "ed25519", "cert,sign", "cv25519"));
  }
  // The tools date their keys from the real clock, a moment after the fake one was set.
  clock_.Set(
      std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now()) +
      std::chrono::seconds(2));
  auto cert = contacts.Import(*alice_, AsBytes(ca.ReadFile("carol.pem")), KeyFormat::kAuto, "");
  ASSERT_THAT(cert.status(), IsOk());
  ASSERT_THAT(contacts.Verify(*alice_, cert->id, cert->fingerprint).status(), IsOk());
  for (const auto& [who, fpr] : pgp_keys) {
    ASSERT_THAT(contacts.Import(*alice_, AsBytes(gpg.Export(fpr)), KeyFormat::kAuto, who).status(),
                IsOk());
  }

  const Routing routing(services_, &directory, Policy());
  EXPECT_EQ(RouteOf(routing, "bob@example.org").method, RouteMethod::kMember);
  EXPECT_EQ(RouteOf(routing, "bob@example.org").label, "Member");
  const Route carol = RouteOf(routing, "carol@partner.example");
  EXPECT_EQ(carol.method, RouteMethod::kSmime);
  ASSERT_TRUE(carol.key.has_value());
  EXPECT_EQ(carol.key->kind, store::ContactKeyKind::kSmime);
  const Route dave = RouteOf(routing, "dave@partner.example");
  EXPECT_EQ(dave.method, RouteMethod::kOpenPgp);
  ASSERT_TRUE(dave.key.has_value());
  EXPECT_EQ(dave.key->kind, store::ContactKeyKind::kOpenPgp);
  const Route erin = RouteOf(routing, "erin@partner.example");
  EXPECT_EQ(erin.method, RouteMethod::kTls);
  EXPECT_EQ(erin.label, "TLS to partner.example");
  ASSERT_TRUE(erin.partner.has_value());
  EXPECT_EQ(erin.partner->domain, "partner.example");
  // bank.example is a partner, but TLS-only is forbidden there.
  const Route frank = RouteOf(routing, "frank@bank.example");
  EXPECT_EQ(frank.method, RouteMethod::kPickup);
  EXPECT_TRUE(frank.needs_muc);
  EXPECT_EQ(frank.label, "Secure pickup \u2014 unlock code needed");
  EXPECT_EQ(RouteOf(routing, "gina@elsewhere.example").method, RouteMethod::kPickup);

  // Forced pickup: everyone but the member.
  const RouteOptions forced{true, true};
  EXPECT_EQ(RouteOf(routing, "bob@example.org", forced).method, RouteMethod::kMember);
  for (const char* a : {"carol@partner.example", "dave@partner.example", "erin@partner.example"}) {
    EXPECT_EQ(RouteOf(routing, a, forced).method, RouteMethod::kPickup) << a;
  }
  // A sender without keys: no S/MIME or OpenPGP, TLS still.
  const RouteOptions keyless{false, false};
  EXPECT_EQ(RouteOf(routing, "carol@partner.example", keyless).method, RouteMethod::kTls);
  EXPECT_EQ(RouteOf(routing, "dave@partner.example", keyless).method, RouteMethod::kTls);

  // The ban, globally.
  const Routing forbidden(services_, &directory, Policy(true));
  EXPECT_EQ(RouteOf(forbidden, "erin@partner.example").method, RouteMethod::kPickup);
  EXPECT_EQ(RouteOf(forbidden, "carol@partner.example").method, RouteMethod::kSmime);

  // Deleting the key changes the route at once.
  ASSERT_THAT(contacts.Delete(*alice_, cert->id), IsOk());
  EXPECT_EQ(RouteOf(routing, "carol@partner.example").method, RouteMethod::kOpenPgp);
}

TEST_F(RoutingTest, SenderKeysAreKnownFromTheStore) {
  const Routing routing(services_);
  auto alice = routing.SenderHasKeys(alice_->user.id);
  ASSERT_THAT(alice.status(), IsOk());
  EXPECT_TRUE(*alice);
  auto nobody = routing.SenderHasKeys(platform::NewId<UserId>(rng_));
  ASSERT_THAT(nobody.status(), IsOk());
  EXPECT_FALSE(*nobody);
}

TEST_F(RoutingTest, NoDirectoryNoPartnersMeansPickup) {
  const Routing routing(services_, nullptr, {});
  EXPECT_EQ(RouteOf(routing, "erin@partner.example").method, RouteMethod::kPickup);
  EXPECT_EQ(RouteOf(routing, "bob@example.org").method, RouteMethod::kMember);
}

TEST_F(RoutingTest, MemberWhoCannotReceiveIsRefused) {
  ASSERT_THAT(accounts_.SignUp({"pending@example.org", crypto::SecretString::CopyOf(kPassword), "",
                                "127.0.0.1"}),
              IsOk());
  const Routing routing(services_);
  EXPECT_THAT(
      routing.RouteFor(alice_->user.id, *EmailAddress::Parse("pending@example.org"), {}).status(),
      StatusIs(ErrorCode::kInvalidArgument));
}

}  // namespace
}  // namespace sealpost::app
