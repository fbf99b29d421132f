#include "app/internal/contact_trust.h"

#include <string_view>
#include <vector>

#include <spdlog/spdlog.h>

#include "core/address.h"
#include "crypto/hash.h"
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

}  // namespace

// What a stored certificate (its bytes and the chain stored beside it) is at a time against a
// set of anchors, whatever the address: parsed, and every check but the address made.
struct ExaminedCertificate {
  std::optional<smime::Certificate> leaf;  // nullopt: the stored bytes do not parse
  // With anchors: ValidateCertificate's checks but the address.
  std::optional<smime::PreparedValidation> prepared;
  // Without anchors: the policy checks alone (kNone: passed).
  smime::CertificateProblem policy_problem = smime::CertificateProblem::kNone;
  std::string policy_detail;
};

namespace {

ExaminedCertificate ExamineCertificate(const store::ContactKeyRecord& key,
                                       const smime::TrustAnchors* anchors, TimePoint now) {
  ExaminedCertificate out;
  auto leaf = smime::Certificate::FromDer(key.material);
  if (!leaf.ok()) return out;
  out.leaf = *leaf;
  if (anchors == nullptr) {
    // No anchor at all: the policy checks alone decide, and nothing chains.
    out.policy_problem = smime::CheckCertificatePolicy(*leaf, now, &out.policy_detail);
    return out;
  }
  smime::CertificateChain chain{*leaf, {}};
  if (!key.chain_pem.empty()) {
    const smime::CertificateImport others = smime::ImportCertificates(AsBytes(key.chain_pem));
    if (others.ok()) {
      chain.chain.push_back(others.certificates->leaf);
      for (const auto& c : others.certificates->chain) chain.chain.push_back(c);
    }
  }
  out.prepared = smime::PrepareValidation(chain, *anchors, now, smime::CertificateUse::kEncryption);
  return out;
}

// `examined` for the entry `key`, whose address is `address`.
KeyAssessment JudgeCertificate(const ExaminedCertificate& examined,
                               const store::ContactKeyRecord& key, const EmailAddress& address) {
  if (!examined.leaf) return Refused("not-a-certificate", "the stored certificate does not parse");
  if (!examined.prepared) {
    if (examined.policy_problem != smime::CertificateProblem::kNone) {
      return Refused(std::string(smime::CertificateProblemSlug(examined.policy_problem)),
                     examined.policy_detail);
    }
    bool names_address = false;
    for (const EmailAddress& e : examined.leaf->email_addresses())
      names_address |= (e.str() == address.str());
    if (!names_address)
      return Refused("address-mismatch", "the certificate is for another address");
    if (key.verified_at) return {KeyStatus::kTrusted, "", "", false};
    return {KeyStatus::kNeedsVerification, "", "does not chain to a trust anchor", false};
  }
  const smime::Validation v = smime::ValidateForAddress(*examined.prepared, address);
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

// What comes before the certificate or key itself: revocation, then the entry's address.
std::optional<KeyAssessment> CheckEntry(const store::ContactKeyRecord& key, TimePoint now,
                                        std::optional<EmailAddress>& address) {
  if (key.revoked_at && *key.revoked_at <= now) return Refused("revoked", "the key was revoked");
  auto parsed = EmailAddress::Parse(key.address);
  if (!parsed.ok()) return Refused("address-mismatch", "the stored address is not valid");
  address = *std::move(parsed);
  return std::nullopt;
}

}  // namespace

KeyAssessment AssessContactKey(const store::ContactKeyRecord& key,
                               const std::optional<smime::TrustAnchors>& anchors, TimePoint now) {
  std::optional<EmailAddress> address;
  if (auto refused = CheckEntry(key, now, address)) return *std::move(refused);
  if (key.kind == store::ContactKeyKind::kSmime) {
    return JudgeCertificate(ExamineCertificate(key, anchors ? &*anchors : nullptr, now), key,
                            *address);
  }
  const pgp::KeyImport imported = pgp::ImportPublicKey(key.material, *address, now);
  if (!imported.ok()) {
    return Refused(std::string(pgp::KeyProblemName(imported.problem())),
                   imported.status().message());
  }
  return AssessAcceptedOpenPgpKey(key, now);
}

ContactCertificateAssessor::ContactCertificateAssessor(TimePoint now) : now_(now) {}
ContactCertificateAssessor::~ContactCertificateAssessor() = default;

Result<const std::optional<smime::TrustAnchors>*> ContactCertificateAssessor::Anchors(
    ContactAnchors& source) {
  if (!anchors_read_) {
    Result<std::optional<smime::TrustAnchors>> current = source.Current();
    if (!current.ok()) return current.status();
    anchors_.swap(*current);
    anchors_read_ = true;
  }
  return &anchors_;
}

Result<AssessedCertificate> ContactCertificateAssessor::Assess(const store::ContactKeyRecord& key,
                                                               ContactAnchors& source) {
  SP_ASSIGN_OR_RETURN(const std::optional<smime::TrustAnchors>* anchors, Anchors(source));
  AssessedCertificate out;
  std::optional<EmailAddress> address;
  if (auto refused = CheckEntry(key, now_, address)) {
    out.assessment = *std::move(refused);
    return out;
  }
  // The chain stored beside the certificate takes part in the path: both make the cache key.
  crypto::Sha256Hasher hasher;
  const uint64_t material_size = key.material.size();
  hasher.Update(ByteView(reinterpret_cast<const uint8_t*>(&material_size), sizeof material_size));
  hasher.Update(key.material);
  hasher.Update(AsBytes(key.chain_pem));
  const crypto::Digest256 digest = hasher.Finish();
  std::string id(reinterpret_cast<const char*>(digest.data()), digest.size());
  auto found = examined_.find(id);
  if (found == examined_.end()) {
    auto examined = std::make_unique<ExaminedCertificate>(
        ExamineCertificate(key, anchors->has_value() ? &**anchors : nullptr, now_));
    found = examined_.emplace(std::move(id), std::move(examined)).first;
  }
  out.assessment = JudgeCertificate(*found->second, key, *address);
  out.leaf = found->second->leaf;
  return out;
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
