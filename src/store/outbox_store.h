// The outbound mail queue: notifications waiting for the relay, leased by whichever process sends
// them. Part of the Store (store/store.h).
#pragma once

#include <string>
#include <vector>

#include "core/status.h"
#include "store/records.h"

namespace sealpost::store {

class OutboxReader {
 public:
  virtual ~OutboxReader() = default;

  // Mails waiting in the outbound queue, soonest due first.
  virtual Result<std::vector<OutboundMailRecord>> ListQueuedMail(int limit) = 0;
};

class OutboxWriter {
 public:
  virtual ~OutboxWriter() = default;

  // ClaimDueMail leases up to `limit` mails that are due (next_attempt_at <= now) and not leased
  // by anyone else (or whose lease ran out, e.g. a process died mid-job), oldest due first, and
  // returns them with their new lease. Reschedule ends the lease.
  virtual Status EnqueueMail(const OutboundMailRecord& mail) = 0;
  virtual Result<std::vector<OutboundMailRecord>> ClaimDueMail(TimePoint now, TimePoint lease_until,
                                                               int limit) = 0;
  virtual Status RescheduleMail(const MailJobId& id, TimePoint next_attempt_at, int attempts,
                                const std::string& last_error) = 0;
  // Delivered or given up. NotFound when it is not (or no longer) queued.
  virtual Status DeleteMail(const MailJobId& id) = 0;
  // Drops the queued notifications of a pickup (recalled before they went); none is not an error.
  virtual Status DeleteMailOfPickup(const std::string& pickup_lookup) = 0;
};

}  // namespace sealpost::store
