// The key directory's storage (store/keys_store.h) on every backend, like store_test.cpp.
#include "store/keys_store.h"

#include <gtest/gtest.h>

#include "store/store.h"
#include "store/testing/backend_test.h"
#include "store/testing/test_database.h"
#include "testing/status_matchers.h"

namespace sealpost::store {
namespace {

const TimePoint kT0 = FromUnixMillis(1'790'000'000'000);

UserRecord MakeUser(char c, const std::string& email) {
  return testing::MakeTestUser(std::string(32, c), email, kT0);
}

ContactKeyRecord MakeKey(char id, std::optional<UserId> owner, const std::string& address,
                         const std::string& fingerprint, TimePoint added) {
  ContactKeyRecord k;
  k.id = ContactKeyId::FromTrusted(std::string(32, id));
  k.owner = std::move(owner);
  k.address = address;
  k.kind = ContactKeyKind::kSmime;
  k.material = Bytes{0x30, 0x82, 0x01};
  k.fingerprint = fingerprint;
  k.algorithm = "EC prime256v1";
  k.chain_pem = "-----BEGIN CERTIFICATE-----\n";
  k.smime_capabilities = "aes256-gcm aes256-cbc";
  k.not_before = kT0;
  k.not_after = kT0 + std::chrono::hours(24 * 365);
  k.added_by = UserId::FromTrusted(std::string(32, 'a'));
  k.added_at = added;
  return k;
}

class KeysStoreTest : public testing::BackendTest {
 protected:
  void SetUp() override {
    BackendTest::SetUp();
    if (HasFatalFailure()) return;
    ASSERT_THAT(Write([&](WriteTxn& tx) {
                  SP_RETURN_IF_ERROR(tx.accounts().CreateUser(alice_));
                  return tx.accounts().CreateUser(bob_);
                }),
                IsOk());
  }

