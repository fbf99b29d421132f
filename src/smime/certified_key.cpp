#include "smime/certified_key.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <algorithm>

#include <fmt/format.h>

#include "crypto/security_policy.h"
#include "smime/internal/certificate_access.h"
#include "smime/internal/ossl.h"

namespace sealpost::smime {
namespace {

namespace policy = crypto::policy;

// No passphrase: an encrypted key is refused rather than prompted for.
int NoPassword(char*, int, int, void*) { return -1; }

bool KeyMeetsPolicy(const PublicKeyInfo& key) {
  if (key.type == KeyType::kRsa) return key.bits >= policy::kSmime.min_rsa_bits;
  if (key.type == KeyType::kEc) {
    const auto& curves = policy::kSmime.curves;
    return std::find(curves.begin(), curves.end(), key.curve) != curves.end();
  }
  return false;
}

}  // namespace

Result<CertifiedKey> CertifiedKey::Create(Certificate certificate, std::vector<Certificate> chain,
                                          const crypto::SecretBytes& private_key) {
  if (!KeyMeetsPolicy(certificate.key())) {
    return InvalidArgument("the certificate's key is below the S/MIME policy");
  }
  internal::EvpPkeyPtr key;
  {
    const internal::BioPtr bio = internal::ReadOnlyBio(private_key.view());
    if (!bio) return InvalidArgument("out of memory");
    key.reset(PEM_read_bio_PrivateKey(bio.get(), nullptr, NoPassword, nullptr));
  }
  if (!key) {
    ERR_clear_error();
    const unsigned char* p = private_key.data();
    key.reset(d2i_AutoPrivateKey(nullptr, &p, static_cast<long>(private_key.size())));
    if (key && p != private_key.data() + private_key.size()) key.reset();
  }
  ERR_clear_error();
  if (!key) return InvalidArgument("the private key cannot be read (or is encrypted)");
  if (X509_check_private_key(CertificateAccess::Raw(certificate), key.get()) != 1) {
    ERR_clear_error();
    return InvalidArgument("the private key does not belong to the certificate");
  }
  std::shared_ptr<evp_pkey_st> shared(key.release(), EVP_PKEY_free);
  return CertifiedKey(std::move(certificate), std::move(chain), std::move(shared));
}

}  // namespace sealpost::smime
