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

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "app/services.h"
#include "smime/certificate.h"
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

struct ExaminedCertificate;  // contact_trust.cpp

// An S/MIME entry judged by ContactCertificateAssessor, with its certificate as parsed.
struct AssessedCertificate {
  KeyAssessment assessment;
  std::optional<smime::Certificate> leaf;  // nullopt when refused before or at parsing
};

// AssessContactKey for the S/MIME entries of one send (Mailbox::SendAs), where one certificate
// may stand in many entries (a certificate naming many recipients, imported for each): each
// distinct certificate (its bytes and the chain stored beside it) is parsed and checked once —
// policy, emailProtection, keyUsage, the path to an anchor — at `now`, against the anchors the
// first call found; then per entry only its revocation, its address and its personal
// verification are looked at. The answers are AssessContactKey's at `now` against those anchors.
// Not thread-safe; holds the certificates until it goes.
class ContactCertificateAssessor final {
 public:
  explicit ContactCertificateAssessor(TimePoint now);
  ~ContactCertificateAssessor();
  ContactCertificateAssessor(const ContactCertificateAssessor&) = delete;
  ContactCertificateAssessor& operator=(const ContactCertificateAssessor&) = delete;

  // `key` (an S/MIME entry). Errors only when `anchors` cannot be read (first call).
  Result<AssessedCertificate> Assess(const store::ContactKeyRecord& key, ContactAnchors& anchors);
  // The anchors of this send: `source`'s answer at the first call, the same one after it.
  Result<const std::optional<smime::TrustAnchors>*> Anchors(ContactAnchors& source);
  TimePoint now() const { return now_; }
  // How many distinct certificates were parsed and checked (for the tests).
  size_t certificates_examined() const { return examined_.size(); }

 private:
  TimePoint now_;
  bool anchors_read_ = false;
  std::optional<smime::TrustAnchors> anchors_;  // once read: nullopt when there is none
  std::map<std::string, std::unique_ptr<ExaminedCertificate>> examined_;  // by SHA-256
};

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
