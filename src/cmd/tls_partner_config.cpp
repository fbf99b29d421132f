#include "cmd/tls_partner_config.h"

#include <set>
#include <string>

#include <fmt/format.h>

namespace sealpost::cmd {
namespace {

Result<delivery::TlsPartnerPolicy> ParseEntry(const toml::table& t, const std::string& where) {
  const auto err = [&](std::string_view what) {
    return InvalidArgument(fmt::format("{}: {}", where, what));
  };
  for (const auto& [key, value] : t) {
    const std::string k(key.str());
    if (k != "domain" && k != "tls" && k != "pins" && k != "host") {
      return err("unknown key " + k + " (domain, tls, pins, host)");
    }
  }
  delivery::TlsPartnerPolicy p;
  const auto domain = t["domain"].value<std::string>();
  if (!domain) return err("domain (a string) is required");
  Result<std::string> normal = delivery::NormalizeDomainName(*domain);
  if (!normal.ok()) return err("domain: " + normal.status().message());
  p.domain = *normal;
  const std::string named = fmt::format("{} ({})", where, p.domain);

  if (const toml::node* tls = t.get("tls")) {
    const auto text = tls->value<std::string>();
    if (!text) return InvalidArgument(named + ": tls must be a string");
    Result<delivery::TlsPartnerMode> mode = delivery::ParseTlsPartnerMode(*text);
    if (!mode.ok()) return InvalidArgument(named + ": " + mode.status().message());
    p.mode = *mode;
  }
  if (const toml::node* pins = t.get("pins")) {
    const toml::array* list = pins->as_array();
    if (!list) return InvalidArgument(named + ": pins must be an array of strings");
    if (list->size() > delivery::kMaxTlsPartnerPins) {
      return InvalidArgument(
          fmt::format("{}: at most {} pins", named, delivery::kMaxTlsPartnerPins));
    }
    for (size_t i = 0; i < list->size(); ++i) {
      const auto text = (*list)[i].value<std::string>();
      if (!text) return InvalidArgument(fmt::format("{}: pins[{}] must be a string", named, i));
      Result<delivery::SpkiSha256> pin = delivery::ParseSpkiPin(*text);
      if (!pin.ok()) {
        return InvalidArgument(fmt::format("{}: pins[{}]: {}", named, i, pin.status().message()));
      }
      p.pins.push_back(*pin);
    }
  }
  if (const toml::node* host = t.get("host")) {
    const auto text = host->value<std::string>();
    if (!text) return InvalidArgument(named + ": host must be a string \"host[:port]\"");
    Result<delivery::HostPort> hp = delivery::ParseHostPort(*text);
    if (!hp.ok()) return InvalidArgument(named + ": host: " + hp.status().message());
    p.override_host = hp->host;
    p.override_port = hp->port;
  }
  if (Status s = delivery::ValidateTlsPartnerPolicy(p); !s.ok()) {
    return InvalidArgument(fmt::format("{}: {}", where, s.message()));
  }
  return p;
}

}  // namespace

Result<std::vector<delivery::TlsPartnerPolicy>> ParseTlsPartners(const toml::node& node) {
  const toml::array* list = node.as_array();
  if (!list) {
    return InvalidArgument(
        "delivery.tls_partner must be an array of tables ([[delivery.tls_partner]])");
  }
  if (list->size() > kMaxTlsPartners) {
    return InvalidArgument(
        fmt::format("delivery.tls_partner: at most {} entries", kMaxTlsPartners));
  }
  std::vector<delivery::TlsPartnerPolicy> out;
  std::set<std::string> seen;
  for (size_t i = 0; i < list->size(); ++i) {
    const std::string where = fmt::format("delivery.tls_partner[{}]", i);
    const toml::table* t = (*list)[i].as_table();
    if (!t) return InvalidArgument(where + " must be a table");
    SP_ASSIGN_OR_RETURN(delivery::TlsPartnerPolicy p, ParseEntry(*t, where));
    if (!seen.insert(p.domain).second) {
      return InvalidArgument(fmt::format("{}: domain {} is listed twice", where, p.domain));
    }
    out.push_back(std::move(p));
  }
  return out;
}

}  // namespace sealpost::cmd
