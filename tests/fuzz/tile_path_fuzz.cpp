// Fuzz target: C2SP tlog-tiles paths (tlog/tiles.h) as they will arrive in request URLs under
// /log/v1/.
//
// Invariants checked: no crash, exception or sanitizer report; every refusal is InvalidArgument;
// an accepted path names a valid tile (level ≤ 63, width 1 … 256) and formats back to exactly
// the input (one path per tile, so cache keys cannot alias).
//
// SECURITY: the path is untrusted; it will pick the tile a store or cache returns.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "tlog/tiles.h"

namespace {

void Check(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace tlog = sealpost::tlog;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto tile = tlog::ParseTilePath(input);
  if (tile.ok()) {
    Check(tile->level <= tlog::kMaxTileLevel);
    Check(tile->width >= 1 && tile->width <= tlog::kTileWidth);
    Check(tlog::TilePath(*tile) == input);
  } else {
    Check(tile.status().code() == sealpost::ErrorCode::kInvalidArgument);
  }
  return 0;
}
