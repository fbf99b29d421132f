#include "crypto/openssl_error.h"

#include <openssl/err.h>

namespace sealpost::crypto {

std::string DrainOpensslErrors() {
  std::string out;
  while (const unsigned long e = ERR_get_error()) {  // NOLINT(runtime/int): OpenSSL's type
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out.empty() ? "unknown error" : out;
}

Status OpensslFailure(std::string_view what) {
  return Internal(std::string(what) + ": " + DrainOpensslErrors());
}

}  // namespace sealpost::crypto
