// Whether a contact's S/MIME certificate may be used for an address at a given time (RFC 5280
// path validation by OpenSSL's X509_verify_cert, plus Sealpost's policy: crypto/security_policy.h
// kSmime).
//
// The verdict is one of:
//   - kTrusted: the policy checks pass and the certificate chains to one of the anchors;
//   - kDoesNotChain: the policy checks pass but no path reaches an anchor (a self-signed or
//     privately issued certificate). It may be kept, and used only once the member has marked it
//     personally verified (fingerprint comparison) — a decision for the caller, not made here;
//   - kRefused, with the CertificateProblem that refused it.
// Checks, in this order (the first that fails decides): validity period at `now` (expired,
// not-yet-valid), key (RSA ≥ kSmime.min_rsa_bits, EC on kSmime.curves, else weak-key), the
// certificate's signature digest (kSmime.digests, else weak-signature), extendedKeyUsage (absent,
// or with emailProtection or anyExtendedKeyUsage, else no-email-protection), keyUsage (absent,
// or allowing `use`, else key-usage), the address (a SAN rfc822Name or subject emailAddress,
// case-insensitive, else address-mismatch); then the path to an anchor, whose certificates other
// than the anchor get the same time, key and digest checks (docs/formats/smime.md has the table).
//
// Time is the `now` parameter, never the wall clock, so tests and the re-validation of an old
// signature can choose it.
//
// SECURITY: the certificates are untrusted (network input through ImportCertificates); the
// anchors are configuration. No network access: no AIA fetching, no OCSP/CRL here.
//
// Thread-safety: reentrant; may run concurrently on shared TrustAnchors.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/address.h"
#include "core/time.h"
#include "smime/certificate.h"
#include "smime/trust_anchors.h"

namespace sealpost::smime {

enum class Verdict : uint8_t { kTrusted, kDoesNotChain, kRefused };

// What the certificate is to be used for; keyUsage, when present, must allow it.
enum class CertificateUse : uint8_t {
  kEncryption,  // encrypting to it: keyEncipherment (RSA) or keyAgreement (EC)
  kSignature,   // verifying its signatures: digitalSignature or nonRepudiation
};

struct Validation {
  Verdict verdict = Verdict::kRefused;
  CertificateProblem problem = CertificateProblem::kNone;  // set when kRefused
  std::string detail;                                      // for the log
  std::vector<Certificate> path;                           // leaf … anchor, when kTrusted
};

Validation ValidateCertificate(const CertificateChain& certs, const TrustAnchors& anchors,
                               const EmailAddress& address, TimePoint now, CertificateUse use);

// ValidateCertificate in two halves, for a certificate that serves many addresses (one contact
// certificate naming many recipients of a send): PrepareValidation runs every check but the
// address (policy, emailProtection, keyUsage, the path) once; ValidateForAddress then adds the
// address check at its place in the order. ValidateForAddress(PrepareValidation(c, a, now, use),
// x) is ValidateCertificate(c, a, x, now, use) for every x: both are made of the same checks.
struct PreparedValidation {
  Certificate leaf;
  std::optional<Validation> refused_before_address;  // a check before the address refused it
  Validation path;  // otherwise: the path's verdict (set only without refused_before_address)
};
PreparedValidation PrepareValidation(const CertificateChain& certs, const TrustAnchors& anchors,
                                     TimePoint now, CertificateUse use);
Validation ValidateForAddress(const PreparedValidation& prepared, const EmailAddress& address);

// How many path validations (X509_verify_cert runs, the costly part) this process made: lets
// the tests see that a send checks each recipient certificate once.
uint64_t CertificatePathValidations();

// The checks of ValidateCertificate that concern one certificate alone (time, key, signature
// digest); kNone when it passes. For the signer of a message and for chain members.
CertificateProblem CheckCertificatePolicy(const Certificate& cert, TimePoint now,
                                          std::string* detail = nullptr);

}  // namespace sealpost::smime
