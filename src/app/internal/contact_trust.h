// What a stored contact key is worth at a given time: the one judgement the key directory's list
// (app/contacts.h) and the routing look-up (app/key_directory.h) share, so that both always say
// the same. Re-validated each time from the stored public material: a certificate that expired
// or a trust anchor that was removed changes the answer at once.
//
// The anchors a certificate may chain to: the system CA bundle (Debian's; a path, "" for none),
// the administrators' anchors (store, trust_anchors) and the platform's own CA (Services::pki).
// ContactAnchors builds the OpenSSL store once and again only when the administrators' set
// changed. Thread-safe.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "app/services.h"
#include "smime/smime_writer.h"
#include "smime/trust_anchors.h"
#include "store/keys_store.h"

namespace sealpost::app::internal {

enum class KeyStatus {
  kTrusted,            // usable: chains to an anchor, or a valid OpenPGP key
  kNeedsVerification,  // a certificate that does not chain and was not personally verified
  kRefused,            // not usable now; `problem` says why
};

struct KeyAssessment {
  KeyStatus status = KeyStatus::kRefused;
  std::string problem;  // a slug (smime::CertificateProblemSlug, pgp::KeyProblemName, "revoked")
  std::string detail;   // describes the key only; for the log and the member
  bool chains = false;  // S/MIME: chains to an anchor (else usable only once verified)
};

class ContactAnchors final {
 public:
  ContactAnchors(Services services, std::string ca_bundle_path)
      : s_(services), bundle_path_(std::move(ca_bundle_path)) {}

  // The anchors now (re-read from the store; rebuilt only when they changed); nullopt when there
  // is none at all (no bundle, no administrator's anchor, no platform CA).
  Result<std::optional<smime::TrustAnchors>> Current();

 private:
  Services s_;
  std::string bundle_path_;
  std::mutex mu_;
  std::string cached_key_;  // the administrators' anchor fingerprints the cache was built from
  std::optional<smime::TrustAnchors> cached_;
};

// `key` at `now` against `anchors` (none: nothing chains). S/MIME: smime::ValidateCertificate for
// encryption to the key's address; a certificate that does not chain is trusted only once
// personally verified. OpenPGP: pgp::ImportPublicKey's rules at `now`. A key marked revoked is
// refused.
KeyAssessment AssessContactKey(const store::ContactKeyRecord& key,
                               const std::optional<smime::TrustAnchors>& anchors, TimePoint now);

// AssessContactKey for an OpenPGP entry whose material pgp::ImportPublicKey has just accepted for
// the entry's address at `now`: the same answer without parsing the key again (each parse checks
// every user ID's self-signature, which is most of an import's time for a key with many).
KeyAssessment AssessAcceptedOpenPgpKey(const store::ContactKeyRecord& key, TimePoint now);

// The SMIMECapabilities of a contact's signed mail as the key directory records them
// (store::ContactKeyRecord::smime_capabilities) and back. "" means none seen (nullopt); an
// unknown word in the record is ignored.
std::string CapabilitiesRecord(const std::optional<smime::RecipientCapabilities>& capabilities);
std::optional<smime::RecipientCapabilities> RecordedCapabilities(std::string_view record);

}  // namespace sealpost::app::internal
