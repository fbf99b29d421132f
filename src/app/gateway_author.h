// The gateway author: mail the organisation's mail server hands to the relay face (issue 13,
// "Relay") comes from a member, but the member's key is not at hand there — no session, no app
// password, so no UMK. The platform seals it instead with its "gateway-seal" Ed25519 key, on
// behalf of the member the envelope names, after the relay face has checked that the client
// is the organisation's server (client network or certificate, smtp/relay_face.h).
//
// The message is stored like any member's: messages.sender_id is the member (their Sent status,
// recall and receipts work as for mail they wrote in the web UI), and the summary says
// `sealed_by: "gateway"` under the seal (app/message_codec.h), so readers verify it with the
// gateway's public key and show "sealed by the Sealpost gateway on behalf of <member>", never
// as the member's own seal. The member's Sent copy cannot be wrapped by their UMK: its data key
// is sealed to their X25519 public key, as a message they received is, so only they open it.
// Each message.send leaf in the audit log carries `seal: "gateway"`.
//
// Recipients who are not members get pickups (no secure copies: S/MIME and OpenPGP copies are
// signed with the member's own certified keys). A guest address without a usable MUC refuses
// the message (InvalidArgument naming it): no MUC could be shown to anyone at SMTP. Attachments
// are not carried yet (the submission face's blob streaming will be shared).
//
// Thread-safe. SECURITY: the message bytes come from the organisation's mail server (untrusted
// content, parsed by mime/ within its bounds); whoever holds the master key, or controls a
// configured client network, can seal in any member's name through the gateway — which is why
// readers are told a gateway seal apart from a member's.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "app/services.h"
#include "crypto/signature.h"

namespace sealpost::app {

// The gateway-seal signing key; created on first use (several processes agree on one).
Result<crypto::SigningKey> LoadOrCreateGatewaySealKey(const Services& s);
// Its public half, to check gateway seals; NotFound before the first gateway message.
Result<Bytes> GatewaySealVerifyKey(const Services& s);

// Whether `email` (an envelope sender) is an active member the gateway may send for.
Result<bool> IsGatewaySender(const Services& s, std::string_view email);

// One message from the organisation's mail server: its envelope and its RFC 5322 bytes.
struct GatewayMessage {
  std::string envelope_from;            // a member (IsGatewaySender)
  std::vector<std::string> recipients;  // RCPT TO, in order
  std::string_view bytes;               // the message as the server sent it
};

// How a message of the relay goes on. The organisation's policy (all / subject tag / content
// rules) is the submission face's (app/ rule functions joined at merge); until then every
// message is sent securely.
enum class GatewayRoute { kSecure, kRelayUnchanged };
using GatewayPolicy = std::function<GatewayRoute(std::string_view message_bytes)>;
inline GatewayRoute SendEverythingSecurely(std::string_view) { return GatewayRoute::kSecure; }

// Parses `message` (mime::ParseMessage) and sends subject, text and HTML to its envelope
// recipients as its envelope sender, sealed by the gateway. PermissionDenied when the sender
// is not a member; InvalidArgument (shown to the client) for a message that cannot be sent
// (parse error, a guest without a MUC, limits); TooLarge past the MIME bounds.
Result<MessageId> SendThroughGateway(const Services& s, const GatewayMessage& message);

}  // namespace sealpost::app
