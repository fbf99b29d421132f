// The retention domain (store/retention_store.h) on every backend, like store_test.cpp: policies
// per domain, holds placed and released once, the due queries (by the owner's or sender's domain,
// by age, never what is held), and the shredding steps with their tombstones.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>

#include "store/store.h"
#include "store/testing/backend_test.h"
#include "testing/status_matchers.h"

namespace sealpost::store {
namespace {

using namespace std::chrono_literals;
using testing::Backend;

const TimePoint kT0 = FromUnixMillis(1'790'000'000'000);

std::string IdHex(char c) { return std::string(32, c); }

class RetentionStoreTest : public testing::BackendTest {
 protected:
  // a@x.org sends message 1 (at kT0) to b@x.org and c@y.org and a guest; message 2 (kT0 + 10 days)
  // from a to b.
  void SetUp() override {
    testing::BackendTest::SetUp();
    if (HasFatalFailure()) return;
    ASSERT_THAT(Write([&](WriteTxn& tx) -> Status {
                  for (const UserRecord& u : {a_, b_, c_}) {
                    SP_RETURN_IF_ERROR(tx.accounts().CreateUser(u));
                  }
                  const MessageRecord m1{m1_, a_.id, kT0, Bytes{1, 2}, Bytes{3}};
                  const MailboxEntry e1[] = {{a_.id, m1_, Folder::kSent, Bytes{9}, false, kT0},
                                             {b_.id, m1_, Folder::kInbox, Bytes{8}, true, kT0},
                                             {c_.id, m1_, Folder::kInbox, Bytes{7}, true, kT0}};
                  const AttachmentRecord att[] = {{m1_, 0, BlobId::FromTrusted(IdHex('f')), 10}};
                  SP_RETURN_IF_ERROR(tx.messages().CreateMessage(m1, e1, att));
                  PickupRecord p{"pk1",       m1_, a_.id,     "g@z.org",
                                 Bytes{5, 5}, kT0, kT0 + 24h, PickupState::kPending};
                  p.sender_share = Bytes{4};
                  SP_RETURN_IF_ERROR(tx.guests().CreatePickup(p));
                  const TimePoint t2 = kT0 + 240h;
                  const MessageRecord m2{m2_, a_.id, t2, Bytes{1}, Bytes{2}};
                  const MailboxEntry e2[] = {{a_.id, m2_, Folder::kSent, Bytes{9}, false, t2},
                                             {b_.id, m2_, Folder::kInbox, Bytes{8}, true, t2}};
                  return tx.messages().CreateMessage(m2, e2, {});
                }),
                IsOk());
  }

  Result<std::vector<DueEntry>> Due(const std::string& domain, TimePoint cutoff) {
    return store_->retention().ListDueEntries(domain, cutoff, 100);
  }

  const UserRecord a_ = testing::MakeTestUser(IdHex('a'), "a@x.org", kT0);
  const UserRecord b_ = testing::MakeTestUser(IdHex('b'), "b@x.org", kT0);
  const UserRecord c_ = testing::MakeTestUser(IdHex('c'), "c@y.org", kT0);
  const MessageId m1_ = MessageId::FromTrusted(IdHex('1'));
  const MessageId m2_ = MessageId::FromTrusted(IdHex('2'));
};

INSTANTIATE_TEST_SUITE_P(Backends, RetentionStoreTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         [](const auto& info) { return testing::BackendName(info.param); });

TEST_P(RetentionStoreTest, PoliciesArePerDomainAndReplaced) {
  EXPECT_THAT(store_->retention().GetPolicy("x.org").status(), StatusIs(ErrorCode::kNotFound));
  ASSERT_THAT(Write([&](WriteTxn& tx) {
                SP_RETURN_IF_ERROR(tx.retention().PutPolicy({"y.org", 30, a_.id.str(), kT0}));
                SP_RETURN_IF_ERROR(tx.retention().PutPolicy({"x.org", 7, a_.id.str(), kT0}));
                return tx.retention().PutPolicy({"x.org", 90, b_.id.str(), kT0 + 1h});
              }),
              IsOk());
  auto x = store_->retention().GetPolicy("x.org");
  ASSERT_THAT(x.status(), IsOk());
  EXPECT_EQ(x->days, 90);
  EXPECT_EQ(x->set_by, b_.id.str());
  EXPECT_EQ(x->updated_at, kT0 + 1h);
  auto all = store_->retention().ListPolicies();
  ASSERT_THAT(all.status(), IsOk());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].domain, "x.org");
  EXPECT_EQ((*all)[1].domain, "y.org");
  ASSERT_THAT(Write([&](WriteTxn& tx) { return tx.retention().DeletePolicy("y.org"); }), IsOk());
  EXPECT_THAT(Write([&](WriteTxn& tx) { return tx.retention().DeletePolicy("y.org"); }),
              StatusIs(ErrorCode::kNotFound));
  EXPECT_EQ(store_->retention().ListPolicies()->size(), 1u);
}

