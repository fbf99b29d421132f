// Password hashing and password-based key derivation with argon2id (libsodium crypto_pwhash,
// ALG_ARGON2ID13, one lane).
//
// Two uses:
//  - HashPasswordForStorage / VerifyStoredPasswordHash: login passwords and MUCs. The stored form
//    is the standard PHC string ("$argon2id$v=19$m=…,t=…,p=1$salt$hash"), which carries its own
//    random salt and parameters, so parameters can be raised later (PasswordHashNeedsRehash).
//  - DeriveKeyFromPassword: the key that wraps a member's UMK. The caller stores the salt
//    (kPasswordSaltBytes, from RandomBytes) and the parameters next to the wrapped key.
//
// Cost: each call allocates mem_limit_bytes and runs for ops_limit passes over it (tens of
// milliseconds at the minimum). Callers facing the network must rate-limit before calling.
//
// SECURITY: passwords and stored hashes are untrusted input. Passwords longer than
// kMaxPasswordBytes are refused before any work is done. A stored hash is parsed by libsodium; its
// embedded parameters are trusted (they come from our own store), so a stored string with a huge
// memory cost would make verification expensive.
//
// Secrets: the password (the caller's memory) and the derived key (an AeadKey). Thread-safety: all
// functions are safe to call concurrently.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/encoding.h"
#include "core/status.h"
#include "crypto/aead.h"
#include "crypto/key_roles.h"

namespace sealpost::crypto {

inline constexpr size_t kPasswordSaltBytes = 16;
inline constexpr size_t kMaxPasswordBytes = 4096;

struct PasswordHashParams {
  uint64_t ops_limit;      // argon2 t (passes)
  size_t mem_limit_bytes;  // argon2 m, in bytes

  // InvalidArgument below OWASP's minimum for argon2id (m = 19 MiB, t = 2, p = 1) or above
  // libsodium's maxima.
  Status Validate() const;
};

// OWASP's minimum recommendation for argon2id: 19 MiB, 2 passes.
inline constexpr PasswordHashParams kMinimumPasswordHashParams{2, size_t{19} * 1024 * 1024};
// libsodium's "interactive" argon2id preset: 64 MiB, 2 passes.
inline constexpr PasswordHashParams kInteractivePasswordHashParams{2, size_t{64} * 1024 * 1024};

// Derives a 32-byte key-encryption key from `password` and a kPasswordSaltBytes `salt`.
// InvalidArgument for a wrong salt size, invalid parameters or a too-long password; Unavailable if
// libsodium cannot run (out of memory).
Result<Kek> DeriveKeyFromPassword(std::string_view password, ByteView salt,
                                  const PasswordHashParams& params);

// Hashes `password` with a fresh random salt into a PHC string for storage (not secret, but not
// to be shown to users either). Errors as DeriveKeyFromPassword.
Result<std::string> HashPasswordForStorage(std::string_view password,
                                           const PasswordHashParams& params);

// True only if `stored` is a well-formed argon2id PHC string and `password` matches it. False for
// anything else (other algorithms such as argon2i, malformed strings, too-long passwords).
bool VerifyStoredPasswordHash(std::string_view stored, std::string_view password);

// True if `stored` was not made with exactly `params` (or cannot be parsed): re-hash on the next
// successful login.
bool PasswordHashNeedsRehash(std::string_view stored, const PasswordHashParams& params);

}  // namespace sealpost::crypto
