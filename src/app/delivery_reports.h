// Delivery status notifications (RFC 3464) for mail Sealpost sent (issue 13, "Inbound").
//
// Every secure copy and every mail of the outbound queue leaves with its own envelope sender, a
// bounce address that names it (delivery/bounce_address.h; AppConfig::bounce_domain), so a
// report about it comes back to that address — to Sealpost's inbound MX, whose face hands it
// here. What a report does:
//   secure copy, Action failed — the recipient's state becomes "failed" with the server's words
//     ("550 5.1.1 <bob@…>: Recipient address rejected: User unknown"; GET /messages/{id} shows
//     it, app/sent_status.h), `delivery.failed` is recorded (so the receipts show a consignment
//     failure, as when the queue gives up) and the sender is told by the same system mail;
//   secure copy, Action delayed — the state becomes "deferred" with the reported reason: a
//     server further on is still trying (Sealpost does not send it again);
//   delivered, relayed, expanded — nothing changes (the copy already shows who took it);
//   system mail, Action failed — `mail.failed` with `report: true` (the mail is gone from the
//     queue; there is no recipient state to change).
// A report is idempotent: the same report twice (servers resend) changes nothing the second
// time. A failed copy stays failed; a delayed report after a failure is ignored.
//
// Thread-safe.
//
// SECURITY: the address and the bytes come from any SMTP client. The address is the only proof
// that a report is about our mail: its HMAC tag (under a platform key wrapped by the master key)
// cannot be forged, so a report cannot fail a copy whose address the writer never saw. The
// report's own content (recipient, reason) is only trusted as far as the mail server that got
// the copy is: reasons are cleaned (printable, bounded) by mime/delivery_status.h.
#pragma once

#include <string>
#include <string_view>

#include "app/services.h"
#include "delivery/bounce_address.h"

namespace sealpost::app {

// The bounce key (HMAC, 32 bytes) under the master key in platform_keys ("bounce-tag"); created
// on first use. Several processes sharing a store agree on one key.
Result<crypto::SecretBytes> LoadOrCreateBounceKey(const Services& s);

// The envelope sender for the copy or mail `id`; empty when no bounce domain is configured (the
// mailer's own address is used).
Result<std::string> BounceAddressFor(const Services& s, delivery::BounceKind kind,
                                     const std::string& id);

// What HandleDeliveryReport did, for the inbound face's log line and for tests.
enum class ReportOutcome {
  kRecordedFailure,  // a copy failed (or a system mail's failure recorded)
  kRecordedDelay,    // a copy marked deferred by a server further on
  kUnchanged,        // a duplicate, a success report, or a copy or mail no longer known
};

class DeliveryReports final {
 public:
  explicit DeliveryReports(const Services& s) : s_(s) {}

  // Whether `rcpt` (an RCPT TO of the inbound MX) is a bounce address of ours with a valid tag.
  // The inbound face accepts such a recipient instead of looking up a member. Errors only when
  // the key cannot be read (answer 451).
  Result<bool> IsDeliveryReportAddress(std::string_view rcpt) const;

  // A message that arrived for `rcpt` (checked by IsDeliveryReportAddress). NotFound when `rcpt`
  // is not a bounce address of ours; InvalidArgument when the message is not a delivery status
  // notification (the face may accept and drop it, as RFC 3464 §2 lets a report's receiver,
  // or refuse it — never answer it); Unavailable when the copy is still in our queue (it was
  // reported before the relay's 250 was recorded: answer 451, the server retries); TooLarge
  // past kMimeParse.
  Result<ReportOutcome> HandleDeliveryReport(std::string_view rcpt, std::string_view message_bytes);

 private:
  Services s_;
};

}  // namespace sealpost::app