TEST_P(RetentionStoreTest, HoldsArePlacedOnceAndReleasedOnce) {
  const HoldRecord h{IdHex('h'), HoldTarget::kMember, b_.id.str(), "case 12", a_.id.str(), kT0};
  ASSERT_THAT(Write([&](WriteTxn& tx) { return tx.retention().PlaceHold(h); }), IsOk());
  EXPECT_THAT(Write([&](WriteTxn& tx) { return tx.retention().PlaceHold(h); }),
              StatusIs(ErrorCode::kConflict));
  EXPECT_TRUE(*store_->retention().IsHeld(HoldTarget::kMember, b_.id.str()));
  EXPECT_FALSE(*store_->retention().IsHeld(HoldTarget::kMessage, b_.id.str()));
  EXPECT_FALSE(*store_->retention().IsHeld(HoldTarget::kMember, c_.id.str()));
  ASSERT_THAT(
      Write([&](WriteTxn& tx) { return tx.retention().ReleaseHold(h.id, c_.id.str(), kT0 + 1h); }),
      IsOk());
  EXPECT_THAT(
      Write([&](WriteTxn& tx) { return tx.retention().ReleaseHold(h.id, c_.id.str(), kT0 + 2h); }),
      StatusIs(ErrorCode::kNotFound));
  EXPECT_FALSE(*store_->retention().IsHeld(HoldTarget::kMember, b_.id.str()));
  auto got = store_->retention().GetHold(h.id);
  ASSERT_THAT(got.status(), IsOk());
  EXPECT_EQ(got->reason, "case 12");
  ASSERT_TRUE(got->released_at.has_value());
  EXPECT_EQ(*got->released_at, kT0 + 1h);
  EXPECT_EQ(got->released_by, c_.id.str());
  EXPECT_TRUE(store_->retention().ListHolds(false, 10)->empty());
  EXPECT_EQ(store_->retention().ListHolds(true, 10)->size(), 1u);
}

TEST_P(RetentionStoreTest, DueEntriesFollowTheOwnersDomainAndAge) {
  auto x = Due("x.org", kT0 + 24h);  // a's Sent and b's inbox entry of message 1
  ASSERT_THAT(x.status(), IsOk());
  ASSERT_EQ(x->size(), 2u);
  for (const DueEntry& e : *x) {
    EXPECT_EQ(e.message_id, m1_);
    EXPECT_NE(e.owner_id, c_.id);
  }
  auto y = Due("y.org", kT0 + 24h);
  ASSERT_THAT(y.status(), IsOk());
  ASSERT_EQ(y->size(), 1u);
  EXPECT_EQ((*y)[0].owner_id, c_.id);
  EXPECT_EQ((*y)[0].folder, Folder::kInbox);
  EXPECT_TRUE(Due("x.org", kT0)->empty());           // nothing older than the cutoff
  EXPECT_EQ(Due("x.org", kT0 + 2400h)->size(), 4u);  // both messages
  EXPECT_EQ(store_->retention().ListDueEntries("x.org", kT0 + 2400h, 3)->size(), 3u);
  EXPECT_TRUE(Due("org", kT0 + 2400h)->empty());  // a domain is matched whole
}

TEST_P(RetentionStoreTest, HeldMembersAndMessagesAreNeverDue) {
  ASSERT_THAT(Write([&](WriteTxn& tx) {
                SP_RETURN_IF_ERROR(tx.retention().PlaceHold(
                    {IdHex('h'), HoldTarget::kMember, b_.id.str(), "r", a_.id.str(), kT0}));
                return tx.retention().PlaceHold(
                    {IdHex('i'), HoldTarget::kMessage, m2_.str(), "r", a_.id.str(), kT0});
              }),
              IsOk());
  auto x = Due("x.org", kT0 + 2400h);  // only a's Sent entry of message 1
  ASSERT_THAT(x.status(), IsOk());
  ASSERT_EQ(x->size(), 1u);
  EXPECT_EQ((*x)[0].owner_id, a_.id);
  EXPECT_EQ((*x)[0].message_id, m1_);
  // A hold on the sender keeps the pickups of their messages.
  EXPECT_EQ(store_->retention().ListDuePickups("x.org", kT0 + 24h, 10)->size(), 1u);
  ASSERT_THAT(Write([&](WriteTxn& tx) {
                return tx.retention().PlaceHold(
                    {IdHex('j'), HoldTarget::kMember, a_.id.str(), "r", a_.id.str(), kT0});
              }),
              IsOk());
  EXPECT_TRUE(store_->retention().ListDuePickups("x.org", kT0 + 24h, 10)->empty());
  EXPECT_TRUE(Due("x.org", kT0 + 2400h)->empty());
  ASSERT_THAT(
      Write([&](WriteTxn& tx) { return tx.retention().ReleaseHold(IdHex('h'), a_.id.str(), kT0); }),
      IsOk());
  EXPECT_EQ(Due("x.org", kT0 + 2400h)->size(), 1u);  // b's entry of message 1; message 2 held
}

