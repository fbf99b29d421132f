// The relay face of the SMTP gateway (issue 13, "Relay"): the listener the organisation's mail
// server (Postfix `relayhost`, an Exchange send connector) hands members' outgoing mail to.
//
// Who may use it: a client whose address lies in one of the configured client networks (CIDR,
// IPv4 and IPv6; an IPv4-mapped IPv6 address counts as its IPv4 address), or one whose TLS
// client certificate's SHA-256 is configured — either suffices; anyone else gets 554 5.7.1 at
// connect (Face::Open). There is no AUTH here (502): the client is the server, not a member.
// MAIL FROM must be an active member (550 5.7.1 otherwise, the null sender too: a bounce is not
// a member's mail).
//
// Policy: each message goes through app::MailSubmission::SubmitFromRelay, the submission face's
// flow: the organisation's [smtp_policy] (all / subject tag / content rules) decides whether it
// is sent securely — sealed by the platform's gateway key on behalf of the member
// (app/gateway_author.h), the tag taken out of the subject, attachments carried, Bcc recipients
// given their own message — or relayed onward unchanged through the configured relay (the
// durable outbound queue, Bcc fields removed). 250 means it is durable either way (stored, or
// queued); any other reply means nothing of it was kept (save a Bcc recipient's own message sent
// before a later one failed: a retry duplicates it, nothing is lost). The bytes are spooled
// encrypted as they arrive (app/internal/message_spool.h), so memory stays bounded.
//
// Thread-safety: the face is shared by every session (const after construction); a Session is
// used by one thread at a time (smtp/face.h).
//
// SECURITY: Peer comes from the socket and the TLS handshake; everything else from the client
// (which passed the network or certificate check, so it is trusted to speak for members, not to
// send well-formed mail).
#pragma once

#include <array>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "app/mail_submission.h"
#include "app/services.h"
#include "core/status.h"
#include "smtp/face.h"

namespace sealpost::smtp {

// A set of CIDR blocks. Parse accepts "192.0.2.0/24", "2001:db8::/32" and single addresses
// ("192.0.2.7", "::1"); InvalidArgument naming the entry otherwise (bits past the prefix set,
// a prefix longer than the address…).
class ClientNetworks final {
 public:
  static Result<ClientNetworks> Parse(const std::vector<std::string>& cidrs);
  // `address` as Peer::address writes it; false for anything that is not an IP address.
  bool Contains(std::string_view address) const;
  bool empty() const { return blocks_.empty(); }

 private:
  struct Block {
    std::array<uint8_t, 16> bytes{};  // IPv4 as IPv4-mapped IPv6
    int prefix = 0;                   // in IPv6 bits
  };
  std::vector<Block> blocks_;
};

struct RelayFaceOptions {
  std::vector<std::string> client_networks;
  // SHA-256 of each allowed client certificate's DER, hex (upper or lower case, ':' allowed).
  std::vector<std::string> client_certificates;
  // The largest message; 0 for the submission's configured limit.
  uint64_t max_message_bytes = 0;
};

// InvalidArgument for a malformed network or fingerprint, or when neither list has an entry
// (a relay open to nobody is a configuration mistake). `submission` must outlive the face.
Result<std::unique_ptr<Face>> MakeRelayFace(const app::Services& services,
                                            const app::MailSubmission& submission,
                                            RelayFaceOptions options);

}  // namespace sealpost::smtp
