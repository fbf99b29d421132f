// Bare OpenSSL helpers shared by the S/MIME benchmarks: in-process keys and self-signed
// certificates, their conversion into smime/ types, and the baseline sign-then-encrypt loop
// written straight on OpenSSL's CMS (the same cryptography smime::SignAndEncrypt does, with
// OpenSSL's defaults for everything Sealpost chooses itself). Header-only; test and bench use only.
#pragma once

#include <openssl/cms.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "crypto/secret_bytes.h"
#include "smime/certificate.h"
#include "smime/certified_key.h"

namespace sealpost::bench::cms {

namespace smime = sealpost::smime;

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct X509Free {
  void operator()(X509* p) const { X509_free(p); }
};
struct BioFree {
  void operator()(BIO* p) const { BIO_free(p); }
};
struct CmsFree {
  void operator()(CMS_ContentInfo* p) const { CMS_ContentInfo_free(p); }
};
using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using X509Ptr = std::unique_ptr<X509, X509Free>;
using BioPtr = std::unique_ptr<BIO, BioFree>;
using CmsPtr = std::unique_ptr<CMS_ContentInfo, CmsFree>;

[[noreturn]] inline void Die(const char* what) {
  std::fprintf(stderr, "bench: %s failed\n", what);
  std::exit(1);
}

inline EvpPkeyPtr MakeKey(bool rsa) {
  EvpPkeyPtr key(rsa ? EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{3072})
                     : EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!key) Die("key generation");
  return key;
}

// A self-signed certificate with emailProtection and an rfc822Name.
inline X509Ptr MakeCertificate(EVP_PKEY* key, const char* email) {
  X509Ptr cert(X509_new());
  if (!cert) Die("X509_new");
  X509_set_version(cert.get(), X509_VERSION_3);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 86400L * 30);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(email), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  X509_set_pubkey(cert.get(), key);
  const std::string san = std::string("email:") + email;
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
  for (const auto& [nid, value] : std::vector<std::pair<int, std::string>>{
           {NID_ext_key_usage, "emailProtection"}, {NID_subject_alt_name, san}}) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
    if (ext == nullptr || X509_add_ext(cert.get(), ext, -1) != 1) Die("extension");
    X509_EXTENSION_free(ext);
  }
  if (X509_sign(cert.get(), key, EVP_sha256()) <= 0) Die("X509_sign");
  return cert;
}

inline smime::Certificate AsCertificate(X509* cert) {
  unsigned char* der = nullptr;
  const int n = i2d_X509(cert, &der);
  if (n <= 0) Die("i2d_X509");
  auto out = smime::Certificate::FromDer({der, static_cast<size_t>(n)});
  OPENSSL_free(der);
  if (!out.ok()) Die("Certificate::FromDer");
  return *out;
}

inline smime::CertifiedKey AsCertifiedKey(X509* cert, EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_secmem()));
  if (!bio ||
      PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    Die("PEM_write_bio_PrivateKey");
  }
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);  // NOLINT(runtime/int): OpenSSL's type
  const auto secret = sealpost::crypto::SecretBytes::CopyOf(
      {reinterpret_cast<const uint8_t*>(data), static_cast<size_t>(n)});
  auto out = smime::CertifiedKey::Create(AsCertificate(cert), {}, secret);
  if (!out.ok()) Die("CertifiedKey::Create");
  return std::move(*out);
}

// The baseline: the same signature and envelope straight on OpenSSL. Returns the output size.
// With `mime` false, the context figure: DER straight into the envelope and DER out, no MIME and
// no base64 (not an S/MIME message; the floor of the cryptography alone).
inline size_t BareSignEncrypt(const std::string& content, X509* signer, EVP_PKEY* signer_key,
                              X509* recipient, bool rsa, bool mime) {
  BioPtr in(BIO_new_mem_buf(content.data(), static_cast<int>(content.size())));
  CmsPtr signed_cms(CMS_sign(signer, signer_key, nullptr, in.get(), CMS_BINARY));
  if (!signed_cms) Die("CMS_sign");
  // The signed layer as an application/pkcs7-mime part (base64), as S/MIME encrypts it.
  BioPtr signed_part(BIO_new(BIO_s_mem()));
  if (!signed_part ||
      (mime ? SMIME_write_CMS(signed_part.get(), signed_cms.get(), nullptr, CMS_BINARY)
            : i2d_CMS_bio(signed_part.get(), signed_cms.get())) != 1) {
    Die("SMIME_write_CMS");
  }

  CmsPtr env(CMS_encrypt(nullptr, nullptr, EVP_aes_256_gcm(), CMS_PARTIAL | CMS_BINARY));
  CMS_RecipientInfo* ri =
      env ? CMS_add1_recipient_cert(env.get(), recipient, CMS_KEY_PARAM) : nullptr;
  if (ri == nullptr) Die("CMS_add1_recipient_cert");
  EVP_PKEY_CTX* pctx = CMS_RecipientInfo_get0_pkey_ctx(ri);
  if (rsa) {
    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_OAEP_PADDING);
    EVP_PKEY_CTX_set_rsa_oaep_md(pctx, EVP_sha256());
    EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256());
  } else {
    EVP_PKEY_CTX_set_ecdh_kdf_md(pctx, EVP_sha256());
  }
  if (CMS_final(env.get(), signed_part.get(), nullptr, CMS_BINARY) != 1) Die("CMS_final");
  BioPtr out(BIO_new(BIO_s_mem()));
  if (!out || (mime ? SMIME_write_CMS(out.get(), env.get(), nullptr, CMS_BINARY)
                    : i2d_CMS_bio(out.get(), env.get())) != 1) {
    Die("SMIME_write_CMS");
  }
  return static_cast<size_t>(BIO_pending(out.get()));
}

}  // namespace sealpost::bench::cms
