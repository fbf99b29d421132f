// Fuzz target: S/MIME certificate import (smime/certificate.h) — what a member uploads or a signed
// mail carries: PEM, DER, .p7b/.p7s — and the per-certificate policy checks run on the result.
//
// Invariants checked: no crash, exception or sanitizer report; input over the size limit is
// refused as too-large, input holding a PEM private-key label as private-key-material; a refusal
// has a reason slug and a detail and carries no certificate; an accepted import has at most the
// bundle limit of distinct certificates, each of which re-parses from its DER to the same
// certificate, has the SHA-256 of that DER as fingerprint, and names valid UTF-8 without control
// characters; the policy check of the leaf gives the same answer for the re-parsed copy.
//
// SECURITY: certificates come from anyone who can send a member mail.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/encoding.h"
#include "core/text.h"
#include "crypto/hash.h"
#include "crypto/security_policy.h"
#include "smime/certificate.h"
#include "smime/certificate_validation.h"

namespace {

void Check(bool condition) {
  if (!condition) std::abort();
}

void CheckCertificate(const sealpost::smime::Certificate& cert) {
  Check(cert.sha256_fingerprint() == sealpost::crypto::Sha256(cert.der()));
  auto again = sealpost::smime::Certificate::FromDer(cert.der());
  Check(again.ok());
  Check(*again == cert);
  Check(again->subject() == cert.subject());
  Check(again->email_addresses() == cert.email_addresses());
  Check(again->key() == cert.key());
  // Names are shown to people: valid UTF-8, control characters escaped.
  for (const std::string& name : {cert.subject(), cert.issuer()}) {
    Check(sealpost::IsValidUtf8(name));
    Check(!sealpost::HasControlCharacters(name, /*allow_line_breaks=*/false));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace smime = sealpost::smime;
  namespace policy = sealpost::crypto::policy;
  const sealpost::ByteView input(data, size);
  const smime::CertificateImport got = smime::ImportCertificates(input);

  if (size > policy::kImport.max_certificate_bytes) {
    Check(got.problem == smime::CertificateProblem::kTooLarge);
  } else if (std::string_view(reinterpret_cast<const char*>(data), size).find("PRIVATE KEY-----") !=
             std::string_view::npos) {
    Check(got.problem == smime::CertificateProblem::kPrivateKeyMaterial);
  }
  if (!got.ok()) {
    Check(!got.certificates.has_value());
    Check(!smime::CertificateProblemSlug(got.problem).empty());
    Check(!got.detail.empty());
    Check(!got.ToStatus().ok());
    return 0;
  }
  Check(got.certificates.has_value());
  Check(got.ToStatus().ok());
  const smime::CertificateChain& certs = *got.certificates;
  Check(certs.chain.size() + 1 <= policy::kImport.max_certificates_in_bundle);
  CheckCertificate(certs.leaf);
  for (const smime::Certificate& c : certs.chain) {
    Check(!(c == certs.leaf));
    CheckCertificate(c);
  }
  // The policy checks on untrusted certificate fields (key, signature algorithm, times).
  const auto when = certs.leaf.not_before();
  std::string detail;
  const smime::CertificateProblem first = smime::CheckCertificatePolicy(certs.leaf, when, &detail);
  auto copy = smime::Certificate::FromDer(certs.leaf.der());
  Check(copy.ok() && smime::CheckCertificatePolicy(*copy, when) == first);
  Check((first == smime::CertificateProblem::kNone) == detail.empty());
  return 0;
}
