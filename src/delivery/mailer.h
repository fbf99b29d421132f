// Outgoing system mail (address verification for now; notifications later).
//
// With no relay configured, mail is written as .eml files into an outbox directory, which a
// newcomer can open by hand and the tests read. A relay-backed Mailer (SMTP client with
// STARTTLS) replaces it when `[mail] relay` is set. Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "core/address.h"
#include "core/status.h"
#include "platform/clock.h"
#include "platform/filesystem.h"
#include "platform/rng.h"

namespace sealpost::delivery {

struct OutgoingMail {
  EmailAddress to;
  std::string subject;  // plain ASCII or UTF-8 (encoded per RFC 2047 when needed)
  std::string text;     // text/plain body
  // Left part of the Message-ID (hex); empty = a fresh random one. The outbound queue passes its
  // job id, so a mail sent twice (a deliverer killed between the relay's 250 and the dequeue)
  // carries the same Message-ID both times and receivers can drop the duplicate.
  std::string message_id;
};

class Mailer {
 public:
  virtual ~Mailer() = default;
  // Returns once the mail is durably handed over (file fsynced, or relay answered 250).
  virtual Status Send(const OutgoingMail& mail) = 0;
};

struct EmlOutboxOptions {
  std::string directory;
  std::string from_address;  // e.g. "Sealpost <no-reply@localhost.localdomain>"
  std::string hostname;      // for Message-ID
};

std::unique_ptr<Mailer> MakeEmlOutboxMailer(platform::Filesystem& fs, const platform::Clock& clock,
                                            platform::Rng& rng, EmlOutboxOptions options);

// Delivery through an SMTP relay (RFC 5321) with STARTTLS (RFC 3207) and optional AUTH PLAIN
// (RFC 4954). One connection per Send; Send returns OK only after the relay answered 250 to the
// end of DATA. Errors: Unavailable for anything transient (4xx replies, connect/TLS/timeout
// failures, a relay without STARTTLS when TLS is required) — the caller may retry; InvalidArgument
// or PermissionDenied (5xx, policy 5.7.x) for permanent refusals, with the relay's reply text in
// the message for logs. The password never appears in a Status message.
struct SmtpRelayOptions {
  std::string host;
  uint16_t port = 25;
  // kRequired: no STARTTLS offered, or a failed handshake/verification, fails the send.
  // kOpportunistic: STARTTLS when offered (still verified: a failed handshake fails the send, it
  // does not fall back to plaintext); plaintext when not offered, unless a username is set.
  enum class Tls { kRequired, kOpportunistic } tls = Tls::kRequired;
  std::string ca_file;   // PEM bundle to verify the relay; empty = system default
  std::string username;  // AUTH PLAIN, only ever sent over TLS
  std::string password;
  std::string helo_name = "sealpost.localhost";
  // Envelope sender and From: header, e.g. "Sealpost <no-reply@example.org>".
  std::string from_address;
  std::chrono::seconds timeout{30};  // connect, each command write, and each complete reply
};

// Checks the options without connecting (for configuration loading); Send checks them too.
Status ValidateSmtpRelayOptions(const SmtpRelayOptions& options);

std::unique_ptr<Mailer> MakeSmtpRelayMailer(const platform::Clock& clock, platform::Rng& rng,
                                            SmtpRelayOptions options);

// The RFC 5322 text of `mail` (exposed for tests).
std::string RenderMessage(const OutgoingMail& mail, const std::string& from,
                          const std::string& message_id, TimePoint date);

}  // namespace sealpost::delivery
