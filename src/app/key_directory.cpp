#include "app/key_directory.h"

#include "app/internal/contact_trust.h"

namespace sealpost::app {

KeyDirectory::KeyDirectory(const Services& services, KeyDirectoryOptions options)
    : s_(services),
      anchors_(std::make_shared<internal::ContactAnchors>(services,
                                                          std::move(options.ca_bundle_path))) {}

Result<UsableKeys> KeyDirectory::UsableKeysFor(
    const UserId& owner, const EmailAddress& address, pgp::PublicKeyImporter* importer,
    internal::ContactCertificateAssessor* assessor) const {
  SP_ASSIGN_OR_RETURN(const std::vector<store::ContactKeyRecord> candidates,
                      s_.store.keys().FindContactKeys(owner, address.str()));
  UsableKeys out;
  if (candidates.empty()) return out;
  const TimePoint now = assessor != nullptr ? assessor->now() : s_.clock.Now();
  // Without a send's assessor: one for this call alone (the anchors read now, each certificate
  // checked once).
  std::optional<internal::ContactCertificateAssessor> own;
  if (assessor == nullptr) assessor = &own.emplace(now);
  // The store lists the owner's entries before the organisation's, newest first.
  for (const store::ContactKeyRecord& key : candidates) {
    if (key.kind == store::ContactKeyKind::kSmime) {
      if (out.smime) continue;
      SP_ASSIGN_OR_RETURN(internal::AssessedCertificate assessed, assessor->Assess(key, *anchors_));
      if (assessed.assessment.status == internal::KeyStatus::kTrusted) {
        out.smime = key;
        out.smime_certificate = std::move(assessed.leaf);
      }
      continue;
    }
    if (out.openpgp) continue;
    // AssessContactKey's rules for OpenPGP, keeping the parsed key for the copy.
    if (internal::AssessAcceptedOpenPgpKey(key, now).status != internal::KeyStatus::kTrusted) {
      continue;
    }
    auto address = EmailAddress::Parse(key.address);
    if (!address.ok()) continue;
    pgp::KeyImport imported = importer != nullptr
                                  ? importer->Import(key.material, *address)
                                  : pgp::ImportPublicKey(key.material, *address, now);
    if (!imported.ok()) continue;
    out.openpgp = key;
    out.openpgp_key = std::move(imported).TakeKey();
  }
  return out;
}

}  // namespace sealpost::app
