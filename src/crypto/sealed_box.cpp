#include "crypto/sealed_box.h"

#include <sodium.h>

#include <algorithm>

#include "crypto/internal/check.h"

namespace sealpost::crypto {

static_assert(kBoxPublicKeyBytes == crypto_box_PUBLICKEYBYTES);
static_assert(kBoxSecretKeyBytes == crypto_box_SECRETKEYBYTES);
static_assert(kSealOverhead == crypto_box_SEALBYTES);
static_assert(crypto_scalarmult_BYTES == kBoxPublicKeyBytes);
static_assert(crypto_scalarmult_SCALARBYTES == kBoxSecretKeyBytes);

namespace {

Status DecryptionFailed() { return Unauthenticated("decryption failed"); }

}  // namespace

Result<BoxPublicKey> BoxPublicKey::FromBytes(ByteView bytes) {
  EnsureInitialized();
  if (bytes.size() != kBoxPublicKeyBytes)
    return InvalidArgument("X25519 public key must be 32 bytes");
  std::array<uint8_t, kBoxPublicKeyBytes> key;
  std::copy(bytes.begin(), bytes.end(), key.begin());
  // crypto_scalarmult refuses points of small order (the shared secret would be fixed), which is
  // exactly what crypto_box_seal would later trip over. The scalar is public and arbitrary.
  std::array<uint8_t, crypto_scalarmult_SCALARBYTES> probe_scalar;
  probe_scalar.fill(0x5a);
  std::array<uint8_t, crypto_scalarmult_BYTES> probe_out;
  const int rc = crypto_scalarmult(probe_out.data(), probe_scalar.data(), key.data());
  if (rc != 0) return InvalidArgument("X25519 public key is a low-order point");
  return BoxPublicKey(key);
}

BoxKeyPair BoxKeyPair::Generate() {
  EnsureInitialized();
  std::array<uint8_t, kBoxPublicKeyBytes> pk;
  SecretBytes sk(kBoxSecretKeyBytes);
  if (crypto_box_keypair(pk.data(), sk.data()) != 0) internal::Die("crypto_box_keypair failed");
  return BoxKeyPair(BoxPublicKey(pk), std::move(sk));
}

Result<BoxKeyPair> BoxKeyPair::FromSecret(SecretBytes secret_key) {
  EnsureInitialized();
  if (secret_key.size() != kBoxSecretKeyBytes) {
    return InvalidArgument("X25519 private key must be 32 bytes");
  }
  std::array<uint8_t, kBoxPublicKeyBytes> pk;
  if (crypto_scalarmult_base(pk.data(), secret_key.data()) != 0) {
    return InvalidArgument("X25519 private key is unusable");
  }
  return BoxKeyPair(BoxPublicKey(pk), std::move(secret_key));
}

Bytes SealTo(const BoxPublicKey& recipient, ByteView plaintext) {
  EnsureInitialized();
  Bytes out(plaintext.size() + kSealOverhead);
  // Cannot fail for a key that passed FromBytes (or came from a key pair).
  if (crypto_box_seal(out.data(), plaintext.data(), plaintext.size(), recipient.bytes().data()) !=
      0) {
    internal::Die("crypto_box_seal failed");
  }
  return out;
}

Result<SecretBytes> OpenSealed(const BoxKeyPair& recipient, ByteView sealed) {
  EnsureInitialized();
  if (sealed.size() < kSealOverhead) return DecryptionFailed();
  if (recipient.ExposeSecret().size() != kBoxSecretKeyBytes) return DecryptionFailed();
  SecretBytes plaintext(sealed.size() - kSealOverhead);
  uint8_t empty_sink = 0;  // libsodium wants a valid pointer even for 0 bytes of output.
  if (crypto_box_seal_open(plaintext.empty() ? &empty_sink : plaintext.data(), sealed.data(),
                           sealed.size(), recipient.public_key().bytes().data(),
                           recipient.ExposeSecret().data()) != 0) {
    if (!plaintext.empty()) sodium_memzero(plaintext.data(), plaintext.size());
    return DecryptionFailed();
  }
  return plaintext;
}

}  // namespace sealpost::crypto
