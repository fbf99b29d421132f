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
// signed with the member's own certified keys). Attachments come as uploads owned by the member
// whose key blobs are sealed under a key that lives only in the GatewaySender's memory, so only
// that one send can use them (and ExpireUploads removes what a failed send left behind).
//
// The organisation's policy, the subject tag, the Bcc split, generated MUCs and relaying
// unchanged are app::MailSubmission's (app/mail_submission.h, SubmitFromRelay), shared with the
// submission face; a GatewaySender is how that flow sends for the relay.
//
// The functions are thread-safe; a GatewaySender is used by one thread at a time.
// SECURITY: the message bytes come from the organisation's mail server (untrusted
// content, parsed by mime/ within its bounds); whoever holds the master key, or controls a
// configured client network, can seal in any member's name through the gateway — which is why
// readers are told a gateway seal apart from a member's.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "app/mailbox.h"
#include "app/services.h"
#include "crypto/signature.h"

namespace sealpost::app {

// The gateway-seal signing key; created on first use (several processes agree on one).
Result<crypto::SigningKey> LoadOrCreateGatewaySealKey(const Services& s);
// Its public half, to check gateway seals; NotFound before the first gateway message.
Result<Bytes> GatewaySealVerifyKey(const Services& s);

// Whether `email` (an envelope sender) is an active member the gateway may send for.
Result<bool> IsGatewaySender(const Services& s, std::string_view email);

// Sends for one member, sealed by the gateway. Used by one thread at a time; holds the key of
// its uploads, so an upload begun here is usable only by this object's Send.
class GatewaySender final {
 public:
  // PermissionDenied when `envelope_from` is not an active member.
  static Result<std::unique_ptr<GatewaySender>> For(const Services& s,
                                                    std::string_view envelope_from);
  ~GatewaySender();
  GatewaySender(const GatewaySender&) = delete;
  GatewaySender& operator=(const GatewaySender&) = delete;

  const store::UserRecord& member() const { return member_; }
  // An attachment for a later Send (the member's upload; TooLarge past the upload limit).
  Result<std::unique_ptr<UploadSession>> BeginUpload(std::optional<uint64_t> declared_size);
  // Mailbox::SendAs with the gateway's seal on behalf of the member; attachments must be uploads
  // of this object.
  Result<MessageId> Send(const SendRequest& request, SendOutcome* outcome = nullptr);

 private:
  struct UploadKey;
  GatewaySender(const Services& s, store::UserRecord member, crypto::SigningKey key);

  const Services& s_;
  const store::UserRecord member_;
  const crypto::SigningKey gateway_key_;
  std::unique_ptr<UploadKey> upload_key_;
};

}  // namespace sealpost::app
