// The registered-mail domain (store/registered_store.h) on every backend, like store_test.cpp:
// a row per recipient, decided once (a second decision or a late expiry is Conflict), and the
// overdue listing the expiry job works from.
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

class RegisteredStoreTest : public testing::BackendTest {
 protected:
  const MessageId m_ = MessageId::FromTrusted(std::string(32, 'a'));
  const MessageId other_ = MessageId::FromTrusted(std::string(32, 'b'));

  Status Add(const MessageId& m, const std::string& to, TimePoint deadline) {
    return Write([&](WriteTxn& tx) {
      return tx.registered().AddRegisteredRecipient({m, to, deadline});
    });
  }
  Status Decide(const MessageId& m, const std::string& to, RegisteredState s, TimePoint when) {
    return Write([&](WriteTxn& tx) { return tx.registered().DecideRegistered(m, to, s, when); });
  }
};

INSTANTIATE_TEST_SUITE_P(Backends, RegisteredStoreTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         [](const auto& info) { return testing::BackendName(info.param); });

TEST_P(RegisteredStoreTest, ARowPerRecipientStartsPending) {
  EXPECT_THAT(store_->registered().GetRegisteredRecipient(m_, "bob@example.org").status(),
              StatusIs(ErrorCode::kNotFound));
  ASSERT_THAT(Add(m_, "bob@example.org", kT0 + 72h), IsOk());
  ASSERT_THAT(Add(m_, "ann@example.org", kT0 + 72h), IsOk());
  EXPECT_THAT(Add(m_, "bob@example.org", kT0 + 1h), StatusIs(ErrorCode::kConflict));
  auto bob = store_->registered().GetRegisteredRecipient(m_, "bob@example.org");
  ASSERT_THAT(bob.status(), IsOk());
  EXPECT_EQ(bob->state, RegisteredState::kPending);
  EXPECT_EQ(bob->deadline, kT0 + 72h);
  EXPECT_FALSE(bob->decided_at.has_value());
  auto list = store_->registered().ListRegisteredRecipients(m_);
  ASSERT_THAT(list.status(), IsOk());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].recipient, "ann@example.org");
  EXPECT_EQ((*list)[1].recipient, "bob@example.org");
  EXPECT_TRUE(store_->registered().ListRegisteredRecipients(other_)->empty());
  EXPECT_THAT(store_->registered().GetRegisteredRecipient(other_, "bob@example.org").status(),
              StatusIs(ErrorCode::kNotFound));
}

TEST_P(RegisteredStoreTest, ADecisionIsTakenOnceAndKeepsItsTime) {
  ASSERT_THAT(Add(m_, "bob@example.org", kT0 + 72h), IsOk());
  ASSERT_THAT(Decide(m_, "bob@example.org", RegisteredState::kAccepted, kT0 + 1h), IsOk());
  EXPECT_THAT(Decide(m_, "bob@example.org", RegisteredState::kRefused, kT0 + 2h),
              StatusIs(ErrorCode::kConflict));
  EXPECT_THAT(Decide(m_, "bob@example.org", RegisteredState::kExpired, kT0 + 73h),
              StatusIs(ErrorCode::kConflict));
  EXPECT_THAT(Decide(m_, "nobody@example.org", RegisteredState::kAccepted, kT0),
              StatusIs(ErrorCode::kNotFound));
  EXPECT_THAT(Decide(m_, "bob@example.org", RegisteredState::kPending, kT0),
              StatusIs(ErrorCode::kInvalidArgument));
  auto bob = store_->registered().GetRegisteredRecipient(m_, "bob@example.org");
  ASSERT_THAT(bob.status(), IsOk());
  EXPECT_EQ(bob->state, RegisteredState::kAccepted);
  ASSERT_TRUE(bob->decided_at.has_value());
  EXPECT_EQ(*bob->decided_at, kT0 + 1h);
}

TEST_P(RegisteredStoreTest, OverdueListsOnlyPendingRowsPastTheirDeadline) {
  ASSERT_THAT(Add(m_, "late@example.org", kT0 + 2h), IsOk());
  ASSERT_THAT(Add(other_, "early@example.org", kT0 + 1h), IsOk());
  ASSERT_THAT(Add(m_, "decided@example.org", kT0 + 1h), IsOk());
  ASSERT_THAT(Add(m_, "future@example.org", kT0 + 5h), IsOk());
  ASSERT_THAT(Decide(m_, "decided@example.org", RegisteredState::kRefused, kT0), IsOk());
  auto due = store_->registered().ListOverdueRegistered(kT0 + 2h, 10);
  ASSERT_THAT(due.status(), IsOk());
  ASSERT_EQ(due->size(), 2u);
  EXPECT_EQ((*due)[0].recipient, "early@example.org");  // earliest deadline first
  EXPECT_EQ((*due)[1].recipient, "late@example.org");
  EXPECT_EQ(store_->registered().ListOverdueRegistered(kT0 + 2h, 1)->size(), 1u);
  ASSERT_THAT(Decide(other_, "early@example.org", RegisteredState::kExpired, kT0 + 2h), IsOk());
  due = store_->registered().ListOverdueRegistered(kT0 + 2h, 10);
  ASSERT_THAT(due.status(), IsOk());
  ASSERT_EQ(due->size(), 1u);
  EXPECT_EQ((*due)[0].recipient, "late@example.org");
}

}  // namespace
}  // namespace sealpost::store
