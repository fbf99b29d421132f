#include "smtp/proto/reply.h"

#include <fmt/format.h>

namespace sealpost::smtp::proto {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// class "." subject "." detail, with 1-3 digits each and the class 2, 4 or 5 (RFC 3463 2).
bool WellFormedEnhanced(std::string_view s) {
  int part = 0;
  size_t digits = 0;
  for (const char c : s) {
    if (c == '.') {
      if (digits == 0 || ++part > 2) return false;
      digits = 0;
    } else if (IsDigit(c)) {
      if (++digits > 3) return false;
    } else {
      return false;
    }
  }
  return part == 2 && digits > 0 && (s[0] == '2' || s[0] == '4' || s[0] == '5') && !IsDigit(s[1]);
}

int ValidCode(int code) { return code >= 200 && code <= 599 ? code : 451; }

}  // namespace

std::string SanitizeReplyText(std::string_view text) {
  std::string out;
  out.reserve(std::min(text.size(), kMaxReplyTextBytes));
  for (const char c : text.substr(0, kMaxReplyTextBytes)) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x80) {
      out.push_back('?');
    } else if (u < 0x20 || u == 0x7f) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string EnhancedFor(int code, std::string_view enhanced) {
  const int klass = code / 100;
  if (klass != 2 && klass != 4 && klass != 5) return "";
  if (WellFormedEnhanced(enhanced) && enhanced[0] - '0' == klass) return std::string(enhanced);
  return fmt::format("{}.0.0", klass);
}

std::string FormatReply(const Reply& reply) {
  const int code = ValidCode(reply.code);
  const std::string enhanced =
      code != reply.code ? std::string("4.3.0") : EnhancedFor(code, reply.enhanced);
  const std::string text = SanitizeReplyText(reply.text);
  if (enhanced.empty()) return fmt::format("{} {}\r\n", code, text);
  return fmt::format("{} {} {}\r\n", code, enhanced, text);
}

std::string FormatMultiline(int code, std::string_view enhanced,
                            const std::vector<std::string>& lines) {
  code = ValidCode(code);
  std::string prefix;
  if (!enhanced.empty()) prefix = EnhancedFor(code, enhanced) + " ";
  if (lines.empty()) return fmt::format("{} {}\r\n", code, prefix);
  std::string out;
  for (size_t i = 0; i < lines.size(); ++i) {
    out += fmt::format("{}{}{}{}\r\n", code, i + 1 == lines.size() ? ' ' : '-', prefix,
                       SanitizeReplyText(lines[i]));
  }
  return out;
}

}  // namespace sealpost::smtp::proto
