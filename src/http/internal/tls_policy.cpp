#include "http/internal/tls_policy.h"

#include "crypto/openssl_error.h"
#include "crypto/security_policy.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <cstring>
#include <string>

namespace sealpost::http::internal {
namespace {

namespace policy = crypto::policy;

// The strings come from crypto/security_policy.h (kTlsServer: Mozilla Server Side TLS
// "intermediate" v5, ECDHE only; review yearly). What this context adds:
//  - TLS 1.2 is the minimum; TLS 1.3 is preferred (OpenSSL negotiates the highest common
//    version, and 1.3 suites are all AEAD).
//  - TLS 1.2: ECDHE with AES-GCM or ChaCha20-Poly1305 only — forward secrecy and AEAD; no CBC,
//    no RSA key transport, no SHA-1 MACs.
//  - No compression (CRIME), no renegotiation, no session tickets: a ticket key that lives as
//    long as the process would undo forward secrecy for resumed sessions.
//  - No server cipher preference: every suite offered is strong, so the client picks what its
//    hardware does fastest (Mozilla's recommendation).
constexpr TlsPolicy kServerPolicy = {
    policy::kTlsServer.source.data(),
    policy::kTlsServer.min_version,
    policy::kTlsServer.tls12_cipher_list.data(),
    policy::kTlsServer.tls13_ciphersuites.data(),
    policy::kTlsServer.groups.data(),
    SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_TICKET | SSL_OP_NO_SSLv3 |
        SSL_OP_NO_TLSv1 | SSL_OP_NO_TLSv1_1,
};

Status PolicyError(const char* what) {
  return crypto::OpensslFailure(std::string("TLS policy: ") + what);
}

// Selects "http/1.1" when the client offers it; otherwise no ALPN (the client falls back).
int SelectAlpn(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
               unsigned int inlen, void*) {
  static constexpr unsigned char kHttp11[] = {'h', 't', 't', 'p', '/', '1', '.', '1'};
  unsigned int i = 0;
  while (i < inlen) {
    const unsigned int len = in[i];
    if (i + 1 + len > inlen) break;
    if (len == sizeof(kHttp11) && std::memcmp(in + i + 1, kHttp11, len) == 0) {
      *out = in + i + 1;
      *outlen = static_cast<unsigned char>(len);
      return SSL_TLSEXT_ERR_OK;
    }
    i += 1 + len;
  }
  return SSL_TLSEXT_ERR_NOACK;
}

}  // namespace

const TlsPolicy& ServerTlsPolicy() { return kServerPolicy; }

Status ApplyServerTlsPolicy(SSL_CTX* ctx) {
  const TlsPolicy& policy = kServerPolicy;
  if (SSL_CTX_set_min_proto_version(ctx, policy.min_protocol_version) != 1) {
    return PolicyError("min protocol version");
  }
  if (SSL_CTX_set_max_proto_version(ctx, 0) != 1) return PolicyError("max protocol version");
  if (SSL_CTX_set_cipher_list(ctx, policy.tls12_cipher_list) != 1) {
    return PolicyError("TLS 1.2 cipher list");
  }
  if (SSL_CTX_set_ciphersuites(ctx, policy.tls13_ciphersuites) != 1) {
    return PolicyError("TLS 1.3 cipher suites");
  }
  if (SSL_CTX_set1_groups_list(ctx, policy.groups) != 1) return PolicyError("groups");
  SSL_CTX_set_options(ctx, policy.options);
  SSL_CTX_clear_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE);
  SSL_CTX_set_alpn_select_cb(ctx, SelectAlpn, nullptr);
  return Status::Ok();
}

}  // namespace sealpost::http::internal
