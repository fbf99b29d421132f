#include "tlog/tiles.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "testing/status_matchers.h"

namespace sealpost::tlog {
namespace {

// Distinct leaf hashes without hashing: the tile code never looks inside them.
std::vector<Hash> CheapLeaves(uint64_t n) {
  std::vector<Hash> leaves(n);
  for (uint64_t i = 0; i < n; ++i) {
    for (size_t b = 0; b < 8; ++b) leaves[i][b] = static_cast<uint8_t>(i >> (8 * b));
    leaves[i][31] = 0xa5;
  }
  return leaves;
}

// A reader that builds each requested tile of the tree of `tree_size` leaves on demand, the way
// a sequencer would have written it.
TileReader ReaderFor(const std::vector<Hash>& leaves, uint64_t tree_size) {
  return [&leaves, tree_size](const TileId& tile) -> Result<Bytes> {
    LeafHashSpan span(std::span<const Hash>(leaves).first(tree_size));
    return MakeTile(span, tile);
  };
}

// Every complete node of the tree over `leaves`: levels[h][i] is the root of leaves i·2^h …
// (i+1)·2^h − 1. Complete nodes are the same in every tree that holds them, so this answers for
// every prefix tree at the cost of one pass (the large tests would otherwise rehash per tile).
struct Levels {
  explicit Levels(const std::vector<Hash>& leaves) {
    hashes.push_back(leaves);
    while (hashes.back().size() > 1) {
      const std::vector<Hash>& below = hashes.back();
      std::vector<Hash> next(below.size() / 2);
      for (size_t i = 0; i < next.size(); ++i) next[i] = NodeHash(below[2 * i], below[2 * i + 1]);
      hashes.push_back(std::move(next));
    }
  }

  // MTH of the first `size` leaves: its complete subtrees, smallest (rightmost) first.
  Hash PrefixRoot(uint64_t size) const {
    if (size == 0) return EmptyRoot();
    std::optional<Hash> root;
    for (size_t h = 0; (size >> h) != 0; ++h) {
      if (((size >> h) & 1) == 0) continue;
      const Hash& node = hashes[h][(size >> h) - 1];
      root = root ? NodeHash(node, *root) : node;
    }
    return *root;
  }

  // Serves the tiles of any prefix tree (the caller's TileHashSource asks only for those).
  TileReader Reader() const {
    return [this](const TileId& tile) -> Result<Bytes> {
      const size_t h = size_t{kTileHeight} * tile.level;
      const uint64_t first = tile.index * kTileWidth;
      if (h >= hashes.size() || first + tile.width > hashes[h].size()) {
        return NotFound(TilePath(tile));
      }
      Bytes bytes;
      for (uint64_t i = first; i < first + tile.width; ++i) {
        bytes.insert(bytes.end(), hashes[h][i].begin(), hashes[h][i].end());
      }
      return bytes;
    };
  }