TEST_P(RetentionStoreTest, ShreddingRemovesKeysThenContentAndLeavesTombstones) {
  auto pickups = store_->retention().ListDuePickups("x.org", kT0 + 24h, 10);
  ASSERT_THAT(pickups.status(), IsOk());
  ASSERT_EQ(pickups->size(), 1u);
  EXPECT_EQ((*pickups)[0].lookup, "pk1");
  EXPECT_EQ((*pickups)[0].email, "g@z.org");
  EXPECT_TRUE(store_->retention().ListDuePickups("y.org", kT0 + 24h, 10)->empty());

  int64_t holders_before = -1;
  int64_t holders_after = -1;
  ASSERT_THAT(
      Write([&](WriteTxn& tx) -> Status {
        auto& r = tx.retention();
        SP_ASSIGN_OR_RETURN(holders_before, r.CountKeyHolders(m1_));
        SP_RETURN_IF_ERROR(r.ShredEntry(a_.id, m1_, Folder::kSent));
        SP_RETURN_IF_ERROR(r.ShredEntry(b_.id, m1_, Folder::kInbox));
        SP_RETURN_IF_ERROR(r.ShredEntry(c_.id, m1_, Folder::kInbox));
        SP_RETURN_IF_ERROR(r.ShredPickup("pk1"));
        SP_ASSIGN_OR_RETURN(holders_after, r.CountKeyHolders(m1_));
        SP_RETURN_IF_ERROR(r.ShredContent(m1_));
        SP_RETURN_IF_ERROR(r.AddTombstone({m1_, ShredKind::kInbox, b_.id.str(), "run1", kT0 + 1h}));
        SP_RETURN_IF_ERROR(r.AddTombstone({m1_, ShredKind::kContent, "", "run1", kT0}));
        // Stored once: the first one stays.
        return r.AddTombstone({m1_, ShredKind::kContent, "", "run2", kT0});
      }),
      IsOk());
  EXPECT_EQ(holders_before, 4);
  EXPECT_EQ(holders_after, 0);
  EXPECT_THAT(
      Write([&](WriteTxn& tx) { return tx.retention().ShredEntry(a_.id, m1_, Folder::kSent); }),
      StatusIs(ErrorCode::kNotFound));
  EXPECT_THAT(store_->messages().GetMailboxItem(b_.id, m1_).status(),
              StatusIs(ErrorCode::kNotFound));
  auto message = store_->messages().GetMessage(m1_);
  ASSERT_THAT(message.status(), IsOk());
  EXPECT_TRUE(message->summary.empty());
  EXPECT_TRUE(message->body.empty());
  auto pickup = store_->guests().GetPickup("pk1");
  ASSERT_THAT(pickup.status(), IsOk());
  EXPECT_TRUE(pickup->wrapped_key.empty());
  EXPECT_TRUE(pickup->sender_share.empty());
  EXPECT_EQ(pickup->state, PickupState::kExpired);
  EXPECT_TRUE(store_->retention().ListDuePickups("x.org", kT0 + 24h, 10)->empty());
  // Message 2 is untouched.
  EXPECT_EQ(store_->messages().GetMessage(m2_)->summary, (Bytes{1}));

  auto stones = store_->retention().ListTombstonesOfMessage(m1_);
  ASSERT_THAT(stones.status(), IsOk());
  ASSERT_EQ(stones->size(), 2u);
  EXPECT_EQ((*stones)[0].kind, ShredKind::kContent);
  EXPECT_EQ((*stones)[0].run_id, "run1");
  EXPECT_EQ((*stones)[1].kind, ShredKind::kInbox);
  EXPECT_EQ((*stones)[1].owner, b_.id.str());
  EXPECT_EQ((*stones)[1].shredded_at, kT0 + 1h);
  EXPECT_EQ(store_->retention().ListTombstonesOfRun("run1")->size(), 2u);
  EXPECT_TRUE(store_->retention().ListTombstonesOfRun("run2")->empty());

  // Its attachment rows stay until their blobs are gone.
  auto pending = store_->retention().ListShreddedWithAttachments(10);
  ASSERT_THAT(pending.status(), IsOk());
  ASSERT_EQ(pending->size(), 1u);
  EXPECT_EQ((*pending)[0], m1_);
  ASSERT_THAT(Write([&](WriteTxn& tx) { return tx.retention().DeleteAttachmentRows(m1_); }),
              IsOk());
  EXPECT_TRUE(store_->retention().ListShreddedWithAttachments(10)->empty());
  EXPECT_TRUE(store_->messages().GetAttachments(m1_)->empty());
  // A message without attachments waits for no blobs.
  ASSERT_THAT(Write([&](WriteTxn& tx) -> Status {
                SP_RETURN_IF_ERROR(tx.retention().ShredContent(m2_));
                return tx.retention().AddTombstone({m2_, ShredKind::kContent, "", "run3", kT0});
              }),
              IsOk());
  EXPECT_TRUE(store_->retention().ListShreddedWithAttachments(10)->empty());
}

}  // namespace
}  // namespace sealpost::store
