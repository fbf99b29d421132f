// Where mail for a domain goes: its MX hosts in preference order with their addresses (RFC 5321
// §5.1), looked up through libunbound, which also validates DNSSEC when given a trust anchor.
//
// The result is for the direct TLS sender (tls_direct_sender.h): hosts ordered by preference
// (lowest first; equal preferences keep the order received), each with its IPv4 then IPv6
// addresses. A domain without MX records gets the implicit MX of RFC 5321 §5.1 (the domain
// itself, when it has an address). A "null MX" (RFC 7505: one MX "0 .") means the domain takes
// no mail.
//
// Errors: NotFound — the domain does not exist, or has neither MX nor address (permanent);
// FailedPrecondition-like refusals are InvalidArgument — null MX, or a malformed domain name
// (permanent); Unavailable — timeout, SERVFAIL, a DNSSEC-bogus answer, no usable address for any
// MX host (transient: retry later).
//
// Thread-safety: Lookup may be called from several threads at once (each call uses its own
// resolver context).
//
// SECURITY: DNS answers are untrusted. At most kMaxMxHosts hosts and kMaxAddressesPerMxHost
// addresses each are used; MX targets must be plain host names (letters, digits, '-', '.'; no
// compression pointers or binary labels accepted from the rdata), and every lookup is bounded by
// one overall deadline. A bogus (DNSSEC-failed) answer is never used.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace sealpost::delivery {

inline constexpr size_t kMaxMxHosts = 10;
inline constexpr size_t kMaxAddressesPerMxHost = 4;

// The DNSSEC validation state of an answer (RFC 4033 §5). Without a trust anchor every answer is
// kInsecure. kBogus is reported only by ValidationStateName; Lookup refuses bogus answers.
enum class DnssecState { kSecure, kInsecure, kBogus };
std::string_view DnssecStateName(DnssecState state);

struct MxHost {
  std::string name;  // lower case, no trailing dot
  uint16_t preference = 0;
  std::vector<std::string> addresses;  // IP literals, IPv4 first
};

struct MxLookup {
  std::vector<MxHost> hosts;  // preference order; never empty on success
  bool implicit_mx = false;   // no MX records: the domain itself (RFC 5321 §5.1)
  // kSecure only when every answer used (the MX set and every address set) validated as secure.
  DnssecState dnssec = DnssecState::kInsecure;
};

class MxResolver {
 public:
  virtual ~MxResolver() = default;
  // `domain`: a domain name (checked; at most 253 bytes).
  virtual Result<MxLookup> Lookup(std::string_view domain) const = 0;
};

struct DnsResolverOptions {
  // "IP" or "IP@port" of a recursive resolver to forward every query to; empty = the servers of
  // /etc/resolv.conf. (Tests point it at a private authoritative server; see stub_zones.)
  std::string resolver;
  // Zones to ask `resolver` about as an authoritative server (a stub zone) instead of as a
  // recursive resolver, e.g. {"partner.test"} for the tests' NSD. Empty: forward everything.
  std::vector<std::string> stub_zones;
  // A file of DS/DNSKEY trust anchors (e.g. /usr/share/dns/root.key); empty = no validation.
  std::string trust_anchor_file;
  std::chrono::milliseconds timeout{10000};  // the whole Lookup
};

// Checks the options (resolver address, files readable) and returns a resolver.
Result<std::unique_ptr<MxResolver>> MakeUnboundMxResolver(DnsResolverOptions options);

}  // namespace sealpost::delivery
