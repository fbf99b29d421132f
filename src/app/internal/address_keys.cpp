#include "app/internal/address_keys.h"

#include "keys/data_key.h"
#include "keys/pickup_keys.h"

namespace sealpost::app::internal {

bool ShareIsStale(const store::PickupRecord& p, const store::GuestAddressRecord& g) {
  return HasShare(p) && !crypto::ConstantTimeEquals(p.share_key, g.public_key);
}

Result<store::GuestAddressRecord> NewAddressRecord(const Services& s, std::string_view email,
                                                   std::string_view muc,
                                                   const crypto::BoxKeyPair& pair,
                                                   TimePoint created_at, TimePoint now) {
  SP_ASSIGN_OR_RETURN(keys::MucWrappedAddressKey wrapped,
                      keys::WrapAddressKeyUnderMuc(pair, muc, email, s.config.password_hash));
  store::GuestAddressRecord g{std::string(email), "", 0, created_at, now};
  g.public_key = std::move(wrapped.public_key);
  g.wrapped_secret = std::move(wrapped.wrapped_secret);
  g.kek_salt = std::move(wrapped.salt);
  g.kek_ops = static_cast<int64_t>(wrapped.params.ops_limit);
  g.kek_mem = static_cast<int64_t>(wrapped.params.mem_limit_bytes);
  return g;
}

Result<crypto::BoxKeyPair> OpenAddressKey(const store::GuestAddressRecord& g,
                                          std::string_view muc) {
  if (g.wrapped_secret.empty() || g.kek_ops <= 0 || g.kek_mem <= 0) {
    return Unauthenticated("decryption failed");
  }
  // The row's own parameters: a later change of [auth] argon2_* does not break it.
  const crypto::PasswordHashParams params{static_cast<uint64_t>(g.kek_ops),
                                          static_cast<size_t>(g.kek_mem)};
  return keys::UnwrapAddressKeyWithMuc(muc, g.kek_salt, params, g.wrapped_secret, g.email);
}

PickupKeys NewPickupKeys(const crypto::Kek& link_key, const crypto::DataKey& data_key,
                         std::string_view associated_data,
                         const std::optional<crypto::BoxPublicKey>& address_key,
                         const std::optional<crypto::BoxPublicKey>& sender_key) {
  PickupKeys out;
  if (!address_key) {
    // No key pair yet (a legacy address): link only, as before, until its next correct unlock.
    out.wrapped_key = keys::WrapDataKey(link_key, data_key, associated_data);
    return out;
  }
  const crypto::SecretBytes share = keys::GeneratePickupShare();
  out.wrapped_key =
      keys::WrapDataKey(keys::PickupShareKey(link_key, share), data_key, associated_data);
  out.sealed_share = keys::SealPickupShare(*address_key, share);
  const ByteView pub = address_key->bytes();
  out.share_key.assign(pub.begin(), pub.end());
  if (sender_key) out.sender_share = keys::SealPickupShare(*sender_key, share);
  return out;
}

Result<crypto::DataKey> OpenPickupDataKey(const store::PickupRecord& pickup,
                                          const crypto::Kek& link_key,
                                          const crypto::BoxKeyPair* address_key,
                                          std::string_view associated_data) {
  if (!HasShare(pickup)) return keys::UnwrapDataKey(link_key, pickup.wrapped_key, associated_data);
  if (address_key == nullptr) return Unauthenticated("decryption failed");
  SP_ASSIGN_OR_RETURN(const crypto::SecretBytes share,
                      keys::OpenPickupShare(*address_key, pickup.sealed_share));
  return keys::UnwrapDataKey(keys::PickupShareKey(link_key, share), pickup.wrapped_key,
                             associated_data);
}

Result<Bytes> ResealShare(const store::PickupRecord& pickup, const crypto::BoxKeyPair& sender_box,
                          const crypto::BoxPublicKey& address_key) {
  SP_ASSIGN_OR_RETURN(const crypto::SecretBytes share,
                      keys::OpenPickupShare(sender_box, pickup.sender_share));
  return keys::SealPickupShare(address_key, share);
}

}  // namespace sealpost::app::internal
