// A throw-away TLS server certificate, so `sealpost serve` runs with no configuration: an ECDSA
// P-256 key and a self-signed X.509 v3 certificate (SHA-256 signature, 128-bit random serial,
// basicConstraints CA:FALSE, keyUsage digitalSignature, extendedKeyUsage serverAuth, and the
// given names as subjectAltName). Valid from one hour ago (clock skew) for `valid_days` days.
//
// The private key PEM is unencrypted PKCS#8: write it to a file only the server user can read.
// Thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "crypto/secret_string.h"

namespace sealpost::http {

struct PemPair {
  std::string certificate_pem;
  crypto::SecretString private_key_pem;
};

// `dns_names`: host names (letters, digits, '-', '.', a leading "*." allowed); `ip_addresses`:
// IPv4 or IPv6 literals. InvalidArgument for a bad name, address, empty common name or
// valid_days outside 1..3650.
Result<PemPair> GenerateSelfSignedCertificate(std::string_view common_name,
                                              const std::vector<std::string>& dns_names,
                                              const std::vector<std::string>& ip_addresses,
                                              int valid_days);

}  // namespace sealpost::http
