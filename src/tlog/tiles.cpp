#include "tlog/tiles.h"

#include <algorithm>
#include <bit>
#include <cstdio>
#include <cstring>

namespace sealpost::tlog {
namespace {

constexpr std::string_view kTilePrefix = "tile/";
constexpr std::string_view kPartialSuffix = ".p";
constexpr size_t kHashSize = sizeof(Hash);

bool IsDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// A canonical decimal of at most three digits: no sign, no leading zero ("0" itself is fine).
bool ParseSmallDecimal(std::string_view s, uint32_t& out) {
  if (!IsDigits(s) || s.size() > 3 || (s.size() > 1 && s[0] == '0')) return false;
  out = 0;
  for (char c : s) out = out * 10 + static_cast<uint32_t>(c - '0');
  return true;
}

Status BadPath(std::string_view path, std::string_view why) {
  // The path is untrusted: quote a bounded prefix only.
  return InvalidArgument("tile path \"" + std::string(path.substr(0, 64)) +
                         "\": " + std::string(why));
}

// The number of level-8·level hashes the tree of `tree_size` leaves has (0 above its top).
uint64_t HashesAtLevel(uint32_t level, uint64_t tree_size) {
  const uint64_t shift = uint64_t{kTileHeight} * level;
  return shift >= 64 ? 0 : tree_size >> shift;
}

bool ValidId(const TileId& tile) {
  return tile.level <= kMaxTileLevel && tile.width >= 1 && tile.width <= kTileWidth;
}

std::string IdString(const TileId& tile) {
  return "tile " + std::to_string(tile.level) + "/" + std::to_string(tile.index) + " width " +
         std::to_string(tile.width);
}

}  // namespace

std::string TilePath(const TileId& tile) {
  // Three-digit groups, most significant first; every group but the last gets an "x" so that a
  // directory name never collides with a file name.
  std::vector<uint32_t> groups;
  uint64_t n = tile.index;
  do {
    groups.push_back(static_cast<uint32_t>(n % 1000));
    n /= 1000;
  } while (n != 0);
  std::string path = std::string(kTilePrefix) + std::to_string(tile.level) + "/";
  for (size_t i = groups.size(); i-- > 0;) {
    char group[8];
    std::snprintf(group, sizeof(group), "%s%03u", i == 0 ? "" : "x", groups[i]);
    path += group;
    if (i != 0) path += "/";
  }
  if (tile.width < kTileWidth)
    path += std::string(kPartialSuffix) + "/" + std::to_string(tile.width);
  return path;
}

Result<TileId> ParseTilePath(std::string_view path) {
  if (!path.starts_with(kTilePrefix)) return BadPath(path, "does not start with tile/");
  std::vector<std::string_view> segments;
  std::string_view rest = path.substr(kTilePrefix.size());
  while (true) {
    const size_t slash = rest.find('/');
    segments.push_back(rest.substr(0, slash));
    if (segments.back().empty()) return BadPath(path, "has an empty segment");
    if (slash == std::string_view::npos) break;
    rest.remove_prefix(slash + 1);
  }
  // Level, at least one index group, optionally ".p" on the last group and a width.
  if (segments.size() < 2) return BadPath(path, "has no index");

  TileId tile;
  if (!ParseSmallDecimal(segments[0], tile.level) || tile.level > kMaxTileLevel) {
    return BadPath(path, "level is not a canonical decimal 0 to 63");
  }
  tile.width = kTileWidth;
  size_t last = segments.size() - 1;
  if (segments.size() >= 3 && segments[last - 1].ends_with(kPartialSuffix)) {
    if (!ParseSmallDecimal(segments[last], tile.width) || tile.width < 1 ||
        tile.width >= kTileWidth) {
      return BadPath(path, "partial width is not a canonical decimal 1 to 255");
    }
    --last;
    segments[last].remove_suffix(kPartialSuffix.size());
  }

  uint64_t index = 0;
  for (size_t i = 1; i <= last; ++i) {
    std::string_view group = segments[i];
    if (i != last) {
      if (!group.starts_with('x')) return BadPath(path, "inner index group lacks the x prefix");
      group.remove_prefix(1);
    }
    if (group.size() != 3 || !IsDigits(group)) return BadPath(path, "index group is not 3 digits");
    if (i == 1 && i != last && group == "000")
      return BadPath(path, "index has a leading zero group");
    const uint64_t digits =
        static_cast<uint64_t>((group[0] - '0') * 100 + (group[1] - '0') * 10 + (group[2] - '0'));
    if (index > (UINT64_MAX - digits) / 1000) return BadPath(path, "index exceeds 2^64 - 1");
    index = index * 1000 + digits;
  }
  tile.index = index;
  return tile;
}

uint32_t TileWidthInTree(uint32_t level, uint64_t index, uint64_t tree_size) {
  const uint64_t hashes = HashesAtLevel(level, tree_size);
  if (index > (hashes >> kTileHeight)) return 0;
  const uint64_t left = hashes - index * kTileWidth;  // index·256 ≤ hashes, no overflow
  return static_cast<uint32_t>(std::min<uint64_t>(left, kTileWidth));
}

std::vector<TileId> TilesForTree(uint64_t tree_size) { return NewTiles(0, tree_size); }

std::vector<TileId> NewTiles(uint64_t old_size, uint64_t new_size) {
  std::vector<TileId> tiles;
  if (old_size >= new_size) return tiles;
  for (uint32_t level = 0; level <= kMaxTileLevel; ++level) {
    const uint64_t hashes = HashesAtLevel(level, new_size);
    if (hashes == 0) break;
    // Tiles left of the old tree's last (possibly partial) tile at this level are unchanged.
    const uint64_t first = HashesAtLevel(level, old_size) >> kTileHeight;
    const uint64_t end = (hashes - 1) >> kTileHeight;
    for (uint64_t index = first; index <= end; ++index) {
      const uint32_t width = TileWidthInTree(level, index, new_size);
      if (width > TileWidthInTree(level, index, old_size)) tiles.push_back({level, index, width});
    }
  }
  return tiles;
}

Result<Bytes> MakeTile(const HashSource& source, const TileId& tile) {
  if (!ValidId(tile)) return InvalidArgument("invalid " + IdString(tile));
  if (TileWidthInTree(tile.level, tile.index, source.size()) < tile.width) {
    return InvalidArgument(IdString(tile) + " is beyond the " + std::to_string(source.size()) +
                           " leaves");
  }
  // Checked above: every subtree below ends within source.size(), so nothing overflows.
  const int shift = kTileHeight * static_cast<int>(tile.level);
  Bytes bytes;
  bytes.reserve(size_t{tile.width} * kHashSize);
  for (uint64_t i = 0; i < tile.width; ++i) {
    const uint64_t node = tile.index * kTileWidth + i;
    SP_ASSIGN_OR_RETURN(Hash hash, source.SubtreeRoot(node << shift, (node + 1) << shift));
    bytes.insert(bytes.end(), hash.begin(), hash.end());
  }
  return bytes;
}

Result<Hash> TileHashSource::SubtreeRoot(uint64_t begin, uint64_t end) const {
  if (begin >= end || end > tree_size_) {
    return InvalidArgument("subtree [" + std::to_string(begin) + ", " + std::to_string(end) +
                           ") is outside the tree of " + std::to_string(tree_size_) + " leaves");
  }
  const uint64_t n = end - begin;
  if (std::has_single_bit(n) && begin % n == 0) {
    const int height = std::countr_zero(n);
    return CompleteNode(height, begin >> height);
  }
  // MTH's own split: a proof's ranges split into O(log n) complete, aligned subtrees.
  const uint64_t k = std::bit_floor(n - 1);
  SP_ASSIGN_OR_RETURN(Hash left, SubtreeRoot(begin, begin + k));
  SP_ASSIGN_OR_RETURN(Hash right, SubtreeRoot(begin + k, end));
  return NodeHash(left, right);
}

Result<Hash> TileHashSource::CompleteNode(int height, uint64_t node_index) const {
  // The node is the root of 2^below consecutive hashes of tile level `level`, all in one tile
  // because 2^below ≤ 128 divides the tile width.
  const uint32_t level = static_cast<uint32_t>(height / kTileHeight);
  const int below = height % kTileHeight;
  const uint64_t first = node_index << below;
  const TileId tile{level, first >> kTileHeight,
                    TileWidthInTree(level, first >> kTileHeight, tree_size_)};
  const uint64_t offset = first % kTileWidth;
  const uint64_t count = uint64_t{1} << below;
  if (offset + count > tile.width) {
    return Internal("node " + std::to_string(node_index) + " at height " + std::to_string(height) +
                    " is outside the tree of " + std::to_string(tree_size_) + " leaves");
  }
  SP_ASSIGN_OR_RETURN(const std::vector<Hash>* hashes, Tile(tile));
  std::vector<Hash> row(hashes->begin() + static_cast<ptrdiff_t>(offset),
                        hashes->begin() + static_cast<ptrdiff_t>(offset + count));
  while (row.size() > 1) {
    for (size_t i = 0; i < row.size() / 2; ++i) row[i] = NodeHash(row[2 * i], row[2 * i + 1]);
    row.resize(row.size() / 2);
  }
  return row[0];
}

Result<const std::vector<Hash>*> TileHashSource::Tile(const TileId& tile) const {
  if (auto it = cache_.find(tile); it != cache_.end()) return &it->second;
  ++tile_reads_;
  SP_ASSIGN_OR_RETURN(Bytes bytes, reader_(tile));
  if (bytes.size() != size_t{tile.width} * kHashSize) {
    return Corruption(IdString(tile) + " has " + std::to_string(bytes.size()) +
                      " bytes, expected " + std::to_string(size_t{tile.width} * kHashSize));
  }
  std::vector<Hash> hashes(tile.width);
  for (size_t i = 0; i < hashes.size(); ++i) {
    std::memcpy(hashes[i].data(), bytes.data() + i * kHashSize, kHashSize);
  }
  return &cache_.emplace(tile, std::move(hashes)).first->second;
}

}  // namespace sealpost::tlog
