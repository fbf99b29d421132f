// The inbound gateway as an author: mail received from outside (app/inbound_mail.h) has no member
// behind it, so no member key can seal it. The platform seals it on arrival with its
// "inbound-seal" key, stored like the portal's (app/portal_author.h): messages.sender_id =
// kInboundSenderId, a reserved users row (state kSystem: no password, no log-in, not listed) whose
// verify key is the public half of that key; the summary names the sender the mail claimed
// (its From: field) and carries what the gateway saw (MessageSummary::received).
//
// SECURITY: the seal vouches that the stored message is what arrived, never that the sender is
// who the From: field says: readers are told so (SealKind::kInbound), next to SPF and DKIM.
#pragma once

#include "app/services.h"
#include "crypto/signature.h"

namespace sealpost::app {

inline const UserId kInboundSenderId = UserId::FromTrusted("000000000000000000000000000000a1");

// The inbound-seal signing key; creates it and the reserved row on first use. Several processes
// sharing a store agree on one key.
Result<crypto::SigningKey> LoadOrCreateInboundSealKey(const Services& s);

}  // namespace sealpost::app
