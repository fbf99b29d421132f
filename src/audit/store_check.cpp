#include "audit/store_check.h"

#include <algorithm>
#include <map>
#include <optional>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/ids.h"
#include "crypto/hash.h"

namespace sealpost::audit {
namespace {

constexpr std::string_view kSend = "message.send";
constexpr std::string_view kPortalReply = "message.portal_reply";
constexpr std::string_view kRecall = "message.recall";
constexpr std::string_view kResealed = "pickup.resealed";
constexpr std::string_view kMucSet = "guest.muc_set";
constexpr std::string_view kShred = "retention.shred";

// What the log says about one message, gathered in log order.
struct Claims {
  std::optional<uint64_t> created;  // index of its send or portal-reply event
  bool has_sent_entry = false;      // message.send: the sender keeps a Sent copy
  std::string sender;               // the send event's actor
  std::optional<int64_t> members;   // inbox entries created with it
  std::optional<int64_t> guests;    // pickups created with it
  int64_t recalled_members = 0;
  bool recall_counts_known = true;
  std::optional<uint64_t> last_recall;
  struct Named {
    uint64_t index;
    std::string who;
  };
  std::vector<Named> resealed;    // member ids given an inbox entry
  std::vector<Named> guest_mucs;  // addresses with a pickup of it
};

nlohmann::json Details(const tlog::LogEvent& e) {
  auto j = nlohmann::json::parse(e.details, nullptr, /*allow_exceptions=*/false);
  return j.is_object() ? j : nlohmann::json::object();
}

std::optional<int64_t> Count(const nlohmann::json& j, const char* key) {
  const auto it = j.find(key);
  if (it == j.end() || !it->is_number_integer()) return std::nullopt;
  const int64_t v = it->get<int64_t>();
  if (v < 0) return std::nullopt;
  return v;
}

std::optional<std::string> Text(const nlohmann::json& j, const char* key) {
  const auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

std::map<std::string, Claims> Gather(std::span<const IndexedEvent> events) {
  std::map<std::string, Claims> by_message;
  for (const IndexedEvent& ie : events) {
    const tlog::LogEvent& e = ie.event;
    const nlohmann::json details = Details(e);
    if (e.type == kSend || e.type == kPortalReply) {
      Claims& c = by_message[e.subject];
      c.created = ie.index;
      c.has_sent_entry = e.type == kSend;
      c.sender = e.actor;
      const auto recipients = Count(details, "recipients");
      c.guests = Count(details, "guests");
      if (recipients && c.guests && *c.guests <= *recipients) c.members = *recipients - *c.guests;
    } else if (e.type == kRecall) {
      Claims& c = by_message[e.subject];
      c.last_recall = ie.index;
      const auto members = Count(details, "members");
      if (members) {
        c.recalled_members += *members;
      } else {
        c.recall_counts_known = false;
      }
    } else if (e.type == kResealed) {
      if (auto member = Text(details, "member")) {
        by_message[e.subject].resealed.push_back({ie.index, std::move(*member)});
      }
    } else if (e.type == kMucSet) {
      if (auto message = Text(details, "message")) {
        by_message[*message].guest_mucs.push_back({ie.index, e.subject});
      }
    }
  }
  return by_message;
}

// The retention runs the log names, by run id: the digest of their tombstones and the entry.
struct Run {
  uint64_t index = 0;
  std::string digest;
};

std::map<std::string, Run> GatherRuns(std::span<const IndexedEvent> events) {
  std::map<std::string, Run> runs;
  for (const IndexedEvent& ie : events) {
    if (ie.event.type != kShred) continue;
    if (auto digest = Text(Details(ie.event), "tombstones")) {
      runs[ie.event.subject] = {ie.index, std::move(*digest)};
    }
  }
  return runs;
}

}  // namespace

std::string RetentionRunDigest(std::span<const store::TombstoneRecord> tombstones) {
  std::vector<std::string> lines;
  lines.reserve(tombstones.size());
  for (const store::TombstoneRecord& t : tombstones) {
    lines.push_back(
        fmt::format("{} {} {}\n", t.message_id.str(), static_cast<int>(t.kind), t.owner));
  }
  std::sort(lines.begin(), lines.end());
  crypto::Sha256Hasher hasher;
  for (const std::string& line : lines) hasher.Update(AsBytes(line));
  return HexEncode(hasher.Finish());
}

bool IsStoreCheckEvent(std::string_view type) {
  return type == kSend || type == kPortalReply || type == kRecall || type == kResealed ||
         type == kMucSet || type == kShred;
}

Result<std::vector<StoreFinding>> CheckStoreAgainstLog(std::span<const IndexedEvent> events,
                                                       store::MessagesReader& messages,
                                                       store::GuestsReader& guests,
                                                       store::RetentionReader& retention) {
  std::vector<StoreFinding> findings;
  const std::map<std::string, Run> runs = GatherRuns(events);
  std::map<std::string, bool> run_matches;  // by run id, checked once
  // The tombstones of a message that a logged run vouches for.
  auto vouched_tombstones =
      [&](const MessageId& id) -> Result<std::vector<store::TombstoneRecord>> {
    SP_ASSIGN_OR_RETURN(std::vector<store::TombstoneRecord> all,
                        retention.ListTombstonesOfMessage(id));
    std::vector<store::TombstoneRecord> out;
    for (store::TombstoneRecord& t : all) {
      auto checked = run_matches.find(t.run_id);
      if (checked == run_matches.end()) {
        bool matches = false;
        if (const auto run = runs.find(t.run_id); run != runs.end()) {
          SP_ASSIGN_OR_RETURN(const auto of_run, retention.ListTombstonesOfRun(t.run_id));
          matches = RetentionRunDigest(of_run) == run->second.digest;
          if (!matches) {
            findings.push_back(
                {run->second.index,
                 fmt::format("the tombstones of retention run {} named by log entry {} do not "
                             "match the store",
                             t.run_id, run->second.index)});
          }
        }
        checked = run_matches.emplace(t.run_id, matches).first;
      }
      if (checked->second) out.push_back(std::move(t));
    }
    return out;
  };
  for (const auto& [id_text, claims] : Gather(events)) {
    const auto id = MessageId::Parse(id_text);
    if (!id.ok()) continue;  // not a message id: nothing the store could hold
    auto missing = [&](uint64_t index, std::string what) {
      findings.push_back(
          {index, fmt::format("{} named by log entry {} is missing from the store", what, index)});
    };

    if (claims.created) {
      auto message = messages.GetMessage(*id);
      if (message.status().code() == ErrorCode::kNotFound) {
        missing(*claims.created, "message " + id_text);
        continue;  // its entries and pickups went with it; the message is the finding
      }
      SP_RETURN_IF_ERROR(message.status());
    }

    SP_ASSIGN_OR_RETURN(const std::vector<store::MailboxEntry> entries,
                        messages.ListMailboxEntriesOfMessage(*id));
    // Entries retention shredded count as present.
    std::vector<store::TombstoneRecord> shredded;
    if (!runs.empty()) {
      SP_ASSIGN_OR_RETURN(shredded, vouched_tombstones(*id));
    }
    auto has_entry = [&](const std::string& owner, store::Folder folder) {
      const auto kind =
          folder == store::Folder::kSent ? store::ShredKind::kSent : store::ShredKind::kInbox;
      return std::any_of(entries.begin(), entries.end(),
                         [&](const store::MailboxEntry& e) {
                           return e.owner_id.str() == owner && e.folder == folder;
                         }) ||
             std::any_of(shredded.begin(), shredded.end(), [&](const store::TombstoneRecord& t) {
               return t.kind == kind && t.owner == owner;
             });
    };
    if (claims.created && claims.has_sent_entry &&
        !has_entry(claims.sender, store::Folder::kSent)) {
      missing(*claims.created,
              fmt::format("the Sent entry of message {} for {}", id_text, claims.sender));
    }
    if (claims.created && claims.members && claims.recall_counts_known) {
      const int64_t expected =
          *claims.members + static_cast<int64_t>(claims.resealed.size()) - claims.recalled_members;
      const int64_t inbox =
          std::count_if(entries.begin(), entries.end(),
                        [](const auto& e) { return e.folder == store::Folder::kInbox; }) +
          std::count_if(shredded.begin(), shredded.end(),
                        [](const auto& t) { return t.kind == store::ShredKind::kInbox; });
      if (inbox < expected) {
        findings.push_back(
            {*claims.created,
             fmt::format("{} of the {} inbox entries of message {} named by log entry {} are "
                         "missing from the store",
                         expected - inbox, expected, id_text, *claims.created)});
      }
    }
    for (const Claims::Named& r : claims.resealed) {
      const bool maybe_recalled = claims.last_recall && *claims.last_recall > r.index;
      if (!maybe_recalled && !has_entry(r.who, store::Folder::kInbox)) {
        missing(r.index,
                fmt::format("the inbox entry of message {} for member {}", id_text, r.who));
      }
    }

    SP_ASSIGN_OR_RETURN(const std::vector<store::PickupRecord> pickups,
                        guests.ListPickupsOfMessage(*id));
    if (claims.created && claims.guests && static_cast<int64_t>(pickups.size()) < *claims.guests) {
      findings.push_back(
          {*claims.created,
           fmt::format("{} of the {} guest pickups of message {} named by log entry {} are "
                       "missing from the store",
                       *claims.guests - static_cast<int64_t>(pickups.size()), *claims.guests,
                       id_text, *claims.created)});
    }
    for (const Claims::Named& g : claims.guest_mucs) {
      const bool found =
          std::any_of(pickups.begin(), pickups.end(),
                      [&](const store::PickupRecord& p) { return p.email == g.who; });
      if (!found) {
        missing(g.index, fmt::format("the guest pickup of message {} for {}", id_text, g.who));
      }
    }
  }
  std::stable_sort(
      findings.begin(), findings.end(),
      [](const StoreFinding& a, const StoreFinding& b) { return a.log_index < b.log_index; });
  return findings;
}

}  // namespace sealpost::audit
