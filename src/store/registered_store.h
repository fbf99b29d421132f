// Registered mail (app/registered_mail.h): per recipient of a registered message, its acceptance
// deadline and whether they accepted, refused or let it expire. Part of the Store (store/store.h).
//
// A message is registered for a recipient exactly when it has a row for them; the row is written
// in the send transaction and leaves "pending" once, for good.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/ids.h"
#include "core/status.h"
#include "core/time.h"

namespace sealpost::store {

// Stored as integers; never renumber.
enum class RegisteredState { kPending = 0, kAccepted = 1, kRefused = 2, kExpired = 3 };

struct RegisteredRecipientRecord {
  MessageId message_id;
  std::string recipient;  // the normalised address (member or guest)
  TimePoint deadline;     // not accepted by then: expired
  RegisteredState state = RegisteredState::kPending;
  std::optional<TimePoint> decided_at;  // when it left pending
};

class RegisteredReader {
 public:
  virtual ~RegisteredReader() = default;

  // NotFound when the message is not registered for `recipient` (or does not exist).
  virtual Result<RegisteredRecipientRecord> GetRegisteredRecipient(
      const MessageId& message_id, const std::string& recipient) = 0;
  // The message's registered recipients, by address; empty when it is not registered.
  virtual Result<std::vector<RegisteredRecipientRecord>> ListRegisteredRecipients(
      const MessageId& message_id) = 0;
  // Pending rows whose deadline is <= now, earliest deadline first.
  virtual Result<std::vector<RegisteredRecipientRecord>> ListOverdueRegistered(TimePoint now,
                                                                               int limit) = 0;
};

class RegisteredWriter {
 public:
  virtual ~RegisteredWriter() = default;

  // Conflict when the message has a row for the recipient already.
  virtual Status AddRegisteredRecipient(const RegisteredRecipientRecord& record) = 0;
  // pending → `state` (accepted, refused or expired) at `when`. NotFound when there is no row;
  // Conflict when it left pending already (a second decision, or a race with expiry, loses).
  virtual Status DecideRegistered(const MessageId& message_id, const std::string& recipient,
                                  RegisteredState state, TimePoint when) = 0;
};

}  // namespace sealpost::store
