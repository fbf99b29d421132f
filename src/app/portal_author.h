// The portal author: messages a guest writes in the pickup portal (secure replies) have no member
// behind them, so no member key can seal them. The platform seals them instead, on the guest's
// behalf, once the guest has proved the address with link + MUC. Such messages are stored with
// sender_id = kPortalSenderId, a reserved users row (state kSystem: no password, no log-in, not
// listed) whose verify key is the public half of the platform's "guest-seal" key; the summary
// names the guest's address as `from`. Readers show the seal as the portal's, not a member's.
//
// SECURITY: whoever holds the master key can seal in a guest's name; that is the price of a
// recipient without keys, and why readers are told a guest's seal apart from a member's.
#pragma once

#include "app/services.h"
#include "crypto/signature.h"

namespace sealpost::app {

inline const UserId kPortalSenderId = UserId::FromTrusted("00000000000000000000000000000000");

// The guest-seal signing key; creates it and the reserved row on first use. Several processes
// sharing a store agree on one key.
Result<crypto::SigningKey> LoadOrCreatePortalSealKey(const Services& s);

}  // namespace sealpost::app
