#include "smime/smime_writer.h"

#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <string>
#include <string_view>

#include "crypto/openssl_error.h"
#include "crypto/secret_bytes.h"
#include "crypto/security_policy.h"
#include "smime/internal/certificate_access.h"
#include "smime/internal/certified_key_access.h"
#include "smime/internal/ossl.h"
#include "smime/internal/pkcs7_mime.h"

namespace sealpost::smime {
namespace {

namespace policy = crypto::policy;
using internal::BioPtr;
using internal::CmsPtr;

struct AlgorStackFree {
  void operator()(STACK_OF(X509_ALGOR) * p) const { sk_X509_ALGOR_pop_free(p, X509_ALGOR_free); }
};
struct Asn1TimeFree {
  void operator()(ASN1_TIME* p) const { ASN1_TIME_free(p); }
};

// Wipes a buffer of plaintext when it goes out of scope.
struct WipeOnExit {
  Bytes& bytes;
  ~WipeOnExit() { crypto::Wipe(bytes); }
};

Result<Bytes> ContentInfoDer(CMS_ContentInfo* cms) {
  const int n = i2d_CMS_ContentInfo(cms, nullptr);
  if (n <= 0) return crypto::OpensslFailure("i2d_CMS_ContentInfo");
  Bytes der(static_cast<size_t>(n));
  unsigned char* p = der.data();
  if (i2d_CMS_ContentInfo(cms, &p) != n) return crypto::OpensslFailure("i2d_CMS_ContentInfo");
  return der;
}

// Opaque SignedData over `content` (CMS_BINARY: the bytes as given, no canonicalisation).
Result<Bytes> Sign(ByteView content, const CertifiedKey& signer, TimePoint signing_time) {
  CmsPtr cms(CMS_sign(nullptr, nullptr, nullptr, nullptr, CMS_PARTIAL | CMS_BINARY));
  if (!cms) return crypto::OpensslFailure("CMS_sign");
  const EVP_MD* md = EVP_get_digestbyname(std::string(policy::kSmime.sign_digest).c_str());
  if (md == nullptr) return crypto::OpensslFailure("the signing digest");
  // Our own SMIMECapabilities instead of OpenSSL's standard list (which offers 3DES, RC2, DES).
  CMS_SignerInfo* si =
      CMS_add1_signer(cms.get(), CertificateAccess::Raw(signer.certificate()),
                      CertifiedKeyAccess::Raw(signer), md, CMS_BINARY | CMS_NOSMIMECAP);
  if (si == nullptr) return crypto::OpensslFailure("CMS_add1_signer");
  for (const Certificate& c : signer.chain()) {
    if (CMS_add1_cert(cms.get(), CertificateAccess::Raw(c)) != 1) {
      return crypto::OpensslFailure("CMS_add1_cert");
    }
  }
  // Signing time from the caller (OpenSSL would take the wall clock when it is absent).
  const std::unique_ptr<ASN1_TIME, Asn1TimeFree> when(
      ASN1_TIME_set(nullptr, internal::ToTimeT(signing_time)));
  if (!when ||
      CMS_signed_add1_attr_by_NID(si, NID_pkcs9_signingTime, when->type, when.get(), -1) != 1) {
    return crypto::OpensslFailure("signing time");
  }
  STACK_OF(X509_ALGOR)* caps_raw = nullptr;
  // What we read, strongest first (RFC 8551 section 2.5.2): the policy's two content ciphers.
  const EVP_CIPHER* preferred =
      EVP_get_cipherbyname(std::string(policy::kSmime.preferred_cipher).c_str());
  const EVP_CIPHER* fallback =
      EVP_get_cipherbyname(std::string(policy::kSmime.fallback_cipher).c_str());
  const int caps_ok = preferred != nullptr && fallback != nullptr &&
                      CMS_add_simple_smimecap(&caps_raw, EVP_CIPHER_get_nid(preferred), -1) == 1 &&
                      CMS_add_simple_smimecap(&caps_raw, EVP_CIPHER_get_nid(fallback), -1) == 1;
  const std::unique_ptr<STACK_OF(X509_ALGOR), AlgorStackFree> caps(caps_raw);
  if (!caps_ok || CMS_add_smimecap(si, caps.get()) != 1) {
    return crypto::OpensslFailure("SMIMECapabilities");
  }
  const BioPtr in = internal::ReadOnlyBio(content);
  if (!in || CMS_final(cms.get(), in.get(), nullptr, CMS_BINARY) != 1) {
    return crypto::OpensslFailure("CMS_final (sign)");
  }
  return ContentInfoDer(cms.get());
}

// Sets RSAES-OAEP or the ECDH KDF on the recipient info, by the recipient's key type.
Status SetKeyManagement(CMS_RecipientInfo* ri, const Certificate& recipient) {
  EVP_PKEY_CTX* pctx = CMS_RecipientInfo_get0_pkey_ctx(ri);
  if (pctx == nullptr) return crypto::OpensslFailure("CMS_RecipientInfo_get0_pkey_ctx");
  const EVP_MD* sha256 = EVP_sha256();
  switch (recipient.key().type) {
    case KeyType::kRsa:
      if (!policy::kSmime.rsa_oaep) return Status::Ok();
      if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_OAEP_PADDING) <= 0 ||
          EVP_PKEY_CTX_set_rsa_oaep_md(pctx, sha256) <= 0 ||
          EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, sha256) <= 0) {
        return crypto::OpensslFailure("RSA-OAEP parameters");
      }
      return Status::Ok();
    case KeyType::kEc:
      // OpenSSL would default to the SHA-1 KDF scheme; SHA-256 keeps SHA-1 out entirely.
      if (EVP_PKEY_CTX_set_ecdh_kdf_md(pctx, sha256) <= 0) {
        return crypto::OpensslFailure("ECDH KDF");
      }
      return Status::Ok();
    default:
      return InvalidArgument("the recipient's key type cannot receive S/MIME");
  }
}

