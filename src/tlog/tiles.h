// C2SP tlog-tiles (c2sp.org/tlog-tiles): the Merkle tree cut into static, cacheable tiles of 256
// hashes, their paths, and a HashSource that builds proofs from tiles alone.
//
// A level-L tile holds consecutive hashes of tree level 8·L (the roots of complete subtrees of
// 256^L leaves): tile N at level L holds the level-8L hashes N·256 … N·256 + W − 1, 32 bytes each,
// concatenated. A full tile has W = 256 and never changes; the rightmost tile of a level is partial
// (1 ≤ W ≤ 255) until the tree grows past it. Paths: "tile/<L>/<N>[.p/<W>]" with N in 3-digit
// groups, all but the last prefixed with "x" (1234067 → "x001/x234/067"). docs/formats/tiles.md.
//
// SECURITY: ParseTilePath takes untrusted URL paths and refuses every non-canonical spelling, so
// one tile has one path (cache keys cannot alias). TileHashSource takes untrusted tile bytes: a
// tile of the wrong length is refused; a tile with wrong contents yields proofs that do not verify
// against a signed checkpoint's root — the caller must verify, tiles are not trusted by themselves.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/encoding.h"
#include "core/status.h"
#include "tlog/merkle.h"

namespace sealpost::tlog {

// Tile height: each tile spans 8 tree levels, 256 hashes.
inline constexpr int kTileHeight = 8;
inline constexpr uint32_t kTileWidth = 1u << kTileHeight;
// The spec caps the level at 63.
inline constexpr uint32_t kMaxTileLevel = 63;

struct TileId {
  uint32_t level = 0;  // 0 … 63; holds the hashes of tree level 8·level
  uint64_t index = 0;  // N: the tile's position within its level
  uint32_t width = 0;  // 1 … 256 hashes; 256 is a full tile
  bool operator==(const TileId&) const = default;
  auto operator<=>(const TileId&) const = default;
};

// "tile/<L>/<N>" for a full tile, "tile/<L>/<N>.p/<W>" for a partial one. The id must be valid
// (level ≤ 63, 1 ≤ width ≤ 256); the result is the canonical path ParseTilePath accepts.
std::string TilePath(const TileId& tile);

// The inverse of TilePath. InvalidArgument for anything that is not exactly a canonical path:
// leading zeros (in L, W or an N group beyond the first), a first group "x000", width 0 or 256 in
// the ".p/" form, level > 63, an index beyond 2^64 − 1, empty or extra path segments.
Result<TileId> ParseTilePath(std::string_view path);

// Every tile (with its width) of the tree of `tree_size` leaves, level by level from 0 and by
// index within a level: what a log serves for that tree. Empty for size 0.
std::vector<TileId> TilesForTree(uint64_t tree_size);

// The tiles that change when the tree grows from `old_size` to `new_size` leaves (the ones a
// sequencer must write): those of the new tree that the old tree lacks or had at a smaller width.
std::vector<TileId> NewTiles(uint64_t old_size, uint64_t new_size);

// The width of tile (`level`, `index`) in the tree of `tree_size` leaves; 0 if it has none.
uint32_t TileWidthInTree(uint32_t level, uint64_t index, uint64_t tree_size);

// The tile's bytes: its `width` hashes of level 8·level, read from `source`. InvalidArgument if
// the id is invalid or reaches beyond source.size() leaves.
Result<Bytes> MakeTile(const HashSource& source, const TileId& tile);

// Fetches a tile's bytes by id (a store read, an HTTP GET, …).
using TileReader = std::function<Result<Bytes>(const TileId&)>;

// A HashSource for the tree of `tree_size` leaves that reads only tiles of that tree. Each tile is
// read at most once (cached), so a proof costs O(log n) reads: at most two tiles per level, the one
// holding the leaf's path and the rightmost. A range that is no subtree of any tree (an
// unaligned one, which proofs never ask for) is still answered, at O(range) cost. Not
// thread-safe (the cache and counter are mutable).
class TileHashSource final : public HashSource {
 public:
  TileHashSource(uint64_t tree_size, TileReader reader)
      : tree_size_(tree_size), reader_(std::move(reader)) {}
  uint64_t size() const override { return tree_size_; }
  Result<Hash> SubtreeRoot(uint64_t begin, uint64_t end) const override;

  // How many times the reader was called (tests assert the O(log n) bound).
  uint64_t tile_reads() const { return tile_reads_; }

 private:
  // The root of the complete subtree of 2^height leaves starting at leaf node_index·2^height.
  Result<Hash> CompleteNode(int height, uint64_t node_index) const;
  Result<const std::vector<Hash>*> Tile(const TileId& tile) const;

  uint64_t tree_size_;
  TileReader reader_;
  mutable std::map<TileId, std::vector<Hash>> cache_;
  mutable uint64_t tile_reads_ = 0;
};

}  // namespace sealpost::tlog
