// CertifiedKey: a private key together with its certificate (and the chain to send with it) —
// what signs an S/MIME message and what decrypts one addressed to its certificate.
//
// Created only by Create, which checks that the key belongs to the certificate and that both
// meet the S/MIME policy (crypto/security_policy.h kSmime: RSA ≥ 2048 bits, P-256/P-384). The
// private key arrives as PKCS#8 or traditional PEM/DER inside crypto::SecretBytes (unencrypted;
// unwrapping it is the key store's business) and lives afterwards only inside OpenSSL's EVP_PKEY.
//
// Thread-safety: immutable after construction; copies share the key handle; signing and
// decrypting with one CertifiedKey from several threads at once is safe (OpenSSL 3 keys are
// read-only in use).
#pragma once

#include <memory>
#include <vector>

#include "core/status.h"
#include "crypto/secret_bytes.h"
#include "smime/certificate.h"

struct evp_pkey_st;  // OpenSSL's EVP_PKEY; kept out of this header.

namespace sealpost::smime {

class CertifiedKey final {
 public:
  // InvalidArgument when the key cannot be read, is encrypted, does not match `certificate`, or
  // either is below the policy.
  static Result<CertifiedKey> Create(Certificate certificate, std::vector<Certificate> chain,
                                     const crypto::SecretBytes& private_key);

  const Certificate& certificate() const { return certificate_; }
  const std::vector<Certificate>& chain() const { return chain_; }

 private:
  CertifiedKey(Certificate certificate, std::vector<Certificate> chain,
               std::shared_ptr<evp_pkey_st> key)
      : certificate_(std::move(certificate)), chain_(std::move(chain)), key_(std::move(key)) {}
  Certificate certificate_;
  std::vector<Certificate> chain_;
  std::shared_ptr<evp_pkey_st> key_;

  friend struct CertifiedKeyAccess;  // smime/internal/certified_key_access.h
};

}  // namespace sealpost::smime
