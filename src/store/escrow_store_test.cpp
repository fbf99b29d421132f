// The escrow domain (store/escrow_store.h) on every backend, like store_test.cpp: keys per domain
// (replaced, deleted once), wraps per message and domain (once each), the export query (domain,
// time range, member, cursor) and the deletions retention uses.
#include "store/escrow_store.h"

#include <gtest/gtest.h>

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

class EscrowStoreTest : public testing::BackendTest {
 protected:
  // a@x.org sends message 1 (kT0) to b@x.org and message 2 (kT0 + 1 day) to c@y.org; both have
  // a wrap for x.org, message 2 one for y.org too.
  void SetUp() override {
    testing::BackendTest::SetUp();
    if (HasFatalFailure()) return;
    ASSERT_THAT(Write([&](WriteTxn& tx) -> Status {
                  for (const UserRecord& u : {a_, b_, c_}) {
                    SP_RETURN_IF_ERROR(tx.accounts().CreateUser(u));
                  }
                  const MessageRecord m1{m1_, a_.id, kT0, Bytes{1}, Bytes{2}};
                  const MailboxEntry e1[] = {{a_.id, m1_, Folder::kSent, Bytes{9}, false, kT0},
                                             {b_.id, m1_, Folder::kInbox, Bytes{8}, true, kT0}};
                  SP_RETURN_IF_ERROR(tx.messages().CreateMessage(m1, e1, {}));
                  const TimePoint t2 = kT0 + 24h;
                  const MessageRecord m2{m2_, a_.id, t2, Bytes{1}, Bytes{2}};
                  const MailboxEntry e2[] = {{a_.id, m2_, Folder::kSent, Bytes{9}, false, t2},
                                             {c_.id, m2_, Folder::kInbox, Bytes{8}, true, t2}};
                  SP_RETURN_IF_ERROR(tx.messages().CreateMessage(m2, e2, {}));
                  SP_RETURN_IF_ERROR(tx.escrow().PutEscrowWrap({m1_, "x.org", Bytes{1, 1}, kT0}));
                  SP_RETURN_IF_ERROR(tx.escrow().PutEscrowWrap({m2_, "x.org", Bytes{2, 1}, t2}));
                  return tx.escrow().PutEscrowWrap({m2_, "y.org", Bytes{2, 2}, t2});
                }),
                IsOk());
  }

  std::vector<std::string> Ids(const EscrowWrapQuery& q) {
    auto wraps = store_->escrow().ListEscrowWraps(q);
    EXPECT_THAT(wraps.status(), IsOk());
    std::vector<std::string> out;
    if (wraps.ok()) {
      for (const auto& w : *wraps) out.push_back(w.message_id.str() + "/" + w.domain);
    }
    return out;
  }

  const UserRecord a_ = testing::MakeTestUser(IdHex('a'), "a@x.org", kT0);
  const UserRecord b_ = testing::MakeTestUser(IdHex('b'), "b@x.org", kT0);
  const UserRecord c_ = testing::MakeTestUser(IdHex('c'), "c@y.org", kT0);
  const MessageId m1_ = MessageId::FromTrusted(IdHex('1'));
  const MessageId m2_ = MessageId::FromTrusted(IdHex('2'));
};

INSTANTIATE_TEST_SUITE_P(Backends, EscrowStoreTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         [](const auto& info) { return testing::BackendName(info.param); });

