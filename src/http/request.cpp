#include "http/request.h"

#include <cstddef>

#include "core/text.h"
#include "http/internal/ascii.h"

namespace sealpost::http {
namespace {

using internal::EqualsIgnoreCase;

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Decodes %XX escapes (and '+' when `plus_is_space`). Fails on malformed escapes and on NUL.
// `*encoded_slash` is set when an escape decoded to '/'.
Result<std::string> Unescape(std::string_view in, bool plus_is_space, bool* encoded_slash) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) return InvalidArgument("truncated percent escape");
      const int hi = HexValue(in[i + 1]);
      const int lo = HexValue(in[i + 2]);
      if (hi < 0 || lo < 0) return InvalidArgument("malformed percent escape");
      const char decoded = static_cast<char>(hi * 16 + lo);
      if (decoded == '\0') return InvalidArgument("percent escape decodes to NUL");
      if (decoded == '/' && encoded_slash != nullptr) *encoded_slash = true;
      out.push_back(decoded);
      i += 2;
    } else if (c == '\0') {
      return InvalidArgument("NUL in text");
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::optional<std::string_view> Request::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (EqualsIgnoreCase(key, name)) return std::string_view(value);
  }
  return std::nullopt;
}

std::optional<std::string> Request::QueryParam(std::string_view name) const {
  std::string_view rest = query;
  while (!rest.empty()) {
    const size_t amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    const size_t eq = pair.find('=');
    auto key = FormDecode(pair.substr(0, eq));
    if (!key.ok() || *key != name) continue;
    if (eq == std::string_view::npos) return std::string();
    auto value = FormDecode(pair.substr(eq + 1));
    if (!value.ok()) return std::nullopt;
    return std::move(value).value();
  }
  return std::nullopt;
}

std::optional<std::string> Request::Cookie(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (!EqualsIgnoreCase(key, "cookie")) continue;
    std::string_view rest = value;
    while (!rest.empty()) {
      const size_t semi = rest.find(';');
      const std::string_view pair = Trim(rest.substr(0, semi));
      rest = semi == std::string_view::npos ? std::string_view() : rest.substr(semi + 1);
      const size_t eq = pair.find('=');
      if (eq == std::string_view::npos) continue;
      if (Trim(pair.substr(0, eq)) != name) continue;
      std::string_view cookie_value = Trim(pair.substr(eq + 1));
      if (cookie_value.size() >= 2 && cookie_value.front() == '"' && cookie_value.back() == '"') {
        cookie_value = cookie_value.substr(1, cookie_value.size() - 2);
      }
      return std::string(cookie_value);
    }
  }
  return std::nullopt;
}

Result<std::string> FormDecode(std::string_view text) {
  return Unescape(text, /*plus_is_space=*/true, nullptr);
}

Result<std::string> PercentDecodePath(std::string_view raw_path) {
  if (raw_path.empty() || raw_path.front() != '/') {
    return InvalidArgument("path must start with '/'");
  }
  bool encoded_slash = false;
  SP_ASSIGN_OR_RETURN(std::string path,
                      Unescape(raw_path, /*plus_is_space=*/false, &encoded_slash));
  if (encoded_slash) return InvalidArgument("encoded '/' in path");
  SP_RETURN_IF_ERROR(CheckDecodedPath(path));
  return path;
}

Status CheckDecodedPath(std::string_view path) {
  if (path.empty() || path.front() != '/') return InvalidArgument("path must start with '/'");
  if (path.find('\\') != std::string_view::npos) return InvalidArgument("backslash in path");
  if (HasControlCharacters(path, /*allow_line_breaks=*/false) ||
      path.find('\t') != std::string_view::npos) {
    return InvalidArgument("control character in path");
  }
  if (!IsValidUtf8(path)) return InvalidArgument("path is not valid UTF-8");
  // Dot segments: "/.", "/..", "/./x", "/../x", "/x/..", ...
  size_t start = 1;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    const std::string_view segment = path.substr(start, end - start);
    if (segment == "." || segment == "..") return InvalidArgument("dot segment in path");
    start = end + 1;
  }
  return Status::Ok();
}

}  // namespace sealpost::http
