// The `[[delivery.tls_partner]]` tables of the config file (docs/tls-partners.md):
//
//   [[delivery.tls_partner]]
//   domain = "partner.example"      # required
//   tls = "verify"                  # "verify" (default) or "pin"
//   pins = ["sha256/<base64>", "<64 hex digits>"]   # pin mode only: SPKI SHA-256
//   host = "mx.partner.example:2525"                 # optional: instead of the MX lookup
//
// Errors name the entry and the key: "delivery.tls_partner[2] (partner.example): pins[0]: ...".
// Unknown keys, a domain listed twice and more than kMaxTlsPartners entries are errors.
//
// SECURITY: operator input parsed to the untrusted-input standard (config_fuzz feeds it): wrong
// types and bad values are errors, never a crash.
#pragma once

#include <vector>

#include <toml++/toml.h>

#include "core/status.h"
#include "delivery/tls_partner_policy.h"

namespace sealpost::cmd {

inline constexpr size_t kMaxTlsPartners = 10000;

// `node` is the value of delivery.tls_partner (an array of tables).
Result<std::vector<delivery::TlsPartnerPolicy>> ParseTlsPartners(const toml::node& node);

}  // namespace sealpost::cmd
