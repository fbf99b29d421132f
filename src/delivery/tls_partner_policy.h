// The enforced-TLS policy of one partner domain: mail to that domain goes directly to its MX
// hosts (or a fixed host:port) over STARTTLS, and only when the server proves who it is:
//   verify  the certificate chains to a trusted CA (configured CA file or the system store) and
//           is valid for the MX host name (RFC 6125 DNS-ID, no partial wildcards);
//   pin     the SHA-256 hash of the certificate's SubjectPublicKeyInfo equals one of the pins
//           (like DANE-EE SPKI SHA2-256, RFC 7672 §3.1.1: chain, name and dates are not checked —
//           the partner handed us its key out of band).
// Pure value types and parsers: no I/O. Thread-safety: plain values.
//
// SECURITY: the parsers see administrator input (config file, later the admin API); every field
// is checked and a bad one is an InvalidArgument naming the field, never a crash.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace sealpost::delivery {

enum class TlsPartnerMode { kVerify, kPin };

using SpkiSha256 = std::array<uint8_t, 32>;

inline constexpr size_t kMaxTlsPartnerPins = 16;

struct TlsPartnerPolicy {
  std::string domain;  // lower-case ASCII domain name, e.g. "partner.example"
  TlsPartnerMode mode = TlsPartnerMode::kVerify;
  // SHA-256 of the DER SubjectPublicKeyInfo; required (1..kMaxTlsPartnerPins) in pin mode. In
  // verify mode pins are not allowed (one meaning per entry).
  std::vector<SpkiSha256> pins;
  // Deliver to this host instead of the MX hosts; empty = look up MX. The certificate (verify
  // mode) must then be valid for this host name, which the system resolver (getaddrinfo)
  // resolves, not libunbound. Port 0 = the sender's default (25).
  std::string override_host;
  uint16_t override_port = 0;
};

// "verify" or "pin".
Result<TlsPartnerMode> ParseTlsPartnerMode(std::string_view text);
std::string_view TlsPartnerModeName(TlsPartnerMode mode);

// A pin as written by an administrator: 64 hex digits (`openssl x509 -pubkey | openssl pkey
// -pubin -outform DER | sha256sum`) or 44 characters of standard base64 with padding (the HPKP
// "pin-sha256" form, `... | openssl dgst -sha256 -binary | base64`). Either form may carry a
// "sha256/" prefix.
Result<SpkiSha256> ParseSpkiPin(std::string_view text);

// "host" or "host:port" or "[v6]:port" (the brackets are dropped). Host: a domain name or an IP
// literal, at most 253 bytes; port 1..65535.
struct HostPort {
  std::string host;
  uint16_t port = 0;  // 0 when absent
};
Result<HostPort> ParseHostPort(std::string_view text);

// A domain name as DNS carries it: 1..253 bytes, labels of 1..63 letters, digits and '-', not
// starting or ending with '-'; returned lower-cased, without a trailing dot.
Result<std::string> NormalizeDomainName(std::string_view text);

// Every rule above on a whole entry (domain, mode vs pins, pin count, override).
Status ValidateTlsPartnerPolicy(const TlsPartnerPolicy& policy);

}  // namespace sealpost::delivery
