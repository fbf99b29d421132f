// The enforced-TLS partner table and TLS-only rules (store/tls_partners_store.h) on every
// backend, like store_test.cpp.
#include "store/tls_partners_store.h"

#include <gtest/gtest.h>

#include "store/store.h"
#include "store/testing/backend_test.h"
#include "store/testing/test_database.h"
#include "testing/status_matchers.h"

namespace sealpost::store {
namespace {

const TimePoint kT0 = FromUnixMillis(1'790'000'000'000);
const UserId kAdmin = UserId::FromTrusted(std::string(32, 'a'));
const UserId kOther = UserId::FromTrusted(std::string(32, 'b'));
const std::string kPinA(64, 'a');
const std::string kPinB(64, 'b');

TlsPartnerRecord MakePartner(const std::string& domain, TimePoint at) {
  TlsPartnerRecord p;
  p.domain = domain;
  p.mode = TlsPartnerModeCode::kVerify;
  p.added_by = kAdmin;
  p.added_at = at;
  p.updated_by = kAdmin;
  p.updated_at = at;
  return p;
}

class TlsPartnersStoreTest : public testing::BackendTest {};

INSTANTIATE_TEST_SUITE_P(Backends, TlsPartnersStoreTest,
                         ::testing::Values(testing::Backend::kSqlite, testing::Backend::kPostgres),
                         [](const auto& info) { return testing::BackendName(info.param); });

TEST_P(TlsPartnersStoreTest, PartnersRoundTripInDomainOrder) {
  TlsPartnerRecord bank = MakePartner("bank.example", kT0);
  bank.mode = TlsPartnerModeCode::kPin;
  bank.pins_hex = {kPinA, kPinB};
  bank.override_host = "mx.bank.example";
  bank.override_port = 2525;
  const TlsPartnerRecord acme = MakePartner("acme.example", kT0);
  Result<bool> created_bank = false;
  ASSERT_THAT(Write([&](WriteTxn& tx) -> Status {
                created_bank = tx.tls_partners().PutTlsPartner(bank);
                SP_RETURN_IF_ERROR(created_bank.status());
                return tx.tls_partners().PutTlsPartner(acme).status();
              }),
              IsOk());
  EXPECT_TRUE(*created_bank);

  auto list = store_->tls_partners().ListTlsPartners();
  ASSERT_THAT(list.status(), IsOk());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].domain, "acme.example");
  EXPECT_TRUE((*list)[0].pins_hex.empty());
  EXPECT_EQ((*list)[0].override_port, 0);
  const TlsPartnerRecord& read = (*list)[1];
  EXPECT_EQ(read.domain, "bank.example");
  EXPECT_EQ(read.mode, TlsPartnerModeCode::kPin);
  EXPECT_EQ(read.pins_hex, (std::vector<std::string>{kPinA, kPinB}));
  EXPECT_EQ(read.override_host, "mx.bank.example");
  EXPECT_EQ(read.override_port, 2525);
  EXPECT_EQ(read.added_by, kAdmin);
  EXPECT_EQ(read.added_at, kT0);

  EXPECT_THAT(store_->tls_partners().GetTlsPartner(kInstanceWide, "nobody.example").status(),
              StatusIs(ErrorCode::kNotFound));
}

TEST_P(TlsPartnersStoreTest, PutReplacesButKeepsWhoAddedIt) {
  ASSERT_THAT(Write([&](WriteTxn& tx) {
                return tx.tls_partners().PutTlsPartner(MakePartner("p.example", kT0)).status();
              }),
              IsOk());
  const TimePoint later = kT0 + std::chrono::seconds(60);
  TlsPartnerRecord change = MakePartner("p.example", later);
  change.added_by = kOther;  // ignored for an existing entry
  change.updated_by = kOther;
  change.mode = TlsPartnerModeCode::kPin;
  change.pins_hex = {kPinB};
  Result<bool> created = true;
  Result<int64_t> count = 0;
  ASSERT_THAT(Write([&](WriteTxn& tx) -> Status {
                created = tx.tls_partners().PutTlsPartner(change);
                SP_RETURN_IF_ERROR(created.status());
                count = tx.tls_partners().CountTlsPartners(kInstanceWide);
                return count.status();
              }),
              IsOk());
  EXPECT_FALSE(*created);
  EXPECT_EQ(*count, 1);
  auto read = store_->tls_partners().GetTlsPartner(kInstanceWide, "p.example");
  ASSERT_THAT(read.status(), IsOk());
  EXPECT_EQ(read->mode, TlsPartnerModeCode::kPin);
  EXPECT_EQ(read->pins_hex, std::vector<std::string>{kPinB});
  EXPECT_EQ(read->added_by, kAdmin);
  EXPECT_EQ(read->added_at, kT0);
  EXPECT_EQ(read->updated_by, kOther);
  EXPECT_EQ(read->updated_at, later);
}

