// Ed25519 signatures (libsodium crypto_sign_*, RFC 8032 "pure" Ed25519 — no pre-hashing).
//
// A SigningKey is stored and exported as its 32-byte RFC 8032 seed (the "secret key" of the RFC's
// test vectors); the expanded signing key is derived from it (crypto_sign_seed_keypair).
//
// SECURITY: Verify and VerifyKey::FromBytes take untrusted bytes. FromBytes refuses keys that are
// not a canonical point of the prime-order subgroup; Verify refuses (Unauthenticated("signature
// does not verify")) signatures of the wrong length, non-canonical signatures and forgeries.
//
// Secrets: the seed and expanded key inside SigningKey. Thread-safety: both key types are
// immutable after construction; Sign and Verify may run concurrently.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <utility>

#include "core/encoding.h"
#include "core/status.h"
#include "crypto/secret_bytes.h"

namespace sealpost::crypto {

inline constexpr size_t kVerifyKeyBytes = 32;
inline constexpr size_t kSigningSeedBytes = 32;
inline constexpr size_t kSignatureBytes = 64;

class VerifyKey final {
 public:
  static Result<VerifyKey> FromBytes(ByteView bytes);
  ByteView bytes() const { return bytes_; }
  friend bool operator==(const VerifyKey&, const VerifyKey&) = default;

 private:
  explicit VerifyKey(const std::array<uint8_t, kVerifyKeyBytes>& bytes) : bytes_(bytes) {}
  std::array<uint8_t, kVerifyKeyBytes> bytes_;

  friend class SigningKey;
};

class SigningKey final {
 public:
  static SigningKey Generate();
  // Rebuilds the key from its 32-byte seed (copied); InvalidArgument if the size is wrong.
  static Result<SigningKey> FromSeed(const SecretBytes& seed);

  SigningKey(SigningKey&&) noexcept = default;
  SigningKey& operator=(SigningKey&&) noexcept = default;

  const VerifyKey& verify_key() const { return verify_key_; }
  // The 32-byte seed: the one grep-able way out (for wrapping under a KEK).
  const SecretBytes& ExposeSeed() const { return seed_; }

  // Returns the 64-byte detached signature of `message`. Deterministic (RFC 8032).
  Bytes Sign(ByteView message) const;

 private:
  SigningKey(VerifyKey verify_key, SecretBytes seed, SecretBytes expanded)
      : verify_key_(verify_key), seed_(std::move(seed)), expanded_(std::move(expanded)) {}
  VerifyKey verify_key_;
  SecretBytes seed_;
  SecretBytes expanded_;  // libsodium's 64-byte form: seed ‖ public key.
};

// OK if `signature` is a valid signature of `message` under `key`; otherwise
// Unauthenticated("signature does not verify").
Status Verify(const VerifyKey& key, ByteView message, ByteView signature);

}  // namespace sealpost::crypto