  UserRecord alice_ = MakeUser('a', "alice@example.org");
  UserRecord bob_ = MakeUser('b', "bob@example.org");
};

INSTANTIATE_TEST_SUITE_P(Backends, KeysStoreTest,
                         ::testing::Values(testing::Backend::kSqlite, testing::Backend::kPostgres),
                         [](const auto& info) { return testing::BackendName(info.param); });

TEST_P(KeysStoreTest, ContactKeysRoundTripPerOwnerAndOrganisation) {
  ContactKeyRecord mine = MakeKey('1', alice_.id, "carol@partner.example", "f1", kT0);
  mine.verified_by = alice_.id;
  mine.verified_at = kT0 + std::chrono::seconds(5);
  ContactKeyRecord org = MakeKey('2', std::nullopt, "carol@partner.example", "f2", kT0);
  org.kind = ContactKeyKind::kOpenPgp;
  org.not_after.reset();
  ContactKeyRecord bobs = MakeKey('3', bob_.id, "carol@partner.example", "f3", kT0);
  ASSERT_THAT(Write([&](WriteTxn& tx) {
                SP_RETURN_IF_ERROR(tx.keys().AddContactKey(mine));
                SP_RETURN_IF_ERROR(tx.keys().AddContactKey(org));
                return tx.keys().AddContactKey(bobs);
              }),
              IsOk());

  auto read = store_->keys().GetContactKey(mine.id);
  ASSERT_THAT(read.status(), IsOk());
  EXPECT_EQ(read->owner, alice_.id);
  EXPECT_EQ(read->address, mine.address);
  EXPECT_EQ(read->material, mine.material);
  EXPECT_EQ(read->chain_pem, mine.chain_pem);
  EXPECT_EQ(read->smime_capabilities, "aes256-gcm aes256-cbc");
  EXPECT_EQ(read->not_after, mine.not_after);
  EXPECT_EQ(read->verified_by, alice_.id);
  EXPECT_EQ(read->verified_at, mine.verified_at);
  EXPECT_FALSE(read->revoked_at.has_value());

  auto org_read = store_->keys().GetContactKey(org.id);
  ASSERT_THAT(org_read.status(), IsOk());
  EXPECT_FALSE(org_read->owner.has_value());
  EXPECT_EQ(org_read->kind, ContactKeyKind::kOpenPgp);
  EXPECT_FALSE(org_read->not_after.has_value());
  EXPECT_FALSE(org_read->verified_by.has_value());

  auto alices = store_->keys().ListContactKeys(alice_.id);
  ASSERT_THAT(alices.status(), IsOk());
  ASSERT_EQ(alices->size(), 1u);
  EXPECT_EQ((*alices)[0].id, mine.id);
  auto orgs = store_->keys().ListContactKeys(std::nullopt);
  ASSERT_THAT(orgs.status(), IsOk());
  ASSERT_EQ(orgs->size(), 1u);
  EXPECT_EQ((*orgs)[0].id, org.id);

  // Alice's own key first, then the organisation's; never Bob's.
  auto found = store_->keys().FindContactKeys(alice_.id, "carol@partner.example");
  ASSERT_THAT(found.status(), IsOk());
  ASSERT_EQ(found->size(), 2u);
  EXPECT_EQ((*found)[0].id, mine.id);
  EXPECT_EQ((*found)[1].id, org.id);
  EXPECT_TRUE(store_->keys().FindContactKeys(alice_.id, "dave@partner.example")->empty());
}

TEST_P(KeysStoreTest, DuplicateLiveKeyConflictsButMayComeBackAfterDeletion) {
  const ContactKeyRecord first = MakeKey('1', alice_.id, "carol@partner.example", "f1", kT0);
  ASSERT_THAT(Write([&](WriteTxn& tx) { return tx.keys().AddContactKey(first); }), IsOk());
  const ContactKeyRecord again = MakeKey('2', alice_.id, "carol@partner.example", "f1", kT0);
  EXPECT_THAT(Write([&](WriteTxn& tx) { return tx.keys().AddContactKey(again); }),
              StatusIs(ErrorCode::kConflict));
  // The same key for the organisation, or another member, is another entry.
  EXPECT_THAT(Write([&](WriteTxn& tx) {
                return tx.keys().AddContactKey(
                    MakeKey('3', std::nullopt, "carol@partner.example", "f1", kT0));
              }),
              IsOk());
  EXPECT_THAT(Write([&](WriteTxn& tx) {
                return tx.keys().AddContactKey(
                    MakeKey('4', std::nullopt, "carol@partner.example", "f1", kT0));
              }),
              StatusIs(ErrorCode::kConflict));

  ASSERT_THAT(Write([&](WriteTxn& tx) { return tx.keys().DeleteContactKey(first.id, kT0); }),
              IsOk());
  EXPECT_THAT(store_->keys().GetContactKey(first.id).status(), StatusIs(ErrorCode::kNotFound));
  EXPECT_THAT(Write([&](WriteTxn& tx) { return tx.keys().DeleteContactKey(first.id, kT0); }),
              StatusIs(ErrorCode::kNotFound));
  EXPECT_THAT(Write([&](WriteTxn& tx) { return tx.keys().AddContactKey(again); }), IsOk());
}

TEST_P(KeysStoreTest, CountsVerifiesAndRevokesLiveKeysOnly) {
  ASSERT_THAT(Write([&](WriteTxn& tx) {
                SP_RETURN_IF_ERROR(
                    tx.keys().AddContactKey(MakeKey('1', alice_.id, "c@p.example", "f1", kT0)));
                SP_RETURN_IF_ERROR(
                    tx.keys().AddContactKey(MakeKey('2', alice_.id, "d@p.example", "f2", kT0)));
                return tx.keys().DeleteContactKey(ContactKeyId::FromTrusted(std::string(32, '2')),
                                                  kT0);
              }),
              IsOk());
  int64_t count = -1;
  ASSERT_THAT(Write([&](WriteTxn& tx) {
                SP_ASSIGN_OR_RETURN(count, tx.keys().CountContactKeys(alice_.id));
                return Status::Ok();
              }),
              IsOk());
  EXPECT_EQ(count, 1);

  const auto live = ContactKeyId::FromTrusted(std::string(32, '1'));
  const auto gone = ContactKeyId::FromTrusted(std::string(32, '2'));
  const TimePoint later = kT0 + std::chrono::seconds(60);
  EXPECT_THAT(
      Write([&](WriteTxn& tx) { return tx.keys().MarkContactKeyVerified(gone, bob_.id, later); }),
      StatusIs(ErrorCode::kNotFound));
  ASSERT_THAT(Write([&](WriteTxn& tx) {
                SP_RETURN_IF_ERROR(tx.keys().MarkContactKeyVerified(live, alice_.id, later));
                return tx.keys().MarkContactKeyRevoked(live, later, "key compromised");
              }),
              IsOk());
  auto read = store_->keys().GetContactKey(live);
  ASSERT_THAT(read.status(), IsOk());
  EXPECT_EQ(read->verified_by, alice_.id);
  EXPECT_EQ(read->verified_at, later);
  EXPECT_EQ(read->revoked_at, later);
  EXPECT_EQ(read->revoked_reason, "key compromised");
  // Revoked once: a second revocation is refused and keeps the first reason; unknown ids are
  // NotFound.
  EXPECT_THAT(
      Write([&](WriteTxn& tx) { return tx.keys().MarkContactKeyRevoked(live, later, "again"); }),
      StatusIs(ErrorCode::kConflict));
  EXPECT_THAT(
      Write([&](WriteTxn& tx) { return tx.keys().MarkContactKeyRevoked(gone, later, "x"); }),
      StatusIs(ErrorCode::kNotFound));
  read = store_->keys().GetContactKey(live);
  ASSERT_THAT(read.status(), IsOk());
  EXPECT_EQ(read->revoked_reason, "key compromised");
}

TEST_P(KeysStoreTest, TrustAnchorsAreUniqueByFingerprintAndDeletable) {
  const TrustAnchorRecord anchor{TrustAnchorId::FromTrusted(std::string(32, '9')),
                                 Bytes{1, 2, 3},
                                 "CN=Partner CA",
                                 "ab12",
                                 alice_.id,
                                 kT0};
  ASSERT_THAT(Write([&](WriteTxn& tx) { return tx.keys().AddTrustAnchor(anchor); }), IsOk());
  TrustAnchorRecord same = anchor;
  same.id = TrustAnchorId::FromTrusted(std::string(32, '8'));
  EXPECT_THAT(Write([&](WriteTxn& tx) { return tx.keys().AddTrustAnchor(same); }),
              StatusIs(ErrorCode::kConflict));
  auto list = store_->keys().ListTrustAnchors();
  ASSERT_THAT(list.status(), IsOk());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].der, anchor.der);
  EXPECT_EQ((*list)[0].subject, anchor.subject);
  EXPECT_EQ((*list)[0].added_by, alice_.id);
  ASSERT_THAT(Write([&](WriteTxn& tx) { return tx.keys().DeleteTrustAnchor(anchor.id); }), IsOk());
  EXPECT_TRUE(store_->keys().ListTrustAnchors()->empty());
  EXPECT_THAT(Write([&](WriteTxn& tx) { return tx.keys().DeleteTrustAnchor(anchor.id); }),
              StatusIs(ErrorCode::kNotFound));
}

}  // namespace
}  // namespace sealpost::store
