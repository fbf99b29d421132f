// Counts the packets of a binary OpenPGP key before RNP parses it (import limits, secret keys).
//
// Written by hand because RNP 0.16 offers no way to count packets without parsing them (its
// rnp_dump_packets_* parse and print every field): this reads only the packet headers of RFC
// 4880 section 4.2 (old and new format), so a key with 100,000 user IDs is refused after a
// header walk, before RNP builds and checks anything. It never interprets a packet body.
//
// Pure, reentrant. SECURITY: sees untrusted bytes (contact keys pasted or fetched); every length
// is checked against what remains before it is used.
#pragma once

#include <cstddef>

#include "core/encoding.h"
#include "core/status.h"

namespace sealpost::pgp::internal {

struct PacketCounts {
  size_t packets = 0;
  size_t primary_keys = 0;     // tag 6
  size_t subkeys = 0;          // tag 14
  size_t secret_keys = 0;      // tags 5 and 7
  size_t user_ids = 0;         // tag 13
  size_t user_attributes = 0;  // tag 17
  size_t other = 0;            // anything but the above and signatures (2), trust (12)
};

// Walks the headers of `binary`. InvalidArgument when a header is malformed, a length runs past
// the end, or a packet uses partial lengths (never allowed in keys).
Result<PacketCounts> CountPackets(ByteView binary);

}  // namespace sealpost::pgp::internal
