#include "app/internal/contact_trust.h"

#include <string_view>
#include <vector>

#include <spdlog/spdlog.h>

#include "core/address.h"
#include "pgp/public_key.h"
#include "smime/certificate.h"
#include "smime/certificate_validation.h"

namespace sealpost::app::internal {

Result<std::optional<smime::TrustAnchors>> ContactAnchors::Current() {
  SP_ASSIGN_OR_RETURN(const std::vector<store::TrustAnchorRecord> admin,
                      s_.store.keys().ListTrustAnchors());
  std::string key;
  for (const auto& a : admin) key += a.fingerprint + ",";
  std::lock_guard lock(mu_);
  if (cached_ && key == cached_key_) return cached_;
  std::vector<std::string> pems;
  for (const auto& a : admin) {
    SP_ASSIGN_OR_RETURN(const smime::Certificate cert, smime::Certificate::FromDer(a.der));
    pems.push_back(cert.ToPem());
  }
  // The platform's own root: members' certificates (and anyone it certifies) chain to it.
  if (s_.pki != nullptr) pems.push_back(s_.pki->Chain().back().ToPem());
  std::vector<std::string_view> views(pems.begin(), pems.end());
  if (bundle_path_.empty() && views.empty()) return std::optional<smime::TrustAnchors>();
  Result<smime::TrustAnchors> anchors = bundle_path_.empty()
                                            ? smime::TrustAnchors::FromPem(views)
                                            : smime::TrustAnchors::LoadBundle(bundle_path_, views);
  if (!anchors.ok() && anchors.status().code() == ErrorCode::kNotFound) {
    // A system without the CA bundle still has the administrators' anchors and the platform CA.
    spdlog::warn("key directory: no system CA bundle at {}; using the configured anchors only",
                 bundle_path_);
    if (views.empty()) return std::optional<smime::TrustAnchors>();
    anchors = smime::TrustAnchors::FromPem(views);
  }
  if (!anchors.ok()) return anchors.status();
  cached_ = *anchors;
  cached_key_ = std::move(key);
  return cached_;
}

namespace {

KeyAssessment Refused(std::string problem, std::string detail) {
  return {KeyStatus::kRefused, std::move(problem), std::move(detail), false};
}

KeyAssessment AssessCertificate(const store::ContactKeyRecord& key,
                                const smime::TrustAnchors* anchors, const EmailAddress& address,
                                TimePoint now) {
  auto leaf = smime::Certificate::FromDer(key.material);
  if (!leaf.ok()) return Refused("not-a-certificate", "the stored certificate does not parse");
  smime::CertificateChain chain{*leaf, {}};
  if (!key.chain_pem.empty()) {
    const smime::CertificateImport others = smime::ImportCertificates(AsBytes(key.chain_pem));
    if (others.ok()) {
      chain.chain.push_back(others.certificates->leaf);
      for (const auto& c : others.certificates->chain) chain.chain.push_back(c);
    }
  }
  if (anchors == nullptr) {
    // No anchor at all: the policy checks alone decide, and nothing chains.
    std::string detail;
    const smime::CertificateProblem p = smime::CheckCertificatePolicy(*leaf, now, &detail);
    if (p != smime::CertificateProblem::kNone) {
      return Refused(std::string(smime::CertificateProblemSlug(p)), detail);
    }
    bool names_address = false;
    for (const EmailAddress& e : leaf->email_addresses())
      names_address |= (e.str() == address.str());
    if (!names_address)
      return Refused("address-mismatch", "the certificate is for another address");
    if (key.verified_at) return {KeyStatus::kTrusted, "", "", false};
    return {KeyStatus::kNeedsVerification, "", "does not chain to a trust anchor", false};
  }
  const smime::Validation v =
      smime::ValidateCertificate(chain, *anchors, address, now, smime::CertificateUse::kEncryption);
  switch (v.verdict) {
    case smime::Verdict::kTrusted:
      return {KeyStatus::kTrusted, "", "", true};
    case smime::Verdict::kDoesNotChain:
      if (key.verified_at) return {KeyStatus::kTrusted, "", "", false};
      return {KeyStatus::kNeedsVerification, "", "does not chain to a trust anchor", false};
    case smime::Verdict::kRefused:
      break;
  }
  return Refused(std::string(smime::CertificateProblemSlug(v.problem)), v.detail);
}

}  // namespace

KeyAssessment AssessContactKey(const store::ContactKeyRecord& key,
                               const std::optional<smime::TrustAnchors>& anchors, TimePoint now) {
  if (key.revoked_at && *key.revoked_at <= now) return Refused("revoked", "the key was revoked");
  auto address = EmailAddress::Parse(key.address);
  if (!address.ok()) return Refused("address-mismatch", "the stored address is not valid");
  if (key.kind == store::ContactKeyKind::kSmime) {
    return AssessCertificate(key, anchors ? &*anchors : nullptr, *address, now);
  }
  const pgp::KeyImport imported = pgp::ImportPublicKey(key.material, *address, now);
  if (!imported.ok()) {
    return Refused(std::string(pgp::KeyProblemName(imported.problem())),
                   imported.status().message());
  }
  return AssessAcceptedOpenPgpKey(key, now);
}

KeyAssessment AssessAcceptedOpenPgpKey(const store::ContactKeyRecord& key, TimePoint now) {
  if (key.revoked_at && *key.revoked_at <= now) return Refused("revoked", "the key was revoked");
  // A key the gateway found in mail proves nothing about its holder until the member compared
  // its fingerprint with them.
  if (key.source == store::ContactKeySource::kSeenInMail && !key.verified_by) {
    return {KeyStatus::kNeedsVerification, "", "seen in signed mail, not verified yet", false};
  }
  return {KeyStatus::kTrusted, "", "", false};
}

std::string CapabilitiesRecord(const std::optional<smime::RecipientCapabilities>& capabilities) {
  if (!capabilities) return "";
  std::string out;
  if (capabilities->aes256_gcm) out = "aes256-gcm";
  if (capabilities->aes256_cbc) out += out.empty() ? "aes256-cbc" : " aes256-cbc";
  return out.empty() ? "none" : out;
}

std::optional<smime::RecipientCapabilities> RecordedCapabilities(std::string_view record) {
  if (record.empty()) return std::nullopt;
  smime::RecipientCapabilities caps;
  while (!record.empty()) {
    const size_t space = record.find(' ');
    const std::string_view word = record.substr(0, space);
    caps.aes256_gcm |= word == "aes256-gcm";
    caps.aes256_cbc |= word == "aes256-cbc";
    if (space == std::string_view::npos) break;
    record.remove_prefix(space + 1);
  }
  return caps;
}

}  // namespace sealpost::app::internal
