#include "app/registered_mail.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "app/internal/audit_event.h"

namespace sealpost::app {
namespace {

constexpr int64_t kSecondsPerDay = 24 * 3600;
constexpr int kExpiryBatch = 200;
constexpr int kMaxExpiryBatches = 50;  // per round; the next round goes on

std::string_view StateName(store::RegisteredState state) {
  switch (state) {
    case store::RegisteredState::kPending:
      return "pending";
    case store::RegisteredState::kAccepted:
      return "accepted";
    case store::RegisteredState::kRefused:
      return "refused";
    case store::RegisteredState::kExpired:
      return "expired";
  }
  return "";
}

}  // namespace

RegisteredLimits RegisteredLimitsOf(const AppConfig& config) {
  return {(config.registered_deadline.count() + kSecondsPerDay - 1) / kSecondsPerDay,
          config.max_registered_deadline.count() / kSecondsPerDay};
}

Result<std::optional<TimePoint>> RegisteredDeadlineFor(const AppConfig& config,
                                                       const SendRequest& request, TimePoint now) {
  if (!request.registered) {
    if (request.acceptance_days) {
      return InvalidArgument("acceptance_days is only for registered messages")
          .ShownToClient(Reason::kInvalidDeadline);
    }
    return std::optional<TimePoint>();
  }
  if (!request.acceptance_days) return std::optional<TimePoint>(now + config.registered_deadline);
  const int64_t max_days = RegisteredLimitsOf(config).max_days;
  if (*request.acceptance_days < 1 || *request.acceptance_days > max_days) {
    return InvalidArgument(fmt::format("acceptance_days must be between 1 and {}", max_days))
        .ShownToClient(Reason::kInvalidDeadline);
  }
  return std::optional<TimePoint>(now +
                                  std::chrono::seconds(*request.acceptance_days * kSecondsPerDay));
}

Status RecordRegistered(const Services& s, store::WriteTxn& tx, const MessageId& id,
                        std::span<const std::string> recipients, TimePoint deadline,
                        const std::string& actor) {
  for (const std::string& to : recipients) {
    SP_RETURN_IF_ERROR(tx.registered().AddRegisteredRecipient({id, to, deadline}));
  }
  return RecordEvent(
      s, tx, "message.registered", actor, id.str(),
      nlohmann::json{{"recipients", recipients.size()}, {"deadline_ms", ToUnixMillis(deadline)}}
          .dump());
}

Result<std::optional<RegisteredStatus>> RegisteredStatusOf(const Services& s, const MessageId& id,
                                                           const std::string& recipient) {
  auto row = s.store.registered().GetRegisteredRecipient(id, recipient);
  if (!row.ok()) {
    if (row.status().code() == ErrorCode::kNotFound) return std::optional<RegisteredStatus>();
    return row.status();
  }
  return std::optional<RegisteredStatus>(
      RegisteredStatus{row->state, row->deadline, row->decided_at});
}

void ReduceToNotice(MessageView& view, const RegisteredStatus& status) {
  MessageHeader& h = view.header;
  h.subject.clear();
  h.to.clear();
  h.cc.clear();
  h.bcc.clear();
  h.attachment_count = 0;
  h.in_reply_to.clear();
  h.registered = status;
  view.body = {};
  view.attachments.clear();
  view.withheld = Withheld::kNotAccepted;
}

Status DecideRegisteredMail(const Services& s, const MessageId& id, const std::string& recipient,
                            Decision decision, std::string_view method, const std::string& actor,
                            const std::function<Status(store::WriteTxn&)>& also_in_write) {
  auto row = s.store.registered().GetRegisteredRecipient(id, recipient);
  if (!row.ok()) {
    if (row.status().code() != ErrorCode::kNotFound) return row.status();
    return Conflict("this message is not registered mail for you").As(Reason::kNotRegistered);
  }
  const Status decided =
      Conflict(fmt::format("this registered message is {} already", StateName(row->state)))
          .As(Reason::kAlreadyDecided);
  if (row->state != store::RegisteredState::kPending) return decided;
  const TimePoint now = s.clock.Now();
  if (now >= row->deadline) {
    return Conflict("the deadline to accept this registered message has passed")
        .As(Reason::kDeadlinePassed);
  }
  const bool accept = decision == Decision::kAccept;
  const Status st = s.store.Write([&](store::WriteTxn& tx) -> Status {
    SP_RETURN_IF_ERROR(tx.registered().DecideRegistered(
        id, recipient,
        accept ? store::RegisteredState::kAccepted : store::RegisteredState::kRefused, now));
    if (also_in_write) SP_RETURN_IF_ERROR(also_in_write(tx));
    return RecordEvent(s, tx, accept ? "message.accepted" : "message.refused", actor, id.str(),
                       nlohmann::json{{"recipient", recipient}, {"method", method}}.dump());
  });
  // Conflict: decided (or expired) by a concurrent request since the row was read.
  if (st.code() == ErrorCode::kConflict) return decided;
  return st;
}

Result<MessageId> RegisteredMail::OwnInboxMessage(const AuthContext& ctx,
                                                  std::string_view message_id) {
  const auto id = MessageId::Parse(message_id);
  if (!id.ok()) return NotFound("message not found");
  auto item = s_.store.messages().GetMailboxItem(ctx.user.id, *id);
  if (!item.ok()) {
    if (item.status().code() != ErrorCode::kNotFound) return item.status();
    return NotFound("message not found");
  }
  if (item->entry.folder == store::Folder::kSent) {
    return Conflict("this message is not registered mail for you").As(Reason::kNotRegistered);
  }
  return *id;
}

Result<MessageView> RegisteredMail::Accept(const AuthContext& ctx, std::string_view message_id) {
  SP_ASSIGN_OR_RETURN(const MessageId id, OwnInboxMessage(ctx, message_id));
  // Marked read with the acceptance, so the read that shows the content is no second handover.
  SP_RETURN_IF_ERROR(DecideRegisteredMail(
      s_, id, ctx.user.email, Decision::kAccept, "mailbox", ctx.user.id.str(),
      [&](store::WriteTxn& tx) { return tx.messages().MarkRead(ctx.user.id, id); }));
  return mailbox_.Read(ctx, id.str());
}

Status RegisteredMail::Refuse(const AuthContext& ctx, std::string_view message_id) {
  SP_ASSIGN_OR_RETURN(const MessageId id, OwnInboxMessage(ctx, message_id));
  return DecideRegisteredMail(s_, id, ctx.user.email, Decision::kRefuse, "mailbox",
                              ctx.user.id.str());
}

Result<RegisteredExpiryRound> RegisteredMail::ExpireOverdue() {
  RegisteredExpiryRound round;
  const TimePoint now = s_.clock.Now();
  for (int batch = 0; batch < kMaxExpiryBatches; ++batch) {
    SP_ASSIGN_OR_RETURN(const auto due,
                        s_.store.registered().ListOverdueRegistered(now, kExpiryBatch));
    for (const store::RegisteredRecipientRecord& r : due) {
      // The receipt names the delivery method: a guest's pickup, or a member's mailbox.
      SP_ASSIGN_OR_RETURN(const auto pickups, s_.store.guests().ListPickupsOfMessage(r.message_id));
      std::string method = "mailbox";
      for (const auto& p : pickups) {
        if (p.email == r.recipient) method = "pickup";
      }
      const Status st = s_.store.Write([&](store::WriteTxn& tx) -> Status {
        SP_RETURN_IF_ERROR(tx.registered().DecideRegistered(r.message_id, r.recipient,
                                                            store::RegisteredState::kExpired, now));
        return RecordEvent(s_, tx, "message.expired", "system", r.message_id.str(),
                           nlohmann::json{{"recipient", r.recipient},
                                          {"method", method},
                                          {"deadline_ms", ToUnixMillis(r.deadline)}}
                               .dump());
      });
      // Conflict: accepted or refused in the meantime (before the deadline).
      if (st.code() == ErrorCode::kConflict) continue;
      SP_RETURN_IF_ERROR(st);
      ++round.expired;
    }
    if (due.size() < static_cast<size_t>(kExpiryBatch)) break;
  }
  return round;
}

}  // namespace sealpost::app
