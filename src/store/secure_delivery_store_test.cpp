// The secure delivery domain (store/secure_delivery_store.h) on every backend, like
// store_test.cpp: copies listed by message, claimed with a lease, deferred, finished with their
// sealed copy erased, and never finished twice.
#include <gtest/gtest.h>

#include "store/store.h"
#include "store/testing/backend_test.h"
#include "store/testing/test_database.h"
#include "testing/status_matchers.h"

namespace sealpost::store {
namespace {

using namespace std::chrono_literals;
using testing::Backend;

const TimePoint kT0 = FromUnixMillis(1'790'000'000'000);

class SecureDeliveryStoreTest : public testing::BackendTest {
 protected:
  static SecureCopyRecord Copy(char id, char message, const std::string& recipient,
                               TimePoint due = kT0) {
    SecureCopyRecord c;
    c.id = SecureCopyId::FromTrusted(std::string(32, id));
    c.message_id = MessageId::FromTrusted(std::string(32, message));
    c.sender_id = UserId::FromTrusted(std::string(32, 'u'));
    c.recipient = recipient;
    c.method = "pgp-mime";
    c.created_at = kT0;
    c.next_attempt_at = due;
    c.sealed_copy = Bytes(5000, static_cast<uint8_t>(id));
    return c;
  }

  Status Enqueue(const SecureCopyRecord& c) {
    return store_->Write([&](WriteTxn& tx) { return tx.secure_delivery().EnqueueCopy(c); });
  }

  std::vector<SecureCopyRecord> Claim(TimePoint now, int limit = 10) {
    Result<std::vector<SecureCopyRecord>> out = std::vector<SecureCopyRecord>{};
    EXPECT_THAT(store_->Write([&](WriteTxn& tx) {
      out = tx.secure_delivery().ClaimDueCopies(now, now + 5min, limit);
      return out.status();
    }),
                IsOk());
    return out.ok() ? *out : std::vector<SecureCopyRecord>{};
  }
};

INSTANTIATE_TEST_SUITE_P(Backends, SecureDeliveryStoreTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         [](const auto& info) { return testing::BackendName(info.param); });

TEST_P(SecureDeliveryStoreTest, CopiesAreListedByMessageWithoutTheirSealedBytes) {
  ASSERT_THAT(Enqueue(Copy('a', 'm', "carol@partner.example")), IsOk());
  ASSERT_THAT(Enqueue(Copy('b', 'm', "bob@partner.example")), IsOk());
  ASSERT_THAT(Enqueue(Copy('c', 'n', "carol@partner.example")), IsOk());
  EXPECT_THAT(Enqueue(Copy('a', 'm', "carol@partner.example")), StatusIs(ErrorCode::kConflict));
  auto list =
      store_->secure_delivery().ListCopiesOfMessage(MessageId::FromTrusted(std::string(32, 'm')));
  ASSERT_THAT(list.status(), IsOk());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].recipient, "bob@partner.example");  // by recipient
  EXPECT_EQ((*list)[1].recipient, "carol@partner.example");
  EXPECT_EQ((*list)[1].method, "pgp-mime");
  EXPECT_EQ((*list)[1].state, SecureCopyState::kQueued);
  EXPECT_EQ((*list)[1].created_at, kT0);
  EXPECT_FALSE((*list)[1].lease_until.has_value());
  EXPECT_TRUE((*list)[1].sealed_copy.empty());
  auto pending = store_->secure_delivery().ListPendingCopies(10);
  ASSERT_THAT(pending.status(), IsOk());
  EXPECT_EQ(pending->size(), 3u);
}

