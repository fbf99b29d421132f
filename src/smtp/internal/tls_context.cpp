#include "smtp/internal/tls_context.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "core/encoding.h"
#include "crypto/security_policy.h"

namespace sealpost::smtp::internal {
namespace {

namespace policy = crypto::policy;

struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct EvpPkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;
using X509Ptr = std::unique_ptr<X509, X509Free>;

Status Failure(std::string what) {
  ERR_clear_error();
  return InvalidArgument("SMTP TLS: " + what);
}

BioPtr MemoryBio(std::string_view text) {
  return BioPtr(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

// Accepts every chain during the handshake: the verdict is read afterwards
// (SSL_get_verify_result) and given to the face, which refuses the client in SMTP terms.
int AcceptForLater(int, X509_STORE_CTX*) { return 1; }

Status LoadClientCas(SSL_CTX* ctx, std::string_view pem) {
  BioPtr bio = MemoryBio(pem);
  if (!bio) return Failure("out of memory");
  X509_STORE* store = SSL_CTX_get_cert_store(ctx);
  int count = 0;
  for (;;) {
    X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (!cert) break;
    if (X509_STORE_add_cert(store, cert.get()) != 1 ||
        SSL_CTX_add_client_CA(ctx, cert.get()) != 1) {
      return Failure("client CA certificate unusable");
    }
    ++count;
  }
  ERR_clear_error();  // the loop ends on "no start line"
  if (count == 0) return Failure("no certificate in the client CA text");
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_CLIENT_ONCE, AcceptForLater);
  static constexpr unsigned char kContext[] = "sealpost-smtp";
  SSL_CTX_set_session_id_context(ctx, kContext, sizeof(kContext) - 1);
  return Status::Ok();
}

}  // namespace

Status ConfigureServerTlsContext(SSL_CTX* ctx, std::string_view certificate_pem,
                                 const crypto::SecretString& private_key_pem,
                                 std::string_view client_ca_pem) {
  const auto& p = policy::kTlsServer;
  if (SSL_CTX_set_min_proto_version(ctx, p.min_version) != 1 ||
      SSL_CTX_set_cipher_list(ctx, p.tls12_cipher_list.data()) != 1 ||
      SSL_CTX_set_ciphersuites(ctx, p.tls13_ciphersuites.data()) != 1 ||
      SSL_CTX_set1_groups_list(ctx, p.groups.data()) != 1) {
    return Failure("policy not applicable");
  }
  // As the HTTPS server (http/internal/tls_policy.cpp): no compression, renegotiation or
  // tickets; the client picks among suites that are all strong.
  SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_TICKET |
                               SSL_OP_NO_SSLv3 | SSL_OP_NO_TLSv1 | SSL_OP_NO_TLSv1_1);
  SSL_CTX_clear_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE);

  BioPtr chain = MemoryBio(certificate_pem);
  X509Ptr leaf(chain ? PEM_read_bio_X509(chain.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!leaf || SSL_CTX_use_certificate(ctx, leaf.get()) != 1) {
    return Failure("certificate unusable");
  }
  for (;;) {
    X509Ptr extra(PEM_read_bio_X509(chain.get(), nullptr, nullptr, nullptr));
    if (!extra) break;
    if (SSL_CTX_add1_chain_cert(ctx, extra.get()) != 1) {
      return Failure("intermediate certificate unusable");
    }
  }
  ERR_clear_error();
  BioPtr key_bio = MemoryBio(private_key_pem.view());
  std::unique_ptr<EVP_PKEY, EvpPkeyFree> key(
      key_bio ? PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!key || SSL_CTX_use_PrivateKey(ctx, key.get()) != 1) {
    return Failure("private key unusable");
  }
  if (SSL_CTX_check_private_key(ctx) != 1) {
    return Failure("private key does not match the certificate");
  }
  if (!client_ca_pem.empty()) SP_RETURN_IF_ERROR(LoadClientCas(ctx, client_ca_pem));
  return Status::Ok();
}

std::string VerifiedClientCertificateSha256(SSL* ssl) {
  X509Ptr cert(SSL_get1_peer_certificate(ssl));
  if (!cert || SSL_get_verify_result(ssl) != X509_V_OK) return "";
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (X509_digest(cert.get(), EVP_sha256(), digest, &length) != 1) {
    ERR_clear_error();
    return "";
  }
  return HexEncode(ByteView(digest, length));
}

}  // namespace sealpost::smtp::internal
