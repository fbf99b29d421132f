// The key directory's look-up for routing: which of a contact's keys a member's message may be
// encrypted to now. The routing policy (delivery) asks; the directory answers from the store.
//
// UsableKeysFor re-validates every candidate at the moment of the call (app/internal/
// contact_trust.h), so an expired certificate, a deleted or revoked key, or a removed trust anchor
// changes routing at once, with nothing cached but the parsed anchors. Within one send (one
// moment) the send's importer and assessor keep what they read, so that a key or certificate
// shared by many recipients is checked once.
//
// SECURITY: `address` may come from a sender's recipient list (untrusted); it is only compared.
// Thread-safe.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "app/services.h"
#include "core/address.h"
#include "pgp/public_key.h"
#include "smime/certificate.h"
#include "smime/trust_anchors.h"
#include "store/keys_store.h"

namespace sealpost::app {

namespace internal {
class ContactAnchors;
class ContactCertificateAssessor;
}  // namespace internal

struct KeyDirectoryOptions {
  // The system CA bundle certificates may chain to (besides the administrators' anchors and the
  // platform CA); "" for none (tests).
  std::string ca_bundle_path = std::string(smime::kDebianCaBundlePath);
};

// The best usable key of each kind, if any.
struct UsableKeys {
  std::optional<store::ContactKeyRecord> smime;    // trusted or personally verified, valid now
  std::optional<store::ContactKeyRecord> openpgp;  // valid now
  // `openpgp` as parsed and checked for the address while it was judged: a copy encrypts to it
  // without parsing the key again.
  std::optional<pgp::ContactKey> openpgp_key;
  // `smime` as parsed while it was judged: a copy encrypts to it without parsing it again.
  std::optional<smime::Certificate> smime_certificate;
};

class KeyDirectory final {
 public:
  explicit KeyDirectory(const Services& services, KeyDirectoryOptions options = {});

  // For `owner`'s message to `address`: the owner's own entries first, then organisation-wide
  // ones; within each, the newest usable one. Errors only when the store fails. With `importer`,
  // OpenPGP keys are judged by it (each distinct key read once, at its time); with `assessor`,
  // S/MIME certificates are (each distinct certificate checked once, at its time, against the
  // anchors it read first). A send passes both for all its recipients.
  Result<UsableKeys> UsableKeysFor(const UserId& owner, const EmailAddress& address,
                                   pgp::PublicKeyImporter* importer = nullptr,
                                   internal::ContactCertificateAssessor* assessor = nullptr) const;

 private:
  Services s_;
  std::shared_ptr<internal::ContactAnchors> anchors_;
};

}  // namespace sealpost::app
