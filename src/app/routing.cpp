#include "app/routing.h"

#include <fmt/format.h>

#include "app/internal/contact_trust.h"

namespace sealpost::app {

std::string_view RouteMethodSlug(RouteMethod method) {
  switch (method) {
    case RouteMethod::kMember:
      return "member";
    case RouteMethod::kSmime:
      return "smime";
    case RouteMethod::kOpenPgp:
      return "openpgp";
    case RouteMethod::kTls:
      return "tls";
    case RouteMethod::kPickup:
      return "pickup";
  }
  return "pickup";
}

std::string_view EvidenceMethodName(RouteMethod method) {
  return method == RouteMethod::kMember ? "mailbox" : RouteMethodSlug(method);
}

RouteMethod DecideRoute(const RouteFacts& f) {
  if (f.member) return RouteMethod::kMember;
  if (f.force_pickup) return RouteMethod::kPickup;
  // A secure copy is signed by the sender: without their keys it cannot be made.
  if (f.sender_has_keys && f.usable_smime) return RouteMethod::kSmime;
  if (f.sender_has_keys && f.usable_openpgp) return RouteMethod::kOpenPgp;
  if (f.partner && !f.tls_only_forbidden) return RouteMethod::kTls;
  return RouteMethod::kPickup;
}

std::string RouteLabel(RouteMethod method, const std::optional<delivery::TlsPartnerPolicy>& partner,
                       bool needs_muc) {
  switch (method) {
    case RouteMethod::kMember:
      return "Member";
    case RouteMethod::kSmime:
      return "S/MIME";
    case RouteMethod::kOpenPgp:
      return "OpenPGP";
    case RouteMethod::kTls:
      if (!partner) return "TLS";
      return "TLS to " +
             (partner->override_host.empty() ? partner->domain : partner->override_host);
    case RouteMethod::kPickup:
      break;
  }
  return needs_muc ? "Secure pickup \u2014 unlock code needed" : "Secure pickup";
}

Result<bool> Routing::SenderHasKeys(const UserId& sender) const {
  auto keys = s_.store.accounts().GetMemberKeys(sender);
  if (keys.ok()) return !keys->smime_wrapped_key.empty() && !keys->openpgp_wrapped_key.empty();
  if (keys.status().code() == ErrorCode::kNotFound) return false;
  return keys.status();
}

Result<Route> Routing::RouteFor(const UserId& sender, const EmailAddress& address,
                                const RouteOptions& options) const {
  Route route{address};
  RouteFacts facts;
  facts.force_pickup = options.force_pickup;
  facts.sender_has_keys = options.sender_has_keys;

  auto user = s_.store.accounts().GetUserByEmail(address.str());
  if (user.ok()) {
    if (user->state != store::UserState::kActive || user->disabled) {
      return InvalidArgument("the address " + address.str() +
                             " belongs to a member who cannot receive messages")
          .ShownToClient(Reason::kInvalidRecipient);
    }
    facts.member = true;
    route.member = std::move(*user);
  } else if (user.status().code() != ErrorCode::kNotFound) {
    return user.status();
  }

  if (!facts.member && !facts.force_pickup) {
    if (directory_ != nullptr && facts.sender_has_keys) {
      SP_ASSIGN_OR_RETURN(UsableKeys keys,
                          directory_->UsableKeysFor(sender, address, options.openpgp_importer,
                                                    options.smime_assessor));
      facts.usable_smime = keys.smime.has_value();
      facts.usable_openpgp = keys.openpgp.has_value();
      if (keys.smime) {
        route.key = std::move(keys.smime);
        route.smime_certificate = std::move(keys.smime_certificate);
      } else if (keys.openpgp) {
        route.key = std::move(keys.openpgp);
        route.openpgp_key = std::move(keys.openpgp_key);
      }
    }
    if (policy_.tls_partner) {
      // The sender's organisation decides which partner entry applies.
      auto sender_user = s_.store.accounts().GetUser(sender);
      if (!sender_user.ok() && sender_user.status().code() != ErrorCode::kNotFound) {
        return sender_user.status();
      }
      std::string sender_domain;
      if (sender_user.ok()) {
        const size_t at = sender_user->email.rfind('@');
        if (at != std::string::npos) sender_domain = sender_user->email.substr(at + 1);
      }
      facts.partner = policy_.tls_partner(sender_domain, address.domain());
      facts.tls_only_forbidden = facts.partner && policy_.tls_only_forbidden &&
                                 policy_.tls_only_forbidden(address.domain());
    }
  }
  route.method = DecideRoute(facts);
  if (route.method != RouteMethod::kSmime && route.method != RouteMethod::kOpenPgp) {
    route.key.reset();
  }
  if (route.method != RouteMethod::kOpenPgp) route.openpgp_key.reset();
  if (route.method != RouteMethod::kSmime) route.smime_certificate.reset();
  if (route.method == RouteMethod::kTls) route.partner = std::move(facts.partner);
  if (route.method == RouteMethod::kPickup) {
    auto existing = s_.store.guests().GetGuestAddress(address.str());
    if (!existing.ok() && existing.status().code() != ErrorCode::kNotFound) {
      return existing.status();
    }
    route.needs_muc = !(existing.ok() && existing->failures < s_.config.max_muc_failures);
  }
  route.label = RouteLabel(route.method, route.partner, route.needs_muc);
  return route;
}

Result<std::vector<MethodHint>> Routing::Hints(const UserId& sender,
                                               const std::vector<std::string>& addresses,
                                               bool force_pickup) const {
  if (addresses.size() > kMaxMethodHints) {
    return InvalidArgument(fmt::format("at most {} addresses at once", kMaxMethodHints))
        .ShownToClient(Reason::kInvalidRecipient);
  }
  SP_ASSIGN_OR_RETURN(const bool keys, SenderHasKeys(sender));
  // As a send does: each key or certificate the addresses share is read and checked once.
  const TimePoint now = s_.clock.Now();
  pgp::PublicKeyImporter openpgp_importer(now);
  internal::ContactCertificateAssessor smime_assessor(now);
  const RouteOptions options{force_pickup, keys, &openpgp_importer, &smime_assessor};
  std::vector<MethodHint> out;
  for (const std::string& text : addresses) {
    auto address = EmailAddress::Parse(text);
    if (!address.ok()) {
      return InvalidArgument(fmt::format("address {} is not a valid address", out.size() + 1))
          .ShownToClient(Reason::kInvalidRecipient);
    }
    SP_ASSIGN_OR_RETURN(Route route, RouteFor(sender, *address, options));
    out.push_back({address->str(), route.method, std::move(route.label), route.needs_muc});
  }
  return out;
}

}  // namespace sealpost::app
