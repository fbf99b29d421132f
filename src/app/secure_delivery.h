// Delivering the secure copies (issue 12; docs/secure-delivery.md): the per-recipient S/MIME,
// OpenPGP and enforced-TLS copies that Mailbox::SendAs queued (app/internal/secure_copies.h)
// in the transaction that stored the message.
//
// SecureCopyDeliverer claims due copies with a lease (like MailDeliverer: another deliverer, in
// this or another process, skips a leased copy until its lease runs out, so a deliverer killed
// mid-send delays a copy but never loses it; the price is at-least-once) and tries each once:
//   S/MIME and OpenPGP copies go through the Mailer (the SMTP relay or the .eml outbox) as
//     prepared bytes (OutgoingMail::raw): they are end-to-end encrypted, so any relay will do.
//     All of a claim go in one relay session (Mailer::SendBatchWithHandoffs);
//   TLS copies go only through the TlsDirectSender to the partner's MX (never the relay), with
//     the partner policy as it is now (a domain no longer a partner, or one where TLS-only
//     delivery became forbidden, fails the copy: it is never sent otherwise). The copies of a
//     claim to one partner domain share one session (TlsDirectSender::DeliverBatch).
// So a claim's size bounds the copies per SMTP session; several deliverers (threads) give
// parallel sessions. A refusal in a session concerns only its own copy.
// Outcomes: delivered — state delivered with the host and its reply, the sealed copy erased,
//   evidence `delivery.sent` (a consignment: app/receipt_issuing.h); transient — deferred with
//   the reason and exponential backoff (AppConfig::mail_retry) until give_up_after from the
//   send; permanent or out of time — failed with the reason, the copy erased, evidence
//   `delivery.failed`, and the sender told by a system mail that offers sending it again by
//   secure pickup.
// A copy still being made by its send (kPreparing) is not claimed; one whose send request died
// (its preparation's lease ran out) is failed the same way, as it can never be made — all such
// copies of a message in one round, with evidence per copy and one mail to the sender listing
// the recipients (SecureCopiesNotMadeMail).
//
// Thread-safe; several deliverers may run at once.
//
// SECURITY: the copies are sealed under the master key bound to their id (a TLS copy holds the
// message in clear). Unsealed bytes live only for the attempt. Reasons recorded and mailed come
// from delivery/ (printable, truncated server text), never message content.
#pragma once

#include <string>
#include <vector>

#include "app/outbound_mail.h"
#include "app/services.h"
#include "delivery/tls_direct_sender.h"
#include "store/secure_delivery_store.h"

namespace sealpost::app {

class SecureCopyDeliverer {
 public:
  // `tls` may be null (no direct delivery configured): TLS copies are then deferred, and fail
  // after give_up_after.
  SecureCopyDeliverer(const Services& s, const delivery::TlsDirectSender* tls) : s_(s), tls_(tls) {}

  // Claims up to `batch` due copies and tries each once: at most `batch` copies per SMTP session.
  Result<DeliveryRound> DeliverDue(int batch = 16);

 private:
  struct Attempt {
    enum class Outcome { kDelivered, kTransient, kPermanent } outcome = Outcome::kTransient;
    std::string host;
    std::string reply;
    std::string reason;
  };
  struct Pending;
  void SendThroughRelay(std::vector<Pending>& pending);
  void SendDirect(std::vector<Pending>& pending);
  Status RecordDelivered(store::WriteTxn& tx, const Pending& p, TimePoint now);
  Status FailAbandoned(store::WriteTxn& tx, TimePoint now, int limit, DeliveryRound& round);
  // A copy not delivered: deferred with backoff, or failed (the sender told).
  Status Record(const store::SecureCopyRecord& copy, const Attempt& attempt,
                const std::string& sender_email, DeliveryRound& round);

  const Services& s_;
  const delivery::TlsDirectSender* tls_;
};

// A copy the send could not make (kPreparing: its making failed, or its send request died):
// failed with `reason` in `tx`, evidence delivery.failed, and the sender (`sender_email`, none
// when empty) told by system mail. NotFound when it is no longer preparing, queued or deferred.
Status FailCopyNotMade(const Services& s, store::WriteTxn& tx, const store::SecureCopyRecord& copy,
                       const std::string& sender_email, const std::string& reason);

// What the sender sees of one recipient's secure copy (GET /api/v1/messages/{id}).
struct SecureCopyStatus {
  std::string recipient;
  std::string method;  // "smime", "openpgp", "tls"
  // How the copy was protected, as recorded at the send: "smime-authenveloped-aes256gcm",
  // "smime-enveloped-aes256cbc", "pgp-mime" (delivery::SecureMethodSlug) or "tls".
  std::string format;
  std::string state;                         // "queued", "delivered", "deferred", "failed"
  std::string host;                          // delivered: who took it
  std::string reply;                         // delivered: its reply
  std::string reason;                        // deferred / failed: why
  std::optional<TimePoint> next_attempt_at;  // deferred / queued
  std::optional<TimePoint> finished_at;      // delivered / failed
  int attempts = 0;
};

// The secure copies of `message`, by recipient. The caller must have checked that the message
// is the caller's own (app/sent_status.h does).
Result<std::vector<SecureCopyStatus>> SecureCopiesOf(const Services& s, const MessageId& message);

std::string_view SecureCopyStateName(store::SecureCopyState state);

// "S/MIME", "OpenPGP" or "TLS" for a route slug ("smime", "openpgp", "tls"): how the sender is
// told which copy failed.
std::string_view SecureMethodLabel(std::string_view route_slug);

}  // namespace sealpost::app