TEST_P(TlsPartnersStoreTest, DeleteRemovesAndUnknownIsNotFound) {
  ASSERT_THAT(Write([&](WriteTxn& tx) {
                return tx.tls_partners().PutTlsPartner(MakePartner("p.example", kT0)).status();
              }),
              IsOk());
  EXPECT_THAT(Write([&](WriteTxn& tx) {
                return tx.tls_partners().DeleteTlsPartner(kInstanceWide, "p.example");
              }),
              IsOk());
  EXPECT_THAT(Write([&](WriteTxn& tx) {
                return tx.tls_partners().DeleteTlsPartner(kInstanceWide, "p.example");
              }),
              StatusIs(ErrorCode::kNotFound));
  auto list = store_->tls_partners().ListTlsPartners();
  ASSERT_THAT(list.status(), IsOk());
  EXPECT_TRUE(list->empty());
}

TEST_P(TlsPartnersStoreTest, TlsOnlyRulesPerDomainAndEverywhere) {
  auto forbidden = store_->tls_partners().IsTlsOnlyForbidden("a.example");
  ASSERT_THAT(forbidden.status(), IsOk());
  EXPECT_FALSE(*forbidden);

  ASSERT_THAT(Write([&](WriteTxn& tx) {
                return tx.tls_partners().ReplaceTlsOnlyRules(
                    {{"b.example", kAdmin, kT0}, {"a.example", kAdmin, kT0}});
              }),
              IsOk());
  forbidden = store_->tls_partners().IsTlsOnlyForbidden("a.example");
  ASSERT_THAT(forbidden.status(), IsOk());
  EXPECT_TRUE(*forbidden);
  forbidden = store_->tls_partners().IsTlsOnlyForbidden("c.example");
  ASSERT_THAT(forbidden.status(), IsOk());
  EXPECT_FALSE(*forbidden);

  // Replacing drops the old rules; "*" forbids everywhere and is listed first.
  ASSERT_THAT(Write([&](WriteTxn& tx) {
                return tx.tls_partners().ReplaceTlsOnlyRules(
                    {{"c.example", kOther, kT0}, {kTlsOnlyEverywhere, kOther, kT0}});
              }),
              IsOk());
  auto rules = store_->tls_partners().ListTlsOnlyRules();
  ASSERT_THAT(rules.status(), IsOk());
  ASSERT_EQ(rules->size(), 2u);
  EXPECT_EQ((*rules)[0].domain, kTlsOnlyEverywhere);
  EXPECT_EQ((*rules)[1].domain, "c.example");
  EXPECT_EQ((*rules)[1].added_by, kOther);
  forbidden = store_->tls_partners().IsTlsOnlyForbidden("zzz.example");
  ASSERT_THAT(forbidden.status(), IsOk());
  EXPECT_TRUE(*forbidden);

  ASSERT_THAT(Write([&](WriteTxn& tx) { return tx.tls_partners().ReplaceTlsOnlyRules({}); }),
              IsOk());
  forbidden = store_->tls_partners().IsTlsOnlyForbidden("c.example");
  ASSERT_THAT(forbidden.status(), IsOk());
  EXPECT_FALSE(*forbidden);
}

// The same partner domain may have an entry per owner (the instance and each organisation
// domain); each is read, counted and removed on its own.
TEST_P(TlsPartnersStoreTest, EntriesAreKeptPerOwnerDomain) {
  TlsPartnerRecord shared = MakePartner("p.example", kT0);
  TlsPartnerRecord of_a = MakePartner("p.example", kT0);
  of_a.owner_domain = "a.example";
  of_a.override_host = "mx-a.p.example";
  TlsPartnerRecord of_b = MakePartner("q.example", kT0);
  of_b.owner_domain = "b.example";
  Result<int64_t> count_a = 0;
  ASSERT_THAT(Write([&](WriteTxn& tx) -> Status {
                for (const auto* r : {&shared, &of_a, &of_b}) {
                  auto created = tx.tls_partners().PutTlsPartner(*r);
                  SP_RETURN_IF_ERROR(created.status());
                  if (!*created) return Internal("not created");
                }
                count_a = tx.tls_partners().CountTlsPartners("a.example");
                return count_a.status();
              }),
              IsOk());
  EXPECT_EQ(*count_a, 1);
  auto read_a = store_->tls_partners().GetTlsPartner("a.example", "p.example");
  ASSERT_THAT(read_a.status(), IsOk());
  EXPECT_EQ(read_a->override_host, "mx-a.p.example");
  EXPECT_EQ(read_a->owner_domain, "a.example");
  auto read_shared = store_->tls_partners().GetTlsPartner(kInstanceWide, "p.example");
  ASSERT_THAT(read_shared.status(), IsOk());
  EXPECT_EQ(read_shared->override_host, "");
  EXPECT_THAT(store_->tls_partners().GetTlsPartner("a.example", "q.example").status(),
              StatusIs(ErrorCode::kNotFound));

  auto list = store_->tls_partners().ListTlsPartners();
  ASSERT_THAT(list.status(), IsOk());
  ASSERT_EQ(list->size(), 3u);
  EXPECT_EQ((*list)[0].owner_domain, kInstanceWide);  // by domain, then owner ("*" first)
  EXPECT_EQ((*list)[1].owner_domain, "a.example");
  EXPECT_EQ((*list)[2].owner_domain, "b.example");

  // Removing b's entry through a's owner is NotFound; a's own goes and the shared one stays.
  EXPECT_THAT(Write([&](WriteTxn& tx) {
                return tx.tls_partners().DeleteTlsPartner("a.example", "q.example");
              }),
              StatusIs(ErrorCode::kNotFound));
  EXPECT_THAT(Write([&](WriteTxn& tx) {
                return tx.tls_partners().DeleteTlsPartner("a.example", "p.example");
              }),
              IsOk());
  EXPECT_THAT(store_->tls_partners().GetTlsPartner(kInstanceWide, "p.example").status(), IsOk());
  EXPECT_THAT(store_->tls_partners().GetTlsPartner("b.example", "q.example").status(), IsOk());
}

