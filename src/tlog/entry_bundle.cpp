#include "tlog/entry_bundle.h"

#include <string>

namespace sealpost::tlog {
namespace {

constexpr std::string_view kBundlePrefix = "tile/entries/";
constexpr std::string_view kTilePrefix = "tile/";

}  // namespace

Result<Bytes> EncodeEntryBundle(std::span<const Bytes> leaves) {
  if (leaves.empty() || leaves.size() > kTileWidth) {
    return InvalidArgument("an entry bundle holds 1 to 256 entries");
  }
  size_t total = 0;
  for (const Bytes& leaf : leaves) {
    if (leaf.size() > kMaxBundleEntryBytes) {
      return InvalidArgument("a log entry is too large for an entry bundle (over 65535 bytes)");
    }
    total += 2 + leaf.size();
  }
  Bytes out;
  out.reserve(total);
  for (const Bytes& leaf : leaves) {
    out.push_back(static_cast<uint8_t>(leaf.size() >> 8));
    out.push_back(static_cast<uint8_t>(leaf.size() & 0xFF));
    out.insert(out.end(), leaf.begin(), leaf.end());
  }
  return out;
}

Result<std::vector<Bytes>> ParseEntryBundle(ByteView bundle) {
  std::vector<Bytes> out;
  size_t pos = 0;
  while (pos < bundle.size()) {
    if (out.size() == kTileWidth) return InvalidArgument("entry bundle: more than 256 entries");
    if (bundle.size() - pos < 2) return InvalidArgument("entry bundle: truncated length");
    const size_t length = (size_t{bundle[pos]} << 8) | bundle[pos + 1];
    pos += 2;
    if (bundle.size() - pos < length) return InvalidArgument("entry bundle: truncated entry");
    out.emplace_back(bundle.begin() + static_cast<ptrdiff_t>(pos),
                     bundle.begin() + static_cast<ptrdiff_t>(pos + length));
    pos += length;
  }
  return out;
}

std::string EntryBundlePath(uint64_t index, uint32_t width) {
  // A level-0 tile path with "entries" in place of the level.
  const std::string tile = TilePath({0, index, width});
  return std::string(kBundlePrefix) + tile.substr(std::string_view("tile/0/").size());
}

Result<TileId> ParseEntryBundlePath(std::string_view path) {
  if (!path.starts_with(kBundlePrefix)) {
    return InvalidArgument("entry bundle path does not start with tile/entries/");
  }
  // The index and width follow the tile rules exactly: parse them as level 0's.
  std::string as_tile = std::string(kTilePrefix) + "0/";
  as_tile += path.substr(kBundlePrefix.size());
  return ParseTilePath(as_tile);
}

}  // namespace sealpost::tlog
