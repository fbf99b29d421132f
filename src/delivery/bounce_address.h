// Bounce addresses (VERP): the envelope sender of each mail Sealpost sends names that mail, so a
// delivery status notification that comes back to it (RFC 3464, sent to the envelope sender:
// RFC 5321 §4.5.5) tells which secure copy or which system mail it is about.
//
//   bounces+<kind><id>-<tag>@<domain>      e.g. bounces+c0123…cdef-5f2a…19@mail.example.org
//
// kind: 'c' a secure copy (app/secure_delivery.h), 'm' a mail of the outbound queue; id: its 32
// lower-case hex characters; tag: the first 10 bytes (80 bits) of HMAC-SHA256 under the
// platform's bounce key over "sealpost/bounce/v1|<kind>|<id>", in hex. The local part is 62
// characters (RFC 5321 allows 64). Why a MAC: the address is public (every recipient's server
// sees it), and a report to it marks a recipient failed and mails the sender; without the tag
// anyone who saw or guessed one id could fail it, and ids of other copies are not secret enough
// to rely on. 80 bits cannot be guessed one SMTP transaction at a time. The key is random and
// kept under the master key (app/delivery_reports.h), not derived from it, so a rotation of the
// master key re-wraps it and old addresses keep working.
//
// Pure; thread-safe. SECURITY: ParseBounceAddress sees any RCPT TO of the inbound MX; it checks
// the tag in constant time and says nothing about why an address is not one.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "crypto/secret_bytes.h"

namespace sealpost::delivery {

enum class BounceKind : char { kSecureCopy = 'c', kSystemMail = 'm' };

struct BounceTarget {
  BounceKind kind = BounceKind::kSecureCopy;
  std::string id;  // 32 lower-case hex characters (a well-formed id; not checked to exist)
};

inline constexpr std::string_view kBounceLocalPrefix = "bounces+";

// The address for `target` under `key` (32 bytes) at `domain`.
std::string BounceAddress(const crypto::SecretBytes& key, const BounceTarget& target,
                          std::string_view domain);

// The target an address names when it is one of ours: at `domain` (case-insensitive), the
// prefix, a kind, a well-formed id and the right tag. Case-insensitive in the local part (some
// servers fold it). nullopt otherwise.
std::optional<BounceTarget> ParseBounceAddress(const crypto::SecretBytes& key,
                                               std::string_view address, std::string_view domain);

}  // namespace sealpost::delivery