TEST_P(TlsPartnersStoreTest, SmtpPoliciesRoundTripReplaceAndDelete) {
  EXPECT_THAT(store_->tls_partners().GetSmtpPolicy("a.example").status(),
              StatusIs(ErrorCode::kNotFound));
  SmtpPolicyRecord a;
  a.domain = "a.example";
  a.mode = SmtpPolicyModeCode::kRules;
  a.tag = "[secure]";
  a.ready = {"iban", "card"};
  a.regexes = {"(?i)secret,project", "\\bX-[0-9]{3}\\b"};
  a.updated_by = kAdmin;
  a.updated_at = kT0;
  SmtpPolicyRecord b = a;
  b.domain = "b.example";
  b.mode = SmtpPolicyModeCode::kTag;
  b.tag = "[enc]";
  b.ready = {};
  b.regexes = {};
  Result<bool> created = false;
  ASSERT_THAT(Write([&](WriteTxn& tx) -> Status {
                created = tx.tls_partners().PutSmtpPolicy(a);
                SP_RETURN_IF_ERROR(created.status());
                return tx.tls_partners().PutSmtpPolicy(b).status();
              }),
              IsOk());
  EXPECT_TRUE(*created);
  auto read = store_->tls_partners().GetSmtpPolicy("a.example");
  ASSERT_THAT(read.status(), IsOk());
  EXPECT_EQ(read->mode, SmtpPolicyModeCode::kRules);
  EXPECT_EQ(read->tag, "[secure]");
  EXPECT_EQ(read->ready, a.ready);
  EXPECT_EQ(read->regexes, a.regexes);  // a ',' inside a regex survives
  EXPECT_EQ(read->updated_at, kT0);

  a.mode = SmtpPolicyModeCode::kAll;
  a.regexes = {};
  a.updated_by = kOther;
  ASSERT_THAT(Write([&](WriteTxn& tx) -> Status {
                created = tx.tls_partners().PutSmtpPolicy(a);
                return created.status();
              }),
              IsOk());
  EXPECT_FALSE(*created);
  auto list = store_->tls_partners().ListSmtpPolicies();
  ASSERT_THAT(list.status(), IsOk());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].domain, "a.example");
  EXPECT_EQ((*list)[0].mode, SmtpPolicyModeCode::kAll);
  EXPECT_TRUE((*list)[0].regexes.empty());
  EXPECT_EQ((*list)[0].updated_by, kOther);
  EXPECT_EQ((*list)[1].tag, "[enc]");

  EXPECT_THAT(Write([&](WriteTxn& tx) { return tx.tls_partners().DeleteSmtpPolicy("a.example"); }),
              IsOk());
  EXPECT_THAT(Write([&](WriteTxn& tx) { return tx.tls_partners().DeleteSmtpPolicy("a.example"); }),
              StatusIs(ErrorCode::kNotFound));
  EXPECT_THAT(store_->tls_partners().GetSmtpPolicy("b.example").status(), IsOk());
}

// A failed write leaves nothing: the partner added before the error is rolled back.
TEST_P(TlsPartnersStoreTest, FailedWriteKeepsNothing) {
  EXPECT_THAT(
      Write([&](WriteTxn& tx) -> Status {
        SP_RETURN_IF_ERROR(tx.tls_partners().PutTlsPartner(MakePartner("p.example", kT0)).status());
        return Internal("caller failed");
      }),
      StatusIs(ErrorCode::kInternal));
  auto list = store_->tls_partners().ListTlsPartners();
  ASSERT_THAT(list.status(), IsOk());
  EXPECT_TRUE(list->empty());
}

}  // namespace
}  // namespace sealpost::store
