// A message's data key on its way to a reader (docs/formats/message.md, guest-pickup.md):
// sealed to a member's X25519 key for their inbox, or wrapped under a key-encryption key for a
// guest (the pickup link's key, the pickup token's key). The Sent copy under the sender's UMK is
// in member_keys.h.
//
// Typed both ways (crypto/key_roles.h): only a DataKey goes in, only a DataKey comes out, so a
// KEK or UMK cannot be sealed to a reader by mistake. `associated_data` names the purpose and the
// record (a label from crypto/ad_labels.h with its ids).
//
// SECURITY: the unwrap functions take stored, untrusted bytes; any failure is
// Unauthenticated("decryption failed") (AEAD) or the sealed box's error, and a plaintext that is
// not a 32-byte key is InvalidArgument. Pure functions; thread-safe.
#pragma once

#include <string_view>

#include "core/encoding.h"
#include "core/status.h"
#include "crypto/key_roles.h"
#include "crypto/sealed_box.h"

namespace sealpost::keys {

Bytes SealDataKeyTo(const crypto::BoxPublicKey& reader, const crypto::DataKey& data_key);
Result<crypto::DataKey> OpenSealedDataKey(const crypto::BoxKeyPair& reader, ByteView sealed);

Bytes WrapDataKey(const crypto::Kek& kek, const crypto::DataKey& data_key,
                  std::string_view associated_data);
Result<crypto::DataKey> UnwrapDataKey(const crypto::Kek& kek, ByteView wrapped,
                                      std::string_view associated_data);

}  // namespace sealpost::keys
