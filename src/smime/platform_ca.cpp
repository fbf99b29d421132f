#include "smime/platform_ca.h"

#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <chrono>
#include <ctime>

#include "crypto/hash.h"
#include "crypto/openssl_error.h"
#include "crypto/security_policy.h"
#include "smime/internal/ossl_ptr.h"

namespace sealpost::smime {
namespace internal {

// The one door between CertificateKey's private handle and this file.
struct KeyAccess {
  static EVP_PKEY* Get(const CertificateKey& key) { return key.key_.get(); }
  static CertificateKey Make(EvpPkeyPtr key) {
    return CertificateKey(std::shared_ptr<evp_pkey_st>(key.release(), EVP_PKEY_free));
  }
};

}  // namespace internal
namespace {

using internal::Asn1IntegerPtr;
using internal::BignumPtr;
using internal::BioPtr;
using internal::EvpPkeyPtr;
using internal::ExtensionPtr;
using internal::GeneralNamePtr;
using internal::GeneralNamesPtr;
using internal::Ia5StringPtr;
using internal::KeyAccess;
using internal::X509Ptr;

constexpr size_t kMaxNameChars = 64;              // RFC 5280 ub-common-name / ub-organization-name
constexpr std::chrono::hours kBackdate{1};        // notBefore: one hour of clock skew
constexpr size_t kMaxCertificateBytes = 1 << 16;  // crypto::policy::kImport, one certificate

Result<X509Ptr> ParseDer(ByteView der) {
  if (der.empty() || der.size() > kMaxCertificateBytes) {
    return InvalidArgument("certificate: empty or too large");
  }
  const unsigned char* p = der.data();
  X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));  // NOLINT(runtime/int)
  if (!cert || p != der.data() + der.size()) {
    ERR_clear_error();
    return InvalidArgument("certificate: not one DER X.509 certificate");
  }
  return cert;
}

Result<Certificate> Wrap(const X509* cert);

Status CheckPolicyCurve(EVP_PKEY* key) {
  if (EVP_PKEY_get_base_id(key) != EVP_PKEY_EC) return InvalidArgument("key: not an EC key");
  char group[64] = {0};
  size_t len = 0;
  if (EVP_PKEY_get_group_name(key, group, sizeof group, &len) != 1 ||
      std::string_view(group, len) != crypto::policy::kPki.key_curve) {
    ERR_clear_error();
    return InvalidArgument("key: not on the platform PKI curve");
  }
  return Status::Ok();
}

Status CheckName(std::string_view what, std::string_view text) {
  if (text.empty() || text.size() > kMaxNameChars) {
    return InvalidArgument(std::string(what) + " must have 1 to 64 characters");
  }
  for (const char c : text) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return InvalidArgument(std::string(what) + " holds a control character");
    }
  }
  return Status::Ok();
}

Status AddNameEntry(X509_NAME* name, int nid, std::string_view text) {
  // emailAddress is an IA5String; the others are UTF8String (RFC 5280 section 4.1.2.4).
  const int type = nid == NID_pkcs9_emailAddress ? MBSTRING_ASC : MBSTRING_UTF8;
  if (X509_NAME_add_entry_by_NID(name, nid, type,
                                 reinterpret_cast<const unsigned char*>(text.data()),
                                 static_cast<int>(text.size()), -1, 0) != 1) {
    return crypto::OpensslFailure("subject name");
  }
  return Status::Ok();
}

