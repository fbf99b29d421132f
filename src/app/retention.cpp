#include "app/retention.h"

#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "app/access.h"
#include "app/internal/audit_event.h"
#include "audit/store_check.h"
#include "core/address.h"
#include "core/encoding.h"
#include "core/text.h"

namespace sealpost::app {
namespace {

Status Denied() { return PermissionDenied("compliance officers only"); }

// A DNS domain as it appears after '@' in a member's address, lower-cased.
Result<std::string> ParseDomain(std::string_view domain) {
  auto address = EmailAddress::Parse("postmaster@" + std::string(domain));
  if (!address.ok() || domain.empty()) {
    return InvalidArgument("domain must be a domain name, e.g. example.org").ShownToClient();
  }
  return std::string(address->domain());
}

std::string DomainOf(const std::string& email) {
  const size_t at = email.rfind('@');
  return at == std::string::npos ? "" : email.substr(at + 1);
}

// 32 hex digits from the services' RNG: a hold's or a run's id.
std::string NewHexId(platform::Rng& rng) {
  uint8_t raw[16];
  rng.Fill(raw);
  return HexEncode(ByteView(raw, sizeof raw));
}

const char* TargetName(store::HoldTarget t) {
  return t == store::HoldTarget::kMember ? "member" : "message";
}

}  // namespace

bool MayManageRetention(store::Store& store, const AuthContext& ctx) {
  return ctx.user.is_admin || Access(store).Require(ctx, Permission::kRetention).ok();
}

Result<std::optional<store::RetentionPolicyRecord>> Retention::PolicyOfMember(
    const AuthContext& ctx) {
  auto policy = s_.store.retention().GetPolicy(DomainOf(ctx.user.email));
  if (policy.status().code() == ErrorCode::kNotFound) {
    return std::optional<store::RetentionPolicyRecord>{};
  }
  SP_RETURN_IF_ERROR(policy.status());
  return std::optional<store::RetentionPolicyRecord>(std::move(*policy));
}

Result<std::vector<store::RetentionPolicyRecord>> Retention::ListPolicies(const AuthContext& ctx) {
  if (!MayManageRetention(s_.store, ctx)) return Denied();
  return s_.store.retention().ListPolicies();
}

Result<store::RetentionPolicyRecord> Retention::SetPolicy(const AuthContext& ctx,
                                                          std::string_view domain, int64_t days) {
  if (!MayManageRetention(s_.store, ctx)) return Denied();
  SP_ASSIGN_OR_RETURN(const std::string name, ParseDomain(domain));
  if (days < 1 || days > kMaxRetentionDays) {
    return InvalidArgument("days must be between 1 and 36500").ShownToClient();
  }
  const store::RetentionPolicyRecord policy{name, days, ctx.user.id.str(), s_.clock.Now()};
  SP_RETURN_IF_ERROR(s_.store.Write([&](store::WriteTxn& tx) {
    SP_RETURN_IF_ERROR(tx.retention().PutPolicy(policy));
    return RecordEvent(s_, tx, "retention.policy_set", ctx.user.id.str(), name,
                       nlohmann::json{{"days", days}}.dump());
  }));
  return policy;
}

Status Retention::ClearPolicy(const AuthContext& ctx, std::string_view domain) {
  if (!MayManageRetention(s_.store, ctx)) return Denied();
  SP_ASSIGN_OR_RETURN(const std::string name, ParseDomain(domain));
  return s_.store.Write([&](store::WriteTxn& tx) {
    SP_RETURN_IF_ERROR(tx.retention().DeletePolicy(name));
    return RecordEvent(s_, tx, "retention.policy_cleared", ctx.user.id.str(), name);
  });
}

Result<std::vector<store::HoldRecord>> Retention::ListHolds(const AuthContext& ctx,
                                                            bool include_released, int limit) {
  if (!MayManageRetention(s_.store, ctx)) return Denied();
  if (limit < 1 || limit > kMaxHoldPage) {
    return InvalidArgument("limit must be between 1 and 200").ShownToClient();
  }
  return s_.store.retention().ListHolds(include_released, limit);
}

Result<store::HoldRecord> Retention::PlaceHold(const AuthContext& ctx, std::string_view target,
                                               std::string_view subject, std::string_view reason) {
  if (!MayManageRetention(s_.store, ctx)) return Denied();
  if (reason.empty() || reason.size() > kMaxHoldReasonBytes || !IsValidUtf8(reason) ||
      reason.find_first_of("\r\n") != std::string_view::npos ||
      reason.find('\0') != std::string_view::npos) {
    return InvalidArgument("reason is required: one line of at most 500 bytes").ShownToClient();
  }
  store::HoldRecord hold;
  if (target == "member") {
    hold.target = store::HoldTarget::kMember;
    Result<store::UserRecord> user = NotFound("member not found");
    if (auto address = EmailAddress::Parse(subject); address.ok()) {
      user = s_.store.accounts().GetUserByEmail(address->str());
    } else if (auto id = UserId::Parse(subject); id.ok()) {
      user = s_.store.accounts().GetUser(*id);
    }
    if (!user.ok() || user->state == store::UserState::kSystem) {
      if (user.ok() || user.status().code() == ErrorCode::kNotFound) {
        return NotFound("no such member");
      }
      return user.status();
    }
    hold.subject = user->id.str();
  } else if (target == "message") {
    hold.target = store::HoldTarget::kMessage;
    auto id = MessageId::Parse(subject);
    if (!id.ok()) return NotFound("no such message");
    auto message = s_.store.messages().GetMessage(*id);
    if (message.status().code() == ErrorCode::kNotFound) return NotFound("no such message");
    SP_RETURN_IF_ERROR(message.status());
    hold.subject = id->str();
  } else {
    return InvalidArgument("target must be \"member\" or \"message\"").ShownToClient();
  }
  hold.id = NewHexId(s_.rng);
  hold.reason = std::string(reason);
  hold.placed_by = ctx.user.id.str();
  hold.placed_at = s_.clock.Now();
  SP_RETURN_IF_ERROR(s_.store.Write([&](store::WriteTxn& tx) {
    SP_RETURN_IF_ERROR(tx.retention().PlaceHold(hold));
    return RecordEvent(
        s_, tx, "hold.placed", ctx.user.id.str(), hold.id,
        nlohmann::json{{"target", TargetName(hold.target)}, {"subject", hold.subject}}.dump());
  }));
  return hold;
}

Status Retention::ReleaseHold(const AuthContext& ctx, std::string_view id) {
  if (!MayManageRetention(s_.store, ctx)) return Denied();
  auto hold = s_.store.retention().GetHold(std::string(id));
  if (hold.status().code() == ErrorCode::kNotFound) return NotFound("no such active hold");
  SP_RETURN_IF_ERROR(hold.status());
  const Status written = s_.store.Write([&](store::WriteTxn& tx) {
    SP_RETURN_IF_ERROR(tx.retention().ReleaseHold(hold->id, ctx.user.id.str(), s_.clock.Now()));
    return RecordEvent(
        s_, tx, "hold.released", ctx.user.id.str(), hold->id,
        nlohmann::json{{"target", TargetName(hold->target)}, {"subject", hold->subject}}.dump());
  });
  if (written.code() == ErrorCode::kNotFound) return NotFound("no such active hold");
  return written;
}

Result<bool> Retention::IsHeld(const MessageId& message, const std::optional<UserId>& member) {
  SP_ASSIGN_OR_RETURN(const bool held,
                      s_.store.retention().IsHeld(store::HoldTarget::kMessage, message.str()));
  if (held || !member) return held;
  return IsMemberHeld(*member);
}

Result<bool> Retention::IsMemberHeld(const UserId& member) {
  return s_.store.retention().IsHeld(store::HoldTarget::kMember, member.str());
}

Result<int64_t> Retention::RemoveShreddedBlobs(int batch) {
  SP_ASSIGN_OR_RETURN(const auto messages, s_.store.retention().ListShreddedWithAttachments(batch));
  if (messages.empty()) return int64_t{0};
  int64_t removed = 0;
  for (const MessageId& id : messages) {
    SP_ASSIGN_OR_RETURN(const auto attachments, s_.store.messages().GetAttachments(id));
    for (const store::AttachmentRecord& a : attachments) {
      const Status st = s_.blobs.Remove(a.blob_id);
      if (!st.ok() && st.code() != ErrorCode::kNotFound) return st;
      ++removed;
    }
  }
  // The rows go once their blobs are gone, in one transaction: a crash before finds them again.
  SP_RETURN_IF_ERROR(s_.store.Write([&](store::WriteTxn& tx) -> Status {
    for (const MessageId& id : messages) {
      SP_RETURN_IF_ERROR(tx.retention().DeleteAttachmentRows(id));
    }
    return Status::Ok();
  }));
  return removed;
}

Result<ShredRound> Retention::ShredDue(int batch) {
  ShredRound round;
  // Blob removals an earlier run did not finish.
  SP_ASSIGN_OR_RETURN(round.blobs, RemoveShreddedBlobs(batch));

  const TimePoint now = s_.clock.Now();
  SP_ASSIGN_OR_RETURN(const auto policies, s_.store.retention().ListPolicies());
  std::vector<store::DueEntry> entries;
  std::vector<store::DuePickup> pickups;
  for (const store::RetentionPolicyRecord& policy : policies) {
    const int entries_left = batch - static_cast<int>(entries.size());
    const int pickups_left = batch - static_cast<int>(pickups.size());
    const TimePoint cutoff = now - policy.days * s_.config.retention_day;
    if (entries_left > 0) {
      SP_ASSIGN_OR_RETURN(auto due,
                          s_.store.retention().ListDueEntries(policy.domain, cutoff, entries_left));
      entries.insert(entries.end(), due.begin(), due.end());
    }
    if (pickups_left > 0) {
      SP_ASSIGN_OR_RETURN(auto due,
                          s_.store.retention().ListDuePickups(policy.domain, cutoff, pickups_left));
      pickups.insert(pickups.end(), due.begin(), due.end());
    }
  }
  round.more =
      static_cast<int>(entries.size()) >= batch || static_cast<int>(pickups.size()) >= batch;
  if (entries.empty() && pickups.empty()) return round;

  // A pickup's hold may be its sender's: read the senders before the transaction.
  std::map<std::string, UserId> senders;
  for (const store::DuePickup& p : pickups) {
    if (senders.count(p.message_id.str())) continue;
    auto message = s_.store.messages().GetMessage(p.message_id);
    if (!message.ok()) continue;  // gone meanwhile: its pickup is skipped below
    senders.emplace(p.message_id.str(), message->sender_id);
  }

  const std::string run_id = NewHexId(s_.rng);
  std::vector<store::TombstoneRecord> tombstones;
  const Status written = s_.store.Write([&](store::WriteTxn& tx) -> Status {
    tombstones.clear();
    round.entries = round.pickups = round.messages = 0;
    store::RetentionWriter& r = tx.retention();
    std::set<std::string> touched;
    // Holds are checked again here: one placed since the lists were read wins.
    auto held = [&](store::HoldTarget t, const std::string& subject) {
      return r.IsHeld(t, subject);
    };
    for (const store::DueEntry& e : entries) {
      SP_ASSIGN_OR_RETURN(const bool message_held,
                          held(store::HoldTarget::kMessage, e.message_id.str()));
      SP_ASSIGN_OR_RETURN(const bool owner_held,
                          held(store::HoldTarget::kMember, e.owner_id.str()));
      if (message_held || owner_held) continue;
      const Status st = r.ShredEntry(e.owner_id, e.message_id, e.folder);
      if (st.code() == ErrorCode::kNotFound) continue;  // recalled meanwhile
      SP_RETURN_IF_ERROR(st);
      tombstones.push_back(
          {e.message_id,
           e.folder == store::Folder::kSent ? store::ShredKind::kSent : store::ShredKind::kInbox,
           e.owner_id.str(), run_id, now});
      touched.insert(e.message_id.str());
      ++round.entries;
    }
    for (const store::DuePickup& p : pickups) {
      const auto sender = senders.find(p.message_id.str());
      if (sender == senders.end()) continue;
      SP_ASSIGN_OR_RETURN(const bool message_held,
                          held(store::HoldTarget::kMessage, p.message_id.str()));
      SP_ASSIGN_OR_RETURN(const bool sender_held,
                          held(store::HoldTarget::kMember, sender->second.str()));
      if (message_held || sender_held) continue;
      const Status st = r.ShredPickup(p.lookup);
      if (st.code() == ErrorCode::kNotFound) continue;
      SP_RETURN_IF_ERROR(st);
      // Its notification, if still queued, carries the link: it goes too.
      SP_RETURN_IF_ERROR(tx.outbox().DeleteMailOfPickup(p.lookup));
      tombstones.push_back({p.message_id, store::ShredKind::kPickup, p.email, run_id, now});
      touched.insert(p.message_id.str());
      ++round.pickups;
    }
    for (const std::string& id_text : touched) {
      const MessageId id = MessageId::FromTrusted(id_text);
      SP_ASSIGN_OR_RETURN(const int64_t holders, r.CountKeyHolders(id));
      if (holders > 0) continue;
      SP_RETURN_IF_ERROR(r.ShredContent(id));
      tombstones.push_back({id, store::ShredKind::kContent, "", run_id, now});
      ++round.messages;
    }
    if (tombstones.empty()) return Status::Ok();  // all held or gone meanwhile
    for (const store::TombstoneRecord& t : tombstones) SP_RETURN_IF_ERROR(r.AddTombstone(t));
    return RecordEvent(s_, tx, "retention.shred", "system", run_id,
                       nlohmann::json{{"entries", round.entries},
                                      {"pickups", round.pickups},
                                      {"messages", round.messages},
                                      {"tombstones", audit::RetentionRunDigest(tombstones)}}
                           .dump());
  });
  SP_RETURN_IF_ERROR(written);
  if (!tombstones.empty()) round.run_id = run_id;
  SP_ASSIGN_OR_RETURN(const int64_t blobs, RemoveShreddedBlobs(batch));
  round.blobs += blobs;
  return round;
}

}  // namespace sealpost::app