TEST_P(SecureDeliveryStoreTest, ClaimLeasesDueCopiesOnce) {
  ASSERT_THAT(Enqueue(Copy('a', 'm', "a@partner.example", kT0 + 1s)), IsOk());
  ASSERT_THAT(Enqueue(Copy('b', 'm', "b@partner.example", kT0)), IsOk());
  ASSERT_THAT(Enqueue(Copy('c', 'm', "c@partner.example", kT0 + 1h)), IsOk());  // not due
  const auto claimed = Claim(kT0 + 2s);
  ASSERT_EQ(claimed.size(), 2u);
  EXPECT_EQ(claimed[0].recipient, "b@partner.example");  // oldest due first
  EXPECT_EQ(claimed[1].recipient, "a@partner.example");
  EXPECT_EQ(claimed[0].sealed_copy, Bytes(5000, 'b'));
  ASSERT_TRUE(claimed[0].lease_until.has_value());
  EXPECT_EQ(*claimed[0].lease_until, kT0 + 2s + 5min);
  EXPECT_TRUE(Claim(kT0 + 3s).empty());          // leased
  EXPECT_EQ(Claim(kT0 + 2s + 5min).size(), 2u);  // the lease ran out (a deliverer died)
}

TEST_P(SecureDeliveryStoreTest, DeferredThenDeliveredErasesTheCopy) {
  const SecureCopyRecord c = Copy('a', 'm', "carol@partner.example");
  ASSERT_THAT(Enqueue(c), IsOk());
  ASSERT_EQ(Claim(kT0).size(), 1u);
  ASSERT_THAT(store_->Write([&](WriteTxn& tx) {
    return tx.secure_delivery().DeferCopy(c.id, kT0 + 1min, 1, "451 try later");
  }),
              IsOk());
  EXPECT_TRUE(Claim(kT0 + 30s).empty());
  auto again = Claim(kT0 + 1min);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].state, SecureCopyState::kDeferred);
  EXPECT_EQ(again[0].attempts, 1);
  EXPECT_EQ(again[0].last_error, "451 try later");
  ASSERT_THAT(store_->Write([&](WriteTxn& tx) {
    return tx.secure_delivery().FinishCopy(c.id, SecureCopyState::kDelivered, 2,
                                           "mx.partner.example", "250 2.0.0 Ok: queued as X", "",
                                           kT0 + 2min);
  }),
              IsOk());
  auto list = store_->secure_delivery().ListCopiesOfMessage(c.message_id);
  ASSERT_THAT(list.status(), IsOk());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].state, SecureCopyState::kDelivered);
  EXPECT_EQ((*list)[0].host, "mx.partner.example");
  EXPECT_EQ((*list)[0].reply, "250 2.0.0 Ok: queued as X");
  EXPECT_EQ((*list)[0].attempts, 2);
  ASSERT_TRUE((*list)[0].finished_at.has_value());
  EXPECT_EQ(*(*list)[0].finished_at, kT0 + 2min);
  EXPECT_FALSE((*list)[0].lease_until.has_value());
  // Not pending any more: never claimed, deferred or finished again; the bytes are gone.
  EXPECT_TRUE(Claim(kT0 + 1h).empty());
  EXPECT_THAT(store_->Write([&](WriteTxn& tx) {
    return tx.secure_delivery().DeferCopy(c.id, kT0 + 1h, 3, "x");
  }),
              StatusIs(ErrorCode::kNotFound));
  EXPECT_THAT(store_->Write([&](WriteTxn& tx) {
    return tx.secure_delivery().FinishCopy(c.id, SecureCopyState::kFailed, 3, "", "", "x",
                                           kT0 + 1h);
  }),
              StatusIs(ErrorCode::kNotFound));
  auto pending = store_->secure_delivery().ListPendingCopies(10);
  ASSERT_THAT(pending.status(), IsOk());
  EXPECT_TRUE(pending->empty());
}

TEST_P(SecureDeliveryStoreTest, FailedKeepsTheReason) {
  const SecureCopyRecord c = Copy('a', 'm', "carol@partner.example");
  ASSERT_THAT(Enqueue(c), IsOk());
  ASSERT_THAT(store_->Write([&](WriteTxn& tx) {
    return tx.secure_delivery().FinishCopy(c.id, SecureCopyState::kFailed, 1, "", "",
                                           "550 5.1.1 no such user", kT0);
  }),
              IsOk());
  auto list = store_->secure_delivery().ListCopiesOfMessage(c.message_id);
  ASSERT_THAT(list.status(), IsOk());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].state, SecureCopyState::kFailed);
  EXPECT_EQ((*list)[0].last_error, "550 5.1.1 no such user");
  EXPECT_TRUE(Claim(kT0 + 1h).empty());
}

