#include "http/origin.h"

#include <algorithm>
#include <cctype>

namespace sealpost::http {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool AllDigits(std::string_view s) {
  return !s.empty() &&
         std::all_of(s.begin(), s.end(), [](unsigned char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

bool IsSafeMethod(std::string_view method) {
  return method == "GET" || method == "HEAD" || method == "OPTIONS";
}

std::string CanonicalOrigin(std::string_view url) {
  const size_t colon = url.find("://");
  if (colon == std::string_view::npos) return {};
  const std::string scheme = Lower(url.substr(0, colon));
  if (scheme != "https" && scheme != "http") return {};
  std::string_view authority = url.substr(colon + 3);
  authority = authority.substr(0, authority.find_first_of("/?#"));
  if (authority.empty() || authority.find('@') != std::string_view::npos) return {};
  std::string_view host = authority;
  std::string_view port;
  if (authority.front() == '[') {  // IPv6 literal
    const size_t close = authority.find(']');
    if (close == std::string_view::npos || close == 1) return {};
    host = authority.substr(0, close + 1);
    const std::string_view rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return {};
      port = rest.substr(1);
    }
  } else if (const size_t at = authority.rfind(':'); at != std::string_view::npos) {
    host = authority.substr(0, at);
    port = authority.substr(at + 1);
    if (host.find(':') != std::string_view::npos) return {};
  }
  if (host.empty()) return {};
  for (const unsigned char c : host) {
    if (c <= 0x20 || c >= 0x7f) return {};
  }
  std::string out = scheme + "://" + Lower(host);
  if (!port.empty()) {  // an empty port ("host:") is the default one
    if (!AllDigits(port) || port.size() > 5) return {};
    const unsigned long number = std::stoul(std::string(port));  // "08443" is 8443
    if (number > 65535) return {};
    const bool is_default =
        (scheme == "https" && number == 443) || (scheme == "http" && number == 80);
    if (!is_default) out += ":" + std::to_string(number);
  }
  return out;
}

bool OriginAllowed(const Request& request, std::string_view public_origin) {
  if (IsSafeMethod(request.method)) return true;
  const std::optional<std::string_view> origin = request.Header("Origin");
  if (!origin) return true;
  const std::string canonical = CanonicalOrigin(*origin);
  if (canonical.empty()) return false;
  if (!public_origin.empty() && canonical == public_origin) return true;
  const std::optional<std::string_view> host = request.Header("Host");
  if (!host || host->empty() || host->find_first_of("/?#@") != std::string_view::npos) {
    return false;
  }
  return canonical == CanonicalOrigin("https://" + std::string(*host));
}

}  // namespace sealpost::http
