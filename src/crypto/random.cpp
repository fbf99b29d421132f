#include "crypto/random.h"

#include <sodium.h>

namespace sealpost::crypto {

Bytes RandomBytes(size_t n) {
  EnsureInitialized();
  Bytes out(n);
  if (n != 0) randombytes_buf(out.data(), n);
  return out;
}

SecretBytes RandomSecret(size_t n) {
  SecretBytes out(n);  // Initialises libsodium.
  if (n != 0) randombytes_buf(out.data(), n);
  return out;
}

}  // namespace sealpost::crypto
