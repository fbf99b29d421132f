#include "core/address.h"

#include <algorithm>

namespace sealpost {
namespace {

bool IsAtext(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  static constexpr std::string_view kSpecials = "!#$%&'*+-/=?^_`{|}~";
  return kSpecials.find(c) != std::string_view::npos;
}

bool IsValidLocalPart(std::string_view s) {
  if (s.empty() || s.size() > EmailAddress::kMaxLocalLength) return false;
  if (s.front() == '.' || s.back() == '.') return false;
  char prev = 0;
  for (char c : s) {
    if (c == '.') {
      if (prev == '.') return false;
    } else if (!IsAtext(c)) {
      return false;
    }
    prev = c;
  }
  return true;
}

bool IsValidDomain(std::string_view s) {
  if (s.empty() || s.size() > 253 || s.find('.') == std::string_view::npos) return false;
  size_t start = 0;
  while (start <= s.size()) {
    size_t end = s.find('.', start);
    if (end == std::string_view::npos) end = s.size();
    const std::string_view label = s.substr(start, end - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
      return false;
    }
    for (char c : label) {
      const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
      if (!ok) return false;
    }
    start = end + 1;
  }
  return true;
}

}  // namespace

Result<EmailAddress> EmailAddress::Parse(std::string_view text) {
  if (text.empty() || text.size() > kMaxLength) {
    return InvalidArgument("email address must be 1 to 254 characters");
  }
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : static_cast<char>(c);
  });
  const size_t at = lower.rfind('@');
  if (at == std::string::npos || lower.find('@') != at) {
    return InvalidArgument("email address must contain exactly one '@'");
  }
  if (!IsValidLocalPart(std::string_view(lower).substr(0, at))) {
    return InvalidArgument("email address has an invalid local part");
  }
  if (!IsValidDomain(std::string_view(lower).substr(at + 1))) {
    return InvalidArgument("email address has an invalid domain");
  }
  return EmailAddress(std::move(lower));
}

std::string_view EmailAddress::local_part() const {
  return std::string_view(value_).substr(0, value_.rfind('@'));
}

std::string_view EmailAddress::domain() const {
  return std::string_view(value_).substr(value_.rfind('@') + 1);
}

}  // namespace sealpost
