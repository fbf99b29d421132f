#include "keys/data_key.h"

#include "crypto/aead.h"

namespace sealpost::keys {

Bytes SealDataKeyTo(const crypto::BoxPublicKey& reader, const crypto::DataKey& data_key) {
  return crypto::SealTo(reader, data_key.ExposeSecret().view());
}

Result<crypto::DataKey> OpenSealedDataKey(const crypto::BoxKeyPair& reader, ByteView sealed) {
  SP_ASSIGN_OR_RETURN(crypto::SecretBytes raw, crypto::OpenSealed(reader, sealed));
  return crypto::DataKey::FromSecret(std::move(raw));
}

Bytes WrapDataKey(const crypto::Kek& kek, const crypto::DataKey& data_key,
                  std::string_view associated_data) {
  return crypto::AeadSeal(kek.aead(), data_key.ExposeSecret().view(), AsBytes(associated_data));
}

Result<crypto::DataKey> UnwrapDataKey(const crypto::Kek& kek, ByteView wrapped,
                                      std::string_view associated_data) {
  SP_ASSIGN_OR_RETURN(crypto::SecretBytes raw,
                      crypto::AeadOpen(kek.aead(), wrapped, AsBytes(associated_data)));
  return crypto::DataKey::FromSecret(std::move(raw));
}

}  // namespace sealpost::keys
