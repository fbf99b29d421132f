// Text encodings of binary data (RFC 4648). Pure; decoders reject malformed input.
// Not for secrets that must stay in locked memory: crypto/ has its own for those.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace sealpost {

using Bytes = std::vector<uint8_t>;
using ByteView = std::span<const uint8_t>;

inline ByteView AsBytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}
inline std::string_view AsChars(ByteView b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

std::string HexEncode(ByteView data);
Result<Bytes> HexDecode(std::string_view text);

// Standard alphabet with padding.
std::string Base64Encode(ByteView data);
Result<Bytes> Base64Decode(std::string_view text);
// URL-safe alphabet without padding (tokens in links and cookies).
std::string Base64UrlEncode(ByteView data);
Result<Bytes> Base64UrlDecode(std::string_view text);

// RFC 4648 base32 without padding (TOTP secrets in otpauth URIs).
std::string Base32Encode(ByteView data);

}  // namespace sealpost
