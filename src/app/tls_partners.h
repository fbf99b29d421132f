// Enforced-TLS partners (docs/tls-partners.md): the administrators' use cases on the partner
// table and the TLS-only policy, and the two look-ups routing makes. Shared by every front end.
//
// Two sources of partners combine here:
//   config  [[delivery.tls_partner]] entries of the config file, given at construction. They are
//           read-only: listed with source "config", never changed or removed through the API.
//   admin   entries administrators keep in the store (store/tls_partners_store.h).
// A domain is in one source only: putting a store entry for a domain the config file lists is
// refused with Conflict. The config file is the operator's deliberate, reviewed setting (it may
// pin keys); letting an API call silently override it would make the file lie about what is in
// force, and deleting that override would silently bring the file's entry back.
//
// The TLS-only policy lives in the store only: TLS-only delivery may be forbidden everywhere
// and/or for listed domains. A recipient domain for which it is forbidden gets no enforced TLS,
// even when it is a partner (routing then falls back to portal pickup).
//
// Validation: every field is parsed (delivery::ParseTlsPartnerMode, ParseSpkiPin, ParseHostPort,
// NormalizeDomainName), then the whole entry is checked by delivery::ValidateTlsPartnerPolicy.
// A refusal is InvalidArgument whose text names the field ("pins[1]: ...") and is shown to the
// client. Counts are bounded by crypto/security_policy.h (kTlsPartnerTable).
//
// SECURITY: every field is administrator input from the network; the use cases check the caller
// is an administrator (PermissionDenied otherwise) before looking at it. Every change is audited
// in the same transaction as the change. The look-ups see recipient domains (untrusted) and only
// compare them. Thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "app/auth_context.h"
#include "app/services.h"
#include "delivery/tls_partner_policy.h"

namespace sealpost::app {

struct TlsPartnerView {
  delivery::TlsPartnerPolicy policy;
  std::string source;  // "config" or "admin"
  // Admin entries only.
  std::optional<std::string> added_by;  // user id
  std::optional<TimePoint> added_at;
  std::optional<std::string> updated_by;
  std::optional<TimePoint> updated_at;
};

// What an administrator submits, as text; parsed and validated by Put.
struct TlsPartnerInput {
  std::string domain;
  std::string mode = "verify";    // "verify" or "pin"
  std::vector<std::string> pins;  // hex or base64, optional "sha256/" prefix
  std::string override_host;      // "" or host, host:port, [v6]:port
};

struct TlsOnlyPolicy {
  bool forbid_everywhere = false;
  std::vector<std::string> forbidden_domains;  // normalised, sorted, unique
};

struct TlsPartnerPut {
  TlsPartnerView partner;
  bool created = false;
};

class TlsPartners final {
 public:
  // `config_partners` were validated by the config parser (cmd/tls_partner_config.h).
  TlsPartners(const Services& services, std::vector<delivery::TlsPartnerPolicy> config_partners);

  // Administrators. Config entries first (in file order), then the store's by domain.
  Result<std::vector<TlsPartnerView>> List(const AuthContext& ctx) const;
  // NotFound for a domain with no entry (or not a domain name).
  Result<TlsPartnerView> Get(const AuthContext& ctx, std::string_view domain) const;
  // Adds or replaces the store entry for input.domain. InvalidArgument naming the field for a
  // bad value; Conflict for a config domain or when kTlsPartnerTable.max_partners is reached.
  Result<TlsPartnerPut> Put(const AuthContext& ctx, const TlsPartnerInput& input);
  // NotFound when the store has no entry; Conflict for a config domain.
  Status Delete(const AuthContext& ctx, std::string_view domain);

  Result<TlsOnlyPolicy> GetTlsOnlyPolicy(const AuthContext& ctx) const;
  // Replaces the policy. InvalidArgument naming the field ("forbidden_domains[2]: ...").
  Result<TlsOnlyPolicy> SetTlsOnlyPolicy(const AuthContext& ctx, const TlsOnlyPolicy& policy);

  // Routing. The partner policy for a recipient domain (any case, trailing dot allowed), from the
  // config file or the store; nullopt when there is none, the text is not a domain name, or the
  // store cannot be read (logged: mail then takes a method that needs no partner, never plain
  // mail). Does not consider the TLS-only policy: ask TlsOnlyForbidden too.
  std::optional<delivery::TlsPartnerPolicy> Lookup(std::string_view domain) const;
  // Whether TLS-only delivery to `domain` is forbidden (everywhere or for it). Fails closed: true
  // when the store cannot be read or the text is not a domain name.
  bool TlsOnlyForbidden(std::string_view domain) const;

 private:
  const delivery::TlsPartnerPolicy* ConfigEntry(std::string_view domain) const;

  Services s_;
  std::vector<delivery::TlsPartnerPolicy> config_;
};

}  // namespace sealpost::app
