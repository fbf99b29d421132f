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

constexpr size_t kNonceOffset = 1;
constexpr size_t kCiphertextOffset = kNonceOffset + kAeadNonceBytes;

Status DecryptionFailed() { return Unauthenticated("decryption failed"); }

}  // namespace

AeadKey AeadKey::Generate() { return AeadKey(RandomSecret(kAeadKeyBytes)); }

Result<AeadKey> AeadKey::FromSecret(SecretBytes secret) {
  if (secret.size() != kAeadKeyBytes) return InvalidArgument("AEAD key must be 32 bytes");
  return AeadKey(std::move(secret));
}

namespace internal {

Bytes AeadSealWithNonce(const AeadKey& key, ByteView nonce, ByteView plaintext,
                        ByteView associated_data) {
  EnsureInitialized();
  if (nonce.size() != kAeadNonceBytes) Die("AeadSealWithNonce: nonce must be 24 bytes");
  if (key.ExposeSecret().size() != kAeadKeyBytes) Die("AEAD key used after move");
  Bytes out(kAeadOverhead + plaintext.size());
  out[0] = kAeadVersion;
  std::copy(nonce.begin(), nonce.end(), out.begin() + kNonceOffset);
  unsigned long long ciphertext_len = 0;
  if (crypto_aead_xchacha20poly1305_ietf_encrypt(
          out.data() + kCiphertextOffset, &ciphertext_len, plaintext.data(), plaintext.size(),
          associated_data.data(), associated_data.size(), /*nsec=*/nullptr,
          out.data() + kNonceOffset, key.ExposeSecret().data()) != 0 ||
      ciphertext_len != plaintext.size() + kAeadTagBytes) {
    Die("crypto_aead_xchacha20poly1305_ietf_encrypt failed");
  }
  return out;
}

}  // namespace internal

Bytes AeadSeal(const AeadKey& key, ByteView plaintext, ByteView associated_data) {
  const Bytes nonce = RandomBytes(kAeadNonceBytes);
  return internal::AeadSealWithNonce(key, nonce, plaintext, associated_data);
}

Result<SecretBytes> AeadOpen(const AeadKey& key, ByteView framed, ByteView associated_data) {
  EnsureInitialized();
  if (framed.size() < kAeadOverhead || framed[0] != kAeadVersion) return DecryptionFailed();
  if (key.ExposeSecret().size() != kAeadKeyBytes) return DecryptionFailed();
  const ByteView nonce = framed.subspan(kNonceOffset, kAeadNonceBytes);
  const ByteView ciphertext = framed.subspan(kCiphertextOffset);
  SecretBytes plaintext(ciphertext.size() - kAeadTagBytes);
  uint8_t empty_sink = 0;  // libsodium wants a valid pointer even for 0 bytes of output.
  uint8_t* const out = plaintext.empty() ? &empty_sink : plaintext.data();
  unsigned long long plaintext_len = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(out, &plaintext_len, /*nsec=*/nullptr,
                                                 ciphertext.data(), ciphertext.size(),
                                                 associated_data.data(), associated_data.size(),
                                                 nonce.data(), key.ExposeSecret().data()) != 0 ||
      plaintext_len != plaintext.size()) {
    // libsodium checks the tag before it decrypts; the wipe is for certainty, and `plaintext` is
    // freed (and wiped again) on return.
    if (!plaintext.empty()) sodium_memzero(plaintext.data(), plaintext.size());
    return DecryptionFailed();
  }
  return plaintext;
}

}  // namespace sealpost::crypto
