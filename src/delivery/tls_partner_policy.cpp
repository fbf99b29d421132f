#include "delivery/tls_partner_policy.h"

#include <algorithm>
#include <charconv>
#include <optional>

#include <fmt/format.h>

#include "core/encoding.h"
#include "delivery/internal/smtp_session.h"
#include "delivery/smtp_reply.h"

namespace sealpost::delivery {

Result<TlsPartnerMode> ParseTlsPartnerMode(std::string_view text) {
  if (text == "verify") return TlsPartnerMode::kVerify;
  if (text == "pin") return TlsPartnerMode::kPin;
  return InvalidArgument(
      fmt::format("tls must be \"verify\" or \"pin\", not \"{}\"", SmtpPrintable(text, 40)));
}

std::string_view TlsPartnerModeName(TlsPartnerMode mode) {
  return mode == TlsPartnerMode::kPin ? "pin" : "verify";
}

Result<SpkiSha256> ParseSpkiPin(std::string_view text) {
  if (text.substr(0, 7) == "sha256/") text.remove_prefix(7);
  Result<Bytes> raw = InvalidArgument("");
  if (text.size() == 64) {
    raw = HexDecode(text);
  } else if (text.size() == 44) {
    raw = Base64Decode(text);
  } else {
    return InvalidArgument(fmt::format(
        "pin must be a SHA-256 hash as 64 hex digits or 44 base64 characters, got {} characters",
        text.size()));
  }
  if (!raw.ok() || raw->size() != 32) {
    return InvalidArgument("pin is neither valid hex nor valid base64 of 32 bytes");
  }
  SpkiSha256 pin{};
  std::copy(raw->begin(), raw->end(), pin.begin());
  return pin;
}

Result<std::string> NormalizeDomainName(std::string_view text) {
  if (!text.empty() && text.back() == '.') text.remove_suffix(1);
  if (text.empty() || text.size() > 253) {
    return InvalidArgument("domain name must be 1 to 253 characters");
  }
  std::string out;
  out.reserve(text.size());
  size_t label = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '.') {
      if (label == 0 || out.back() == '-') {
        return InvalidArgument(
            fmt::format("\"{}\" is not a domain name (empty label or label ending in '-')",
                        SmtpPrintable(text, 80)));
      }
      label = 0;
      out += c;
      continue;
    }
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!alnum && !(c == '-' && label > 0)) {
      return InvalidArgument(
          fmt::format("\"{}\" is not a domain name (letters, digits, '-' and '.' only)",
                      SmtpPrintable(text, 80)));
    }
    if (++label > 63) return InvalidArgument("domain name has a label longer than 63 characters");
    out += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  }
  if (out.back() == '-') return InvalidArgument("domain name has a label ending in '-'");
  return out;
}

Result<HostPort> ParseHostPort(std::string_view text) {
  HostPort out;
  std::string_view host = text;
  std::optional<std::string_view> port;
  if (!text.empty() && text.front() == '[') {
    const size_t close = text.find(']');
    if (close == std::string_view::npos) return InvalidArgument("host: unterminated '['");
    host = text.substr(1, close - 1);
    const std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return InvalidArgument("host: expected ':' after ']'");
      port = rest.substr(1);
    }
    if (!internal::IsIpLiteral(std::string(host)) || host.find(':') == std::string_view::npos) {
      return InvalidArgument("host: brackets must hold an IPv6 address");
    }
  } else if (const size_t colon = text.rfind(':'); colon != std::string_view::npos) {
    if (text.find(':') != colon) return InvalidArgument("host: write an IPv6 address as [addr]");
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  if (port) {
    unsigned value = 0;
    const auto [ptr, ec] = std::from_chars(port->data(), port->data() + port->size(), value);
    if (port->empty() || ec != std::errc() || ptr != port->data() + port->size() || value == 0 ||
        value > 65535) {
      return InvalidArgument(
          fmt::format("port must be 1 to 65535, not \"{}\"", SmtpPrintable(*port, 20)));
    }
    out.port = static_cast<uint16_t>(value);
  }
  if (internal::IsIpLiteral(std::string(host))) {
    out.host = std::string(host);
    return out;
  }
  SP_ASSIGN_OR_RETURN(out.host, NormalizeDomainName(host));
  return out;
}

Status ValidateTlsPartnerPolicy(const TlsPartnerPolicy& policy) {
  SP_ASSIGN_OR_RETURN(const std::string domain, NormalizeDomainName(policy.domain));
  if (domain != policy.domain) {
    return InvalidArgument("domain must be lower case without a trailing dot");
  }
  if (policy.mode == TlsPartnerMode::kPin && policy.pins.empty()) {
    return InvalidArgument(fmt::format("{}: tls = \"pin\" needs at least one pin", domain));
  }
  if (policy.mode == TlsPartnerMode::kVerify && !policy.pins.empty()) {
    return InvalidArgument(fmt::format(
        "{}: pins are only used with tls = \"pin\"; remove them or change tls", domain));
  }
  if (policy.pins.size() > kMaxTlsPartnerPins) {
    return InvalidArgument(fmt::format("{}: at most {} pins", domain, kMaxTlsPartnerPins));
  }
  if (!policy.override_host.empty()) {
    SP_ASSIGN_OR_RETURN(const HostPort hp, ParseHostPort(policy.override_host));
    if (hp.port != 0 || hp.host != policy.override_host) {
      return InvalidArgument(fmt::format("{}: override host must be a bare host name", domain));
    }
  } else if (policy.override_port != 0) {
    return InvalidArgument(fmt::format("{}: override port without a host", domain));
  }
  return Status::Ok();
}

}  // namespace sealpost::delivery
