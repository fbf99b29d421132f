// X.509 certificates for S/MIME: import of a contact's certificate (PEM, DER, .p7b/.p7s) and the
// value type that describes it (RFC 5280, RFC 8550).
//
// ImportCertificates takes what a member uploads or what a signed mail carried and returns the
// certificates in it — the leaf (the contact's own certificate) and the others found beside it
// (its chain, as far as the sender included it) — or one CertificateProblem that says why not.
// Import only parses and applies the import limits (crypto/security_policy.h, kImport); whether
// a certificate may be used is decided by ValidateCertificate (smime/certificate_validation.h).
//
// SECURITY: the input is untrusted bytes from the network. Limits: at most
// kImport.max_certificate_bytes of input and kImport.max_certificates_in_bundle certificates.
// DER with bytes after the certificate, PEM whose base64 or structure is broken, and anything
// that is not a certificate are refused. A PEM text holding a private key (any "PRIVATE KEY"
// block) is refused before any block is decoded: the key is never parsed or kept, so a member
// who pasted the wrong file does not hand the server their key.
//
// Thread-safety: Certificate is an immutable value (it shares one OpenSSL X509 handle, whose
// reference count is atomic); copies may be used from any thread. ImportCertificates is
// reentrant.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/address.h"
#include "core/encoding.h"
#include "core/status.h"
#include "core/time.h"
#include "crypto/hash.h"

struct x509_st;  // OpenSSL's X509; kept out of this header.

namespace sealpost::smime {

// Why a certificate is refused, at import or at validation. Stable: the slug is recorded and
// shown to the member's UI, which chooses its own words.
enum class CertificateProblem : uint8_t {
  kNone = 0,
  // Import.
  kNotACertificate,     // garbage, truncated or trailing bytes, or no certificate inside
  kTooLarge,            // over kImport.max_certificate_bytes or max_certificates_in_bundle
  kPrivateKeyMaterial,  // the text holds a private key: refused, the key never kept
  // Validation (smime/certificate_validation.h).
  kExpired,            // the leaf (or a certificate of its chain) is past notAfter
  kNotYetValid,        // before notBefore
  kNoEmailProtection,  // an extendedKeyUsage without emailProtection or anyExtendedKeyUsage
  kAddressMismatch,    // the address is neither a SAN rfc822Name nor the subject emailAddress
  kWrongKeyUsage,      // a keyUsage that does not allow the use asked for (RFC 8550 4.4.2)
  kWeakKey,            // RSA below kSmime.min_rsa_bits, a curve not in kSmime.curves, other
  kWeakSignature,      // signed with a digest not in kSmime.digests (SHA-1, MD5…)
  kInvalidChain,       // chains to an anchor, but a signature or CA constraint in it is broken
};

// "not-a-certificate", "too-large", "private-key-material", "expired", "not-yet-valid",
// "no-email-protection", "address-mismatch", "key-usage", "weak-key", "weak-signature",
// "invalid-chain";
// "" for kNone.
std::string_view CertificateProblemSlug(CertificateProblem problem);

enum class KeyType : uint8_t { kRsa, kEc, kEd25519, kEd448, kOther };

struct PublicKeyInfo {
  KeyType type = KeyType::kOther;
  int bits = 0;       // RSA modulus or EC field size
  std::string curve;  // OpenSSL group name for EC keys ("prime256v1", "secp384r1"), else ""
  friend bool operator==(const PublicKeyInfo&, const PublicKeyInfo&) = default;
};

class Certificate final {
 public:
  // Parses exactly one DER certificate (no trailing bytes). InvalidArgument otherwise.
  static Result<Certificate> FromDer(ByteView der);
  // The first CERTIFICATE block of `pem` (stored or configured text; a contact's upload goes
  // through ImportCertificates). InvalidArgument when there is none or it does not parse.
  static Result<Certificate> FromPem(std::string_view pem);
  // One CERTIFICATE block, base64 in lines of 64 (RFC 7468).
  std::string ToPem() const;

  const crypto::Digest256& sha256_fingerprint() const { return data_->fingerprint; }
  // Lower-case hex of the SHA-256 fingerprint (64 characters).
  std::string FingerprintHex() const;
  // RFC 2253 form (control characters escaped; untrusted text all the same).
  const std::string& subject() const { return data_->subject; }
  const std::string& issuer() const { return data_->issuer; }
  // The emailAddress attributes of the subject, then the rfc822Name entries of subjectAltName,
  // in their order, each a valid address (lower-cased, no duplicates); entries that are not
  // addresses are left out.
  const std::vector<EmailAddress>& email_addresses() const { return data_->emails; }
  TimePoint not_before() const { return data_->not_before; }
  TimePoint not_after() const { return data_->not_after; }
  const PublicKeyInfo& key() const { return data_->key; }
  // True when basicConstraints says cA.
  bool is_ca() const { return data_->is_ca; }
  const Bytes& der() const { return data_->der; }
  // The serial number as upper-case hex, whole bytes as `openssl x509 -serial` prints it (so a
  // leading zero nibble stays); "" if it cannot be read.
  std::string SerialHex() const;

  friend bool operator==(const Certificate& a, const Certificate& b) {
    return a.data_->fingerprint == b.data_->fingerprint;
  }

 private:
  struct Data {
    std::shared_ptr<x509_st> x509;
    Bytes der;
    crypto::Digest256 fingerprint{};
    std::string subject;
    std::string issuer;
    std::vector<EmailAddress> emails;
    TimePoint not_before;
    TimePoint not_after;
    PublicKeyInfo key;
    bool is_ca = false;
  };
  explicit Certificate(std::shared_ptr<const Data> data) : data_(std::move(data)) {}
  std::shared_ptr<const Data> data_;

  friend struct CertificateAccess;  // smime/internal/certificate_access.h
};

// A contact's certificate and the certificates found beside it.
struct CertificateChain {
  Certificate leaf;
  std::vector<Certificate> chain;  // the others, in input order, without duplicates
};

// The outcome of an import: `certificates` when `problem` is kNone.
struct CertificateImport {
  std::optional<CertificateChain> certificates;
  CertificateProblem problem = CertificateProblem::kNone;
  std::string detail;  // for the log; describes the input only, so the member may see it too

  bool ok() const { return problem == CertificateProblem::kNone; }
  // OK, or TooLarge / InvalidArgument with `detail`, shown to the client.
  Status ToStatus() const;
};

// Reads the certificates in `input`: one or more PEM blocks (CERTIFICATE, PKCS7, CMS; text
// around the blocks is ignored, as openssl's own output has some), one DER certificate, or one
// DER PKCS#7/CMS SignedData (.p7b certs-only, .p7s signature: its certificates). The leaf is the
// first certificate that is not a CA and issued no other certificate of the input (else the
// first one).
CertificateImport ImportCertificates(ByteView input);

}  // namespace sealpost::smime
