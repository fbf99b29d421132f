// Random bytes from libsodium's CSPRNG (randombytes_buf: getrandom(2) on Linux).
//
// For keys, nonces, salts and tokens. Identifiers that tests want to control come from the
// platform::Rng seam instead. Thread-safe.
#pragma once

#include <cstddef>

#include "core/encoding.h"
#include "crypto/secret_bytes.h"

namespace sealpost::crypto {

// Public randomness (nonces, salts, identifiers that are not secret).
Bytes RandomBytes(size_t n);
// Secret randomness (keys, link secrets): drawn straight into locked, wiped memory.
SecretBytes RandomSecret(size_t n);

}  // namespace sealpost::crypto
