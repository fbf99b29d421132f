// Anonymous public-key encryption to an X25519 key (libsodium crypto_box_seal): used to seal a
// message's data key to each recipient and to the sender. The sender is not authenticated — sign
// separately where that matters.
//
// Sealed form: ephemeral public key (32) ‖ XSalsa20-Poly1305 ciphertext ‖ tag (16), i.e.
// kSealOverhead (48) bytes longer than the plaintext.
//
// SECURITY: OpenSealed takes untrusted bytes; any failure is Unauthenticated("decryption failed")
// with no plaintext left behind. BoxPublicKey::FromBytes takes untrusted bytes and refuses keys of
// the wrong size and low-order points (for which sealing would be meaningless).
//
// Secrets: the 32-byte X25519 private key inside BoxKeyPair. Thread-safety: both key types are
// immutable after construction; all functions may be called concurrently.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <utility>

#include "core/encoding.h"
#include "core/status.h"
#include "crypto/secret_bytes.h"

namespace sealpost::crypto {

inline constexpr size_t kBoxPublicKeyBytes = 32;
inline constexpr size_t kBoxSecretKeyBytes = 32;
inline constexpr size_t kSealOverhead = 48;

class BoxPublicKey final {
 public:
  static Result<BoxPublicKey> FromBytes(ByteView bytes);
  ByteView bytes() const { return bytes_; }
  friend bool operator==(const BoxPublicKey&, const BoxPublicKey&) = default;

 private:
  explicit BoxPublicKey(const std::array<uint8_t, kBoxPublicKeyBytes>& bytes) : bytes_(bytes) {}
  std::array<uint8_t, kBoxPublicKeyBytes> bytes_;

  friend class BoxKeyPair;
};

class BoxKeyPair final {
 public:
  static BoxKeyPair Generate();
  // Rebuilds the pair from its 32-byte private key (the public key is derived); InvalidArgument if
  // the size is wrong.
  static Result<BoxKeyPair> FromSecret(SecretBytes secret_key);

  BoxKeyPair(BoxKeyPair&&) noexcept = default;
  BoxKeyPair& operator=(BoxKeyPair&&) noexcept = default;

  const BoxPublicKey& public_key() const { return public_key_; }
  // The raw private key: the one grep-able way out (for wrapping under the UMK).
  const SecretBytes& ExposeSecret() const { return secret_key_; }

 private:
  BoxKeyPair(BoxPublicKey public_key, SecretBytes secret_key)
      : public_key_(public_key), secret_key_(std::move(secret_key)) {}
  BoxPublicKey public_key_;
  SecretBytes secret_key_;
};

// Encrypts `plaintext` so that only the holder of the matching private key can open it.
Bytes SealTo(const BoxPublicKey& recipient, ByteView plaintext);

// Opens a sealed box addressed to `recipient`. See SECURITY above.
Result<SecretBytes> OpenSealed(const BoxKeyPair& recipient, ByteView sealed);

}  // namespace sealpost::crypto
