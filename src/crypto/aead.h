// Authenticated encryption of small records with XChaCha20-Poly1305 (libsodium
// crypto_aead_xchacha20poly1305_ietf). Callers never see or choose a nonce (docs/architecture.md).
//
// Framed forms (the layout is fixed by the first byte, the version; docs/formats/aead.md):
//
//   v2 (written): 0x02 ‖ key id (4 bytes) ‖ nonce (24 random bytes) ‖ ciphertext ‖ tag (16 bytes)
//   v1 (legacy, read only): 0x01 ‖ nonce (24) ‖ ciphertext ‖ tag (16)
//
// so a sealed record is exactly kAeadOverhead (45) bytes longer than its plaintext (41 for v1).
// Random 192-bit nonces make nonce reuse negligible for any realistic number of messages under one
// key.
//
// The key id names the key that sealed a record (AeadKey::key_id, FramedKeyId), so that a
// re-encryption under a new master key can tell old records from new ones without trying keys. It
// is the first 4 bytes of a libsodium crypto_kdf subkey (BLAKE2b keyed by the AEAD key, fixed
// context "spkeyid1", id 1): a one-way function of the key that reveals nothing about it. It is an
// identifier, not an authenticator: 4 bytes collide between keys with probability 2^-32, and only
// the tag decides whether a key opens a record. In v2 the header (version ‖ key id) is
// authenticated: the associated data passed to XChaCha20-Poly1305 is
//   0x02 ‖ key id ‖ caller's associated data
// (the header has a fixed length, so the concatenation is unambiguous). v1 frames authenticate
// the caller's associated data only; they are still opened so that stored data keeps working.
//
// Associated data is authenticated, not encrypted; bind each ciphertext to its place with a label
// from crypto/ad_labels.h and the owning record's ids, so it cannot be moved to another record.
//
// SECURITY: AeadOpen and FramedKeyId take untrusted bytes. Every failure of AeadOpen (short input,
// unknown version, wrong key or key id, wrong associated data, any modified byte) yields the same
// Unauthenticated("decryption failed") and no plaintext is returned or left in memory.
//
// Thread-safety: AeadKey is immutable after construction; the functions are safe to call
// concurrently, also with the same key.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <utility>

#include "core/encoding.h"
#include "core/status.h"
#include "crypto/secret_bytes.h"

namespace sealpost::crypto {

inline constexpr size_t kAeadKeyBytes = 32;
inline constexpr uint8_t kAeadVersionV1 = 0x01;  // legacy: read, never written
inline constexpr uint8_t kAeadVersion = 0x02;    // what AeadSeal writes
inline constexpr size_t kAeadKeyIdBytes = 4;
inline constexpr size_t kAeadNonceBytes = 24;
inline constexpr size_t kAeadTagBytes = 16;
inline constexpr size_t kAeadOverheadV1 = 1 + kAeadNonceBytes + kAeadTagBytes;
inline constexpr size_t kAeadOverhead = 1 + kAeadKeyIdBytes + kAeadNonceBytes + kAeadTagBytes;
static_assert(kAeadOverheadV1 == 41);
static_assert(kAeadOverhead == 45);

// Names a key without revealing it (see the header comment). Not secret.
using AeadKeyId = std::array<uint8_t, kAeadKeyIdBytes>;

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
  // The id that v2 frames sealed under this key carry.
  const AeadKeyId& key_id() const { return key_id_; }

 private:
  explicit AeadKey(SecretBytes secret);
  SecretBytes secret_;
  AeadKeyId key_id_{};
};

// Encrypts with a fresh random nonce and returns the framed form described above.
Bytes AeadSeal(const AeadKey& key, ByteView plaintext, ByteView associated_data);

// Checks and decrypts a v2 or v1 frame. See SECURITY above.
Result<SecretBytes> AeadOpen(const AeadKey& key, ByteView framed, ByteView associated_data);

// The key id in a v2 frame's header, without opening it: which key sealed the record (e.g. to
// find the records a master-key rotation has still to re-seal). NotFound for a v1 frame (it names
// no key: try the keys it may be under), InvalidArgument for anything shorter than a frame or with
// an unknown version. Unauthenticated information: a forged id only makes AeadOpen fail.
Result<AeadKeyId> FramedKeyId(ByteView framed);

}  // namespace sealpost::crypto
