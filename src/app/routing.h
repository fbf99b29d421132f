// Routing: how one recipient of a member's message is reached (issue 12, "Routing"). The
// strongest method available wins:
//
//   member mailbox  >  S/MIME  >  OpenPGP  >  enforced TLS  >  portal pickup
//
//   member   the address belongs to an active member: the copy lands in their mailbox;
//   smime    the key directory holds a usable certificate for the address (KeyDirectory);
//   openpgp  the key directory holds a usable OpenPGP key;
//   tls      the address's domain is a TLS partner and TLS-only delivery is not forbidden for it;
//   pickup   everyone else: a notification with a link, opened with the Message Unlock Code.
//
// Two things move a recipient down to pickup: the sender forcing pickup for the message, and a
// sender who has no certified keys (the platform PKI is unset, or their keys were never made) —
// an S/MIME or OpenPGP copy is signed by the sender, so without keys it cannot be made. A
// forced pickup does not move a member: their mailbox is the portal.
//
// DecideRoute is the decision alone (pure, for the tests); Routing looks up the facts (the
// accounts, the key directory, the partner table) and calls it. The partner look-up and the
// TLS-only ban are functions so that the config-file partners and the store-backed partner table
// can both answer.
//
// SECURITY: addresses come from a sender's recipient list or a Compose hint request (untrusted):
// they are parsed (EmailAddress) and only compared and looked up. Labels hold the partner's
// configured host or domain, never anything from DNS. Thread-safe (no state of its own).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "app/key_directory.h"
#include "app/services.h"
#include "core/address.h"
#include "delivery/tls_partner_policy.h"
#include "pgp/public_key.h"
#include "smime/certificate.h"
#include "store/keys_store.h"
#include "store/records.h"

namespace sealpost::app {

enum class RouteMethod { kMember, kSmime, kOpenPgp, kTls, kPickup };

// "member", "smime", "openpgp", "tls", "pickup": the slug of the API and of the evidence
// (message.send "method"; "mailbox" stays the evidence name of kMember, see EvidenceMethodName).
std::string_view RouteMethodSlug(RouteMethod method);
// The method name the message.send evidence leaf carries: "mailbox" for members (as before
// routing existed), otherwise the slug.
std::string_view EvidenceMethodName(RouteMethod method);

// The TLS partner policy of a domain (lower-case), if it is a partner for mail of members of
// `sender_domain` (each organisation keeps its own partners beside the instance's).
using TlsPartnerLookup = std::function<std::optional<delivery::TlsPartnerPolicy>(
    std::string_view sender_domain, std::string_view domain)>;
// Whether an administrator forbade TLS-only delivery for a domain (or globally).
using TlsOnlyForbidden = std::function<bool(std::string_view domain)>;

struct RoutingPolicy {
  TlsPartnerLookup tls_partner;         // unset: no partners
  TlsOnlyForbidden tls_only_forbidden;  // unset: nothing forbidden
};

// The facts the decision needs, looked up by Routing.
struct RouteFacts {
  bool member = false;
  bool usable_smime = false;
  bool usable_openpgp = false;
  std::optional<delivery::TlsPartnerPolicy> partner;
  bool tls_only_forbidden = false;
  bool force_pickup = false;
  bool sender_has_keys = true;  // the sender's certified S/MIME and OpenPGP keys exist
};

RouteMethod DecideRoute(const RouteFacts& facts);

// What Compose shows: "Member", "S/MIME", "OpenPGP", "TLS to <override host, else the domain>",
// "Secure pickup — unlock code needed" / "Secure pickup". No DNS: the MX is known only when the
// copy goes.
std::string RouteLabel(RouteMethod method, const std::optional<delivery::TlsPartnerPolicy>& partner,
                       bool needs_muc);

// One recipient's route with what delivering it needs.
struct Route {
  EmailAddress address;
  RouteMethod method = RouteMethod::kPickup;
  std::string label;
  // Pickup only: the address has no usable MUC, so this message must bring one.
  bool needs_muc = false;
  std::optional<store::UserRecord> member;              // kMember
  std::optional<store::ContactKeyRecord> key;           // kSmime, kOpenPgp
  std::optional<pgp::ContactKey> openpgp_key;           // kOpenPgp: `key` as routing parsed it
  std::optional<smime::Certificate> smime_certificate;  // kSmime: `key` as routing parsed it
  std::optional<delivery::TlsPartnerPolicy> partner;    // kTls
};

struct RouteOptions {
  bool force_pickup = false;
  bool sender_has_keys = true;
  // Reads each OpenPGP key once for all the routes it serves (a send's recipients); unset: each
  // route reads its key itself. Not owned.
  pgp::PublicKeyImporter* openpgp_importer = nullptr;
  // The same for S/MIME certificates (each checked once against the send's anchors). Not owned.
  internal::ContactCertificateAssessor* smime_assessor = nullptr;
};

// Compose's hint for one typed address (GET /api/v1/contacts/methods).
struct MethodHint {
  std::string address;  // normalised
  RouteMethod method = RouteMethod::kPickup;
  std::string label;
  bool needs_muc = false;
};

inline constexpr size_t kMaxMethodHints = 100;  // addresses per request

class Routing final {
 public:
  // `directory` may be null (no key directory: nobody is reached by S/MIME or OpenPGP).
  Routing(const Services& services, const KeyDirectory* directory, RoutingPolicy policy)
      : s_(services), directory_(directory), policy_(std::move(policy)) {}
  // With what the composition root wired into `services` (key_directory, tls_partner,
  // tls_only_forbidden).
  explicit Routing(const Services& services)
      : Routing(services, services.key_directory,
                {services.tls_partner, services.tls_only_forbidden}) {}

  // The route to `address` for a message of `sender`. A member who cannot receive messages
  // (disabled, not yet active) is InvalidArgument (shown to the client); store failures are
  // errors.
  Result<Route> RouteFor(const UserId& sender, const EmailAddress& address,
                         const RouteOptions& options) const;

  // The hints for `addresses` as `sender` would send now. InvalidArgument (shown to the client)
  // for more than kMaxMethodHints addresses or one that does not parse, naming it.
  Result<std::vector<MethodHint>> Hints(const UserId& sender,
                                        const std::vector<std::string>& addresses,
                                        bool force_pickup = false) const;

  // Whether `sender` has certified keys to sign secure copies with.
  Result<bool> SenderHasKeys(const UserId& sender) const;

 private:
  Services s_;
  const KeyDirectory* directory_;
  RoutingPolicy policy_;
};

}  // namespace sealpost::app
