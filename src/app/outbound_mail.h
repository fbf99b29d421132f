// The durable outbound mail queue (a transactional outbox).
//
// Mail is queued in the same store transaction as the change that causes it, so a confirmation
// link exists exactly when its account does and no acknowledged change loses its mail to a relay
// that happened to be down. MailDeliverer hands each claimed batch to the Mailer at once
// (Mailer::SendBatch: one relay session; SMTP relay or .eml outbox), and records every delivered
// mail of the batch in one transaction: a transient failure (relay down, 4xx, no STARTTLS where TLS
// is required) is retried with exponential backoff until `give_up_after`; a permanent refusal (5xx)
// or giving up drops the mail, records `mail.failed` in the audit log and, when the mail was sent
// on a member's behalf, queues a report to that member. Delivered mail is recorded as `mail.sent`.
//
// A claimed mail is leased: other deliverers (other processes on a shared database) skip it
// until it is done or its lease runs out, so a deliverer killed mid-send delays a mail by one
// lease but never loses it. The price is at-least-once: a process killed after the relay said
// 250 and before the mail left the queue sends it again.
//
// The queued text (links with secrets) is sealed under the master key, bound to the mail's id.
#pragma once

#include <optional>

#include "app/services.h"
#include "core/address.h"
#include "delivery/mailer.h"

namespace sealpost::app {

// Queues `mail` in a write transaction (its outbox()). `report_failure_to`: the member told if it
// cannot be delivered. `pickup_lookup`: the guest pickup this mail notifies; when the relay accepts
// it (or the queue gives up) the pickup's notified_at (notify_failed_at) is set in the same
// transaction that removes the mail from the queue.
Status QueueMail(const Services& s, store::OutboxWriter& outbox, const delivery::OutgoingMail& mail,
                 const std::optional<EmailAddress>& report_failure_to = std::nullopt,
                 const std::optional<std::string>& pickup_lookup = std::nullopt);

// Tells the deliverers that mail is waiting (call after the transaction that queued it committed).
inline void NotifyMailQueued(const Services& s) {
  if (s.mail_queued) s.mail_queued();
}

struct DeliveryRound {
  int delivered = 0;
  int retried = 0;  // rescheduled after a transient failure
  int failed = 0;   // given up: refused, or out of time
};

// Thread-safe; several deliverers (threads or processes) may run at once.
class MailDeliverer {
 public:
  explicit MailDeliverer(const Services& s) : s_(s) {}

  // Claims up to `batch` due mails and tries each once.
  Result<DeliveryRound> DeliverDue(int batch = 32);

 private:
  Status Finish(const store::OutboundMailRecord& job, const delivery::OutgoingMail* mail,
                const std::optional<EmailAddress>& report_to, const Status& sent,
                DeliveryRound& round);

  const Services& s_;
};

}  // namespace sealpost::app
