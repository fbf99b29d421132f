#include "app/sent_status.h"

#include <map>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "app/internal/audit_event.h"
#include "app/retention.h"
#include "app/secure_delivery.h"

namespace sealpost::app {
namespace {

constexpr int64_t kSecondsPerDay = 24 * 3600;
constexpr int kExpiryBatch = 200;
constexpr int kMaxExpiryBatches = 50;  // per round; the next round goes on

bool Live(const store::PickupRecord& p, TimePoint now) {
  return (p.state == store::PickupState::kPending || p.state == store::PickupState::kOpened) &&
         p.expires_at > now;
}

const char* PortalStatus(const store::PickupRecord& p, TimePoint now) {
  if (p.state == store::PickupState::kRevoked) return "recalled";
  if (p.replied_at) return "replied";
  // Re-sealed to the member the guest became: in their inbox now.
  if (p.state == store::PickupState::kClaimed) return p.opened_at ? "opened" : "delivered";
  if (p.state == store::PickupState::kOpened || p.opened_at) return "opened";
  if (p.state == store::PickupState::kExpired || p.expires_at <= now) return "expired";
  if (p.notify_failed_at) return "failed";
  if (p.notified_at) return "notified";
  return "queued";
}

}  // namespace

Result<std::chrono::seconds> PickupTtlFor(const AppConfig& config, std::optional<int64_t> days) {
  if (!days) return config.pickup_ttl;
  const int64_t max_days = ExpiryLimitsOf(config).max_days;
  if (*days < 1 || *days > max_days) {
    return InvalidArgument(fmt::format("expires_in_days must be between 1 and {}", max_days))
        .ShownToClient(Reason::kInvalidExpiry);
  }
  return std::chrono::seconds(*days * kSecondsPerDay);
}

ExpiryLimits ExpiryLimitsOf(const AppConfig& config) {
  return {(config.pickup_ttl.count() + kSecondsPerDay - 1) / kSecondsPerDay,
          config.max_pickup_ttl.count() / kSecondsPerDay};
}

Result<SentStatus> SentMessages::StatusOf(const AuthContext& ctx, const MessageHeader& header) {
  auto message = s_.store.messages().GetMessage(header.id);
  if (!message.ok() || message->sender_id != ctx.user.id) return NotFound("message not found");
  SP_ASSIGN_OR_RETURN(const auto pickups, s_.store.guests().ListPickupsOfMessage(header.id));
  SP_ASSIGN_OR_RETURN(const auto entries,
                      s_.store.messages().ListMailboxEntriesOfMessage(header.id));
  std::map<std::string, const store::PickupRecord*> by_address;
  for (const auto& p : pickups) by_address[p.email] = &p;
  SP_ASSIGN_OR_RETURN(const auto copies, SecureCopiesOf(s_, header.id));
  std::map<std::string, const SecureCopyStatus*> copy_of;
  for (const auto& c : copies) copy_of[c.recipient] = &c;
  std::map<std::string, const store::MailboxEntry*> inbox_by_owner;
  for (const auto& e : entries) {
    if (e.folder == store::Folder::kInbox) inbox_by_owner[e.owner_id.str()] = &e;
  }
  const TimePoint now = s_.clock.Now();

  SentStatus out;
  std::vector<std::string> recipients = header.to;
  recipients.insert(recipients.end(), header.cc.begin(), header.cc.end());
  recipients.insert(recipients.end(), header.bcc.begin(), header.bcc.end());
  for (const std::string& address : recipients) {
    RecipientStatus r;
    r.address = address;
    if (auto copy = copy_of.find(address); copy != copy_of.end()) {
      const SecureCopyStatus& c = *copy->second;
      r.delivery = RecipientDelivery::kSecure;
      r.method = c.method;
      r.format = c.format;
      r.status = c.state;
      r.detail = c.state == "delivered" ? c.host + ": " + c.reply : c.reason;
      r.next_attempt_at = c.next_attempt_at;
      if (c.state == "delivered") r.notified_at = c.finished_at;
    } else if (auto it = by_address.find(address); it != by_address.end()) {
      const store::PickupRecord& p = *it->second;
      r.delivery = RecipientDelivery::kPortal;
      r.method = "pickup";
      r.status = PortalStatus(p, now);
      r.notified_at = p.notified_at;
      r.opened_at = p.opened_at;
      r.replied_at = p.replied_at;
      if (!out.expires_at || p.expires_at > *out.expires_at) out.expires_at = p.expires_at;
      if (Live(p, now)) {
        if (p.state == store::PickupState::kPending) out.can_recall = true;
        auto guest = s_.store.guests().GetGuestAddress(p.email);
        r.locked = guest.ok() && guest->failures >= s_.config.max_muc_failures;
      }
    } else {
      r.delivery = RecipientDelivery::kMember;
      r.method = "member";
      auto user = s_.store.accounts().GetUserByEmail(address);
      const store::MailboxEntry* entry = nullptr;
      if (user.ok()) {
        if (auto it = inbox_by_owner.find(user->id.str()); it != inbox_by_owner.end()) {
          entry = it->second;
        }
      }
      r.status = entry ? "delivered" : "recalled";
      if (entry && entry->unread && entry->owner_id != ctx.user.id) out.can_recall = true;
    }
    out.recipients.push_back(std::move(r));
  }
  return out;
}

Result<RecallResult> SentMessages::Recall(const AuthContext& ctx, std::string_view message_id) {
  auto parsed = MessageId::Parse(message_id);
  if (!parsed.ok()) return NotFound("message not found");
  const MessageId id = *parsed;
  auto message = s_.store.messages().GetMessage(id);
  if (!message.ok() || message->sender_id != ctx.user.id) return NotFound("message not found");
  // Legal hold (app/retention.h): nothing held is recalled; a held recipient keeps their copy.
  Retention retention(s_);
  SP_ASSIGN_OR_RETURN(const bool held, retention.IsHeld(id, ctx.user.id));
  if (held) return Conflict("the message is under legal hold").ShownToClient();
  SP_ASSIGN_OR_RETURN(const auto pickups, s_.store.guests().ListPickupsOfMessage(id));
  SP_ASSIGN_OR_RETURN(const auto entries, s_.store.messages().ListMailboxEntriesOfMessage(id));
  // Member copies: every inbox entry but the sender's own (a message to oneself).
  std::vector<std::pair<const store::MailboxEntry*, std::string>> members;
  std::set<std::string> held_owners;
  for (const auto& e : entries) {
    if (e.folder != store::Folder::kInbox || e.owner_id == ctx.user.id) continue;
    SP_ASSIGN_OR_RETURN(const bool owner_held, retention.IsMemberHeld(e.owner_id));
    if (owner_held) held_owners.insert(e.owner_id.str());
    auto user = s_.store.accounts().GetUser(e.owner_id);
    members.emplace_back(&e, user.ok() ? user->email : e.owner_id.str());
  }
  const TimePoint now = s_.clock.Now();

  RecallResult result;
  int guests = 0;
  int member_copies = 0;
  const Status written = s_.store.Write([&](store::WriteTxn& tx) -> Status {
    result = {};
    guests = member_copies = 0;
    for (const auto& p : pickups) {
      if (p.state == store::PickupState::kOpened) {
        result.kept.push_back(p.email);
        continue;
      }
      if (p.state != store::PickupState::kPending || p.expires_at <= now) continue;
      const Status revoked = tx.guests().RevokePendingPickup(p.lookup);
      if (revoked.code() == ErrorCode::kNotFound) {  // opened in the meantime
        result.kept.push_back(p.email);
        continue;
      }
      SP_RETURN_IF_ERROR(revoked);
      SP_RETURN_IF_ERROR(tx.outbox().DeleteMailOfPickup(p.lookup));
      result.recalled.push_back(p.email);
      ++guests;
    }
    for (const auto& [entry, email] : members) {
      if (!entry->unread || held_owners.count(entry->owner_id.str()) > 0) {
        result.kept.push_back(email);
        continue;
      }
      const Status deleted = tx.messages().DeleteUnreadInboxEntry(entry->owner_id, id);
      if (deleted.code() == ErrorCode::kNotFound) {  // read in the meantime
        result.kept.push_back(email);
        continue;
      }
      SP_RETURN_IF_ERROR(deleted);
      result.recalled.push_back(email);
      ++member_copies;
    }
    if (result.recalled.empty()) {
      return Conflict("every recipient has already opened the message")
          .As(Reason::kNothingToRecall);
    }
    return RecordEvent(
        s_, tx, "message.recall", ctx.user.id.str(), id.str(),
        nlohmann::json{{"guests", guests}, {"members", member_copies}, {"kept", result.kept.size()}}
            .dump());
  });
  SP_RETURN_IF_ERROR(written);
  return result;
}

Result<PickupExpiryRound> SentMessages::ExpirePickups() {
  const TimePoint now = s_.clock.Now();
  PickupExpiryRound round;
  for (int batch = 0; batch < kMaxExpiryBatches; ++batch) {
    SP_ASSIGN_OR_RETURN(const auto expired,
                        s_.store.guests().ListExpiredPickups(now, kExpiryBatch));
    if (expired.empty()) break;
    // Legal hold (app/retention.h): a held message's or sender's pickups keep their keys.
    std::vector<store::PickupRecord> due;
    Retention retention(s_);
    for (const auto& p : expired) {
      SP_ASSIGN_OR_RETURN(const bool held, retention.IsHeld(p.message_id, p.sender_id));
      if (!held) due.push_back(p);
    }
    int done = 0;
    SP_RETURN_IF_ERROR(s_.store.Write([&](store::WriteTxn& tx) -> Status {
      done = 0;
      for (const auto& p : due) {
        const Status st = tx.guests().ExpirePickup(p.lookup, now);
        if (st.code() == ErrorCode::kNotFound) continue;  // opened, recalled or expired meanwhile
        SP_RETURN_IF_ERROR(st);
        SP_RETURN_IF_ERROR(
            RecordEvent(s_, tx, "pickup.expired", "system", p.message_id.str(),
                        nlohmann::json{{"recipient", p.email},
                                       {"method", "pickup"},
                                       {"opened", p.state == store::PickupState::kOpened}}
                            .dump()));
        ++done;
      }
      return Status::Ok();
    }));
    round.expired += done;
    if (expired.size() < static_cast<size_t>(kExpiryBatch)) break;
  }
  SP_RETURN_IF_ERROR(s_.store.Write([&](store::WriteTxn& tx) -> Status {
    SP_ASSIGN_OR_RETURN(round.tokens,
                        tx.accounts().DeleteExpiredTokens(store::TokenPurpose::kPickup, now));
    return Status::Ok();
  }));
  return round;
}

}  // namespace sealpost::app
