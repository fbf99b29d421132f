#include "mime/internal/header_checks.h"

#include <fmt/format.h>

#include "core/text.h"

namespace sealpost::mime::internal {
namespace {

constexpr size_t kMaxMessageId = 250;  // fits one line with "Message-ID: <" and ">"

// RFC 2045 §5.1 token characters: printable ASCII except SPACE and tspecials.
bool IsTokenChar(char c) {
  if (c <= 0x20 || c >= 0x7f) return false;
  return std::string_view("()<>@,;:\\\"/[]?=").find(c) == std::string_view::npos;
}

bool IsToken(std::string_view s) {
  if (s.empty() || s.size() > 127) return false;  // RFC 6838 §4.2: at most 127 characters
  for (const char c : s) {
    if (!IsTokenChar(c)) return false;
  }
  return true;
}

}  // namespace

Status CheckHeaderText(std::string_view what, std::string_view text) {
  if (text.size() > kMaxHeaderText) {
    return InvalidArgument(fmt::format("{} is longer than {} octets", what, kMaxHeaderText));
  }
  if (!IsValidUtf8(text)) return InvalidArgument(fmt::format("{} is not valid UTF-8", what));
  if (HasControlCharacters(text, /*allow_line_breaks=*/false)) {
    return InvalidArgument(fmt::format("{} contains a line break or control character", what));
  }
  return Status::Ok();
}

Status CheckMessageId(std::string_view what, std::string_view id) {
  if (id.empty() || id.size() > kMaxMessageId) {
    return InvalidArgument(fmt::format("{} is empty or too long", what));
  }
  size_t ats = 0;
  for (const char c : id) {
    if (c <= 0x20 || c >= 0x7f) {
      return InvalidArgument(fmt::format("{} contains a space or non-ASCII character", what));
    }
    if (std::string_view("<>\"(),;:\\").find(c) != std::string_view::npos) {
      return InvalidArgument(fmt::format("{} contains a character a msg-id cannot hold", what));
    }
    if (c == '@') ++ats;
  }
  if (ats != 1 || id.front() == '@' || id.back() == '@') {
    return InvalidArgument(fmt::format("{} is not of the form left@right", what));
  }
  return Status::Ok();
}

Status CheckMediaType(std::string_view media_type) {
  const size_t slash = media_type.find('/');
  if (slash == std::string_view::npos || !IsToken(media_type.substr(0, slash)) ||
      !IsToken(media_type.substr(slash + 1))) {
    return InvalidArgument("attachment content type is not of the form type/subtype");
  }
  return Status::Ok();
}

}  // namespace sealpost::mime::internal
