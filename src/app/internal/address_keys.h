// A guest address's key pair and the per-pickup shares sealed to it: how the MUC becomes a key
// factor (docs/formats/guest-pickup.md). Used by Mailbox::Send (new pickups), Guests (unlock,
// claim, enrolment, new MUCs, re-seals). The key derivations themselves are keys/pickup_keys.h.
//
// A *legacy* address row (written before this design) has no key pair, only the MUC's argon2id
// hash; a legacy pickup has no share, and its data key is under the link's key alone.
#pragma once

#include <optional>
#include <string_view>

#include "app/services.h"
#include "crypto/key_roles.h"
#include "crypto/sealed_box.h"
#include "store/records.h"

namespace sealpost::app::internal {

// The address has a key pair (not a legacy row).
inline bool HasAddressKey(const store::GuestAddressRecord& g) { return !g.public_key.empty(); }
// The address enrolled through the portal: the member holds its key, the MUC is gone.
inline bool IsEnrolledAddress(const store::GuestAddressRecord& g) {
  return !g.member_sealed_secret.empty();
}
// The pickup's data key is under link + share (not a legacy pickup).
inline bool HasShare(const store::PickupRecord& p) { return !p.sealed_share.empty(); }
// The share is sealed to another key pair than the address's current one (a MUC was issued
// since and the pickup's sender has not re-sealed it yet).
bool ShareIsStale(const store::PickupRecord& p, const store::GuestAddressRecord& g);

// A row for `email` with the key pair `pair` (fresh for each new MUC), its secret wrapped under
// argon2id(`muc`) with the configured parameters (stored with it); failures 0. Costs one argon2id
// derivation.
Result<store::GuestAddressRecord> NewAddressRecord(const Services& s, std::string_view email,
                                                   std::string_view muc,
                                                   const crypto::BoxKeyPair& pair,
                                                   TimePoint created_at, TimePoint now);
// The MUC check of an address with a key pair: its secret key if `muc` unwraps it, else
// Unauthenticated. One argon2id derivation with the row's own parameters.
Result<crypto::BoxKeyPair> OpenAddressKey(const store::GuestAddressRecord& g, std::string_view muc);

// The stored parts of a new pickup's data key for a guest.
struct PickupKeys {
  Bytes wrapped_key;
  Bytes sealed_share;  // empty: the address has no key pair yet (legacy: link only)
  Bytes share_key;
  Bytes sender_share;  // empty: no sender key (a portal reply)
};
PickupKeys NewPickupKeys(const crypto::Kek& link_key, const crypto::DataKey& data_key,
                         std::string_view associated_data,
                         const std::optional<crypto::BoxPublicKey>& address_key,
                         const std::optional<crypto::BoxPublicKey>& sender_key);

// The data key of `pickup` from its link's key and — unless legacy — the address's secret key.
// Unauthenticated when anything does not open.
Result<crypto::DataKey> OpenPickupDataKey(const store::PickupRecord& pickup,
                                          const crypto::Kek& link_key,
                                          const crypto::BoxKeyPair* address_key,
                                          std::string_view associated_data);

// The share of `pickup` opened with its sender's own key and sealed again to `address_key`.
// Unauthenticated when the sender copy does not open.
Result<Bytes> ResealShare(const store::PickupRecord& pickup, const crypto::BoxKeyPair& sender_box,
                          const crypto::BoxPublicKey& address_key);

}  // namespace sealpost::app::internal
