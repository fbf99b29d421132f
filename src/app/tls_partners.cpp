#include "app/tls_partners.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "app/access.h"
#include "app/internal/audit_event.h"
#include "crypto/security_policy.h"

namespace sealpost::app {
namespace {

using crypto::policy::kTlsPartnerTable;

constexpr const char* kSourceConfig = "config";
constexpr const char* kSourceAdmin = "admin";

constexpr std::string_view kEverywhere = store::kAllDomains;

bool Covers(const std::vector<std::string>& scope, std::string_view domain) {
  return std::find(scope.begin(), scope.end(), kEverywhere) != scope.end() ||
         std::find(scope.begin(), scope.end(), domain) != scope.end();
}

Status NotYours(std::string_view owner) {
  return PermissionDenied(
             owner == kEverywhere
                 ? std::string("instance-wide TLS partners are managed by instance administrators")
                 : fmt::format("you do not administer the domain {}", owner))
      .ShownToClient();
}

// A refusal of `field`, for the client: "pins[1]: pin is neither valid hex nor ...".
Status FieldError(std::string_view field, const Status& cause) {
  return InvalidArgument(fmt::format("{}: {}", field, cause.message())).ShownToClient();
}

store::TlsPartnerModeCode CodeOf(delivery::TlsPartnerMode mode) {
  return mode == delivery::TlsPartnerMode::kPin ? store::TlsPartnerModeCode::kPin
                                                : store::TlsPartnerModeCode::kVerify;
}

// Store rows hold what Put validated; a row that no longer parses (edited by hand) is skipped
// by the look-up and shown with what could be read.
delivery::TlsPartnerPolicy PolicyOf(const store::TlsPartnerRecord& r) {
  delivery::TlsPartnerPolicy p;
  p.domain = r.domain;
  p.mode = r.mode == store::TlsPartnerModeCode::kPin ? delivery::TlsPartnerMode::kPin
                                                     : delivery::TlsPartnerMode::kVerify;
  for (const std::string& hex : r.pins_hex) {
    auto pin = delivery::ParseSpkiPin(hex);
    if (pin.ok()) p.pins.push_back(*pin);
  }
  p.override_host = r.override_host;
  p.override_port = r.override_port;
  return p;
}

TlsPartnerView ViewOf(const store::TlsPartnerRecord& r, bool editable) {
  TlsPartnerView v;
  v.policy = PolicyOf(r);
  v.source = kSourceAdmin;
  v.owner_domain = r.owner_domain;
  v.editable = editable;
  v.added_by = r.added_by.str();
  v.added_at = r.added_at;
  v.updated_by = r.updated_by.str();
  v.updated_at = r.updated_at;
  return v;
}

TlsPartnerView ConfigView(const delivery::TlsPartnerPolicy& p) {
  TlsPartnerView v;
  v.policy = p;
  v.source = kSourceConfig;
  return v;
}

// The parsed and validated entry, or InvalidArgument naming the field.
Result<delivery::TlsPartnerPolicy> ParseInput(const TlsPartnerInput& in) {
  delivery::TlsPartnerPolicy p;
  auto domain = delivery::NormalizeDomainName(in.domain);
  if (!domain.ok()) return FieldError("domain", domain.status());
  p.domain = std::move(*domain);
  auto mode = delivery::ParseTlsPartnerMode(in.mode);
  if (!mode.ok()) return FieldError("mode", mode.status());
  p.mode = *mode;
  if (p.mode == delivery::TlsPartnerMode::kPin && in.pins.empty()) {
    return InvalidArgument("pins: mode \"pin\" needs at least one pin").ShownToClient();
  }
  if (p.mode == delivery::TlsPartnerMode::kVerify && !in.pins.empty()) {
    return InvalidArgument("pins: pins are only used with mode \"pin\"; remove them or change mode")
        .ShownToClient();
  }
  if (in.pins.size() > delivery::kMaxTlsPartnerPins) {
    return InvalidArgument(fmt::format("pins: at most {} pins, got {}",
                                       delivery::kMaxTlsPartnerPins, in.pins.size()))
        .ShownToClient();
  }
  for (size_t i = 0; i < in.pins.size(); ++i) {
    auto pin = delivery::ParseSpkiPin(in.pins[i]);
    if (!pin.ok()) return FieldError(fmt::format("pins[{}]", i), pin.status());
    if (std::find(p.pins.begin(), p.pins.end(), *pin) != p.pins.end()) {
      return InvalidArgument(fmt::format("pins[{}]: the same pin is listed twice", i))
          .ShownToClient();
    }
    p.pins.push_back(*pin);
  }
  if (!in.override_host.empty()) {
    auto hp = delivery::ParseHostPort(in.override_host);
    if (!hp.ok()) return FieldError("override", hp.status());
    p.override_host = std::move(hp->host);
    p.override_port = hp->port;
  }
  // The one rule set the config file is held to, on the whole entry.
  const Status valid = delivery::ValidateTlsPartnerPolicy(p);
  if (!valid.ok()) return FieldError("partner", valid);
  return p;
}

std::string PartnerDetails(const delivery::TlsPartnerPolicy& p, const std::string& owner) {
  nlohmann::json pins = nlohmann::json::array();
  for (const auto& pin : p.pins) pins.push_back(HexEncode(ByteView(pin.data(), pin.size())));
  nlohmann::json d = {{"domain", p.domain},
                      {"owner_domain", owner},
                      {"mode", delivery::TlsPartnerModeName(p.mode)},
                      {"pins", pins}};
  if (!p.override_host.empty()) {
    d["override"] = p.override_port == 0 ? p.override_host
                                         : fmt::format("{}:{}", p.override_host, p.override_port);
  }
  return d.dump();
}

}  // namespace

TlsPartners::TlsPartners(const Services& services,
                         std::vector<delivery::TlsPartnerPolicy> config_partners)
    : s_(services), config_(std::move(config_partners)) {}

const delivery::TlsPartnerPolicy* TlsPartners::ConfigEntry(std::string_view domain) const {
  for (const auto& p : config_) {
    if (p.domain == domain) return &p;
  }
  return nullptr;
}

Result<std::string> TlsPartners::OwnerFor(const AuthContext& ctx,
                                          std::string_view requested) const {
  SP_ASSIGN_OR_RETURN(const std::vector<std::string> scope,
                      Access(s_.store).DomainsWith(ctx, Permission::kManagePolicies));
  if (scope.empty()) return PermissionDenied("administrators only");
  if (!requested.empty()) {
    auto owner = NormaliseDomainScope(requested);
    if (!owner.ok()) {
      return InvalidArgument("owner_domain: must be \"*\" or a mail domain").ShownToClient();
    }
    if (!Covers(scope, *owner)) return NotYours(*owner);
    return *owner;
  }
  if (Covers(scope, kEverywhere)) return std::string(kEverywhere);
  const std::string own(DomainOf(ctx.user.email));
  if (Covers(scope, own)) return own;
  if (scope.size() == 1) return scope.front();
  return InvalidArgument(
             "owner_domain: you administer several domains; name the one the entry "
             "belongs to")
      .ShownToClient();
}

Result<std::vector<TlsPartnerView>> TlsPartners::List(const AuthContext& ctx) const {
  SP_ASSIGN_OR_RETURN(const std::vector<std::string> scope,
                      Access(s_.store).DomainsWith(ctx, Permission::kManagePolicies));
  if (scope.empty()) return PermissionDenied("administrators only");
  std::vector<TlsPartnerView> out;
  for (const auto& p : config_) out.push_back(ConfigView(p));
  SP_ASSIGN_OR_RETURN(const auto stored, s_.store.tls_partners().ListTlsPartners());
  for (const auto& r : stored) {
    // Instance-wide entries route every domain's mail: shown to all administrators. Another
    // domain's are not shown at all.
    const bool editable = Covers(scope, r.owner_domain);
    if (editable || r.owner_domain == kEverywhere) out.push_back(ViewOf(r, editable));
  }
  return out;
}

Result<TlsPartnerView> TlsPartners::Get(const AuthContext& ctx, std::string_view domain_text,
                                        std::string_view owner_text) const {
  SP_ASSIGN_OR_RETURN(const std::vector<std::string> scope,
                      Access(s_.store).DomainsWith(ctx, Permission::kManagePolicies));
  if (scope.empty()) return PermissionDenied("administrators only");
  std::string owner;
  if (owner_text == kEverywhere) {
    owner = std::string(kEverywhere);  // readable by every administrator (see List)
  } else {
    SP_ASSIGN_OR_RETURN(owner, OwnerFor(ctx, owner_text));
  }
  auto domain = delivery::NormalizeDomainName(domain_text);
  if (!domain.ok()) return NotFound("TLS partner not found");
  if (const auto* c = ConfigEntry(*domain)) return ConfigView(*c);
  SP_ASSIGN_OR_RETURN(const auto r, s_.store.tls_partners().GetTlsPartner(owner, *domain));
  return ViewOf(r, Covers(scope, owner));
}

Result<TlsPartnerPut> TlsPartners::Put(const AuthContext& ctx, const TlsPartnerInput& input) {
  SP_ASSIGN_OR_RETURN(const std::string owner, OwnerFor(ctx, input.owner_domain));
  SP_ASSIGN_OR_RETURN(const delivery::TlsPartnerPolicy policy, ParseInput(input));
  if (ConfigEntry(policy.domain) != nullptr) {
    return Conflict(fmt::format("{} is a TLS partner in the config file; change it there",
                                policy.domain))
        .ShownToClient();
  }
  const TimePoint now = s_.clock.Now();
  store::TlsPartnerRecord record;
  record.owner_domain = owner;
  record.domain = policy.domain;
  record.mode = CodeOf(policy.mode);
  for (const auto& pin : policy.pins) {
    record.pins_hex.push_back(HexEncode(ByteView(pin.data(), pin.size())));
  }
  record.override_host = policy.override_host;
  record.override_port = policy.override_port;
  record.added_by = record.updated_by = ctx.user.id;
  record.added_at = record.updated_at = now;
  bool created = false;
  SP_RETURN_IF_ERROR(s_.store.Write([&](store::WriteTxn& tx) -> Status {
    SP_ASSIGN_OR_RETURN(created, tx.tls_partners().PutTlsPartner(record));
    if (created) {
      // Counted after the insert, in the same transaction: a refusal rolls it back. Each owner
      // has its own quota, so one domain cannot use up another's.
      SP_ASSIGN_OR_RETURN(const int64_t count, tx.tls_partners().CountTlsPartners(owner));
      if (count > static_cast<int64_t>(kTlsPartnerTable.max_partners)) {
        return Conflict(fmt::format("at most {} TLS partners", kTlsPartnerTable.max_partners))
            .ShownToClient();
      }
    }
    return RecordEvent(s_, tx, created ? "tls_partner_added" : "tls_partner_changed",
                       ctx.user.id.str(), record.domain, PartnerDetails(policy, owner));
  }));
  SP_ASSIGN_OR_RETURN(const auto stored,
                      s_.store.tls_partners().GetTlsPartner(owner, record.domain));
  return TlsPartnerPut{ViewOf(stored, true), created};
}

Status TlsPartners::Delete(const AuthContext& ctx, std::string_view domain_text,
                           std::string_view owner_text) {
  SP_ASSIGN_OR_RETURN(const std::string owner, OwnerFor(ctx, owner_text));
  auto domain = delivery::NormalizeDomainName(domain_text);
  if (!domain.ok()) return NotFound("TLS partner not found");
  if (ConfigEntry(*domain) != nullptr) {
    return Conflict(fmt::format("{} is a TLS partner in the config file; remove it there", *domain))
        .ShownToClient();
  }
  return s_.store.Write([&](store::WriteTxn& tx) -> Status {
    SP_RETURN_IF_ERROR(tx.tls_partners().DeleteTlsPartner(owner, *domain));
    return RecordEvent(s_, tx, "tls_partner_deleted", ctx.user.id.str(), *domain,
                       nlohmann::json{{"domain", *domain}, {"owner_domain", owner}}.dump());
  });
}

Result<TlsOnlyPolicy> TlsPartners::GetTlsOnlyPolicy(const AuthContext& ctx) const {
  SP_RETURN_IF_ERROR(Access(s_.store).Require(ctx, Permission::kManagePolicies));
  SP_ASSIGN_OR_RETURN(const auto rules, s_.store.tls_partners().ListTlsOnlyRules());
  TlsOnlyPolicy out;
  for (const auto& r : rules) {
    if (r.domain == store::kTlsOnlyEverywhere) {
      out.forbid_everywhere = true;
    } else {
      out.forbidden_domains.push_back(r.domain);
    }
  }
  return out;
}

Result<TlsOnlyPolicy> TlsPartners::SetTlsOnlyPolicy(const AuthContext& ctx,
                                                    const TlsOnlyPolicy& policy) {
  SP_RETURN_IF_ERROR(Access(s_.store).Require(ctx, Permission::kManagePolicies));
  if (policy.forbidden_domains.size() > kTlsPartnerTable.max_tls_only_rules) {
    return InvalidArgument(fmt::format("forbidden_domains: at most {} domains",
                                       kTlsPartnerTable.max_tls_only_rules))
        .ShownToClient();
  }
  std::set<std::string> domains;
  for (size_t i = 0; i < policy.forbidden_domains.size(); ++i) {
    auto d = delivery::NormalizeDomainName(policy.forbidden_domains[i]);
    if (!d.ok()) return FieldError(fmt::format("forbidden_domains[{}]", i), d.status());
    domains.insert(std::move(*d));
  }
  const TimePoint now = s_.clock.Now();
  std::vector<store::TlsOnlyRuleRecord> rules;
  if (policy.forbid_everywhere) rules.push_back({store::kTlsOnlyEverywhere, ctx.user.id, now});
  for (const auto& d : domains) rules.push_back({d, ctx.user.id, now});
  TlsOnlyPolicy out{policy.forbid_everywhere, {domains.begin(), domains.end()}};
  SP_RETURN_IF_ERROR(s_.store.Write([&](store::WriteTxn& tx) -> Status {
    SP_RETURN_IF_ERROR(tx.tls_partners().ReplaceTlsOnlyRules(rules));
    return RecordEvent(s_, tx, "tls_only_policy_set", ctx.user.id.str(), "tls-only",
                       nlohmann::json{{"forbid_everywhere", out.forbid_everywhere},
                                      {"forbidden_domains", out.forbidden_domains}}
                           .dump());
  }));
  return out;
}

std::optional<delivery::TlsPartnerPolicy> TlsPartners::StoredEntry(
    const std::string& owner, const std::string& domain) const {
  auto r = s_.store.tls_partners().GetTlsPartner(owner, domain);
  if (!r.ok()) {
    if (r.status().code() != ErrorCode::kNotFound) {
      spdlog::warn("TLS partner look-up for {}: {}", domain, r.status().ToString());
    }
    return std::nullopt;
  }
  delivery::TlsPartnerPolicy p = PolicyOf(*r);
  // A row that does not hold a valid entry any more is no partner (fail closed).
  if (!delivery::ValidateTlsPartnerPolicy(p).ok() || p.pins.size() != r->pins_hex.size()) {
    spdlog::warn("TLS partner {} of {}: the stored entry is not valid; ignored", domain, owner);
    return std::nullopt;
  }
  return p;
}

std::optional<delivery::TlsPartnerPolicy> TlsPartners::Lookup(std::string_view sender_domain,
                                                              std::string_view domain_text) const {
  auto domain = delivery::NormalizeDomainName(domain_text);
  if (!domain.ok()) return std::nullopt;
  if (const auto* c = ConfigEntry(*domain)) return *c;
  // The sender's organisation first: its own entry wins over the instance-wide one.
  auto owner = delivery::NormalizeDomainName(sender_domain);
  if (owner.ok()) {
    if (auto own = StoredEntry(*owner, *domain)) return own;
  }
  return StoredEntry(store::kInstanceWide, *domain);
}

bool TlsPartners::TlsOnlyForbidden(std::string_view domain_text) const {
  auto domain = delivery::NormalizeDomainName(domain_text);
  if (!domain.ok()) return true;
  auto forbidden = s_.store.tls_partners().IsTlsOnlyForbidden(*domain);
  if (!forbidden.ok()) {
    spdlog::warn("TLS-only policy look-up for {}: {}", *domain, forbidden.status().ToString());
    return true;
  }
  return *forbidden;
}

}  // namespace sealpost::app