Result<Bytes> Encrypt(ByteView content, const Certificate& recipient, Envelope envelope) {
  const std::string_view name = envelope == Envelope::kAuthEnvelopedAes256Gcm
                                    ? policy::kSmime.preferred_cipher
                                    : policy::kSmime.fallback_cipher;
  const EVP_CIPHER* cipher = EVP_get_cipherbyname(std::string(name).c_str());
  if (cipher == nullptr) return crypto::OpensslFailure("the content cipher");
  CmsPtr cms(CMS_encrypt(nullptr, nullptr, cipher, CMS_PARTIAL | CMS_BINARY));
  if (!cms) return crypto::OpensslFailure("CMS_encrypt");
  CMS_RecipientInfo* ri =
      CMS_add1_recipient_cert(cms.get(), CertificateAccess::Raw(recipient), CMS_KEY_PARAM);
  if (ri == nullptr) return crypto::OpensslFailure("CMS_add1_recipient_cert");
  SP_RETURN_IF_ERROR(SetKeyManagement(ri, recipient));
  const BioPtr in = internal::ReadOnlyBio(content);
  if (!in || CMS_final(cms.get(), in.get(), nullptr, CMS_BINARY) != 1) {
    return crypto::OpensslFailure("CMS_final (encrypt)");
  }
  return ContentInfoDer(cms.get());
}

}  // namespace

std::string_view SmimeTypeOf(Envelope envelope) {
  return envelope == Envelope::kAuthEnvelopedAes256Gcm ? "authEnveloped-data" : "enveloped-data";
}

Envelope ChooseEnvelope(const std::optional<RecipientCapabilities>& capabilities) {
  const bool gcm =
      capabilities ? capabilities->aes256_gcm : policy::kSmime.gcm_when_capabilities_unknown;
  return gcm ? Envelope::kAuthEnvelopedAes256Gcm : Envelope::kEnvelopedAes256Cbc;
}

Result<SmimeMessage> SignAndEncrypt(ByteView inner_entity, const CertifiedKey& signer,
                                    const SmimeRecipient& recipient, TimePoint signing_time) {
  const KeyType type = recipient.certificate.key().type;
  if (type != KeyType::kRsa && type != KeyType::kEc) {
    return InvalidArgument("the recipient's key type cannot receive S/MIME");
  }
  auto signed_der = Sign(inner_entity, signer, signing_time);
  ERR_clear_error();
  if (!signed_der.ok()) return signed_der.status();
  const WipeOnExit wipe_signed{*signed_der};
  Bytes signed_part = internal::WrapPkcs7Mime("signed-data", *signed_der);
  const WipeOnExit wipe_part{signed_part};

  const Envelope envelope = ChooseEnvelope(recipient.capabilities);
  auto enveloped = Encrypt(signed_part, recipient.certificate, envelope);
  ERR_clear_error();
  if (!enveloped.ok()) return enveloped.status();
  return SmimeMessage{internal::WrapPkcs7Mime(SmimeTypeOf(envelope), *enveloped), envelope};
}

}  // namespace sealpost::smime
