// The platform's own Ed25519 seal keys (the portal's guest seal, the inbound gateway's, the relay
// gateway's on behalf of members): a platform_keys row whose name is also the master-key purpose
// that wraps the seed (crypto/ad_labels.h), created on first use.
//
// Thread-safety: as the store. Several processes sharing a store agree on one key: the loser of
// the race to create it reads the winner's.
#pragma once

#include <optional>
#include <string_view>

#include "app/services.h"
#include "crypto/signature.h"
#include "store/records.h"

namespace sealpost::app::internal {

// `sender_row`: for keys that seal as a reserved users row (portal, inbound): created in the same
// transaction as the key, with the key's public half as its verify key. Its email must not be an
// address (no '@'), so nobody can sign up as, log in as or write to it.
struct PlatformSenderRow {
  UserId id;
  std::string_view email;
  std::string_view display_name;
};

Result<crypto::SigningKey> LoadOrCreatePlatformSealKey(
    const Services& s, std::string_view key_name,
    const std::optional<PlatformSenderRow>& sender_row = std::nullopt);

}  // namespace sealpost::app::internal
