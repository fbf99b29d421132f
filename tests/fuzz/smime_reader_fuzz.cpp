// Fuzz target: inbound S/MIME through smime::ReadSmime (smime/smime_reader.h) — the MIME wrapper,
// base64, the CMS parser, the hand-walked envelope shape (cipher, GCM tag length) and OpenSSL's
// decryption refusing a message that is not for our key.
//
// The recipient key is made fresh in-process (P-256, self-signed), so no input can decrypt: the
// target exercises everything before and around decryption, which is what a hostile sender
// controls. Invariants checked: no crash, exception or sanitizer report; every input is refused,
// as InvalidArgument (not S/MIME, not an accepted envelope) or Unauthenticated (does not
// decrypt), never with another code.
//
// SECURITY: S/MIME mail comes from anyone who can send a member mail.
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/address.h"
#include "crypto/secret_bytes.h"
#include "smime/certificate.h"
#include "smime/certified_key.h"
#include "smime/smime_reader.h"
#include "smime/trust_anchors.h"

namespace {

namespace smime = sealpost::smime;

void Check(bool condition) {
  if (!condition) std::abort();
}

struct Fixture {
  smime::CertifiedKey key;
  smime::TrustAnchors anchors;
};

// A fresh P-256 key and a self-signed certificate for it, which is also the only anchor.
Fixture MakeFixture() {
  EVP_PKEY* pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  X509* cert = X509_new();
  Check(pkey != nullptr && cert != nullptr);
  X509_set_version(cert, X509_VERSION_3);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert), 86400);
  X509_NAME_add_entry_by_txt(X509_get_subject_name(cert), "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("fuzz"), -1, -1, 0);
  X509_set_issuer_name(cert, X509_get_subject_name(cert));
  X509_set_pubkey(cert, pkey);
  Check(X509_sign(cert, pkey, EVP_sha256()) > 0);

  BIO* key_bio = BIO_new(BIO_s_secmem());
  BIO* cert_bio = BIO_new(BIO_s_mem());
  Check(PEM_write_bio_PrivateKey(key_bio, pkey, nullptr, nullptr, 0, nullptr, nullptr) == 1);
  Check(PEM_write_bio_X509(cert_bio, cert) == 1);
  char* key_pem = nullptr;
  const long key_len = BIO_get_mem_data(key_bio, &key_pem);  // NOLINT(runtime/int)
  char* cert_pem = nullptr;
  const long cert_len = BIO_get_mem_data(cert_bio, &cert_pem);  // NOLINT(runtime/int)
  const std::string cert_text(cert_pem, static_cast<size_t>(cert_len));
  const auto secret = sealpost::crypto::SecretBytes::CopyOf(
      {reinterpret_cast<const uint8_t*>(key_pem), static_cast<size_t>(key_len)});
  BIO_free(key_bio);
  BIO_free(cert_bio);
  X509_free(cert);
  EVP_PKEY_free(pkey);

  const smime::CertificateImport imported = smime::ImportCertificates(sealpost::AsBytes(cert_text));
  Check(imported.ok());
  auto key = smime::CertifiedKey::Create(imported.certificates->leaf, {}, secret);
  Check(key.ok());
  const std::vector<std::string_view> texts = {cert_text};
  auto anchors = smime::TrustAnchors::FromPem(texts);
  Check(anchors.ok());
  return Fixture{std::move(*key), std::move(*anchors)};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const Fixture fixture = MakeFixture();
  static const sealpost::EmailAddress sender = *sealpost::EmailAddress::Parse("a@example.org");
  auto read = smime::ReadSmime({data, size}, fixture.key, fixture.anchors, sender,
                               std::chrono::system_clock::now());
  Check(!read.ok());
  Check(read.status().code() == sealpost::ErrorCode::kInvalidArgument ||
        read.status().code() == sealpost::ErrorCode::kUnauthenticated);
  return 0;
}
