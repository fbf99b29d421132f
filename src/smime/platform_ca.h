// The platform's own certification authority (docs/formats/platform-pki.md): a self-signed root,
// an issuing (intermediate) CA under it, and leaf certificates from the issuing CA for three
// profiles — a member's S/MIME certificate, the platform's evidence (receipt) signer and the
// RFC 3161 time-stamping authority.
//
// Every key is ECDSA on crypto::policy::kPki.key_curve, every certificate is signed with
// kPki.digest and valid for the kPki days of its kind (never beyond its issuer's notAfter), from
// one hour before `now` (clock skew) on. Serial numbers are 128 random bits. Certificates carry
// basicConstraints (critical), keyUsage (critical), subject and authority key identifiers, and
// the profile's extendedKeyUsage; the table is in the format page.
//
// Pure: no store, no files. Keys are typed objects; private key bytes leave a CertificateKey only
// through ExposePkcs8Der (to be wrapped under the master key, trust/platform_pki.h).
//
// Input: names come from the configuration or from validated EmailAddress values, not from the
// network; Certificate::FromDer/FromPem and CertificateKey::FromPkcs8Der parse stored bytes and
// refuse anything malformed with InvalidArgument.
//
// Thread-safety: Certificate and CertificateKey are immutable values, safe to share between
// threads; the functions keep no state.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/address.h"
#include "core/encoding.h"
#include "core/status.h"
#include "core/time.h"
#include "crypto/secret_bytes.h"
#include "smime/certificate.h"

struct evp_pkey_st;  // OpenSSL's EVP_PKEY, kept out of this header

namespace sealpost::smime {

namespace internal {
struct KeyAccess;
}

// An ECDSA private key on the policy curve.
class CertificateKey final {
 public:
  static Result<CertificateKey> Generate();
  // PKCS#8 PrivateKeyInfo; InvalidArgument unless it is an EC key on the policy curve.
  static Result<CertificateKey> FromPkcs8Der(ByteView der);

  // The only way private key bytes leave this object: PKCS#8 DER, for wrapping. Internal only
  // when OpenSSL cannot encode (out of memory).
  Result<crypto::SecretBytes> ExposePkcs8Der() const;
  // SubjectPublicKeyInfo DER of the public half.
  Bytes PublicKeyDer() const;

 private:
  friend struct internal::KeyAccess;
  explicit CertificateKey(std::shared_ptr<evp_pkey_st> key) : key_(std::move(key)) {}
  std::shared_ptr<evp_pkey_st> key_;
};

// A certificate this CA made (or the root, self-signed) with its private key. Not the
// signer/decryption key of S/MIME mail: that is smime::CertifiedKey (certified_key.h).
struct IssuedKey {
  Certificate certificate;
  CertificateKey key;
};

enum class LeafProfile {
  // A member's S/MIME certificate: subject CN (display name) and emailAddress, SAN rfc822Name,
  // keyUsage digitalSignature + keyAgreement (an EC key signs and agrees keys), EKU
  // emailProtection.
  kMemberSmime,
  // The platform's receipt (evidence) signer: keyUsage digitalSignature + nonRepudiation, EKU
  // id-kp-documentSigning (RFC 9336) only, so it can neither sign mail nor time-stamps.
  kEvidenceSigner,
  // The time-stamping authority: keyUsage digitalSignature, EKU id-kp-timeStamping only and
  // critical (RFC 3161 section 2.3).
  kTimeStamping,
};

struct LeafRequest {
  LeafProfile profile = LeafProfile::kMemberSmime;
  std::string common_name;  // 1..64 characters
  // kMemberSmime only (required there): the address in the subject and in the SAN.
  std::optional<EmailAddress> email;
};

// The subject's organisation (O=) for every certificate the platform issues; 1..64 characters.
struct CaNames {
  std::string organization = "Sealpost";
  std::string root_common_name = "Sealpost Root CA";
  std::string issuing_common_name = "Sealpost Issuing CA";
};

Result<IssuedKey> CreateRootCa(const CaNames& names, TimePoint now);
// basicConstraints CA:TRUE, pathLenConstraint 0: it issues leaves only.
Result<IssuedKey> CreateIssuingCa(const IssuedKey& root, const CaNames& names, TimePoint now);

// Issues a leaf certificate from `issuer` (the issuing CA) for `subject_public_key_der`
// (SubjectPublicKeyInfo DER of an EC key on the policy curve). InvalidArgument for a bad request.
Result<Certificate> IssueLeaf(const IssuedKey& issuer, const CaNames& names,
                              const LeafRequest& request, ByteView subject_public_key_der,
                              TimePoint now);
// The same with a freshly generated key.
Result<IssuedKey> IssueLeafWithNewKey(const IssuedKey& issuer, const CaNames& names,
                                      const LeafRequest& request, TimePoint now);

// Ok when `child`'s issuer name equals `issuer`'s subject and `issuer`'s key verifies the
// signature of `child` (a stored chain still belongs together). Unauthenticated otherwise.
Status CheckIssuedBy(const Certificate& child, const Certificate& issuer);
// Ok when `key` is the private half of `certificate`'s public key; InvalidArgument otherwise.
Status CheckKeyMatches(const Certificate& certificate, const CertificateKey& key);

}  // namespace sealpost::smime
