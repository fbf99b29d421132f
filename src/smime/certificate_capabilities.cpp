#include "smime/certificate_capabilities.h"

#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include <string>
#include <string_view>

#include "crypto/security_policy.h"
#include "smime/internal/certificate_access.h"

namespace sealpost::smime {
namespace {

namespace policy = crypto::policy;

int CipherNid(std::string_view name) {
  const EVP_CIPHER* cipher = EVP_get_cipherbyname(std::string(name).c_str());
  return cipher == nullptr ? NID_undef : EVP_CIPHER_get_nid(cipher);
}

}  // namespace

std::optional<RecipientCapabilities> CapabilitiesInCertificate(const Certificate& certificate) {
  X509* x509 = CertificateAccess::Raw(certificate);
  const int at = X509_get_ext_by_NID(x509, NID_SMIMECapabilities, -1);
  if (at < 0) return std::nullopt;
  const ASN1_OCTET_STRING* value = X509_EXTENSION_get_data(X509_get_ext(x509, at));
  if (value == nullptr) return std::nullopt;
  // SMIMECapabilities ::= SEQUENCE OF SMIMECapability (AlgorithmIdentifier-shaped): the same
  // ASN.1 as a list of X509_ALGOR, so OpenSSL's own decoder reads it.
  const unsigned char* p = ASN1_STRING_get0_data(value);
  const long length = ASN1_STRING_length(value);  // NOLINT(runtime/int): OpenSSL's type
  X509_ALGORS* algs = d2i_X509_ALGORS(nullptr, &p, length);
  if (algs == nullptr || p != ASN1_STRING_get0_data(value) + length) {
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

}  // namespace sealpost::smime