TEST_P(EscrowStoreTest, KeysArePerDomainReplacedAndDeletedOnce) {
  EXPECT_EQ(store_->escrow().GetEscrowKey("x.org").status().code(), ErrorCode::kNotFound);
  ASSERT_THAT(Write([&](WriteTxn& tx) -> Status {
                SP_RETURN_IF_ERROR(tx.escrow().PutEscrowKey({"y.org", Bytes(32, 2), "u1", kT0}));
                return tx.escrow().PutEscrowKey({"x.org", Bytes(32, 1), "u1", kT0});
              }),
              IsOk());
  ASSERT_THAT(Write([&](WriteTxn& tx) {
                return tx.escrow().PutEscrowKey({"x.org", Bytes(32, 7), "u2", kT0 + 1h});
              }),
              IsOk());
  auto x = store_->escrow().GetEscrowKey("x.org");
  ASSERT_THAT(x.status(), IsOk());
  EXPECT_EQ(x->public_key, Bytes(32, 7));
  EXPECT_EQ(x->set_by, "u2");
  EXPECT_EQ(x->set_at, kT0 + 1h);
  auto all = store_->escrow().ListEscrowKeys();
  ASSERT_THAT(all.status(), IsOk());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].domain, "x.org");
  EXPECT_EQ((*all)[1].domain, "y.org");
  EXPECT_THAT(Write([&](WriteTxn& tx) { return tx.escrow().DeleteEscrowKey("x.org"); }), IsOk());
  EXPECT_EQ(Write([&](WriteTxn& tx) { return tx.escrow().DeleteEscrowKey("x.org"); }).code(),
            ErrorCode::kNotFound);
  EXPECT_EQ(store_->escrow().GetEscrowKey("x.org").status().code(), ErrorCode::kNotFound);
}

TEST_P(EscrowStoreTest, AWrapIsStoredOncePerMessageAndDomain) {
  EXPECT_EQ(Write([&](WriteTxn& tx) {
              return tx.escrow().PutEscrowWrap({m1_, "x.org", Bytes{3}, kT0});
            }).code(),
            ErrorCode::kConflict);
  auto wraps = store_->escrow().ListEscrowWrapsOfMessage(m2_);
  ASSERT_THAT(wraps.status(), IsOk());
  ASSERT_EQ(wraps->size(), 2u);
  EXPECT_EQ((*wraps)[0].domain, "x.org");
  EXPECT_EQ((*wraps)[0].sealed_key, (Bytes{2, 1}));
  EXPECT_EQ((*wraps)[1].sealed_key, (Bytes{2, 2}));
  EXPECT_EQ(*store_->escrow().CountEscrowWraps(), 3);
}

TEST_P(EscrowStoreTest, TheExportQueryFiltersByDomainTimeMemberAndCursor) {
  const std::string w1 = m1_.str() + "/x.org";
  const std::string w2x = m2_.str() + "/x.org";
  const std::string w2y = m2_.str() + "/y.org";
  EXPECT_EQ(Ids({"x.org"}), (std::vector<std::string>{w1, w2x}));
  EXPECT_EQ(Ids({"y.org"}), (std::vector<std::string>{w2y}));
  EXPECT_TRUE(Ids({"z.org"}).empty());
  EXPECT_EQ(Ids({"x.org", kT0 + 1h}), (std::vector<std::string>{w2x}));
  EXPECT_EQ(Ids({"x.org", std::nullopt, kT0 + 1h}), (std::vector<std::string>{w1}));
  EXPECT_EQ(Ids({"x.org", std::nullopt, std::nullopt, b_.id}), (std::vector<std::string>{w1}));
  EXPECT_EQ(Ids({"x.org", std::nullopt, std::nullopt, c_.id}), (std::vector<std::string>{w2x}));
  EXPECT_EQ(Ids({"x.org", std::nullopt, std::nullopt, a_.id}), (std::vector<std::string>{w1, w2x}));
  EXPECT_EQ(Ids({"x.org", std::nullopt, std::nullopt, std::nullopt, m1_}),
            (std::vector<std::string>{w2x}));
  EXPECT_EQ(Ids({"x.org", std::nullopt, std::nullopt, std::nullopt, std::nullopt, 1}),
            (std::vector<std::string>{w1}));
}

TEST_P(EscrowStoreTest, WrapsAreDeletedPerDomainOrAllAtOnce) {
  Result<int64_t> one = 0, none = 0, rest = 0;
  ASSERT_THAT(Write([&](WriteTxn& tx) -> Status {
                one = tx.escrow().DeleteEscrowWrap(m2_, "y.org");
                none = tx.escrow().DeleteEscrowWrap(m2_, "y.org");
                rest = tx.escrow().DeleteEscrowWrapsOf(m1_);
                return rest.status();
              }),
              IsOk());
  EXPECT_EQ(*one, 1);
  EXPECT_EQ(*none, 0);
  EXPECT_EQ(*rest, 1);
  EXPECT_EQ(*store_->escrow().CountEscrowWraps(), 1);
}

}  // namespace
}  // namespace sealpost::store
