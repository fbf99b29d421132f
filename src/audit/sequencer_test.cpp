#include "audit/sequencer.h"

#include <gtest/gtest.h>

#include "audit/audit_log.h"
#include "audit/log_verify.h"
#include "store/sqlite/sqlite_store.h"
#include "store/testing/fault_injecting_store.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"
#include "tlog/checkpoint.h"
#include "tlog/tiles.h"

namespace sealpost::audit {
namespace {

constexpr const char* kOrigin = "seq.test/sealpost-log";

class SequencerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = store::sqlite::OpenSqliteStore(dir_.path() + "/log.db");
    ASSERT_THAT(s.status(), IsOk());
    store_ = std::move(s).value();
  }

  void AddPending(int n) {
    ASSERT_THAT(store_->Write([&](store::WriteTxn& tx) -> Status {
      for (int i = 0; i < n; ++i) {
        SP_ASSIGN_OR_RETURN(const Bytes leaf,
                            EventLeaf({clock_.Now(), "e", "a", std::to_string(next_++), "{}"}));
        SP_RETURN_IF_ERROR(tx.log().AddPendingEvent(leaf, clock_.Now()));
      }
      return Status::Ok();
    }),
                IsOk());
  }

  std::vector<tlog::Hash> LeafHashes() {
    auto entries = store_->log().ReadLogEntries(0, 1'000'000);
    EXPECT_THAT(entries.status(), IsOk());
    std::vector<tlog::Hash> out;
    for (const auto& e : *entries) out.push_back(tlog::LeafHash(e.leaf));
    return out;
  }

  testutil::TempDir dir_;
  std::unique_ptr<store::Store> store_;
  platform::FakeClock clock_{FromUnixMillis(1'790'000'000'000)};
  crypto::SigningKey key_ = crypto::SigningKey::Generate();
  int next_ = 0;
};

// Rounds of odd sizes cross tile boundaries at level 0 and level 1; after each, the stored tiles
// are those of the whole tree (the verifier recomputes every one) and the root is signed.
TEST_F(SequencerTest, RoundsOfAnySizeKeepTilesAndRootRight) {
  Sequencer sequencer(key_, {kOrigin, 37}, clock_);
  uint64_t size = 0;
  for (int round = 0; round < 25; ++round) {
    AddPending(round % 3 == 0 ? 37 : 23);
    auto r = sequencer.SequenceOnce(*store_);
    ASSERT_THAT(r.status(), IsOk());
    EXPECT_TRUE(r->sequencer);
    EXPECT_EQ(r->old_size, size);
    size = r->new_size;
  }
  ASSERT_THAT(sequencer.SequenceAll(*store_), IsOk());
  const auto hashes = LeafHashes();
  EXPECT_GT(hashes.size(), 512u);  // level-0 tiles 0 and 1 full, level 1 partial
  auto report = VerifyAuditLog(*store_, key_.verify_key());
  ASSERT_THAT(report.status(), IsOk());
  EXPECT_TRUE(report->ok) << report->problem;
  EXPECT_EQ(report->tree_size, static_cast<int64_t>(hashes.size()));
  EXPECT_EQ(report->pending, 0);

  // An inclusion proof built from the stored tiles alone verifies against the signed root.
  auto latest = store_->log().GetLatestLogCheckpoint();
  ASSERT_TRUE(latest.ok() && latest->has_value());
  const tlog::NoteVerifier verifier{kOrigin, key_.verify_key()};
  auto cp = tlog::OpenCheckpoint((*latest)->note, std::span(&verifier, 1));
  ASSERT_THAT(cp.status(), IsOk());
  tlog::TileHashSource tiles(cp->size, [&](const tlog::TileId& t) {
    return store_->log().GetLogTile(t.level, t.index, t.width);
  });
  for (uint64_t index : {uint64_t{0}, uint64_t{255}, uint64_t{256}, cp->size - 1}) {
    auto proof = tlog::InclusionProof(tiles, index, cp->size);
    ASSERT_THAT(proof.status(), IsOk());
    EXPECT_THAT(tlog::VerifyInclusion(hashes[index], index, cp->size, *proof, cp->root_hash),
                IsOk());
  }
}

TEST_F(SequencerTest, OnlyTheLeaseHolderSequences) {
  Sequencer first(key_, {kOrigin, 100}, clock_);
  Sequencer second(key_, {kOrigin, 100}, clock_);
  AddPending(3);
  auto r1 = first.SequenceOnce(*store_);
  ASSERT_THAT(r1.status(), IsOk());
  EXPECT_TRUE(r1->sequencer);
  AddPending(2);
  auto r2 = second.SequenceOnce(*store_);
  ASSERT_THAT(r2.status(), IsOk());
  EXPECT_FALSE(r2->sequencer);
  EXPECT_EQ(store_->log().ReadPendingEvents(10)->size(), 2u);
}

// A round is one transaction: when it fails nothing of it stays, and the next round does it all.
TEST_F(SequencerTest, AFailedRoundLeavesTheOldState) {
  store::testing::FaultInjectingStore faulty(*store_);
  Sequencer sequencer(key_, {kOrigin, 100}, clock_);
  AddPending(5);
  faulty.FailWrites(Unavailable("disk gone"), 1);
  EXPECT_THAT(sequencer.SequenceOnce(faulty).status(), StatusIs(ErrorCode::kUnavailable));
  EXPECT_TRUE(LeafHashes().empty());
  EXPECT_EQ(store_->log().ReadPendingEvents(10)->size(), 5u);
  EXPECT_FALSE(store_->log().GetLatestLogCheckpoint()->has_value());
  auto r = sequencer.SequenceOnce(faulty);
  ASSERT_THAT(r.status(), IsOk());
  EXPECT_EQ(r->new_size, 5u);
  EXPECT_TRUE(store_->log().ReadPendingEvents(10)->empty());
}

TEST_F(SequencerTest, NothingPendingWritesNothing) {
  Sequencer sequencer(key_, {kOrigin, 100}, clock_);
  auto r = sequencer.SequenceOnce(*store_);
  ASSERT_THAT(r.status(), IsOk());
  EXPECT_TRUE(r->sequencer);
  EXPECT_EQ(r->new_size, 0u);
  EXPECT_FALSE(store_->log().GetLatestLogCheckpoint()->has_value());
}

}  // namespace
}  // namespace sealpost::audit
