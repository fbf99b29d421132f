#include "core/text.h"

#include <cstdint>
#include <cstring>

namespace sealpost {

bool IsValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const uint8_t c = static_cast<uint8_t>(s[i]);
    if (c < 0x80) {
      ++i;
      // Mail text is mostly ASCII: skip it eight bytes at a time.
      uint64_t word = 0;
      while (i + sizeof word <= s.size()) {
        std::memcpy(&word, s.data() + i, sizeof word);
        if ((word & 0x8080808080808080ull) != 0) break;
        i += sizeof word;
      }
      continue;
    }
    size_t len;
    uint32_t cp;
    if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + len > s.size()) return false;
    for (size_t k = 1; k < len; ++k) {
      const uint8_t cc = static_cast<uint8_t>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    static constexpr uint32_t kMinForLength[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMinForLength[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += len;
  }
  return true;
}

bool HasControlCharacters(std::string_view s, bool allow_line_breaks) {
  for (char ch : s) {
    const uint8_t c = static_cast<uint8_t>(ch);
    if (c == 0x7F) return true;
    if (c >= 0x20) continue;
    if (allow_line_breaks && (c == '\t' || c == '\r' || c == '\n')) continue;
    return true;
  }
  return false;
}

}  // namespace sealpost
