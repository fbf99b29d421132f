// The TLS server context of one SMTP listener: the policy of crypto/security_policy.h
// (kTlsServer), the certificate and key, and optionally the CAs for client certificates.
// Internal to smtp/.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"
#include "crypto/secret_string.h"

typedef struct ssl_ctx_st SSL_CTX;  // NOLINT: OpenSSL's own forward declaration
typedef struct ssl_st SSL;          // NOLINT

namespace sealpost::smtp::internal {

// Configures a fresh server context. InvalidArgument when the certificate, key or CA text is
// unusable or the key does not match.
Status ConfigureServerTlsContext(SSL_CTX* ctx, std::string_view certificate_pem,
                                 const crypto::SecretString& private_key_pem,
                                 std::string_view client_ca_pem);

// After a handshake: SHA-256 (lower-case hex) of the DER of the client certificate when one was
// sent and verified against the client CAs; "" otherwise.
std::string VerifiedClientCertificateSha256(SSL* ssl);

}  // namespace sealpost::smtp::internal
