// The one place that says which TLS the HTTPS server speaks (docs/architecture.md).
// Internal to http/: included only by the server's translation unit and tests.
#pragma once

#include <cstdint>

#include "core/status.h"

typedef struct ssl_ctx_st SSL_CTX;  // NOLINT: OpenSSL's own forward declaration

namespace sealpost::http::internal {

struct TlsPolicy {
  const char* source;              // where the choices come from, with its date
  int min_protocol_version;        // TLS1_2_VERSION
  const char* tls12_cipher_list;   // OpenSSL cipher-list syntax, TLS 1.2 only
  const char* tls13_ciphersuites;  // TLS 1.3 suites
  const char* groups;              // key-exchange groups, preferred first
  uint64_t options;                // SSL_OP_* flags to set
};

const TlsPolicy& ServerTlsPolicy();

// Applies ServerTlsPolicy() to a server context and offers ALPN "http/1.1".
Status ApplyServerTlsPolicy(SSL_CTX* ctx);

}  // namespace sealpost::http::internal
