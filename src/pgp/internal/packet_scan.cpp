#include "pgp/internal/packet_scan.h"

#include <cstdint>

namespace sealpost::pgp::internal {

namespace {

// Reads a big-endian length of `n` bytes at `pos`; false when the bytes are not there.
bool ReadLength(ByteView data, size_t& pos, size_t n, uint64_t& length) {
  if (data.size() - pos < n) return false;
  length = 0;
  for (size_t i = 0; i < n; ++i) length = (length << 8) | data[pos + i];
  pos += n;
  return true;
}

}  // namespace

Result<PacketCounts> CountPackets(ByteView data) {
  PacketCounts counts;
  size_t pos = 0;
  while (pos < data.size()) {
    const uint8_t header = data[pos++];
    if ((header & 0x80) == 0) return InvalidArgument("not an OpenPGP packet header");
    unsigned tag = 0;
    uint64_t length = 0;
    if (header & 0x40) {  // new format
      tag = header & 0x3f;
      if (pos >= data.size()) return InvalidArgument("truncated packet length");
      const uint8_t first = data[pos++];
      if (first < 192) {
        length = first;
      } else if (first < 224) {
        if (pos >= data.size()) return InvalidArgument("truncated packet length");
        length = ((uint64_t{first} - 192) << 8) + data[pos++] + 192;
      } else if (first == 255) {
        if (!ReadLength(data, pos, 4, length)) return InvalidArgument("truncated packet length");
      } else {
        return InvalidArgument("partial packet length in a key");
      }
    } else {  // old format
      tag = (header >> 2) & 0x0f;
      const unsigned type = header & 0x03;
      if (type == 3) return InvalidArgument("indeterminate packet length in a key");
      if (!ReadLength(data, pos, size_t{1} << type, length)) {
        return InvalidArgument("truncated packet length");
      }
    }
    if (length > data.size() - pos) return InvalidArgument("packet runs past the end");
    pos += static_cast<size_t>(length);
    ++counts.packets;
    switch (tag) {
      case 5:
      case 7:
        ++counts.secret_keys;
        break;
      case 6:
        ++counts.primary_keys;
        break;
      case 14:
        ++counts.subkeys;
        break;
      case 13:
        ++counts.user_ids;
        break;
      case 17:
        ++counts.user_attributes;
        break;
      case 2:
      case 12:
        break;
      default:
        ++counts.other;
    }
  }
  return counts;
}

}  // namespace sealpost::pgp::internal
