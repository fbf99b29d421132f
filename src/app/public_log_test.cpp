#include "app/public_log.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "app/app_test_fixture.h"
#include "tlog/checkpoint.h"
#include "tlog/entry_bundle.h"
#include "tlog/note.h"

namespace sealpost::app {
namespace {

class PublicLogTest : public AppTest {
 protected:
  void Sequence(int events) {
    ASSERT_THAT(store_->Write([&](store::WriteTxn& tx) -> Status {
      for (int i = 0; i < events; ++i) {
        SP_RETURN_IF_ERROR(audit_.Record(
            tx.log(), {clock_.Now(), "test.event", "system", std::to_string(next_++), "{}"}));
      }
      return Status::Ok();
    }),
                IsOk());
    ASSERT_THAT(audit_.SequenceNow(*store_), IsOk());
  }

  std::vector<Bytes> Leaves() {
    auto entries = store_->log().ReadLogEntries(0, 1'000'000);
    EXPECT_THAT(entries.status(), IsOk());
    std::vector<Bytes> out;
    for (auto& e : *entries) out.push_back(std::move(e.leaf));
    return out;
  }

  PublicLog log_{*store_, audit_};
  int next_ = 0;
};

TEST_F(PublicLogTest, NothingIsServedBeforeTheFirstCheckpoint) {
  EXPECT_THAT(log_.Checkpoint().status(), StatusIs(ErrorCode::kNotFound));
  EXPECT_THAT(log_.Tile({0, 0, 1}).status(), StatusIs(ErrorCode::kNotFound));
  EXPECT_THAT(log_.EntryBundle({0, 0, 1}).status(), StatusIs(ErrorCode::kNotFound));
}

// The served checkpoint verifies under the served verifier key, and the tiles are those of the
// tree it signs, built independently here from the leaves.
TEST_F(PublicLogTest, ServesTheSignedTreeAsTiles) {
  Sequence(300);
  auto vkey = tlog::ParseVerifierKey(log_.VerifierKey());
  ASSERT_THAT(vkey.status(), IsOk());
  EXPECT_EQ(vkey->name, "app.test/sealpost-log");
  auto note = log_.Checkpoint();
  ASSERT_THAT(note.status(), IsOk());
  const std::vector<tlog::NoteVerifier> verifiers = {*vkey};
  auto checkpoint = tlog::OpenCheckpoint(*note, verifiers);
  ASSERT_THAT(checkpoint.status(), IsOk());
  ASSERT_EQ(checkpoint->size, 300u);

  const std::vector<Bytes> leaves = Leaves();
  ASSERT_EQ(leaves.size(), 300u);
  std::vector<tlog::Hash> hashes;
  for (const Bytes& leaf : leaves) hashes.push_back(tlog::LeafHash(leaf));
  EXPECT_EQ(tlog::RootHash(hashes), checkpoint->root_hash);
  const tlog::LeafHashSpan tree(hashes);

  for (const tlog::TileId& id : {tlog::TileId{0, 0, 256}, tlog::TileId{0, 1, 44},
                                 tlog::TileId{0, 1, 10}, tlog::TileId{1, 0, 1}}) {
    auto tile = log_.Tile(id);
    ASSERT_THAT(tile.status(), IsOk()) << tlog::TilePath(id);
    auto expected = tlog::MakeTile(tree, id);
    ASSERT_THAT(expected.status(), IsOk());
    EXPECT_EQ(*tile, *expected) << tlog::TilePath(id);
  }
  // Beyond the tree: wider than it, a full version of its partial tile, a tile it lacks.
  for (const tlog::TileId& id :
       {tlog::TileId{0, 1, 45}, tlog::TileId{0, 1, 256}, tlog::TileId{0, 2, 1},
        tlog::TileId{1, 0, 2}, tlog::TileId{2, 0, 1}}) {
    EXPECT_THAT(log_.Tile(id).status(), StatusIs(ErrorCode::kNotFound)) << tlog::TilePath(id);
  }

  EXPECT_THAT(log_.EntryBundle({0, 1, 45}).status(), StatusIs(ErrorCode::kNotFound));
  EXPECT_THAT(log_.EntryBundle({0, 2, 1}).status(), StatusIs(ErrorCode::kNotFound));
  auto bundle = log_.EntryBundle({0, 1, 44});
  ASSERT_THAT(bundle.status(), IsOk());
  auto entries = tlog::ParseEntryBundle(*bundle);
  ASSERT_THAT(entries.status(), IsOk());
  EXPECT_EQ(*entries, std::vector<Bytes>(leaves.begin() + 256, leaves.end()));
  auto full = log_.EntryBundle({0, 0, 256});
  ASSERT_THAT(full.status(), IsOk());
  auto first = tlog::ParseEntryBundle(*full);
  ASSERT_THAT(first.status(), IsOk());
  EXPECT_EQ(*first, std::vector<Bytes>(leaves.begin(), leaves.begin() + 256));

  // The tree grows: the partial tile becomes full, the old partial width stays servable.
  Sequence(212);
  EXPECT_THAT(log_.Tile({0, 1, 256}).status(), IsOk());
  EXPECT_THAT(log_.Tile({0, 1, 44}).status(), IsOk());
  EXPECT_THAT(log_.Tile({1, 0, 2}).status(), IsOk());
}

}  // namespace
}  // namespace sealpost::app
