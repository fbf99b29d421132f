// C2SP tlog-tiles entry bundles (c2sp.org/tlog-tiles, "Log entries"): the leaves of one level-0
// tile, served at "tile/entries/<N>[.p/<W>]", each as a big-endian uint16 length followed by
// that many bytes, concatenated; nothing else. Entry i of bundle N is leaf N·256 + i, and its
// RFC 9162 leaf hash is hash i of level-0 tile N. docs/formats/tiles.md.
//
// The uint16 prefix caps a servable leaf at 65,535 bytes; the leaf format allows larger ones
// (64 KiB of details), which EncodeEntryBundle refuses rather than truncates.
//
// SECURITY: ParseEntryBundle and ParseEntryBundlePath take untrusted bytes (a fetched bundle, a
// request path) and refuse anything but the exact form; the caller still checks each entry
// against a tile it verified. Pure; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/encoding.h"
#include "core/status.h"
#include "tlog/tiles.h"

namespace sealpost::tlog {

inline constexpr size_t kMaxBundleEntryBytes = 0xFFFF;

// The bundle of `leaves` (1 … 256 of them). InvalidArgument for none, more than 256, or a leaf
// over kMaxBundleEntryBytes.
Result<Bytes> EncodeEntryBundle(std::span<const Bytes> leaves);
// The inverse. InvalidArgument for a truncated entry, trailing bytes, or more than 256 entries.
Result<std::vector<Bytes>> ParseEntryBundle(ByteView bundle);

// "tile/entries/<N>[.p/<W>]" for the bundle of level-0 tile (index, width), and back: the same
// canonical rules as TilePath/ParseTilePath; the result's level is 0.
std::string EntryBundlePath(uint64_t index, uint32_t width);
Result<TileId> ParseEntryBundlePath(std::string_view path);

}  // namespace sealpost::tlog