  std::vector<std::vector<Hash>> hashes;
};

// The spec's example (c2sp.org/tlog-tiles: 1234067 → x001/x234/067) and the edges.
TEST(TilesTest, PathVectors) {
  EXPECT_EQ(TilePath({0, 0, 256}), "tile/0/000");
  EXPECT_EQ(TilePath({0, 1234067, 256}), "tile/0/x001/x234/067");
  EXPECT_EQ(TilePath({1, 1234067, 8}), "tile/1/x001/x234/067.p/8");
  EXPECT_EQ(TilePath({0, 999, 256}), "tile/0/999");
  EXPECT_EQ(TilePath({2, 1000, 1}), "tile/2/x001/000.p/1");
  EXPECT_EQ(TilePath({3, 1000000, 255}), "tile/3/x001/x000/000.p/255");
  EXPECT_EQ(TilePath({63, UINT64_MAX, 256}), "tile/63/x018/x446/x744/x073/x709/x551/615");
}

TEST(TilesTest, ParseRoundTrips) {
  const std::vector<TileId> ids = {
      {0, 0, 256},   {0, 0, 1},      {0, 1234067, 256}, {1, 1234067, 8},       {2, 1000, 1},
      {5, 999, 255}, {0, 1234, 256}, {63, 1000000, 17}, {63, UINT64_MAX, 256}, {0, 1001, 128},
  };
  for (const TileId& id : ids) {
    const std::string path = TilePath(id);
    auto parsed = ParseTilePath(path);
    ASSERT_THAT(parsed.status(), IsOk()) << path;
    EXPECT_EQ(*parsed, id) << path;
  }
  for (uint64_t index = 0; index < 3000; index += 7) {
    auto parsed = ParseTilePath(TilePath({1, index, 256}));
    ASSERT_THAT(parsed.status(), IsOk());
    EXPECT_EQ(parsed->index, index);
  }
}

TEST(TilesTest, ParseRefusesNonCanonicalPaths) {
  const char* const refused[] = {
      "",
      "tile/",
      "tile/0",
      "tile/0/",
      "/tile/0/000",
      "tile//0/000",
      "tile/0//000",
      "tile/0/000/",
      "tiles/0/000",
      "tile/00/000",  // leading zero in the level
      "tile/01/000",
      "tile/64/000",  // level > 63
      "tile/-1/000",
      "tile/+1/000",
      "tile/1000/000",
      "tile/0/0",  // index groups are exactly three digits
      "tile/0/0000",
      "tile/0/1234067",
      "tile/0/x000",     // the last group has no x
      "tile/0/001/234",  // inner groups must have one
      "tile/0/x001/x234",
      "tile/0/x000/001",  // leading zero group
      "tile/0/x000/x001/234",
      "tile/0/x01a/234",
      "tile/0/X001/234",
      "tile/0/x018/x446/x744/x073/x709/x551/616",  // 2^64
      "tile/0/x999/x999/x999/x999/x999/x999/x999/999",
      "tile/0/000.p/0",    // width 0
      "tile/0/000.p/256",  // a full tile has no .p form
      "tile/0/000.p/300",
      "tile/0/000.p/08",  // leading zero in the width
      "tile/0/000.p/",
      "tile/0/000.p",
      "tile/0/000.p/8/",
      "tile/0/000.p/8/9",
      "tile/0/000.P/8",
      "tile/0/000.q/8",
      "tile/0/x001.p/8",
      "tile/0/.p/8",
      "tile/0/000 ",
      "tile/0/000\n",
      "tile/entries/000",  // entry bundles are not hash tiles
  };
  for (const char* path : refused) {
    EXPECT_THAT(ParseTilePath(path).status(), StatusIs(ErrorCode::kInvalidArgument))
        << "\"" << path << "\"";
  }
  // A NUL inside the path is refused too.
  EXPECT_THAT(ParseTilePath(std::string_view("tile/0/000\0", 11)).status(),
              StatusIs(ErrorCode::kInvalidArgument));
}

TEST(TilesTest, TilesForTree) {
  EXPECT_TRUE(TilesForTree(0).empty());
  EXPECT_EQ(TilesForTree(1), (std::vector<TileId>{{0, 0, 1}}));
  EXPECT_EQ(TilesForTree(255), (std::vector<TileId>{{0, 0, 255}}));
  EXPECT_EQ(TilesForTree(256), (std::vector<TileId>{{0, 0, 256}, {1, 0, 1}}));
  EXPECT_EQ(TilesForTree(257), (std::vector<TileId>{{0, 0, 256}, {0, 1, 1}, {1, 0, 1}}));
  // 70000 = 273·256 + 112; 273 = 256 + 17; 70000 >> 16 = 1.
  const std::vector<TileId> tiles = TilesForTree(70000);
  ASSERT_EQ(tiles.size(), 273u + 1 + 2 + 1);
  EXPECT_EQ(tiles[272], (TileId{0, 272, 256}));
  EXPECT_EQ(tiles[273], (TileId{0, 273, 112}));
  EXPECT_EQ(tiles[274], (TileId{1, 0, 256}));
  EXPECT_EQ(tiles[275], (TileId{1, 1, 17}));
  EXPECT_EQ(tiles[276], (TileId{2, 0, 1}));
  // The largest tree has 8 levels, the top one a single hash (2^64 − 1 >> 56 = 255).
  EXPECT_EQ(TileWidthInTree(7, 0, UINT64_MAX), 255u);
  EXPECT_EQ(TileWidthInTree(8, 0, UINT64_MAX), 0u);
  EXPECT_EQ(TileWidthInTree(0, UINT64_MAX, UINT64_MAX), 0u);
}

TEST(TilesTest, NewTilesAreWhatGrowthChanges) {
  EXPECT_EQ(NewTiles(256, 257), (std::vector<TileId>{{0, 1, 1}}));
  EXPECT_EQ(NewTiles(255, 256), (std::vector<TileId>{{0, 0, 256}, {1, 0, 1}}));
  EXPECT_TRUE(NewTiles(300, 300).empty());
  EXPECT_TRUE(NewTiles(300, 200).empty());
  for (uint64_t old_size = 0; old_size <= 600; old_size += 13) {
    for (uint64_t new_size = old_size; new_size <= 70000; new_size += 997) {
      const std::vector<TileId> before = TilesForTree(old_size);
      const std::vector<TileId> after = TilesForTree(new_size);
      const std::set<TileId> old_set(before.begin(), before.end());
      std::set<TileId> expected;
      for (const TileId& t : after) {
        if (!old_set.contains(t)) expected.insert(t);
      }
      const std::vector<TileId> fresh = NewTiles(old_size, new_size);
      EXPECT_EQ(std::set<TileId>(fresh.begin(), fresh.end()), expected)
          << old_size << " -> " << new_size;
    }
  }
}

TEST(TilesTest, MakeTileHoldsTheLevelHashes) {
  const std::vector<Hash> leaves = CheapLeaves(70000);
  LeafHashSpan span(leaves);
  const Levels levels(leaves);
  const TileReader from_levels = levels.Reader();
  // Every tile of the tree, built from the leaves, holds the level's complete-node hashes.
  for (const TileId& tile : TilesForTree(leaves.size())) {
    auto made = MakeTile(span, tile);
    ASSERT_THAT(made.status(), IsOk()) << TilePath(tile);
    EXPECT_EQ(*made, *from_levels(tile)) << TilePath(tile);
  }
  auto top = MakeTile(span, {2, 0, 1});
  ASSERT_THAT(top.status(), IsOk());
  const Hash root = RootHash(std::span<const Hash>(leaves).first(65536));
  EXPECT_TRUE(std::equal(top->begin(), top->end(), root.begin(), root.end()));

  EXPECT_THAT(MakeTile(span, {0, 273, 113}).status(), StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(MakeTile(span, {2, 0, 2}).status(), StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(MakeTile(span, {0, 0, 0}).status(), StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(MakeTile(span, {0, 0, 257}).status(), StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(MakeTile(span, {64, 0, 1}).status(), StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(MakeTile(span, {9, 0, 1}).status(), StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(MakeTile(span, {0, UINT64_MAX, 1}).status(), StatusIs(ErrorCode::kInvalidArgument));
}

// Proofs through tiles are byte-identical to those from the leaves, and verify. The inclusion
// indices double as old sizes (index + 1) for consistency proofs.
void ExpectSameProofs(const std::vector<Hash>& leaves, const Levels& levels, uint64_t size,
                      const TileReader& reader, const std::vector<uint64_t>& indices) {
  const std::span<const Hash> tree = std::span<const Hash>(leaves).first(size);
  LeafHashSpan span(tree);
  TileHashSource tiles(size, reader);
  const Hash root = levels.PrefixRoot(size);
  auto tile_root = tiles.SubtreeRoot(0, size);
  ASSERT_THAT(tile_root.status(), IsOk());
  EXPECT_EQ(*tile_root, root) << size;
  for (uint64_t i : indices) {
    if (i >= size) continue;
    auto want = InclusionProof(span, i, size);
    auto got = InclusionProof(tiles, i, size);
    ASSERT_THAT(got.status(), IsOk()) << size << " " << i;
    EXPECT_EQ(*got, *want) << size << " " << i;
    EXPECT_THAT(VerifyInclusion(tree[i], i, size, *got, root), IsOk()) << size << " " << i;

    const uint64_t old_size = i + 1;
    auto want_c = ConsistencyProof(span, old_size, size);
    auto got_c = ConsistencyProof(tiles, old_size, size);
    ASSERT_THAT(got_c.status(), IsOk()) << old_size << " -> " << size;
    EXPECT_EQ(*got_c, *want_c) << old_size << " -> " << size;
    EXPECT_THAT(VerifyConsistency(old_size, size, *got_c, levels.PrefixRoot(old_size), root),
                IsOk())
        << old_size << " -> " << size;
  }
}

TEST(TilesTest, ProofsMatchLeafProofsForSmallTrees) {
  const std::vector<Hash> leaves = CheapLeaves(1000);
  const Levels levels(leaves);
  EXPECT_EQ(levels.PrefixRoot(1000), RootHash(leaves));
  EXPECT_EQ(levels.PrefixRoot(777), RootHash(std::span<const Hash>(leaves).first(777)));
  for (uint64_t size = 1; size <= 1000; ++size) {
    // Tiles built with MakeTile from the leaves of this tree, as a sequencer writes them.
    // Reference proofs cost O(size) each: two per size, more on every tenth.
    std::vector<uint64_t> indices = {size - 1, (size * 7) / 13};
    if (size % 10 == 0) indices.insert(indices.end(), {0, size / 2, 255});
    ExpectSameProofs(leaves, levels, size, ReaderFor(leaves, size), indices);
  }
}

TEST(TilesTest, ProofsMatchLeafProofsForLargerTrees) {
  const std::vector<Hash> leaves = CheapLeaves(70001);
  const Levels levels(leaves);
  for (uint64_t size : {65535u, 65536u, 65537u, 70000u, 70001u}) {
    ExpectSameProofs(leaves, levels, size, levels.Reader(), {0, 256, 65535, size / 3, size - 1});
  }
}

#if defined(__SANITIZE_ADDRESS__)
constexpr int kLargeTreeBits = 16;  // keeps the sanitizer build fast
#else
constexpr int kLargeTreeBits = 20;
#endif

TEST(TilesTest, ProofsReadLogarithmicallyManyTiles) {
  const uint64_t full = uint64_t{1} << kLargeTreeBits;
  const std::vector<Hash> leaves = CheapLeaves(full);
  const Levels levels(leaves);
  // Levels of tiles the tree has: ceil(bits / 8).
  const uint64_t tile_levels = (kLargeTreeBits + kTileHeight - 1) / kTileHeight;
  for (uint64_t size : {full, full - 1, full - 1000}) {
    const Hash root = levels.PrefixRoot(size);
    for (uint64_t index : {uint64_t{0}, uint64_t{12345}, size / 2 + 77, size - 1}) {
      TileHashSource tiles(size, levels.Reader());
      auto proof = InclusionProof(tiles, index, size);
      ASSERT_THAT(proof.status(), IsOk());
      EXPECT_THAT(VerifyInclusion(leaves[index], index, size, *proof, root), IsOk());
      // The leaf's path and the rightmost edge: at most two tiles per level.
      EXPECT_LE(tiles.tile_reads(), 2 * tile_levels) << size << " " << index;
      if (size == full) {
        EXPECT_EQ(tiles.tile_reads(), tile_levels) << index;
      }
      std::printf("inclusion in %llu at %llu: %llu tile reads, %zu hashes\n",
                  static_cast<unsigned long long>(size), static_cast<unsigned long long>(index),
                  static_cast<unsigned long long>(tiles.tile_reads()), proof->size());
    }
    TileHashSource tiles(size, levels.Reader());
    const uint64_t old_size = size / 3 + 5;
    auto proof = ConsistencyProof(tiles, old_size, size);
    ASSERT_THAT(proof.status(), IsOk());
    EXPECT_THAT(VerifyConsistency(old_size, size, *proof, levels.PrefixRoot(old_size), root),
                IsOk());
    EXPECT_LE(tiles.tile_reads(), 2 * tile_levels);
    std::printf("consistency %llu -> %llu: %llu tile reads, %zu hashes\n",
                static_cast<unsigned long long>(old_size), static_cast<unsigned long long>(size),
                static_cast<unsigned long long>(tiles.tile_reads()), proof->size());
  }
}

TEST(TilesTest, WrongLengthTileIsRefused) {
  const std::vector<Hash> leaves = CheapLeaves(1000);
  for (int64_t delta : {-32, -1, 1, 32}) {
    TileHashSource tiles(1000, [&](const TileId& tile) -> Result<Bytes> {
      LeafHashSpan span(leaves);
      SP_ASSIGN_OR_RETURN(Bytes bytes, MakeTile(span, tile));
      if (delta < 0) {
        bytes.resize(bytes.size() - static_cast<size_t>(-delta));
      } else {
        bytes.resize(bytes.size() + static_cast<size_t>(delta), 0);
      }
      return bytes;
    });
    EXPECT_THAT(InclusionProof(tiles, 17, 1000).status(), StatusIs(ErrorCode::kCorruption));
    EXPECT_THAT(ConsistencyProof(tiles, 17, 1000).status(), StatusIs(ErrorCode::kCorruption));
  }
  TileHashSource empty(1000, [](const TileId&) -> Result<Bytes> { return Bytes{}; });
  EXPECT_THAT(empty.SubtreeRoot(0, 1000).status(), StatusIs(ErrorCode::kCorruption));
  TileHashSource failing(1000, [](const TileId&) -> Result<Bytes> { return NotFound("gone"); });
  EXPECT_THAT(InclusionProof(failing, 0, 1000).status(), StatusIs(ErrorCode::kNotFound));
}

TEST(TilesTest, FlippedByteNeverYieldsAVerifyingWrongProof) {
  const uint64_t size = 70000;
  const std::vector<Hash> leaves = CheapLeaves(size);
  const Levels levels(leaves);
  const TileReader honest_reader = levels.Reader();
  const Hash root = levels.PrefixRoot(size);
  const std::vector<uint64_t> indices = {0, 100, 255, 69999};
  std::vector<std::vector<Hash>> honest;
  for (uint64_t index : indices) {
    TileHashSource tiles(size, honest_reader);
    honest.push_back(*InclusionProof(tiles, index, size));
  }
  for (const TileId& victim :
       std::vector<TileId>{{0, 0, 256}, {0, 273, 112}, {1, 0, 256}, {1, 1, 17}, {2, 0, 1}}) {
    for (size_t offset : {size_t{0}, size_t{31}, size_t{32 * 100 + 5}, size_t{32 * 111}}) {
      if (offset >= size_t{victim.width} * 32) continue;
      TileHashSource tiles(size, [&](const TileId& tile) -> Result<Bytes> {
        SP_ASSIGN_OR_RETURN(Bytes bytes, honest_reader(tile));
        if (tile == victim) bytes[offset] ^= 0x01;
        return bytes;
      });
      for (size_t k = 0; k < indices.size(); ++k) {
        const uint64_t index = indices[k];
        auto proof = InclusionProof(tiles, index, size);
        ASSERT_THAT(proof.status(), IsOk());
        // A byte the proof does not use changes nothing; one it uses must break verification.
        const bool verifies = VerifyInclusion(leaves[index], index, size, *proof, root).ok();
        EXPECT_EQ(verifies, *proof == honest[k])
            << TilePath(victim) << " " << offset << " " << index;
      }
      // The root always depends on the top tile; a flip there must show.
      auto tile_root = tiles.SubtreeRoot(0, size);
      ASSERT_THAT(tile_root.status(), IsOk());
      if (victim.level == 2) {
        EXPECT_NE(*tile_root, root);
      }
    }
  }
}

TEST(TilesTest, SubtreeRootRefusesRangesOutsideTheTree) {
  const std::vector<Hash> leaves = CheapLeaves(10);
  TileHashSource tiles(10, ReaderFor(leaves, 10));
  EXPECT_THAT(tiles.SubtreeRoot(0, 11).status(), StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(tiles.SubtreeRoot(5, 5).status(), StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(tiles.SubtreeRoot(6, 5).status(), StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(InclusionProof(tiles, 10, 10).status(), StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(InclusionProof(tiles, 0, 11).status(), StatusIs(ErrorCode::kInvalidArgument));
  // Unaligned ranges are still the MTH of those leaves.
  LeafHashSpan span(leaves);
  EXPECT_EQ(*tiles.SubtreeRoot(1, 4), *span.SubtreeRoot(1, 4));
  EXPECT_EQ(*tiles.SubtreeRoot(3, 10), *span.SubtreeRoot(3, 10));
}

}  // namespace
}  // namespace sealpost::tlog
