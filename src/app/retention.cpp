#include "app/retention.h"

#include <algorithm>
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

bool Covers(const std::vector<std::string>& scope, std::string_view domain) {
  return std::find(scope.begin(), scope.end(), store::kAllDomains) != scope.end() ||
         std::find(scope.begin(), scope.end(), domain) != scope.end();
}

}  // namespace

bool MayManageRetention(store::Store& store, const AuthContext& ctx) {
  return ctx.user.is_admin || Access(store).RequireSomewhere(ctx, Permission::kRetention).ok();
}

Result<std::vector<std::string>> Retention::ScopeOf(const AuthContext& ctx, Permission p) {
  if (ctx.user.is_admin) return std::vector<std::string>{std::string(store::kAllDomains)};
  SP_ASSIGN_OR_RETURN(auto scope, Access(s_.store).DomainsWith(ctx, p));
  if (scope.empty()) return Denied();
  return scope;
}

Result<std::vector<std::string>> Retention::DomainsOfMessage(const MessageId& id) {
  std::vector<std::string> out;
  SP_ASSIGN_OR_RETURN(const store::MessageRecord message, s_.store.messages().GetMessage(id));
  std::vector<UserId> users{message.sender_id};
  SP_ASSIGN_OR_RETURN(const auto entries, s_.store.messages().ListMailboxEntriesOfMessage(id));
  for (const store::MailboxEntry& e : entries) users.push_back(e.owner_id);
  for (const UserId& u : users) {
    auto user = s_.store.accounts().GetUser(u);
    if (!user.ok()) continue;
    out.push_back(DomainOf(user->email));
  }
  return out;
}

Result<bool> Retention::HoldInScope(const std::vector<std::string>& scope,
                                    const store::HoldRecord& hold) {
  if (Covers(scope, store::kAllDomains)) return true;
  if (hold.target == store::HoldTarget::kMember) {
    auto user = s_.store.accounts().GetUser(UserId::FromTrusted(hold.subject));
    if (user.status().code() == ErrorCode::kNotFound) return false;
    SP_RETURN_IF_ERROR(user.status());
    return Covers(scope, DomainOf(user->email));
  }
  auto domains = DomainsOfMessage(MessageId::FromTrusted(hold.subject));
  if (domains.status().code() == ErrorCode::kNotFound) return false;
  SP_RETURN_IF_ERROR(domains.status());
  return std::any_of(domains->begin(), domains->end(),
                     [&](const std::string& d) { return Covers(scope, d); });
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
  SP_ASSIGN_OR_RETURN(const auto scope, ScopeOf(ctx, Permission::kRetention));
  SP_ASSIGN_OR_RETURN(auto policies, s_.store.retention().ListPolicies());
  std::erase_if(policies, [&](const auto& p) { return !Covers(scope, p.domain); });
  return policies;
}

Result<store::RetentionPolicyRecord> Retention::SetPolicy(const AuthContext& ctx,
                                                          std::string_view domain, int64_t days) {
  SP_ASSIGN_OR_RETURN(const auto scope, ScopeOf(ctx, Permission::kRetention));
  SP_ASSIGN_OR_RETURN(const std::string name, ParseDomain(domain));
  if (!Covers(scope, name)) return Denied();
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
  SP_ASSIGN_OR_RETURN(const auto scope, ScopeOf(ctx, Permission::kRetention));
  SP_ASSIGN_OR_RETURN(const std::string name, ParseDomain(domain));
  if (!Covers(scope, name)) return Denied();
  return s_.store.Write([&](store::WriteTxn& tx) {
    SP_RETURN_IF_ERROR(tx.retention().DeletePolicy(name));
    return RecordEvent(s_, tx, "retention.policy_cleared", ctx.user.id.str(), name);
  });
}

Result<std::vector<store::HoldRecord>> Retention::ListHolds(const AuthContext& ctx,
                                                            bool include_released, int limit) {
  SP_ASSIGN_OR_RETURN(const auto scope, ScopeOf(ctx, Permission::kLegalHold));
  if (limit < 1 || limit > kMaxHoldPage) {
    return InvalidArgument("limit must be between 1 and 200").ShownToClient();
  }
  SP_ASSIGN_OR_RETURN(auto holds, s_.store.retention().ListHolds(include_released, limit));
  std::vector<store::HoldRecord> out;
  for (store::HoldRecord& h : holds) {
    SP_ASSIGN_OR_RETURN(const bool in_scope, HoldInScope(scope, h));
    if (in_scope) out.push_back(std::move(h));
  }
  return out;
}

