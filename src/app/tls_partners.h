// Enforced-TLS partners (docs/tls-partners.md): the administrators' use cases on the partner
// table and the TLS-only policy, and the two look-ups routing makes. Shared by every front end.
//
// Two sources of partners combine here:
//   config  [[delivery.tls_partner]] entries of the config file, given at construction. They are
//           instance-wide and read-only: listed with source "config", never changed or removed
//           through the API.
//   admin   entries administrators keep in the store (store/tls_partners_store.h). Each belongs to
//           an owner: an organisation domain (a mail domain of the instance) or the whole
//           instance ("*").
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
// Who manages what (app/access.h, Permission::kManagePolicies): an administrator of a domain lists,
// adds, changes and removes that domain's entries; an administrator of "*" (the is_admin flag
// included) those of every domain and the instance-wide ones. A domain administrator sees the
// config and instance-wide entries (they route their members' mail) but cannot change them; an
// entry of a domain they do not administer is PermissionDenied (403), never shown. The TLS-only
// policy is instance-wide: "*" administrators only.
//
// Routing (Lookup) uses the sender's organisation: the config entry, else the sender domain's own
// entry, else the instance-wide one — a domain's own entry wins over the instance's.
//
// SECURITY: every field is administrator input from the network; the use cases check the
// caller's permission over the owner domain (PermissionDenied otherwise) before changing anything.
// Every change is audited in the same transaction as the change. The look-ups see recipient domains
// (untrusted) and only compare them. Thread-safe.
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
  std::string source;                               // "config" or "admin"
  std::string owner_domain = store::kInstanceWide;  // "*" for config and instance-wide entries
  bool editable = false;                            // the caller may change or remove it
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
  // "" = the caller's own (OwnerFor), "*" = instance-wide, else a mail domain.
  std::string owner_domain;
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

  // The owner an entry of the caller's goes to when they name none: "*" for an administrator of
  // "*"; else the domain of their own address when they administer it, else the one domain they
  // administer (InvalidArgument asking for owner_domain when there are several). `requested`
  // ("" or "*" or a domain) is checked: PermissionDenied unless the caller administers it.
  Result<std::string> OwnerFor(const AuthContext& ctx, std::string_view requested) const;

  // Administrators. Config entries first (in file order), then the store's the caller may see
  // (instance-wide ones and those of the domains they administer), by domain then owner.
  Result<std::vector<TlsPartnerView>> List(const AuthContext& ctx) const;
  // NotFound for a domain with no entry (or not a domain name). `owner` as in OwnerFor; a config
  // entry is found whatever the owner.
  Result<TlsPartnerView> Get(const AuthContext& ctx, std::string_view domain,
                             std::string_view owner = "") const;
  // Adds or replaces the owner's store entry for input.domain. InvalidArgument naming the field
  // for a bad value; Conflict for a config domain or when the owner holds
  // kTlsPartnerTable.max_partners entries.
  Result<TlsPartnerPut> Put(const AuthContext& ctx, const TlsPartnerInput& input);
  // NotFound when the owner has no entry; Conflict for a config domain.
  Status Delete(const AuthContext& ctx, std::string_view domain, std::string_view owner = "");

  Result<TlsOnlyPolicy> GetTlsOnlyPolicy(const AuthContext& ctx) const;
  // Replaces the policy. InvalidArgument naming the field ("forbidden_domains[2]: ...").
  Result<TlsOnlyPolicy> SetTlsOnlyPolicy(const AuthContext& ctx, const TlsOnlyPolicy& policy);

  // Routing. The partner policy for a recipient domain (any case, trailing dot allowed) of mail
  // a member of `sender_domain` sends: the config file's, else that domain's own store entry,
  // else the instance-wide one; nullopt when there is none, the text is not a domain name, or the
  // store cannot be read (logged: mail then takes a method that needs no partner, never plain
  // mail). Does not consider the TLS-only policy: ask TlsOnlyForbidden too.
  std::optional<delivery::TlsPartnerPolicy> Lookup(std::string_view sender_domain,
                                                   std::string_view domain) const;
  // Whether TLS-only delivery to `domain` is forbidden (everywhere or for it). Fails closed: true
  // when the store cannot be read or the text is not a domain name.
  bool TlsOnlyForbidden(std::string_view domain) const;

 private:
  const delivery::TlsPartnerPolicy* ConfigEntry(std::string_view domain) const;
  std::optional<delivery::TlsPartnerPolicy> StoredEntry(const std::string& owner,
                                                        const std::string& domain) const;

  Services s_;
  std::vector<delivery::TlsPartnerPolicy> config_;
};

}  // namespace sealpost::app
