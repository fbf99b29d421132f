#include "smime/certificate_capabilities.h"

#include <openssl/asn1.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include <climits>
#include <string>
#include <string_view>

#include "crypto/security_policy.h"
#include "smime/internal/capabilities.h"
#include "smime/internal/certificate_access.h"
#include "smime/internal/ossl_ptr.h"

namespace sealpost::smime {
namespace {

namespace policy = crypto::policy;

int CipherNid(std::string_view name) {
  const EVP_CIPHER* cipher = EVP_get_cipherbyname(std::string(name).c_str());
  return cipher == nullptr ? NID_undef : EVP_CIPHER_get_nid(cipher);
}

}  // namespace

namespace internal {

std::optional<RecipientCapabilities> DecodeCapabilities(const unsigned char* der, long length) {
  // SMIMECapabilities ::= SEQUENCE OF SMIMECapability (AlgorithmIdentifier-shaped): the same
  // ASN.1 as a list of X509_ALGOR, so OpenSSL's own decoder reads it.
  const unsigned char* p = der;
  X509_ALGORS* algs = d2i_X509_ALGORS(nullptr, &p, length);
  if (algs == nullptr || p != der + length) {
    if (algs != nullptr) sk_X509_ALGOR_pop_free(algs, X509_ALGOR_free);
    ERR_clear_error();
    return std::nullopt;
  }
  RecipientCapabilities caps;
  const int gcm = CipherNid(policy::kSmime.preferred_cipher);
  const int cbc = CipherNid(policy::kSmime.fallback_cipher);
  for (int i = 0; i < sk_X509_ALGOR_num(algs); ++i) {
    const int nid = OBJ_obj2nid(sk_X509_ALGOR_value(algs, i)->algorithm);
    caps.aes256_gcm |= nid == gcm;
    caps.aes256_cbc |= nid == cbc;
  }
  sk_X509_ALGOR_pop_free(algs, X509_ALGOR_free);
  return caps;
}

}  // namespace internal

std::optional<RecipientCapabilities> CapabilitiesInCertificate(const Certificate& certificate) {
  X509* x509 = CertificateAccess::Raw(certificate);
  const int at = X509_get_ext_by_NID(x509, NID_SMIMECapabilities, -1);
  if (at < 0) return std::nullopt;
  const ASN1_OCTET_STRING* value = X509_EXTENSION_get_data(X509_get_ext(x509, at));
  if (value == nullptr) return std::nullopt;
  return internal::DecodeCapabilities(ASN1_STRING_get0_data(value), ASN1_STRING_length(value));
}

std::optional<RecipientCapabilities> CapabilitiesInSignedData(ByteView cms_der,
                                                              const Certificate& signer) {
  if (cms_der.empty() || cms_der.size() > static_cast<size_t>(LONG_MAX)) return std::nullopt;
  const unsigned char* p = cms_der.data();
  const internal::CmsPtr cms(
      d2i_CMS_ContentInfo(nullptr, &p, static_cast<long>(cms_der.size())));  // NOLINT
  if (!cms || p != cms_der.data() + cms_der.size() ||
      OBJ_obj2nid(CMS_get0_type(cms.get())) != NID_pkcs7_signed) {
    ERR_clear_error();
    return std::nullopt;
  }
  STACK_OF(CMS_SignerInfo)* infos = CMS_get0_SignerInfos(cms.get());
  for (int i = 0; i < sk_CMS_SignerInfo_num(infos); ++i) {
    CMS_SignerInfo* si = sk_CMS_SignerInfo_value(infos, i);
    if (CMS_SignerInfo_cert_cmp(si, CertificateAccess::Raw(signer)) != 0) continue;
    const ASN1_STRING* value = static_cast<const ASN1_STRING*>(
        CMS_signed_get0_data_by_OBJ(si, OBJ_nid2obj(NID_SMIMECapabilities), -3, V_ASN1_SEQUENCE));
    ERR_clear_error();
    if (value == nullptr) return std::nullopt;
    return internal::DecodeCapabilities(ASN1_STRING_get0_data(value), ASN1_STRING_length(value));
  }
  ERR_clear_error();
  return std::nullopt;
}

}  // namespace sealpost::smime