Status SetRandomSerial(X509* cert) {
  // 128 random bits as a positive INTEGER (at most 17 DER octets, within RFC 5280's 20). Zero is
  // not a valid serial; draw again then.
  BignumPtr bn(BN_new());
  if (!bn) return crypto::OpensslFailure("BN_new");
  do {
    if (BN_rand(bn.get(), 128, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1) {
      return crypto::OpensslFailure("BN_rand");
    }
  } while (BN_is_zero(bn.get()));
  Asn1IntegerPtr serial(BN_to_ASN1_INTEGER(bn.get(), nullptr));
  if (!serial || X509_set_serialNumber(cert, serial.get()) != 1) {
    return crypto::OpensslFailure("serial number");
  }
  return Status::Ok();
}

// notBefore = now - 1 h; notAfter = now + days, but never after `ceiling` (the issuer's notAfter).
Status SetValidity(X509* cert, TimePoint now, int days, std::optional<TimePoint> ceiling) {
  TimePoint not_after = now + std::chrono::hours(24) * days;
  if (ceiling && *ceiling < not_after) not_after = *ceiling;
  if (not_after <= now) return InvalidArgument("the issuing certificate has expired");
  const time_t before = std::chrono::system_clock::to_time_t(now - kBackdate);
  const time_t after = std::chrono::system_clock::to_time_t(not_after);
  if (ASN1_TIME_set(X509_getm_notBefore(cert), before) == nullptr ||
      ASN1_TIME_set(X509_getm_notAfter(cert), after) == nullptr) {
    return crypto::OpensslFailure("validity");
  }
  return Status::Ok();
}

Status AddConfExtension(X509* cert, X509V3_CTX* ctx, int nid, const std::string& value) {
  ExtensionPtr ext(X509V3_EXT_conf_nid(nullptr, ctx, nid, value.c_str()));
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1) {
    return crypto::OpensslFailure("X509 extension");
  }
  return Status::Ok();
}

Status AddEmailAltName(X509* cert, const std::string& email) {
  GeneralNamesPtr names(GENERAL_NAMES_new());
  Ia5StringPtr text(ASN1_IA5STRING_new());
  GeneralNamePtr name(GENERAL_NAME_new());
  if (!names || !text || !name ||
      ASN1_STRING_set(text.get(), email.data(), static_cast<int>(email.size())) != 1) {
    return crypto::OpensslFailure("subjectAltName");
  }
  GENERAL_NAME_set0_value(name.get(), GEN_EMAIL, text.release());
  if (sk_GENERAL_NAME_push(names.get(), name.get()) == 0) return crypto::OpensslFailure("push");
  name.release();
  if (X509_add1_ext_i2d(cert, NID_subject_alt_name, names.get(), 0, X509V3_ADD_DEFAULT) != 1) {
    return crypto::OpensslFailure("subjectAltName");
  }
  return Status::Ok();
}

const EVP_MD* PolicyDigest() {
  return EVP_get_digestbyname(std::string(crypto::policy::kPki.digest).c_str());
}

Result<X509Ptr> NewCertificate(X509_NAME* subject, const X509_NAME* issuer, EVP_PKEY* public_key,
                               TimePoint now, int days, std::optional<TimePoint> ceiling) {
  X509Ptr cert(X509_new());
  if (!cert) return crypto::OpensslFailure("X509_new");
  if (X509_set_version(cert.get(), X509_VERSION_3) != 1) {
    return crypto::OpensslFailure("X509_set_version");
  }
  SP_RETURN_IF_ERROR(SetRandomSerial(cert.get()));
  SP_RETURN_IF_ERROR(SetValidity(cert.get(), now, days, ceiling));
  if (X509_set_subject_name(cert.get(), subject) != 1 ||
      X509_set_issuer_name(cert.get(), issuer) != 1 ||
      X509_set_pubkey(cert.get(), public_key) != 1) {
    return crypto::OpensslFailure("certificate fields");
  }
  return cert;
}

// The CA extensions of the root and the issuing CA; `path_len` only for the issuing CA.
Status AddCaExtensions(X509* cert, X509* issuer_cert, std::optional<int> path_len) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer_cert, cert, nullptr, nullptr, 0);
  const std::string basic =
      path_len ? "critical,CA:TRUE,pathlen:" + std::to_string(*path_len) : "critical,CA:TRUE";
  SP_RETURN_IF_ERROR(AddConfExtension(cert, &ctx, NID_basic_constraints, basic));
  SP_RETURN_IF_ERROR(AddConfExtension(cert, &ctx, NID_key_usage, "critical,keyCertSign,cRLSign"));
  SP_RETURN_IF_ERROR(AddConfExtension(cert, &ctx, NID_subject_key_identifier, "hash"));
  // For the root, the issuer is the certificate itself: its AKI names its own SKI.
  return AddConfExtension(cert, &ctx, NID_authority_key_identifier, "keyid:always");
}

