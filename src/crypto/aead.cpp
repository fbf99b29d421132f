#include "crypto/aead.h"

#include <sodium.h>

#include <algorithm>

#include "crypto/internal/aead_with_nonce.h"
#include "crypto/internal/check.h"
#include "crypto/random.h"

namespace sealpost::crypto {

static_assert(kAeadKeyBytes == crypto_aead_xchacha20poly1305_ietf_KEYBYTES);
static_assert(kAeadNonceBytes == crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
static_assert(kAeadTagBytes == crypto_aead_xchacha20poly1305_ietf_ABYTES);

namespace {

// v2: version ‖ key id ‖ nonce ‖ ciphertext ‖ tag. v1: version ‖ nonce ‖ ciphertext ‖ tag.
constexpr size_t kHeaderBytes = 1 + kAeadKeyIdBytes;
constexpr size_t kKeyIdContextLength = 8;
constexpr char kKeyIdContext[kKeyIdContextLength + 1] = "spkeyid1";  // crypto_kdf context
constexpr uint64_t kKeyIdSubkey = 1;
static_assert(crypto_kdf_CONTEXTBYTES == kKeyIdContextLength);
static_assert(crypto_kdf_KEYBYTES == kAeadKeyBytes);

Status DecryptionFailed() { return Unauthenticated("decryption failed"); }

AeadKeyId DeriveKeyId(const SecretBytes& key) {
  EnsureInitialized();
  uint8_t subkey[crypto_kdf_BYTES_MIN];
  if (crypto_kdf_derive_from_key(subkey, sizeof subkey, kKeyIdSubkey, kKeyIdContext, key.data()) !=
      0) {
    internal::Die("crypto_kdf_derive_from_key failed");
  }
  AeadKeyId id;
  std::copy_n(subkey, id.size(), id.begin());
  sodium_memzero(subkey, sizeof subkey);
  return id;
}

// The associated data XChaCha20-Poly1305 authenticates for a frame of `version`.
Bytes FullAssociatedData(uint8_t version, const AeadKeyId& key_id, ByteView associated_data) {
  if (version == kAeadVersionV1) return Bytes(associated_data.begin(), associated_data.end());
  Bytes out;
  out.reserve(kHeaderBytes + associated_data.size());
  out.push_back(version);
  out.insert(out.end(), key_id.begin(), key_id.end());
  out.insert(out.end(), associated_data.begin(), associated_data.end());
  return out;
}

}  // namespace

AeadKey::AeadKey(SecretBytes secret) : secret_(std::move(secret)), key_id_(DeriveKeyId(secret_)) {}

AeadKey AeadKey::Generate() { return AeadKey(RandomSecret(kAeadKeyBytes)); }

Result<AeadKey> AeadKey::FromSecret(SecretBytes secret) {
  if (secret.size() != kAeadKeyBytes) return InvalidArgument("AEAD key must be 32 bytes");
  return AeadKey(std::move(secret));
}

namespace internal {

Bytes AeadSealWithNonce(const AeadKey& key, ByteView nonce, ByteView plaintext,
                        ByteView associated_data, uint8_t version) {
  EnsureInitialized();
  if (nonce.size() != kAeadNonceBytes) Die("AeadSealWithNonce: nonce must be 24 bytes");
  if (version != kAeadVersion && version != kAeadVersionV1) Die("AeadSealWithNonce: bad version");
  if (key.ExposeSecret().size() != kAeadKeyBytes) Die("AEAD key used after move");
  const size_t header = version == kAeadVersionV1 ? 1 : kHeaderBytes;
  const size_t ciphertext_offset = header + kAeadNonceBytes;
  Bytes out(ciphertext_offset + plaintext.size() + kAeadTagBytes);
  out[0] = version;
  if (version != kAeadVersionV1)
    std::copy(key.key_id().begin(), key.key_id().end(), out.begin() + 1);
  std::copy(nonce.begin(), nonce.end(), out.begin() + header);
  const Bytes ad = FullAssociatedData(version, key.key_id(), associated_data);
  unsigned long long ciphertext_len = 0;
  if (crypto_aead_xchacha20poly1305_ietf_encrypt(out.data() + ciphertext_offset, &ciphertext_len,
                                                 plaintext.data(), plaintext.size(), ad.data(),
                                                 ad.size(), /*nsec=*/nullptr, out.data() + header,
                                                 key.ExposeSecret().data()) != 0 ||
      ciphertext_len != plaintext.size() + kAeadTagBytes) {
    Die("crypto_aead_xchacha20poly1305_ietf_encrypt failed");
  }
  return out;
}

}  // namespace internal

Bytes AeadSeal(const AeadKey& key, ByteView plaintext, ByteView associated_data) {
  const Bytes nonce = RandomBytes(kAeadNonceBytes);
  return internal::AeadSealWithNonce(key, nonce, plaintext, associated_data, kAeadVersion);
}

Result<SecretBytes> AeadOpen(const AeadKey& key, ByteView framed, ByteView associated_data) {
  EnsureInitialized();
  if (framed.empty() || key.ExposeSecret().size() != kAeadKeyBytes) return DecryptionFailed();
  const uint8_t version = framed[0];
  size_t header = 0;
  if (version == kAeadVersion) {
    if (framed.size() < kAeadOverhead) return DecryptionFailed();
    // A frame that names another key cannot open under this one; the tag would say so too.
    if (!std::equal(key.key_id().begin(), key.key_id().end(), framed.begin() + 1)) {
      return DecryptionFailed();
    }
    header = kHeaderBytes;
  } else if (version == kAeadVersionV1) {
    if (framed.size() < kAeadOverheadV1) return DecryptionFailed();
    header = 1;
  } else {
    return DecryptionFailed();
  }
  const ByteView nonce = framed.subspan(header, kAeadNonceBytes);
  const ByteView ciphertext = framed.subspan(header + kAeadNonceBytes);
  const Bytes ad = FullAssociatedData(version, key.key_id(), associated_data);
  SecretBytes plaintext(ciphertext.size() - kAeadTagBytes);
  uint8_t empty_sink = 0;  // libsodium wants a valid pointer even for 0 bytes of output.
  uint8_t* const out = plaintext.empty() ? &empty_sink : plaintext.data();
  unsigned long long plaintext_len = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          out, &plaintext_len, /*nsec=*/nullptr, ciphertext.data(), ciphertext.size(), ad.data(),
          ad.size(), nonce.data(), key.ExposeSecret().data()) != 0 ||
      plaintext_len != plaintext.size()) {
    // libsodium checks the tag before it decrypts; the wipe is for certainty, and `plaintext` is
    // freed (and wiped again) on return.
    if (!plaintext.empty()) sodium_memzero(plaintext.data(), plaintext.size());
    return DecryptionFailed();
  }
  return plaintext;
}

Result<AeadKeyId> FramedKeyId(ByteView framed) {
  if (framed.empty()) return InvalidArgument("not an AEAD frame");
  if (framed[0] == kAeadVersionV1) {
    if (framed.size() < kAeadOverheadV1) return InvalidArgument("not an AEAD frame");
    return NotFound("a v1 AEAD frame names no key");
  }
  if (framed[0] != kAeadVersion || framed.size() < kAeadOverhead) {
    return InvalidArgument("not an AEAD frame");
  }
  AeadKeyId id;
  std::copy_n(framed.begin() + 1, id.size(), id.begin());
  return id;
}

}  // namespace sealpost::crypto
