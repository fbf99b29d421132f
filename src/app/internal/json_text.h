// JSON text written straight into a string, byte for byte as nlohmann::json::dump() writes it
// (no spaces; strings escaped as dump() does with ensure_ascii off: `"`, `\` and the control
// characters below 0x20, as \b \t \n \f \r or \u00xx in lower-case hex; every other byte as it
// is). For the message codec (app/message_codec.h): its summary and seal statement must stay
// byte-identical to what nlohmann::json wrote before, or stored seals stop verifying; building a
// json tree and dumping it cost most of the codec's time (a node and a string copy per field, the
// 10 KiB body escaped byte by byte).
//
// dump() throws on text that is not valid UTF-8; AppendJsonString reports it instead (false),
// so that the caller can take nlohmann's path and keep its behaviour. Works with any string type
// that has append(const char*, size_t) and push_back(char) (std::string, crypto::WipedString).
// Pure; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace sealpost::app::internal {

// The length of the valid UTF-8 sequence (RFC 3629: no overlong forms, no surrogates, nothing
// above U+10FFFF) starting with the non-ASCII byte at `s[i]`, or 0 when it is not one.
inline size_t Utf8SequenceLength(std::string_view s, size_t i) {
  const auto at = [&](size_t k) { return static_cast<uint8_t>(s[k]); };
  const uint8_t b = at(i);
  const auto cont = [&](size_t k, uint8_t lo = 0x80, uint8_t hi = 0xBF) {
    return k < s.size() && at(k) >= lo && at(k) <= hi;
  };
  if (b >= 0xC2 && b <= 0xDF) return cont(i + 1) ? 2 : 0;
  if (b >= 0xE0 && b <= 0xEF) {
    const uint8_t lo = b == 0xE0 ? 0xA0 : 0x80;
    const uint8_t hi = b == 0xED ? 0x9F : 0xBF;
    return cont(i + 1, lo, hi) && cont(i + 2) ? 3 : 0;
  }
  if (b >= 0xF0 && b <= 0xF4) {
    const uint8_t lo = b == 0xF0 ? 0x90 : 0x80;
    const uint8_t hi = b == 0xF4 ? 0x8F : 0xBF;
    return cont(i + 1, lo, hi) && cont(i + 2) && cont(i + 3) ? 4 : 0;
  }
  return 0;
}

// How many bytes from `s[i]` on are printable ASCII other than `"` and `\`: what a string
// mostly is, and what AppendJsonString copies as it is. Sixteen at a time where SSE2 is there.
inline size_t PlainAsciiRun(std::string_view s, size_t i) {
  const size_t start = i;
#if defined(__SSE2__)
  const __m128i below_space = _mm_set1_epi8(0x20);  // signed compare: also catches bytes >= 0x80
  const __m128i quote = _mm_set1_epi8('"');
  const __m128i backslash = _mm_set1_epi8('\\');
  for (; i + 16 <= s.size(); i += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s.data() + i));
    const __m128i special =
        _mm_or_si128(_mm_cmplt_epi8(v, below_space),
                     _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)));
    const int mask = _mm_movemask_epi8(special);
    if (mask != 0) return i + static_cast<size_t>(__builtin_ctz(mask)) - start;
  }
#endif
  for (; i < s.size(); ++i) {
    const auto c = static_cast<uint8_t>(s[i]);
    if (c < 0x20 || c >= 0x80 || c == '"' || c == '\\') break;
  }
  return i - start;
}

// Appends `s` as a quoted JSON string. False when `s` is not valid UTF-8; `out` then holds a
// partial string, and the caller discards it.
template <typename Out>
bool AppendJsonString(Out& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  size_t run = 0;  // start of the bytes not yet appended, all of which need no escaping
  size_t i = 0;
  while (i < s.size()) {
    i += PlainAsciiRun(s, i);
    if (i == s.size()) break;
    const auto c = static_cast<uint8_t>(s[i]);
    if (c >= 0x80) {
      const size_t n = Utf8SequenceLength(s, i);
      if (n == 0) return false;
      i += n;
      continue;
    }
    if (c >= 0x20 && c != '"' && c != '\\') {
      ++i;
      continue;
    }
    out.append(s.data() + run, i - run);
    char escape[6] = {'\\', 0, 0, 0, 0, 0};
    size_t escape_size = 2;
    switch (c) {
      case '\b':
        escape[1] = 'b';
        break;
      case '\t':
        escape[1] = 't';
        break;
      case '\n':
        escape[1] = 'n';
        break;
      case '\f':
        escape[1] = 'f';
        break;
      case '\r':
        escape[1] = 'r';
        break;
      case '"':
        escape[1] = '"';
        break;
      case '\\':
        escape[1] = '\\';
        break;
      default:  // other control characters: \u00xx
        escape[1] = 'u';
        escape[2] = '0';
        escape[3] = '0';
        escape[4] = kHex[c >> 4];
        escape[5] = kHex[c & 0xF];
        escape_size = 6;
    }
    out.append(escape, escape_size);
    run = ++i;
  }
  out.append(s.data() + run, s.size() - run);
  out.push_back('"');
  return true;
}

// Appends a JSON number as dump() writes an integer.
template <typename Out>
void AppendJsonInteger(Out& out, int64_t value) {
  char digits[24];
  size_t at = sizeof digits;
  uint64_t magnitude = value < 0 ? 0 - static_cast<uint64_t>(value) : static_cast<uint64_t>(value);
  do {
    digits[--at] = static_cast<char>('0' + magnitude % 10);
    magnitude /= 10;
  } while (magnitude != 0);
  if (value < 0) digits[--at] = '-';
  out.append(digits + at, sizeof digits - at);
}

template <typename Out>
void AppendJsonUnsigned(Out& out, uint64_t value) {
  char digits[24];
  size_t at = sizeof digits;
  do {
    digits[--at] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value != 0);
  out.append(digits + at, sizeof digits - at);
}

}  // namespace sealpost::app::internal
