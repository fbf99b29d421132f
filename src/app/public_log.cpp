#include "app/public_log.h"

#include <algorithm>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "tlog/entry_bundle.h"
#include "tlog/merkle.h"
#include "tlog/note.h"

namespace sealpost::app {

std::string PublicLog::VerifierKey() const {
  return tlog::FormatVerifierKey({log_.origin(), log_.verify_key()});
}

Result<std::string> PublicLog::Checkpoint() {
  SP_ASSIGN_OR_RETURN(auto latest, store_.log().GetLatestLogCheckpoint());
  if (!latest) return NotFound("the log has no checkpoint yet");
  return latest->note;
}

Status PublicLog::CheckInTree(const tlog::TileId& tile) {
  SP_ASSIGN_OR_RETURN(auto latest, store_.log().GetLatestLogCheckpoint());
  const uint64_t size = latest ? latest->size : 0;
  const uint32_t width = tlog::TileWidthInTree(tile.level, tile.index, size);
  // A full tile must be full in the tree; a partial one may be any width up to the tree's (the
  // tree had it at a smaller checkpoint; it is a prefix of the stored tile).
  if (width == 0 || tile.width > width) return NotFound("no such tile in the log");
  return Status::Ok();
}

Result<Bytes> PublicLog::Tile(const tlog::TileId& tile) {
  SP_RETURN_IF_ERROR(CheckInTree(tile));
  auto bytes = store_.log().GetLogTile(tile.level, tile.index, tile.width);
  if (!bytes.ok() && bytes.status().code() == ErrorCode::kNotFound) {
    return Corruption(
        fmt::format("tile {} of the signed tree is missing from the store", tlog::TilePath(tile)));
  }
  return bytes;
}

Result<Bytes> PublicLog::EntryBundle(const tlog::TileId& tile) {
  SP_ASSIGN_OR_RETURN(const Bytes hashes, Tile({0, tile.index, tile.width}));
  const uint64_t first = tile.index * tlog::kTileWidth;
  SP_ASSIGN_OR_RETURN(auto entries,
                      store_.log().ReadLogEntries(first, static_cast<int>(tile.width)));
  if (entries.size() < tile.width) {
    return Corruption(fmt::format("log entries {}… of the signed tree are missing", first));
  }
  std::vector<Bytes> leaves;
  leaves.reserve(tile.width);
  for (uint32_t i = 0; i < tile.width; ++i) {
    const store::LogEntryRecord& entry = entries[i];
    const tlog::Hash leaf_hash = tlog::LeafHash(entry.leaf);
    if (entry.index != first + i ||
        !std::equal(leaf_hash.begin(), leaf_hash.end(), hashes.begin() + 32 * i)) {
      return Corruption(fmt::format("log entry {} does not match its tile", first + i));
    }
    leaves.push_back(std::move(entries[i].leaf));
  }
  return tlog::EncodeEntryBundle(leaves);
}

}  // namespace sealpost::app
