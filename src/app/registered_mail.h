// Registered mail: a sender marks a message registered (SendRequest::registered); each of its
// recipients — members in their inbox, guests in the pickup portal — first sees only a notice:
// who sent it (the sender's address and name from the sealed summary, with the seal's state),
// that it is registered, and the acceptance deadline. Subject, recipients, text and attachments
// stay withheld — by the use cases (Mailbox::Read, ReadWithKey, attachment downloads), not only
// by the front ends — until the recipient accepts, with their session (members) or after unlock
// (guests), so their identity is proven. They may refuse instead; not accepted by the deadline,
// a background round marks it expired. Each decision is taken once (store/registered_store.h)
// and written as a log leaf naming the recipient (docs/formats/log-entry.md, "Evidence events"):
// message.accepted (receipts ConsignmentAcceptance and ContentHandover: the acceptance hands the
// content over), message.refused (ConsignmentRejection) and message.expired
// (AcceptanceRejectionExpiry). The sender gets them as receipts (app/receipt_issuing.h).
//
// SECURITY: message ids are untrusted input; a member can decide only for messages in their own
// inbox, a guest only for the pickup their token opens. Thread-safe.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "app/auth_context.h"
#include "app/mailbox.h"
#include "app/services.h"

namespace sealpost::app {

// The acceptance deadline of a send request: nullopt when it is not registered; InvalidArgument
// (invalid-deadline) when acceptance_days is outside 1 .. max_registered_deadline in days.
Result<std::optional<TimePoint>> RegisteredDeadlineFor(const AppConfig& config,
                                                       const SendRequest& request, TimePoint now);
// The days a sender may choose: the default and the most.
struct RegisteredLimits {
  int64_t default_days = 0;
  int64_t max_days = 0;
};
RegisteredLimits RegisteredLimitsOf(const AppConfig& config);

// In the send transaction: a pending row per recipient and one "message.registered" leaf.
Status RecordRegistered(const Services& s, store::WriteTxn& tx, const MessageId& id,
                        std::span<const std::string> recipients, TimePoint deadline,
                        const std::string& actor);

// `recipient`'s registered status for the message; nullopt when it is not registered for them.
Result<std::optional<RegisteredStatus>> RegisteredStatusOf(const Services& s, const MessageId& id,
                                                           const std::string& recipient);
// True when the content is to be withheld from a reader with this status (not accepted).
inline bool WithheldFromReader(const std::optional<RegisteredStatus>& status) {
  return status && status->state != store::RegisteredState::kAccepted;
}
// Reduces `view` to the notice: the header's id, folder, times, sender and seal, plus `status`.
void ReduceToNotice(MessageView& view, const RegisteredStatus& status);

enum class Decision { kAccept, kRefuse };

// Records `recipient`'s decision on a registered message: Conflict not-registered when it is not
// registered for them, already-decided when decided (or expired) before, deadline-passed at or
// after the deadline. `method` is "mailbox" or "pickup"; `also_in_write` runs in the same
// transaction.
Status DecideRegisteredMail(const Services& s, const MessageId& id, const std::string& recipient,
                            Decision decision, std::string_view method, const std::string& actor,
                            const std::function<Status(store::WriteTxn&)>& also_in_write = {});

struct RegisteredExpiryRound {
  int expired = 0;
};

class RegisteredMail final {
 public:
  explicit RegisteredMail(const Services& services) : s_(services), mailbox_(services) {}

  // A member accepts a registered message in their inbox and gets its content (read now: the
  // acceptance is the handover). Errors as DecideRegisteredMail; NotFound when not theirs.
  Result<MessageView> Accept(const AuthContext& ctx, std::string_view message_id);
  // A member refuses it: the content stays withheld for good.
  Status Refuse(const AuthContext& ctx, std::string_view message_id);

  // Marks every pending recipient whose deadline has passed expired, each with its leaf
  // (message.expired). Called periodically by the server.
  Result<RegisteredExpiryRound> ExpireOverdue();

 private:
  Result<MessageId> OwnInboxMessage(const AuthContext& ctx, std::string_view message_id);

  Services s_;
  Mailbox mailbox_;
};

}  // namespace sealpost::app
