// The keys that make a guest's Message Unlock Code (MUC) a cryptographic factor
// (docs/formats/guest-pickup.md, "What derives from what"):
//
//   MUC ──argon2id(salt, ops, mem)──► KEK ──wraps──► address X25519 secret key
//   address public key ◄──sealed to── share s (32 random bytes, one per pickup)
//   link key W ─┬─ BLAKE2b(key W, label ‖ s) ──► share key ──wraps──► message data key
//               s ┘
//
// So the data key needs both the link (W) and the share, and the share needs the address's
// secret key, which needs the MUC. The share is also sealed to the sender's own X25519 key (the
// sender re-seals it when the MUC, and with it the address key pair, changes).
//
// SECURITY: every unwrap takes stored, untrusted bytes; any failure is Unauthenticated (a wrong
// MUC looks exactly like a damaged record) and nothing secret is left behind. Pure functions;
// thread-safe.
#pragma once

#include <string_view>

#include "core/encoding.h"
#include "core/status.h"
#include "crypto/key_roles.h"
#include "crypto/password_hash.h"
#include "crypto/sealed_box.h"
#include "crypto/secret_bytes.h"

namespace sealpost::keys {

inline constexpr size_t kPickupShareBytes = 32;

// An address key pair's secret half under its MUC, with what derives the KEK again.
struct MucWrappedAddressKey {
  Bytes public_key;      // 32
  Bytes wrapped_secret;  // AEAD(KEK, secret key (32), kAdGuestAddressKey|email): 77 bytes
  Bytes salt;            // kPasswordSaltBytes, random
  crypto::PasswordHashParams params;
};

// Wraps `pair`'s secret key under argon2id(`muc`, fresh salt, `params`). Errors as
// crypto::DeriveKeyFromPassword.
Result<MucWrappedAddressKey> WrapAddressKeyUnderMuc(const crypto::BoxKeyPair& pair,
                                                    std::string_view muc, std::string_view email,
                                                    const crypto::PasswordHashParams& params);
// The key pair back, if `muc` is the MUC it was wrapped under: this is the MUC check.
// Unauthenticated for a wrong MUC; InvalidArgument for stored parameters argon2id refuses.
Result<crypto::BoxKeyPair> UnwrapAddressKeyWithMuc(std::string_view muc, ByteView salt,
                                                   const crypto::PasswordHashParams& params,
                                                   ByteView wrapped, std::string_view email);

// The address secret key under another KEK (a pickup token's), bound by `associated_data`.
Bytes WrapAddressKey(const crypto::Kek& kek, const crypto::BoxKeyPair& pair,
                     std::string_view associated_data);
Result<crypto::BoxKeyPair> UnwrapAddressKey(const crypto::Kek& kek, ByteView wrapped,
                                            std::string_view associated_data);

// A fresh share for one pickup.
crypto::SecretBytes GeneratePickupShare();
// The share sealed to an X25519 key (the address's, or the sender's own); opening checks size.
Bytes SealPickupShare(const crypto::BoxPublicKey& to, const crypto::SecretBytes& share);
Result<crypto::SecretBytes> OpenPickupShare(const crypto::BoxKeyPair& holder, ByteView sealed);
// The key that wraps the pickup's data key: needs the link's key and the share.
crypto::Kek PickupShareKey(const crypto::Kek& link_key, const crypto::SecretBytes& share);

}  // namespace sealpost::keys
