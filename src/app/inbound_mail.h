// Sealpost as the MX of the platform's domains: mail from outside to a member, checked at RCPT
// and stored zero-access on arrival (docs/inbound-mail.md).
//
// The flow, for the inbound SMTP face (smtp/inbound_face.h) or any other front end:
//   CheckRecipient per RCPT TO: an enabled member of a served domain is accepted; an unknown or
//     disabled address of a served domain is NotFound (550 5.1.1 at RCPT, so no bounce is ever
//     sent to a forged sender); an address of any other domain is PermissionDenied (550 5.7.1,
//     no relaying).
//   Begin → InboundMessage::Append… → Commit. The bytes are encrypted as they stream in, into a
//     blob under a fresh random key that only this object holds (the spool: never a clear byte on
//     disk, not even in a temporary file). Commit works on the copy kept in memory: checks SPF and
//     DKIM (ArrivalChecker), parses the MIME with GMime for the summary (subject, parties) and,
//     for plain mail, the text, HTML and attachments, then stores one message per member
//     recipient: its data key sealed to that member's X25519 key, the original MIME kept as its
//     first attachment (original.eml), sealed by the platform's inbound key (app/inbound_seal.h,
//     SealKind::kInbound), also sealed to the escrow key of the member's domain when it has
//     escrow on (app/escrow.h; the From: domain never counts) and audited ("message.receive").
//     It returns only once the store transaction committed: a success is durable. On any
//     failure nothing is kept (the blobs written so far are removed) and the caller answers 451.
//   S/MIME and OpenPGP mail encrypted to the member stays as it arrived (ciphertext, under the
//     seal); InboundReader (app/inbound_reader.h) decrypts it when the member opens it.
//
// Thread-safety: InboundMail is thread-safe; an InboundMessage is used by one thread at a time.
//
// SECURITY: every input here comes from an untrusted SMTP client (addresses, envelope, bytes),
// except Envelope::client_address (from the socket). The message size is bounded while it
// streams (kMimeParse.max_message_bytes); the parser has its own bounds. Clear content exists
// only in memory during Commit (GMime's and the parse result's buffers are not zeroizing).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "app/message_codec.h"
#include "app/services.h"
#include "core/ids.h"
#include "delivery/mail_authentication.h"

namespace sealpost::app {

namespace internal {
class InboundSealKeyCache;
}  // namespace internal

// What the SMTP session learnt before the message. Untrusted except client_address.
struct InboundEnvelope {
  std::string client_address;      // the sending server's IP address, from the socket
  std::string helo;                // EHLO/HELO name; may be empty
  std::string mail_from;           // MAIL FROM; empty for the null reverse path (DSNs)
  std::vector<UserId> recipients;  // members CheckRecipient accepted, each once
};

// SPF and DKIM at arrival (delivery/mail_authentication.h does it with libspf2, libopendkim and
// libunbound). Fills the spf*/dkim* fields of `out`; a check that cannot run says "temperror" or
// "none" rather than fail the message. Called from Commit, on the message in memory.
using ArrivalChecker = std::function<void(const InboundEnvelope& envelope, std::string_view message,
                                          ReceivedFromOutside& out)>;

// The checker that asks `authenticator` (SPF and DKIM over libunbound); it must outlive the
// checker.
ArrivalChecker CheckWith(const delivery::MailAuthenticator& authenticator);

// Attachments and texts of a received message beyond the mailbox limits are left out of the
// parsed view (the original.eml attachment still holds everything).
struct InboundLimits {
  uint64_t max_message_bytes = 0;  // 0: kMimeParse.max_message_bytes
};

// Must not outlive the InboundMail that began it.
class InboundMessage {
 public:
  virtual ~InboundMessage() = default;  // without a successful Commit, nothing remains
  // The next bytes, in order. TooLarge past the limit; any error ends the message.
  virtual Status Append(std::string_view bytes) = 0;
  // Stores the message for every recipient; durable when it returns the ids (one per recipient,
  // in envelope order). On failure nothing is kept.
  virtual Result<std::vector<MessageId>> Commit() = 0;
};

class InboundMail final {
 public:
  // `domains`: the mail domains Sealpost is the MX of (lower case); empty, every domain that has
  // at least one member is served.
  InboundMail(const Services& services, std::vector<std::string> domains,
              ArrivalChecker checker = nullptr, InboundLimits limits = {});

  // NotFound: no enabled member has this address (550 5.1.1). PermissionDenied: the domain is not
  // one the platform serves (550 5.7.1). InvalidArgument: not an address (501/553). Other errors
  // are temporary (451).
  Result<UserId> CheckRecipient(std::string_view address) const;

  // A message for `envelope.recipients` (at least one). Unavailable when the spool cannot be
  // created.
  Result<std::unique_ptr<InboundMessage>> Begin(InboundEnvelope envelope) const;

 private:
  Result<bool> Serves(std::string_view domain) const;

  Services s_;
  std::vector<std::string> domains_;
  ArrivalChecker checker_;
  InboundLimits limits_;
  // The inbound seal key, loaded (or made) by the first message and kept: once made it never
  // changes. Loading it per message cost a database read, an unwrap and a key expansion.
  std::shared_ptr<internal::InboundSealKeyCache> seal_key_;
};

}  // namespace sealpost::app
