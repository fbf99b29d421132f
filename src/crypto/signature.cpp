#include "crypto/signature.h"

#include <sodium.h>

#include <algorithm>

#include "crypto/internal/check.h"
#include "crypto/random.h"

namespace sealpost::crypto {

static_assert(kVerifyKeyBytes == crypto_sign_PUBLICKEYBYTES);
static_assert(kSigningSeedBytes == crypto_sign_SEEDBYTES);
static_assert(kSignatureBytes == crypto_sign_BYTES);

Result<VerifyKey> VerifyKey::FromBytes(ByteView bytes) {
  EnsureInitialized();
  if (bytes.size() != kVerifyKeyBytes)
    return InvalidArgument("Ed25519 public key must be 32 bytes");
  std::array<uint8_t, kVerifyKeyBytes> key;
  std::copy(bytes.begin(), bytes.end(), key.begin());
  // Canonical encoding, on the curve, in the prime-order subgroup, not of small order.
  if (crypto_core_ed25519_is_valid_point(key.data()) != 1) {
    return InvalidArgument("Ed25519 public key is not a valid point");
  }
  return VerifyKey(key);
}

SigningKey SigningKey::Generate() {
  auto key = FromSeed(RandomSecret(kSigningSeedBytes));
  if (!key.ok()) internal::Die("SigningKey::Generate failed");
  return std::move(key).value();
}

Result<SigningKey> SigningKey::FromSeed(const SecretBytes& seed) {
  EnsureInitialized();
  if (seed.size() != kSigningSeedBytes) return InvalidArgument("Ed25519 seed must be 32 bytes");
  std::array<uint8_t, kVerifyKeyBytes> pk;
  SecretBytes expanded(crypto_sign_SECRETKEYBYTES);
  if (crypto_sign_seed_keypair(pk.data(), expanded.data(), seed.data()) != 0) {
    internal::Die("crypto_sign_seed_keypair failed");
  }
  return SigningKey(VerifyKey(pk), SecretBytes::CopyOf(seed.view()), std::move(expanded));
}

Bytes SigningKey::Sign(ByteView message) const {
  EnsureInitialized();
  if (expanded_.size() != crypto_sign_SECRETKEYBYTES) internal::Die("SigningKey used after move");
  Bytes signature(kSignatureBytes);
  unsigned long long signature_len = 0;
  if (crypto_sign_detached(signature.data(), &signature_len, message.data(), message.size(),
                           expanded_.data()) != 0 ||
      signature_len != kSignatureBytes) {
    internal::Die("crypto_sign_detached failed");
  }
  return signature;
}

Status Verify(const VerifyKey& key, ByteView message, ByteView signature) {
  EnsureInitialized();
  if (signature.size() != kSignatureBytes ||
      crypto_sign_verify_detached(signature.data(), message.data(), message.size(),
                                  key.bytes().data()) != 0) {
    return Unauthenticated("signature does not verify");
  }
  return Status::Ok();
}

}  // namespace sealpost::crypto