Result<X509Ptr> SignedX509(X509Ptr cert, const CertificateKey& signer) {
  if (X509_sign(cert.get(), KeyAccess::Get(signer), PolicyDigest()) == 0) {
    return crypto::OpensslFailure("X509_sign");
  }
  return cert;
}

Result<Certificate> Wrap(const X509* cert) {
  unsigned char* der = nullptr;
  const int len = i2d_X509(cert, &der);
  if (len <= 0) return crypto::OpensslFailure("i2d_X509");
  Bytes bytes(der, der + len);
  OPENSSL_free(der);
  return Certificate::FromDer(bytes);
}

Result<X509Ptr> NameHolder(const CaNames& names, std::string_view common_name) {
  SP_RETURN_IF_ERROR(CheckName("organization", names.organization));
  SP_RETURN_IF_ERROR(CheckName("common name", common_name));
  X509Ptr holder(X509_new());  // only for its subject name
  if (!holder) return crypto::OpensslFailure("X509_new");
  X509_NAME* name = X509_get_subject_name(holder.get());
  SP_RETURN_IF_ERROR(AddNameEntry(name, NID_organizationName, names.organization));
  SP_RETURN_IF_ERROR(AddNameEntry(name, NID_commonName, common_name));
  return holder;
}

}  // namespace

// --- CertificateKey ----------------------------------------------------------------------------

Result<CertificateKey> CertificateKey::Generate() {
  EvpPkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC",
                                   std::string(crypto::policy::kPki.key_curve).c_str()));
  if (!key) return crypto::OpensslFailure("EVP_PKEY_Q_keygen");
  return KeyAccess::Make(std::move(key));
}

Result<CertificateKey> CertificateKey::FromPkcs8Der(ByteView der) {
  const unsigned char* p = der.data();
  std::unique_ptr<PKCS8_PRIV_KEY_INFO, internal::OsslDeleter<PKCS8_PRIV_KEY_INFO_free>> info(
      d2i_PKCS8_PRIV_KEY_INFO(nullptr, &p, static_cast<long>(der.size())));  // NOLINT
  if (!info || p != der.data() + der.size()) {
    ERR_clear_error();
    return InvalidArgument("key: not PKCS#8 DER");
  }
  EvpPkeyPtr key(EVP_PKCS82PKEY(info.get()));
  if (!key) {
    ERR_clear_error();
    return InvalidArgument("key: unreadable PKCS#8 key");
  }
  SP_RETURN_IF_ERROR(CheckPolicyCurve(key.get()));
  return KeyAccess::Make(std::move(key));
}

Result<crypto::SecretBytes> CertificateKey::ExposePkcs8Der() const {
  // PKCS8_PRIV_KEY_INFO_free clears the key octets it holds (OpenSSL's pkcs8_cb).
  std::unique_ptr<PKCS8_PRIV_KEY_INFO, internal::OsslDeleter<PKCS8_PRIV_KEY_INFO_free>> info(
      EVP_PKEY2PKCS8(key_.get()));
  const int len = info ? i2d_PKCS8_PRIV_KEY_INFO(info.get(), nullptr) : 0;
  if (len <= 0) return crypto::OpensslFailure("EVP_PKEY2PKCS8");
  crypto::SecretBytes out(static_cast<size_t>(len));
  unsigned char* q = out.data();
  if (i2d_PKCS8_PRIV_KEY_INFO(info.get(), &q) != len) {
    return crypto::OpensslFailure("i2d_PKCS8_PRIV_KEY_INFO");
  }
  return out;
}

Bytes CertificateKey::PublicKeyDer() const {
  unsigned char* der = nullptr;
  const int len = i2d_PUBKEY(key_.get(), &der);
  if (len <= 0) {
    ERR_clear_error();
    return {};
  }
  Bytes out(der, der + len);
  OPENSSL_free(der);
  return out;
}