TEST_P(SecureDeliveryStoreTest, AReportAfterDeliveryMarksTheCopyOnceAndKeepsWhoTookIt) {
  const SecureCopyRecord c = Copy('a', 'm', "carol@partner.example");
  ASSERT_THAT(Enqueue(c), IsOk());
  auto report = [&](SecureCopyState state, const std::string& why, TimePoint at) {
    return store_->Write(
        [&](WriteTxn& tx) { return tx.secure_delivery().ReportCopyOutcome(c.id, state, why, at); });
  };
  // Still ours to send: a report does not touch it.
  EXPECT_THAT(report(SecureCopyState::kFailed, "550 5.1.1", kT0), StatusIs(ErrorCode::kNotFound));
  ASSERT_THAT(store_->Write([&](WriteTxn& tx) {
    return tx.secure_delivery().FinishCopy(c.id, SecureCopyState::kDelivered, 1, "relay.example",
                                           "250 2.0.0 queued", "", kT0);
  }),
              IsOk());
  EXPECT_THAT(report(SecureCopyState::kReportedDelayed, "4.4.7 still trying", kT0 + 1h), IsOk());
  auto got = store_->secure_delivery().GetCopy(c.id);
  ASSERT_THAT(got.status(), IsOk());
  EXPECT_EQ(got->state, SecureCopyState::kReportedDelayed);
  EXPECT_EQ(got->last_error, "4.4.7 still trying");
  EXPECT_EQ(got->finished_at, kT0);      // when it left us
  EXPECT_TRUE(Claim(kT0 + 2h).empty());  // a delayed report is not ours to retry
  EXPECT_THAT(report(SecureCopyState::kFailed, "550 5.1.1 user unknown", kT0 + 2h), IsOk());
  got = store_->secure_delivery().GetCopy(c.id);
  ASSERT_THAT(got.status(), IsOk());
  EXPECT_EQ(got->state, SecureCopyState::kFailed);
  EXPECT_EQ(got->last_error, "550 5.1.1 user unknown");
  EXPECT_EQ(got->host, "relay.example");
  EXPECT_EQ(got->reply, "250 2.0.0 queued");
  EXPECT_EQ(got->finished_at, kT0 + 2h);
  EXPECT_TRUE(got->sealed_copy.empty());
  // Failed is final: a second report finds nothing.
  EXPECT_THAT(report(SecureCopyState::kFailed, "again", kT0 + 3h), StatusIs(ErrorCode::kNotFound));
  EXPECT_THAT(report(SecureCopyState::kQueued, "x", kT0), StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(
      store_->secure_delivery().GetCopy(SecureCopyId::FromTrusted(std::string(32, 'z'))).status(),
      StatusIs(ErrorCode::kNotFound));
}

// A large send stores its copies as preparing and queues them chunk by chunk
// (app/internal/secure_copies.h): a preparing copy is never claimed; queued, it is due at once
// with its bytes; left past its lease (the send died), it is listed as abandoned and can be failed.
TEST_P(SecureDeliveryStoreTest, PreparingCopiesAreQueuedWhenMadeOrListedAsAbandoned) {
  const auto preparing = [](char id, const std::string& recipient) {
    SecureCopyRecord c = Copy(id, 'm', recipient);
    c.method = "smime";
    c.state = SecureCopyState::kPreparing;
    c.sealed_copy.clear();
    c.lease_until = kT0 + 5min;
    return c;
  };
  const SecureCopyRecord a = preparing('a', "a@partner.example");
  const SecureCopyRecord b = preparing('b', "b@partner.example");
  const SecureCopyRecord c = preparing('c', "c@partner.example");
  const SecureCopyRecord other = preparing('d', "d@partner.example");
  for (const auto& x : {a, b, c}) ASSERT_THAT(Enqueue(x), IsOk());
  SecureCopyRecord elsewhere = other;
  elsewhere.message_id = MessageId::FromTrusted(std::string(32, 'n'));
  ASSERT_THAT(Enqueue(elsewhere), IsOk());
  EXPECT_TRUE(Claim(kT0 + 1h).empty());  // preparing: never claimed, whatever the time

  // a is made: queued with its method and bytes, due at the time it was queued.
  ASSERT_THAT(store_->Write([&](WriteTxn& tx) {
    return tx.secure_delivery().QueuePreparedCopy(a.id, "smime-authenveloped-aes256gcm",
                                                  Bytes(700, 'A'), kT0 + 10s);
  }),
              IsOk());
  EXPECT_THAT(store_->Write([&](WriteTxn& tx) {  // only once
    return tx.secure_delivery().QueuePreparedCopy(a.id, "smime", Bytes(7, 'x'), kT0 + 11s);
  }),
              StatusIs(ErrorCode::kNotFound));
  auto claimed = Claim(kT0 + 10s);
  ASSERT_EQ(claimed.size(), 1u);
  EXPECT_EQ(claimed[0].id, a.id);
  EXPECT_EQ(claimed[0].method, "smime-authenveloped-aes256gcm");
  EXPECT_EQ(claimed[0].state, SecureCopyState::kQueued);
  EXPECT_EQ(claimed[0].sealed_copy, Bytes(700, 'A'));

  // The send is alive: b and c's lease moves, the other message's does not.
  ASSERT_THAT(store_->Write([&](WriteTxn& tx) {
    return tx.secure_delivery().ExtendPreparation(a.message_id, kT0 + 10min);
  }),
              IsOk());
  const auto abandoned = [&](TimePoint now) {
    Result<std::vector<SecureCopyRecord>> out = std::vector<SecureCopyRecord>{};
    EXPECT_THAT(store_->Write([&](WriteTxn& tx) {
      out = tx.secure_delivery().ListAbandonedCopies(now, 10);
      return out.status();
    }),
                IsOk());
    return out.ok() ? *out : std::vector<SecureCopyRecord>{};
  };
  EXPECT_TRUE(abandoned(kT0 + 4min).empty());
  auto late = abandoned(kT0 + 6min);
  ASSERT_EQ(late.size(), 1u);
  EXPECT_EQ(late[0].id, elsewhere.id);
  late = abandoned(kT0 + 10min);
  ASSERT_EQ(late.size(), 3u);
  EXPECT_EQ(late[0].id, elsewhere.id);  // oldest lease first
  EXPECT_EQ(late[1].method, "smime");
  EXPECT_EQ(late[1].state, SecureCopyState::kPreparing);

  // b given up: failed, and the send can no longer queue it.
  ASSERT_THAT(store_->Write([&](WriteTxn& tx) {
    return tx.secure_delivery().FinishCopy(b.id, SecureCopyState::kFailed, 0, "", "", "never made",
                                           kT0 + 10min);
  }),
              IsOk());
  EXPECT_THAT(store_->Write([&](WriteTxn& tx) {
    return tx.secure_delivery().QueuePreparedCopy(b.id, "smime", Bytes(7, 'x'), kT0 + 10min);
  }),
              StatusIs(ErrorCode::kNotFound));
  EXPECT_EQ(abandoned(kT0 + 10min).size(), 2u);
  auto list = store_->secure_delivery().ListCopiesOfMessage(a.message_id);
  ASSERT_THAT(list.status(), IsOk());
  ASSERT_EQ(list->size(), 3u);
  EXPECT_EQ((*list)[1].state, SecureCopyState::kFailed);
  EXPECT_EQ((*list)[2].state, SecureCopyState::kPreparing);
}

}  // namespace
}  // namespace sealpost::store
