// Direct delivery to a partner domain over enforced TLS (issue 12, "Enforced TLS"): one prepared
// RFC 5322 message, for one or more recipients of one domain, goes to that domain's MX hosts in
// preference order (or to the partner's host:port override) — never through the generic relay,
// and never in clear. STARTTLS is required; TLS >= crypto::policy::kTls.min_version with its
// cipher list; the server is accepted only as TlsPartnerPolicy says (verify: a chain to the CA
// file or the system store and the MX host name; pin: a pinned SPKI hash). Anything less stops
// before MAIL FROM: the message is not sent.
//
// Contract for the caller (the outbound queue): Deliver returns once the outcome is known. It
// never throws and never retries by itself beyond trying the next MX host in this call.
//   kDelivered  every recipient was accepted and the host answered 250 to the end of DATA; `host`
//               and `reply` ("250 2.0.0 Ok: queued as ABC") say who took it.
//   kTransient  retry later with backoff (DNS timeout, no reachable host, any TLS requirement
//               not met — the partner may fix its certificate — 4xx replies, a connection lost
//               after DATA). `reason` says why ("TLS required: mx.partner.example offered no
//               STARTTLS").
//   kPermanent  do not retry (the domain does not exist or takes no mail, 5xx replies, a
//               message or recipient list this sender refuses).
// Per recipient: `recipients[i]` has the outcome of message.recipients[i] (a 5xx to one RCPT is
// permanent for that recipient while the others are delivered). The overall outcome is
// kDelivered only when all were; otherwise kTransient when any recipient is transient, else
// kPermanent.
//
// DeliverBatch carries several messages to one partner domain over one SMTP session: the MX
// lookup, the connection and the TLS handshake once, then one transaction per message (MAIL,
// RCPT, DATA; RSET after one that was not delivered). Each message's result is what Deliver would
// have answered for it alone: a refusal (4xx/5xx) concerns only its own message; a session lost
// before a message's body went out moves that message and the rest on to the next MX host (and,
// when none is left, makes them transient); one lost after its body went out is transient.
//
// Thread-safety: Deliver and DeliverBatch may be called from several threads at once; the sender
// holds no mutable state (each call has its own DNS context and connection).
//
// SECURITY: every byte from DNS and from the SMTP servers is untrusted (see mx_resolver.h and
// internal/smtp_session.h for the bounds). TLS failures never fall back to plaintext, and no
// command after EHLO is sent before the peer is authenticated (name or pin). `reason` strings
// hold only printable, truncated server text. The message bytes never appear in a reason or log.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/address.h"
#include "core/status.h"
#include "delivery/mx_resolver.h"
#include "delivery/tls_partner_policy.h"

namespace sealpost::delivery {

inline constexpr size_t kMaxTlsDirectRecipients = 100;  // RFC 5321 §4.5.3.1.8's minimum
inline constexpr size_t kMaxTlsDirectMessageBytes = size_t{64} << 20;
inline constexpr size_t kMaxTlsDirectBatch = 100;  // messages per DeliverBatch (one session)

struct TlsDirectMessage {
  std::string raw;  // the complete RFC 5322 message (header and body); LF or CRLF line ends
  EmailAddress envelope_from;
  std::vector<EmailAddress> recipients;  // 1..kMaxTlsDirectRecipients, all in policy.domain
};

enum class TlsDeliveryOutcome { kDelivered, kTransient, kPermanent };
std::string_view TlsDeliveryOutcomeName(TlsDeliveryOutcome outcome);

struct TlsRecipientResult {
  TlsDeliveryOutcome outcome = TlsDeliveryOutcome::kTransient;
  std::string reason;  // empty when delivered
};

struct TlsDeliveryResult {
  TlsDeliveryOutcome outcome = TlsDeliveryOutcome::kTransient;
  std::string host;         // "mx.partner.example" that answered last (empty when none was reached)
  std::string reply;        // delivered: the host's reply to the end of DATA
  std::string reason;       // not delivered: why (human-readable, printable ASCII)
  std::string tls_version;  // "TLSv1.3" of the session that carried the message, else empty
  DnssecState dnssec = DnssecState::kInsecure;  // of the MX lookup (kInsecure with an override)
  std::vector<TlsRecipientResult> recipients;   // one per message.recipients, same order
};

struct TlsDirectOptions {
  std::string helo_name;             // our host name for EHLO (checked)
  std::string ca_file;               // PEM bundle for verify mode; empty = the system store
  std::chrono::seconds timeout{30};  // connect, each command, each reply, the TLS handshake
  // The port MX hosts are contacted on. 25 in production; the tests run private servers.
  uint16_t mx_port = 25;
};

class TlsDirectSender {
 public:
  virtual ~TlsDirectSender() = default;
  virtual TlsDeliveryResult Deliver(const TlsPartnerPolicy& policy,
                                    const TlsDirectMessage& message) const = 0;
  // 1..kMaxTlsDirectBatch messages, all to recipients in policy.domain; one result per message,
  // in order. This default, for senders without sessions of their own, delivers them one by one.
  virtual std::vector<TlsDeliveryResult> DeliverBatch(
      const TlsPartnerPolicy& policy, std::span<const TlsDirectMessage> messages) const {
    std::vector<TlsDeliveryResult> results;
    results.reserve(messages.size());
    for (const TlsDirectMessage& m : messages) results.push_back(Deliver(policy, m));
    return results;
  }
};

// `resolver` is needed unless every policy has an override host (may be null then).
Result<std::unique_ptr<TlsDirectSender>> MakeTlsDirectSender(
    std::shared_ptr<const MxResolver> resolver, TlsDirectOptions options);

}  // namespace sealpost::delivery
