#include "mime/internal/encoded_words.h"

#include <glib.h>

#include "mime/internal/gmime_handles.h"

namespace sealpost::mime::internal {
namespace {

constexpr size_t kMaxWordPayload = 45;  // 45 octets → 60 base64 characters → a 72-octet word

bool IsTokenChar(char c) { return c > 0x20 && c < 0x7f && c != '?' && c != '=' && c != ' '; }

}  // namespace

std::string NormalizeEncodedWords(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  size_t pos = 0;
  while (pos < in.size()) {
    const size_t start = in.find("=?", pos);
    if (start == std::string_view::npos) break;
    // =?charset?B?payload?=
    size_t p = start + 2;
    while (p < in.size() && IsTokenChar(in[p])) ++p;
    const bool shaped = p > start + 2 && p + 3 < in.size() && in[p] == '?' &&
                        (in[p + 1] == 'B' || in[p + 1] == 'b') && in[p + 2] == '?';
    const size_t payload = p + 3;
    const size_t end = shaped ? in.find("?=", payload) : std::string_view::npos;
    if (end == std::string_view::npos ||
        in.substr(payload, end - payload).find_first_of(" \t\r\n") != std::string_view::npos) {
      out.append(in.substr(pos, start + 2 - pos));
      pos = start + 2;
      continue;
    }
    const std::string base64(in.substr(payload, end - payload));
    gsize length = 0;
    const GCharPtr bytes(reinterpret_cast<char*>(g_base64_decode(base64.c_str(), &length)));
    out.append(in.substr(pos, p - pos));  // text before, "=?" and the charset
    out += "?Q?";
    static constexpr char kHex[] = "0123456789ABCDEF";
    for (gsize i = 0; i < length; ++i) {
      const unsigned char c = static_cast<unsigned char>(bytes.get()[i]);
      if (g_ascii_isalnum(c)) {
        out += static_cast<char>(c);
      } else {
        out += '=';
        out += kHex[c >> 4];
        out += kHex[c & 0xf];
      }
    }
    out += "?=";
    pos = end + 2;
  }
  out.append(in.substr(pos));
  return out;
}

std::string EncodeIfAmbiguous(std::string_view utf8) {
  if (utf8.find("=?") == std::string_view::npos) return std::string(utf8);
  std::string out;
  size_t pos = 0;
  while (pos < utf8.size()) {
    size_t n = std::min(kMaxWordPayload, utf8.size() - pos);
    // Never split a UTF-8 sequence: back off over continuation bytes.
    while (pos + n < utf8.size() && n > 1 &&
           (static_cast<unsigned char>(utf8[pos + n]) & 0xC0) == 0x80) {
      --n;
    }
    const GCharPtr b64(g_base64_encode(reinterpret_cast<const guchar*>(utf8.data() + pos), n));
    if (!out.empty()) out += ' ';
    out += "=?UTF-8?B?";
    out += b64.get();
    out += "?=";
    pos += n;
  }
  return out;
}

}  // namespace sealpost::mime::internal