// --- Issuing -----------------------------------------------------------------------------------

Result<IssuedKey> CreateRootCa(const CaNames& names, TimePoint now) {
  SP_ASSIGN_OR_RETURN(X509Ptr holder, NameHolder(names, names.root_common_name));
  SP_ASSIGN_OR_RETURN(CertificateKey key, CertificateKey::Generate());
  X509_NAME* name = X509_get_subject_name(holder.get());
  SP_ASSIGN_OR_RETURN(X509Ptr cert, NewCertificate(name, name, KeyAccess::Get(key), now,
                                                   crypto::policy::kPki.root_validity_days, {}));
  SP_RETURN_IF_ERROR(AddCaExtensions(cert.get(), cert.get(), std::nullopt));
  SP_ASSIGN_OR_RETURN(cert, SignedX509(std::move(cert), key));
  SP_ASSIGN_OR_RETURN(Certificate certificate, Wrap(cert.get()));
  return IssuedKey{std::move(certificate), std::move(key)};
}

Result<IssuedKey> CreateIssuingCa(const IssuedKey& root, const CaNames& names, TimePoint now) {
  SP_ASSIGN_OR_RETURN(X509Ptr root_cert, ParseDer(root.certificate.der()));
  SP_RETURN_IF_ERROR(CheckKeyMatches(root.certificate, root.key));
  SP_ASSIGN_OR_RETURN(X509Ptr holder, NameHolder(names, names.issuing_common_name));
  SP_ASSIGN_OR_RETURN(CertificateKey key, CertificateKey::Generate());
  SP_ASSIGN_OR_RETURN(
      X509Ptr cert,
      NewCertificate(X509_get_subject_name(holder.get()), X509_get_subject_name(root_cert.get()),
                     KeyAccess::Get(key), now, crypto::policy::kPki.issuing_validity_days,
                     root.certificate.not_after()));
  SP_RETURN_IF_ERROR(AddCaExtensions(cert.get(), root_cert.get(), 0));
  SP_ASSIGN_OR_RETURN(cert, SignedX509(std::move(cert), root.key));
  SP_ASSIGN_OR_RETURN(Certificate certificate, Wrap(cert.get()));
  return IssuedKey{std::move(certificate), std::move(key)};
}

