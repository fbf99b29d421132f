#include "audit/log_verify.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <vector>

#include "audit/audit_log.h"
#include "store/audit_chain.h"
#include "tlog/checkpoint.h"
#include "tlog/log_entry.h"
#include "tlog/merkle.h"
#include "tlog/tiles.h"

namespace sealpost::audit {
namespace {

constexpr int kPage = 1000;

bool SameHash(const tlog::Hash& a, ByteView b) {
  return b.size() == a.size() && std::equal(a.begin(), a.end(), b.begin());
}

// The legacy chain inside the legacy leaves, its old signed checkpoints, and the chain rows that
// are still stored. Fails `report` and returns false at the first problem.
bool CheckLegacy(const std::vector<tlog::LogEntry>& legacy, store::AuditReader& audit,
                 const crypto::VerifyKey& key, VerifyReport& report, Status& read_error) {
  auto fail = [&](int64_t index, std::string why) {
    report.first_bad_index = index;
    report.problem = std::move(why);
    return false;
  };
  tlog::Hash prev{};
  for (size_t i = 0; i < legacy.size(); ++i) {
    const tlog::LogEntry& e = legacy[i];
    if (e.legacy_seq != i + 1) {
      return fail(static_cast<int64_t>(i), fmt::format("leaf {} holds legacy entry {}, expected {}",
                                                       i, e.legacy_seq, i + 1));
    }
    if (e.legacy_prev_hash != prev) {
      return fail(static_cast<int64_t>(i), fmt::format("legacy entry {} does not link to entry {}",
                                                       e.legacy_seq, e.legacy_seq - 1));
    }
    const store::AuditEvent event{FromUnixMillis(e.event.time_ms), e.event.type, e.event.actor,
                                  e.event.subject, e.event.details};
    const Bytes hash = store::AuditEntryHash(Bytes(prev.begin(), prev.end()),
                                             static_cast<int64_t>(e.legacy_seq), event);
    if (!SameHash(e.legacy_hash, hash)) {
      return fail(static_cast<int64_t>(i),
                  fmt::format("legacy entry {} does not match its hash", e.legacy_seq));
    }
    prev = e.legacy_hash;
  }

  auto checkpoints = audit.ReadAuditCheckpoints();
  if (!checkpoints.ok()) {
    read_error = checkpoints.status();
    return false;
  }
  report.checkpoints = static_cast<int64_t>(checkpoints->size());
  for (const store::AuditCheckpoint& cp : *checkpoints) {
    if (!crypto::Verify(key, CheckpointStatement(cp.seq, cp.hash), cp.signature).ok()) {
      return fail(-1,
                  fmt::format("legacy checkpoint at entry {} has an invalid signature", cp.seq));
    }
  }

  // The chain rows still stored must be the legacy leaves, entry for entry.
  int64_t rows = 0;
  std::map<int64_t, Bytes> unmigrated_hashes;
  for (int64_t next = 1;;) {
    auto page = audit.ReadAudit(next, kPage);
    if (!page.ok()) {
      read_error = page.status();
      return false;
    }
    for (const store::AuditEntry& row : *page) {
      const size_t i = static_cast<size_t>(row.seq - 1);
      if (row.seq < 1 || i >= legacy.size()) {
        // Not in the log yet (before the first start after the upgrade): checked as the chain
        // was, each row against its predecessor.
        if (row.seq != static_cast<int64_t>(legacy.size()) + report.unmigrated + 1) {
          return fail(-1, fmt::format("legacy chain entry {} is missing",
                                      legacy.size() + report.unmigrated + 1));
        }
        if (!SameHash(prev, row.prev_hash) ||
            store::AuditEntryHash(row.prev_hash, row.seq, row.event) != row.hash ||
            row.hash.size() != prev.size()) {
          return fail(-1, fmt::format("legacy chain entry {} (not migrated yet) does not match "
                                      "its hash or link",
                                      row.seq));
        }
        std::copy(row.hash.begin(), row.hash.end(), prev.begin());
        unmigrated_hashes.emplace(row.seq, row.hash);
        ++report.unmigrated;
        continue;
      }
      const tlog::LogEntry& e = legacy[i];
      if (row.event.type != e.event.type || row.event.actor != e.event.actor ||
          row.event.subject != e.event.subject || row.event.details != e.event.details ||
          ToUnixMillis(row.event.time) != e.event.time_ms || !SameHash(e.legacy_hash, row.hash)) {
        return fail(static_cast<int64_t>(i),
                    fmt::format("legacy chain row {} differs from its leaf {}", row.seq, i));
      }
      ++rows;
    }
    if (static_cast<int>(page->size()) < kPage) break;
    next = page->back().seq + 1;
  }
  if (rows != static_cast<int64_t>(legacy.size())) {
    return fail(-1, fmt::format("{} legacy leaves but {} matching chain rows (rows deleted)",
                                legacy.size(), rows));
  }

  for (const store::AuditCheckpoint& cp : *checkpoints) {
    if (cp.seq < 1 || static_cast<size_t>(cp.seq) > legacy.size()) {
      const auto row = unmigrated_hashes.find(cp.seq);
      if (row == unmigrated_hashes.end()) {
        return fail(-1, fmt::format("legacy checkpoint at {} names no entry (truncated)", cp.seq));
      }
      if (row->second != cp.hash) {
        return fail(-1, fmt::format("legacy entries up to {} differ from the signed checkpoint "
                                    "at {}",
                                    cp.seq, cp.seq));
      }
      report.last_checkpoint_seq = std::max(report.last_checkpoint_seq, cp.seq);
      continue;
    }
    if (!SameHash(legacy[static_cast<size_t>(cp.seq - 1)].legacy_hash, cp.hash)) {
      return fail(cp.seq - 1, fmt::format("legacy entries up to {} differ from the signed "
                                          "checkpoint at {}",
                                          cp.seq, cp.seq));
    }
    report.last_checkpoint_seq = std::max(report.last_checkpoint_seq, cp.seq);
  }
  return true;
}

// Removals recorded after the signed tree: events pending or sequenced beyond `signed_size`,
// read after the store was. A recall deletes rows and records its event in one transaction, so a
// deletion the store check saw has its event here (pending is read first: an event the sequencer
// moves meanwhile is then among the entries). Indexed past the signed tree; they only excuse rows.
Result<std::vector<IndexedEvent>> LateRemovals(store::Store& store, uint64_t signed_size) {
  std::vector<IndexedEvent> out;
  auto keep = [&](ByteView leaf) {
    auto entry = tlog::ParseLogEntry(leaf);
    if (entry.ok() && IsStoreCheckEvent(entry->event.type)) {
      out.push_back({signed_size + out.size(), std::move(entry->event)});
    }
  };
  SP_ASSIGN_OR_RETURN(const auto pending, store.log().ReadPendingEvents(1'000'000));
  for (const store::PendingLogEvent& p : pending) keep(p.leaf);
  for (uint64_t next = signed_size;;) {
    SP_ASSIGN_OR_RETURN(const auto page, store.log().ReadLogEntries(next, kPage));
    for (const store::LogEntryRecord& r : page) keep(r.leaf);
    if (static_cast<int>(page.size()) < kPage) break;
    next = page.back().index + 1;
  }
  return out;
}

// The log is intact: now the store against what its signed leaves say. A server may be running:
// a row missing at the first look is reported only if no later removal event explains it.
Result<VerifyReport> CheckStore(store::Store& store, std::vector<IndexedEvent> events,
                                uint64_t signed_size, VerifyReport& report) {
  report.store_events_checked = static_cast<int64_t>(events.size());
  SP_ASSIGN_OR_RETURN(
      report.store_findings,
      CheckStoreAgainstLog(events, store.messages(), store.guests(), store.retention()));
  if (!report.store_findings.empty()) {
    SP_ASSIGN_OR_RETURN(std::vector<IndexedEvent> late, LateRemovals(store, signed_size));
    if (!late.empty()) {
      for (IndexedEvent& e : late) {
        // Only what removes rows: a late creation is not covered by a checkpoint yet.
        if (e.event.type == "message.recall" || e.event.type == "retention.shred") {
          events.push_back(std::move(e));
        }
      }
      SP_ASSIGN_OR_RETURN(
          report.store_findings,
          CheckStoreAgainstLog(events, store.messages(), store.guests(), store.retention()));
    }
  }
  report.ok = report.store_findings.empty();
  if (!report.ok) {
    report.first_bad_index = static_cast<int64_t>(report.store_findings.front().log_index);
    report.problem = report.store_findings.front().problem;
  }
  return report;
}

}  // namespace

Result<VerifyReport> VerifyAuditLog(store::Store& store, const crypto::VerifyKey& key) {
  VerifyReport report;
  auto fail = [&](int64_t index, std::string why) {
    report.ok = false;
    report.first_bad_index = index;
    report.problem = std::move(why);
    return report;
  };

  // The latest checkpoint first: the leaves it signs are the ones checked, so a round the
  // sequencer commits meanwhile is not mistaken for tampering (its leaves lie beyond).
  SP_ASSIGN_OR_RETURN(const auto latest, store.log().GetLatestLogCheckpoint());
  tlog::Checkpoint checkpoint;
  if (latest) {
    auto unsigned_text = tlog::ParseNote(latest->note);
    if (!unsigned_text.ok()) return fail(-1, "the latest checkpoint is not a signed note");
    auto claimed = tlog::ParseCheckpoint(unsigned_text->text);
    if (!claimed.ok()) return fail(-1, "the latest checkpoint's text is malformed");
    report.origin = claimed->origin;
    const tlog::NoteVerifier verifier{claimed->origin, key};
    auto opened = tlog::OpenCheckpoint(latest->note, std::span(&verifier, 1));
    if (!opened.ok()) {
      return fail(-1, fmt::format("the latest checkpoint's signature does not verify: {}",
                                  opened.status().message()));
    }
    checkpoint = std::move(opened).value();
    if (checkpoint.size != latest->size || !SameHash(checkpoint.root_hash, latest->root_hash)) {
      return fail(-1, "the latest checkpoint's row differs from its signed text");
    }
  }
  report.tree_size = static_cast<int64_t>(checkpoint.size);

  // Every leaf, in index order.
  std::vector<tlog::Hash> hashes;
  std::vector<tlog::LogEntry> legacy;
  std::vector<IndexedEvent> store_events;  // the leaves the store check reads
  bool events_started = false;
  bool beyond = false;
  for (;;) {
    SP_ASSIGN_OR_RETURN(const auto page, store.log().ReadLogEntries(hashes.size(), kPage));
    for (const store::LogEntryRecord& r : page) {
      const int64_t i = static_cast<int64_t>(hashes.size());
      if (r.index >= checkpoint.size && r.index == hashes.size()) {
        beyond = true;  // newer than the checkpoint: the next one signs it
        break;
      }
      if (r.index != hashes.size()) return fail(i, fmt::format("leaf {} is missing", i));
      auto entry = tlog::ParseLogEntry(r.leaf);
      if (!entry.ok()) {
        return fail(i, fmt::format("leaf {} is malformed: {}", i, entry.status().message()));
      }
      if (IsStoreCheckEvent(entry->event.type)) store_events.push_back({r.index, entry->event});
      if (entry->kind == tlog::LogEntryKind::kLegacyChainEntry) {
        if (events_started) return fail(i, fmt::format("legacy leaf {} follows an event", i));
        legacy.push_back(std::move(entry).value());
      } else {
        events_started = true;
      }
      hashes.push_back(tlog::LeafHash(r.leaf));
    }
    if (beyond || static_cast<int>(page.size()) < kPage) break;
  }
  report.entries = static_cast<int64_t>(hashes.size());
  report.legacy_entries = static_cast<int64_t>(legacy.size());
  SP_ASSIGN_OR_RETURN(const auto pending, store.log().ReadPendingEvents(1'000'000));
  report.pending = static_cast<int64_t>(pending.size());

  Status read_error;
  if (!CheckLegacy(legacy, store.audit(), key, report, read_error)) {
    SP_RETURN_IF_ERROR(read_error);
    report.ok = false;
    return report;
  }
  if (events_started && report.unmigrated > 0) {
    return fail(-1, fmt::format("{} legacy chain rows are not in the log", report.unmigrated));
  }

  if (!latest) {
    if (beyond) return fail(0, "the log has leaves but no signed checkpoint");
    return CheckStore(store, std::move(store_events), hashes.size(), report);
  }
  if (checkpoint.size != hashes.size()) {
    return fail(static_cast<int64_t>(hashes.size()),
                fmt::format("the log has {} leaves but its latest checkpoint signs {}",
                            hashes.size(), checkpoint.size));
  }
  const tlog::LeafHashSpan tree(hashes);
  const tlog::Hash root = tlog::RootHash(hashes);
  if (root != checkpoint.root_hash) {
    return fail(-1,
                "the tree recomputed from the leaves does not match the signed root "
                "(a leaf was edited, inserted or removed)");
  }
  for (const tlog::TileId& tile : tlog::TilesForTree(hashes.size())) {
    SP_ASSIGN_OR_RETURN(const Bytes expected, tlog::MakeTile(tree, tile));
    auto stored = store.log().GetLogTile(tile.level, tile.index, tile.width);
    if (stored.status().code() == ErrorCode::kNotFound || (stored.ok() && *stored != expected)) {
      return fail(-1, fmt::format("stored {} differs from the leaves", tlog::TilePath(tile)));
    }
    SP_RETURN_IF_ERROR(stored.status());
  }
  return CheckStore(store, std::move(store_events), hashes.size(), report);
}

}  // namespace sealpost::audit
