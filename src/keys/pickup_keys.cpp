#include "keys/pickup_keys.h"

#include "crypto/ad_labels.h"
#include "crypto/aead.h"
#include "crypto/hash.h"
#include "crypto/random.h"

namespace sealpost::keys {
namespace {

std::string AddressKeyAd(std::string_view email) {
  return crypto::BindAd(crypto::kAdGuestAddressKey, {email});
}

}  // namespace

Result<MucWrappedAddressKey> WrapAddressKeyUnderMuc(const crypto::BoxKeyPair& pair,
                                                    std::string_view muc, std::string_view email,
                                                    const crypto::PasswordHashParams& params) {
  Bytes salt = crypto::RandomBytes(crypto::kPasswordSaltBytes);
  SP_ASSIGN_OR_RETURN(const crypto::Kek kek, crypto::DeriveKeyFromPassword(muc, salt, params));
  const ByteView pub = pair.public_key().bytes();
  return MucWrappedAddressKey{Bytes(pub.begin(), pub.end()),
                              WrapAddressKey(kek, pair, AddressKeyAd(email)), std::move(salt),
                              params};
}

Result<crypto::BoxKeyPair> UnwrapAddressKeyWithMuc(std::string_view muc, ByteView salt,
                                                   const crypto::PasswordHashParams& params,
                                                   ByteView wrapped, std::string_view email) {
  SP_ASSIGN_OR_RETURN(const crypto::Kek kek, crypto::DeriveKeyFromPassword(muc, salt, params));
  return UnwrapAddressKey(kek, wrapped, AddressKeyAd(email));
}

Bytes WrapAddressKey(const crypto::Kek& kek, const crypto::BoxKeyPair& pair,
                     std::string_view associated_data) {
  return crypto::AeadSeal(kek.aead(), pair.ExposeSecret().view(), AsBytes(associated_data));
}

Result<crypto::BoxKeyPair> UnwrapAddressKey(const crypto::Kek& kek, ByteView wrapped,
                                            std::string_view associated_data) {
  SP_ASSIGN_OR_RETURN(crypto::SecretBytes secret,
                      crypto::AeadOpen(kek.aead(), wrapped, AsBytes(associated_data)));
  return crypto::BoxKeyPair::FromSecret(std::move(secret));
}

crypto::SecretBytes GeneratePickupShare() { return crypto::RandomSecret(kPickupShareBytes); }

Bytes SealPickupShare(const crypto::BoxPublicKey& to, const crypto::SecretBytes& share) {
  return crypto::SealTo(to, share.view());
}

Result<crypto::SecretBytes> OpenPickupShare(const crypto::BoxKeyPair& holder, ByteView sealed) {
  SP_ASSIGN_OR_RETURN(crypto::SecretBytes share, crypto::OpenSealed(holder, sealed));
  if (share.size() != kPickupShareBytes) return Unauthenticated("decryption failed");
  return share;
}

crypto::Kek PickupShareKey(const crypto::Kek& link_key, const crypto::SecretBytes& share) {
  // Both inputs are 32 bytes by construction, so this cannot fail.
  return *crypto::Kek::FromSecret(
      *crypto::CombineSecrets(link_key.ExposeSecret(), crypto::kAdPickupShareKey, share));
}

}  // namespace sealpost::keys