Result<Certificate> IssueLeaf(const IssuedKey& issuer, const CaNames& names,
                              const LeafRequest& request, ByteView subject_public_key_der,
                              TimePoint now) {
  SP_RETURN_IF_ERROR(CheckName("common name", request.common_name));
  const bool member = request.profile == LeafProfile::kMemberSmime;
  if (member != request.email.has_value()) {
    return InvalidArgument(member ? "a member certificate needs an email address"
                                  : "only a member certificate names an email address");
  }
  const unsigned char* p = subject_public_key_der.data();
  EvpPkeyPtr public_key(
      d2i_PUBKEY(nullptr, &p, static_cast<long>(subject_public_key_der.size())));  // NOLINT
  if (!public_key || p != subject_public_key_der.data() + subject_public_key_der.size()) {
    ERR_clear_error();
    return InvalidArgument("key: not a SubjectPublicKeyInfo");
  }
  SP_RETURN_IF_ERROR(CheckPolicyCurve(public_key.get()));
  SP_ASSIGN_OR_RETURN(X509Ptr issuer_cert, ParseDer(issuer.certificate.der()));
  SP_RETURN_IF_ERROR(CheckKeyMatches(issuer.certificate, issuer.key));

  X509Ptr holder(X509_new());
  if (!holder) return crypto::OpensslFailure("X509_new");
  X509_NAME* subject = X509_get_subject_name(holder.get());
  if (member) {
    SP_RETURN_IF_ERROR(AddNameEntry(subject, NID_commonName, request.common_name));
    SP_RETURN_IF_ERROR(AddNameEntry(subject, NID_pkcs9_emailAddress, request.email->str()));
  } else {
    SP_RETURN_IF_ERROR(CheckName("organization", names.organization));
    SP_RETURN_IF_ERROR(AddNameEntry(subject, NID_organizationName, names.organization));
    SP_RETURN_IF_ERROR(AddNameEntry(subject, NID_commonName, request.common_name));
  }
  SP_ASSIGN_OR_RETURN(
      X509Ptr cert,
      NewCertificate(subject, X509_get_subject_name(issuer_cert.get()), public_key.get(), now,
                     crypto::policy::kPki.leaf_validity_days, issuer.certificate.not_after()));

  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer_cert.get(), cert.get(), nullptr, nullptr, 0);
  X509* c = cert.get();
  SP_RETURN_IF_ERROR(AddConfExtension(c, &ctx, NID_basic_constraints, "critical,CA:FALSE"));
  switch (request.profile) {
    case LeafProfile::kMemberSmime:
      SP_RETURN_IF_ERROR(
          AddConfExtension(c, &ctx, NID_key_usage, "critical,digitalSignature,keyAgreement"));
      SP_RETURN_IF_ERROR(AddConfExtension(c, &ctx, NID_ext_key_usage, "emailProtection"));
      SP_RETURN_IF_ERROR(AddEmailAltName(c, request.email->str()));
      break;
    case LeafProfile::kEvidenceSigner:
      SP_RETURN_IF_ERROR(
          AddConfExtension(c, &ctx, NID_key_usage, "critical,digitalSignature,nonRepudiation"));
      // id-kp-documentSigning (RFC 9336); OpenSSL 3.0 has no short name for it.
      SP_RETURN_IF_ERROR(AddConfExtension(c, &ctx, NID_ext_key_usage, "1.3.6.1.5.5.7.3.36"));
      break;
    case LeafProfile::kTimeStamping:
      SP_RETURN_IF_ERROR(AddConfExtension(c, &ctx, NID_key_usage, "critical,digitalSignature"));
      SP_RETURN_IF_ERROR(AddConfExtension(c, &ctx, NID_ext_key_usage, "critical,timeStamping"));
      break;
  }
  SP_RETURN_IF_ERROR(AddConfExtension(c, &ctx, NID_subject_key_identifier, "hash"));
  SP_RETURN_IF_ERROR(AddConfExtension(c, &ctx, NID_authority_key_identifier, "keyid:always"));
  SP_ASSIGN_OR_RETURN(cert, SignedX509(std::move(cert), issuer.key));
  return Wrap(cert.get());
}

Result<IssuedKey> IssueLeafWithNewKey(const IssuedKey& issuer, const CaNames& names,
                                      const LeafRequest& request, TimePoint now) {
  SP_ASSIGN_OR_RETURN(CertificateKey key, CertificateKey::Generate());
  SP_ASSIGN_OR_RETURN(Certificate certificate,
                      IssueLeaf(issuer, names, request, key.PublicKeyDer(), now));
  return IssuedKey{std::move(certificate), std::move(key)};
}

Status CheckIssuedBy(const Certificate& child, const Certificate& issuer) {
  SP_ASSIGN_OR_RETURN(X509Ptr child_cert, ParseDer(child.der()));
  SP_ASSIGN_OR_RETURN(X509Ptr issuer_cert, ParseDer(issuer.der()));
  const bool issued = X509_check_issued(issuer_cert.get(), child_cert.get()) == X509_V_OK;
  EVP_PKEY* issuer_key = X509_get0_pubkey(issuer_cert.get());
  const bool signed_ok = issuer_key != nullptr && X509_verify(child_cert.get(), issuer_key) == 1;
  ERR_clear_error();
  if (!issued || !signed_ok) return Unauthenticated("certificate not issued by this CA");
  return Status::Ok();
}

Status CheckKeyMatches(const Certificate& certificate, const CertificateKey& key) {
  SP_ASSIGN_OR_RETURN(X509Ptr cert, ParseDer(certificate.der()));
  if (X509_check_private_key(cert.get(), KeyAccess::Get(key)) != 1) {
    ERR_clear_error();
    return InvalidArgument("the key does not belong to the certificate");
  }
  return Status::Ok();
}

}  // namespace sealpost::smime
