#include "audit/sequencer.h"

#include <algorithm>
#include <bit>
#include <chrono>
#include <utility>
#include <vector>

#include "audit/audit_log.h"
#include "telemetry/metrics.h"
#include "tlog/checkpoint.h"
#include "tlog/log_entry.h"
#include "tlog/tiles.h"

namespace sealpost::audit {

struct ExtendedTreeSource::Impl {
  Impl(store::LogReader& log, uint64_t old_size, std::span<const tlog::Hash> added)
      : old_size(old_size), added(added), stored(old_size, [&log](const tlog::TileId& tile) {
          return log.GetLogTile(tile.level, tile.index, tile.width);
        }) {}
  uint64_t old_size;
  std::span<const tlog::Hash> added;
  tlog::TileHashSource stored;
};

ExtendedTreeSource::ExtendedTreeSource(store::LogReader& log, uint64_t old_size,
                                       std::span<const tlog::Hash> added)
    : impl_(std::make_unique<Impl>(log, old_size, added)) {}
ExtendedTreeSource::~ExtendedTreeSource() = default;

uint64_t ExtendedTreeSource::size() const { return impl_->old_size + impl_->added.size(); }
uint64_t ExtendedTreeSource::tile_reads() const { return impl_->stored.tile_reads(); }

Result<tlog::Hash> ExtendedTreeSource::SubtreeRoot(uint64_t begin, uint64_t end) const {
  if (begin >= end || end > size()) return InvalidArgument("subtree outside the tree");
  const uint64_t old_size = impl_->old_size;
  if (end <= old_size) return impl_->stored.SubtreeRoot(begin, end);
  if (begin >= old_size) {
    return tlog::RootHash(impl_->added.subspan(begin - old_size, end - begin));
  }
  // Straddles the stored edge: MTH's own split, until each part is stored or new.
  const uint64_t k = std::bit_floor(end - begin - 1);
  SP_ASSIGN_OR_RETURN(const tlog::Hash left, SubtreeRoot(begin, begin + k));
  SP_ASSIGN_OR_RETURN(const tlog::Hash right, SubtreeRoot(begin + k, end));
  return tlog::NodeHash(left, right);
}

Result<SequenceRound> Sequencer::SequenceOnce(store::Store& store) {
  std::lock_guard lock(mu_);
  return RoundLocked(store);
}

Status Sequencer::SequenceAll(store::Store& store) {
  std::lock_guard lock(mu_);
  for (;;) {
    SP_ASSIGN_OR_RETURN(const SequenceRound round, RoundLocked(store));
    if (!round.sequencer || round.new_size == round.old_size) return Status::Ok();
  }
}

Status Sequencer::CollectLegacy(store::Store& store, uint64_t size, std::vector<Bytes>& leaves) {
  if (size > 0) {
    // Only while every leaf so far is a legacy one: the chain goes in before any event.
    SP_ASSIGN_OR_RETURN(const auto last, store.log().ReadLogEntries(size - 1, 1));
    if (last.empty()) return Corruption("log entry " + std::to_string(size - 1) + " is missing");
    auto entry = tlog::ParseLogEntry(last[0].leaf);
    if (!entry.ok() || entry->kind != tlog::LogEntryKind::kLegacyChainEntry ||
        entry->legacy_seq != size) {
      legacy_done_ = true;
      return Status::Ok();
    }
  }
  SP_ASSIGN_OR_RETURN(const auto chain,
                      store.audit().ReadAudit(static_cast<int64_t>(size) + 1, options_.batch));
  for (const store::AuditEntry& e : chain) {
    if (e.seq != static_cast<int64_t>(size + leaves.size() + 1)) {
      return Corruption("legacy audit entry " + std::to_string(size + leaves.size() + 1) +
                        " is missing; the chain cannot be migrated");
    }
    SP_ASSIGN_OR_RETURN(Bytes leaf, LegacyLeaf(e));
    leaves.push_back(std::move(leaf));
  }
  if (leaves.empty()) legacy_done_ = true;
  return Status::Ok();
}

namespace {

// docs/operations.md, "Metrics".
struct SequencerMetrics {
  telemetry::Gauge& size =
      telemetry::DefaultRegistry()
          .AddGauge("sealpost_log_size", "Leaves in the transparency log's latest checkpoint.")
          .With();
  telemetry::Counter& sequenced =
      telemetry::DefaultRegistry()
          .AddCounter("sealpost_log_sequenced_total", "Events this process sequenced into the log.")
          .With();
  telemetry::Histogram& delay =
      telemetry::DefaultRegistry()
          .AddHistogram("sealpost_log_sequencing_delay_seconds",
                        "Time from an event's commit to the signed checkpoint that includes it.",
                        {}, {0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300})
          .With();
};

SequencerMetrics& Metrics() {
  static SequencerMetrics metrics;
  return metrics;
}

}  // namespace

Result<SequenceRound> Sequencer::RoundLocked(store::Store& store) {
  SequenceRound round;
  if (!lease_) {
    auto lease = store.log().TryAcquireSequencerLease();
    if (lease.status().code() == ErrorCode::kConflict) return round;  // another process is it
    SP_RETURN_IF_ERROR(lease.status());
    lease_ = std::move(lease).value();
  }
  if (Status held = lease_->Check(); !held.ok()) {
    lease_.reset();
    return held;
  }
  round.sequencer = true;

  SP_ASSIGN_OR_RETURN(const auto latest, store.log().GetLatestLogCheckpoint());
  round.old_size = round.new_size = latest ? latest->size : 0;
  Metrics().size.Set(static_cast<int64_t>(round.old_size));

  std::vector<Bytes> leaves;
  std::vector<int64_t> pending_ids;
  std::vector<TimePoint> pending_times;
  if (!legacy_done_) SP_RETURN_IF_ERROR(CollectLegacy(store, round.old_size, leaves));
  round.legacy = leaves.size();
  if (leaves.empty()) {
    SP_ASSIGN_OR_RETURN(auto pending, store.log().ReadPendingEvents(options_.batch));
    for (store::PendingLogEvent& p : pending) {
      pending_ids.push_back(p.id);
      pending_times.push_back(p.created_at);
      leaves.push_back(std::move(p.leaf));
    }
  }
  if (leaves.empty()) return round;

  std::vector<tlog::Hash> hashes;
  hashes.reserve(leaves.size());
  for (const Bytes& leaf : leaves) hashes.push_back(tlog::LeafHash(leaf));
  const ExtendedTreeSource tree(store.log(), round.old_size, hashes);
  round.new_size = tree.size();

  if (latest && latest->size > 0) {
    // The stored tiles must still give the signed root: never extend a log whose tree was
    // altered under its last checkpoint.
    SP_ASSIGN_OR_RETURN(const tlog::Hash old_root, tree.SubtreeRoot(0, latest->size));
    if (ByteView(old_root).size() != latest->root_hash.size() ||
        !std::equal(old_root.begin(), old_root.end(), latest->root_hash.begin())) {
      return Corruption("the stored tiles do not match the latest checkpoint; not sequencing");
    }
  }
  std::vector<std::pair<tlog::TileId, Bytes>> tiles;
  for (const tlog::TileId& tile : tlog::NewTiles(round.old_size, round.new_size)) {
    SP_ASSIGN_OR_RETURN(Bytes bytes, tlog::MakeTile(tree, tile));
    tiles.emplace_back(tile, std::move(bytes));
  }
  SP_ASSIGN_OR_RETURN(const tlog::Hash root, tree.SubtreeRoot(0, round.new_size));
  SP_ASSIGN_OR_RETURN(
      std::string note,
      tlog::SignCheckpoint({options_.origin, round.new_size, root, {}}, options_.origin, key_));
  const store::LogCheckpointRecord checkpoint{round.new_size, Bytes(root.begin(), root.end()),
                                              std::move(note), clock_.Now()};

  const Status written = store.Write([&](store::WriteTxn& tx) -> Status {
    SP_RETURN_IF_ERROR(tx.log().AppendLogEntries(round.old_size, leaves));
    for (const auto& [tile, bytes] : tiles) {
      SP_RETURN_IF_ERROR(tx.log().PutLogTile(tile.level, tile.index, tile.width, bytes));
    }
    SP_RETURN_IF_ERROR(tx.log().AddLogCheckpoint(checkpoint));
    return tx.log().DeletePendingEvents(pending_ids);
  });
  if (written.code() == ErrorCode::kConflict) {
    // Another sequencer took these indexes: this process was not the only one after all (its
    // lease was lost unnoticed). Nothing of the round stayed; let the lease be taken anew.
    lease_.reset();
  }
  SP_RETURN_IF_ERROR(written);
  SequencerMetrics& metrics = Metrics();
  metrics.size.Set(static_cast<int64_t>(round.new_size));
  metrics.sequenced.Increment(pending_ids.size());
  const TimePoint signed_at = checkpoint.created_at;
  for (const TimePoint t : pending_times) {
    metrics.delay.Observe(std::chrono::duration<double>(signed_at - t).count());
  }
  return round;
}

}  // namespace sealpost::audit