Result<store::HoldRecord> Retention::PlaceHold(const AuthContext& ctx, std::string_view target,
                                               std::string_view subject, std::string_view reason) {
  SP_ASSIGN_OR_RETURN(const auto scope, ScopeOf(ctx, Permission::kLegalHold));
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
    // Another domain's member is as unknown as a missing one (app/access.h).
    if (!Covers(scope, DomainOf(user->email))) return NotFound("no such member");
    hold.subject = user->id.str();
  } else if (target == "message") {
    hold.target = store::HoldTarget::kMessage;
    auto id = MessageId::Parse(subject);
    if (!id.ok()) return NotFound("no such message");
    auto message = s_.store.messages().GetMessage(*id);
    if (message.status().code() == ErrorCode::kNotFound) return NotFound("no such message");
    SP_RETURN_IF_ERROR(message.status());
    // A message is the scope's when its sender or a member holding a copy is in it.
    SP_ASSIGN_OR_RETURN(const auto domains, DomainsOfMessage(*id));
    if (!std::any_of(domains.begin(), domains.end(),
                     [&](const std::string& d) { return Covers(scope, d); })) {
      return NotFound("no such message");
    }
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
  SP_ASSIGN_OR_RETURN(const auto scope, ScopeOf(ctx, Permission::kLegalHold));
  auto hold = s_.store.retention().GetHold(std::string(id));
  if (hold.status().code() == ErrorCode::kNotFound) return NotFound("no such active hold");
  SP_RETURN_IF_ERROR(hold.status());
  SP_ASSIGN_OR_RETURN(const bool in_scope, HoldInScope(scope, *hold));
  if (!in_scope) return NotFound("no such active hold");
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
  // The policy's domain of each entry and pickup: that domain's escrow wrap goes with them.
  std::vector<std::string> entry_domains;
  std::vector<std::string> pickup_domains;
  for (const store::RetentionPolicyRecord& policy : policies) {
    const int entries_left = batch - static_cast<int>(entries.size());
    const int pickups_left = batch - static_cast<int>(pickups.size());
    const TimePoint cutoff = now - policy.days * s_.config.retention_day;
    if (entries_left > 0) {
      SP_ASSIGN_OR_RETURN(auto due,
                          s_.store.retention().ListDueEntries(policy.domain, cutoff, entries_left));
      entries.insert(entries.end(), due.begin(), due.end());
      entry_domains.resize(entries.size(), policy.domain);
    }
    if (pickups_left > 0) {
      SP_ASSIGN_OR_RETURN(auto due,
                          s_.store.retention().ListDuePickups(policy.domain, cutoff, pickups_left));
      pickups.insert(pickups.end(), due.begin(), due.end());
      pickup_domains.resize(pickups.size(), policy.domain);
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
    round.entries = round.pickups = round.messages = round.escrow_wraps = 0;
    store::RetentionWriter& r = tx.retention();
    std::set<std::string> touched;
    // Holds are checked again here: one placed since the lists were read wins.
    auto held = [&](store::HoldTarget t, const std::string& subject) {
      return r.IsHeld(t, subject);
    };
    // A domain's escrow wrap of a message goes when that domain's copy does (app/escrow.h), so
    // escrow never outlives the domain's own retention.
    auto shred_escrow = [&](const MessageId& id, const std::string& domain) -> Status {
      SP_ASSIGN_OR_RETURN(const int64_t n, tx.escrow().DeleteEscrowWrap(id, domain));
      round.escrow_wraps += n;
      return Status::Ok();
    };
    for (size_t i = 0; i < entries.size(); ++i) {
      const store::DueEntry& e = entries[i];
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
      SP_RETURN_IF_ERROR(shred_escrow(e.message_id, entry_domains[i]));
      touched.insert(e.message_id.str());
      ++round.entries;
    }
    for (size_t i = 0; i < pickups.size(); ++i) {
      const store::DuePickup& p = pickups[i];
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
      SP_RETURN_IF_ERROR(shred_escrow(p.message_id, pickup_domains[i]));
      touched.insert(p.message_id.str());
      ++round.pickups;
    }
    for (const std::string& id_text : touched) {
      const MessageId id = MessageId::FromTrusted(id_text);
      SP_ASSIGN_OR_RETURN(const int64_t holders, r.CountKeyHolders(id));
      if (holders > 0) continue;
      SP_RETURN_IF_ERROR(r.ShredContent(id));
      // Without its content a wrap opens nothing; it goes too, whatever its domain.
      SP_ASSIGN_OR_RETURN(const int64_t wraps, tx.escrow().DeleteEscrowWrapsOf(id));
      round.escrow_wraps += wraps;
      tombstones.push_back({id, store::ShredKind::kContent, "", run_id, now});
      ++round.messages;
    }
    if (tombstones.empty()) return Status::Ok();  // all held or gone meanwhile
    for (const store::TombstoneRecord& t : tombstones) SP_RETURN_IF_ERROR(r.AddTombstone(t));
    return RecordEvent(s_, tx, "retention.shred", "system", run_id,
                       nlohmann::json{{"entries", round.entries},
                                      {"pickups", round.pickups},
                                      {"messages", round.messages},
                                      {"escrow_wraps", round.escrow_wraps},
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
