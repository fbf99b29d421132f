// Authenticated encryption of small records with XChaCha20-Poly1305 (libsodium
// crypto_aead_xchacha20poly1305_ietf). Callers never see or choose a nonce (docs/architecture.md).
//
// Framed form (all integers are single bytes; the layout is fixed by the version byte):
//
//   0x01 (version) ‖ nonce (24 random bytes) ‖ ciphertext (|plaintext| bytes) ‖ tag (16 bytes)
//
// so a sealed record is exactly kAeadOverhead (41) bytes longer than its plaintext. Random 192-bit
// nonces make nonce reuse negligible for any realistic number of messages under one key.
//
// Associated data is authenticated, not encrypted; bind each ciphertext to its place
// ("blob/v1" ‖ message id …) so it cannot be moved to another record.
//
// SECURITY: AeadOpen takes untrusted bytes. Every failure (short input, unknown version, wrong key,
// wrong associated data, any modified byte) yields the same Unauthenticated("decryption failed")
// and no plaintext is returned or left in memory.
//
// Thread-safety: AeadKey is immutable after construction; the functions are safe to call
// concurrently, also with the same key.
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>

#include "core/encoding.h"
#include "core/status.h"
#include "crypto/secret_bytes.h"

namespace sealpost::crypto {

inline constexpr size_t kAeadKeyBytes = 32;
inline constexpr uint8_t kAeadVersion = 0x01;
inline constexpr size_t kAeadNonceBytes = 24;
inline constexpr size_t kAeadTagBytes = 16;
inline constexpr size_t kAeadOverhead = 1 + kAeadNonceBytes + kAeadTagBytes;
static_assert(kAeadOverhead == 41);

// A 256-bit XChaCha20-Poly1305 key (also the key type of stream_aead.h). Secret.
class AeadKey final {
 public:
  // A fresh random key.
  static AeadKey Generate();
  // Takes ownership of exactly kAeadKeyBytes of key material; InvalidArgument otherwise.
  static Result<AeadKey> FromSecret(SecretBytes secret);

  AeadKey(AeadKey&&) noexcept = default;
  AeadKey& operator=(AeadKey&&) noexcept = default;

  // The raw key bytes: the one grep-able way out (wrapping, storage). Keep uses rare.
  const SecretBytes& ExposeSecret() const { return secret_; }

 private:
  explicit AeadKey(SecretBytes secret) : secret_(std::move(secret)) {}
  SecretBytes secret_;
};

// Encrypts with a fresh random nonce and returns the framed form described above.
Bytes AeadSeal(const AeadKey& key, ByteView plaintext, ByteView associated_data);

// Checks and decrypts the framed form. See SECURITY above.
Result<SecretBytes> AeadOpen(const AeadKey& key, ByteView framed, ByteView associated_data);

}  // namespace sealpost::crypto
