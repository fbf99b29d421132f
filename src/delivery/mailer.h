// Outgoing system mail: address verification, guest notifications, delivery reports.
//
// With no relay configured, mail is written as .eml files into an outbox directory, which a
// newcomer can open by hand and the tests read. A relay-backed Mailer (SMTP client with
// STARTTLS) replaces it when `[mail] relay` is set. Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/address.h"
#include "core/status.h"
#include "platform/clock.h"
#include "platform/filesystem.h"
#include "platform/rng.h"

namespace sealpost::delivery {

class DkimSigner;  // delivery/dkim_signer.h

struct OutgoingMail {
  EmailAddress to;
  std::string subject;  // plain ASCII or UTF-8 (encoded per RFC 2047 when needed)
  std::string text;     // text/plain body
  // Left part of the Message-ID (hex); empty = a fresh random one. The outbound queue passes its
  // job id, so a mail sent twice (a deliverer killed between the relay's 250 and the dequeue)
  // carries the same Message-ID both times and receivers can drop the duplicate.
  std::string message_id;
  // Optional text/html alternative: when set, the mail is multipart/alternative (text first, as
  // RFC 2046 §5.1.4 orders the simplest part first). Must be a complete, escaped HTML document.
  // (Last, so that existing {to, subject, text, message_id} initialisers keep their meaning.)
  std::string html;
  // When the mail was written (Date header; the .eml outbox's file name). The outbound queue
  // passes the job's creation time, so a mail delivered twice is the same mail both times — and
  // lands in the same outbox file. Unset: the time of sending.
  std::optional<TimePoint> written_at;
  // A message prepared elsewhere (a recipient's S/MIME or OpenPGP copy, delivery/secure_copy.h):
  // complete RFC 5322 bytes with CRLF line ends, sent as they are (after the DKIM signature when
  // one is configured); subject, text and html are then not used, `to` is the envelope
  // recipient, and message_id / written_at only name the .eml file.
  std::string raw;
  // The envelope sender (MAIL FROM) of this mail: a bounce address naming it
  // (delivery/bounce_address.h), so that a delivery status notification finds its way back.
  // Empty: the mailer's own from_address. The From: header is not changed.
  std::string envelope_sender;
};

// How the receiving side took a mail, for the evidence of its consignment
// (docs/formats/log-entry.md, pickup.notified): printable ASCII, bounded.
struct MailHandoff {
  std::string receiver;  // the relay's host as configured, "outbox", or "" when not known
  std::string reply;     // its answer: "250 2.0.0 Ok: queued as 4Q…", "written to outbox"…
};

class Mailer {
 public:
  virtual ~Mailer() = default;
  // Returns once the mail is durably handed over (file fsynced, or relay answered 250).
  virtual Status Send(const OutgoingMail& mail) = 0;
  // Several mails, one outcome each (in order, same meaning as Send's). A relay mailer sends
  // them over one SMTP session; the default sends them one by one.
  virtual std::vector<Status> SendBatch(std::span<const OutgoingMail> mails) {
    std::vector<Status> results;
    results.reserve(mails.size());
    for (const OutgoingMail& mail : mails) results.push_back(Send(mail));
    return results;
  }
  // SendBatch, also telling how each mail that was sent was taken: `handoffs` gets one entry per
  // mail (empty for a mail not sent). This default, for mailers that do not know, reports
  // {"", "accepted"}.
  virtual std::vector<Status> SendBatchWithHandoffs(std::span<const OutgoingMail> mails,
                                                    std::vector<MailHandoff>& handoffs) {
    std::vector<Status> results = SendBatch(mails);
    handoffs.assign(mails.size(), MailHandoff{});
    for (size_t i = 0; i < results.size() && i < handoffs.size(); ++i) {
      if (results[i].ok()) handoffs[i].reply = "accepted";
    }
    return results;
  }
};

struct EmlOutboxOptions {
  std::string directory;
  std::string from_address;                // e.g. "Sealpost <no-reply@localhost.localdomain>"
  std::string hostname;                    // for Message-ID
  std::shared_ptr<const DkimSigner> dkim;  // signs each mail when set
};

std::unique_ptr<Mailer> MakeEmlOutboxMailer(platform::Filesystem& fs, const platform::Clock& clock,
                                            platform::Rng& rng, EmlOutboxOptions options);

// Delivery through an SMTP relay (RFC 5321) with STARTTLS (RFC 3207) and optional AUTH PLAIN
// (RFC 4954). One connection per Send, one per SendBatch (mail after mail in one session, TLS
// negotiated once; see smtp_relay_mailer.cpp for what a lost connection means); Send returns OK
// only after the relay answered 250 to the end of DATA. Errors: Unavailable for anything transient
// (4xx replies, connect/TLS/timeout failures, a relay without STARTTLS when TLS is required) — the
// caller may retry; InvalidArgument or PermissionDenied (5xx, policy 5.7.x) for permanent refusals,
// with the relay's reply text in the message for logs. The password never appears in a Status
// message.
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
  std::chrono::seconds timeout{30};        // connect, each command write, and each complete reply
  std::shared_ptr<const DkimSigner> dkim;  // signs each mail when set
};

// Checks the options without connecting (for configuration loading); Send checks them too.
Status ValidateSmtpRelayOptions(const SmtpRelayOptions& options);

std::unique_ptr<Mailer> MakeSmtpRelayMailer(const platform::Clock& clock, platform::Rng& rng,
                                            SmtpRelayOptions options);

// RenderMessage (or `mail.raw` when set), then the DKIM-Signature header field first when `dkim`
// is set. A signing failure
// is Unavailable (retried): the key was checked at start-up, so it is not the mail's fault.
Result<std::string> RenderSignedMessage(const OutgoingMail& mail, const std::string& from,
                                        const std::string& message_id, TimePoint date,
                                        const DkimSigner* dkim);

// The RFC 5322 text of `mail` (exposed for tests), CRLF line ends, 7-bit clean: headers with
// From, To, Subject (RFC 2047 encoded-words when not plain ASCII), Date, Message-ID,
// Auto-Submitted: auto-generated (RFC 3834), MIME-Version; no List-Unsubscribe (these are not
// list mail). Bodies are UTF-8 in quoted-printable, so no line is longer than 76 octets whatever
// the text; with `mail.html` set, a multipart/alternative of text/plain and text/html.
std::string RenderMessage(const OutgoingMail& mail, const std::string& from,
                          const std::string& message_id, TimePoint date);

// RFC 2045 §6.7 quoted-printable of UTF-8 text (LF or CRLF line ends become CRLF, a stray CR is
// dropped), lines at most 76 octets. Exposed for tests.
std::string QuotedPrintable(std::string_view text);

// Header field text: unchanged when short printable ASCII, else RFC 2047 "B" encoded-words of at
// most 75 characters, folded onto continuation lines; CR and LF never pass. Exposed for tests.
std::string EncodeHeaderText(std::string_view text);

}  // namespace sealpost::delivery
