// The transparency log's sequencer (docs/formats/log-entry.md, "Sequencing"): moves pending
// events into the log in batches — dense indexes, the changed tiles, a checkpoint signed with the
// platform audit key, the pending rows deleted — all in one write transaction, so a crash leaves
// the old state or the new one. Before any pending event it migrates the legacy hash chain, entry
// by entry in seq order, as legacy leaves.
//
// Only the holder of the store's sequencer lease sequences (store::LogReader::
// TryAcquireSequencerLease: on PostgreSQL a session advisory lock). Each round tries to take the
// lease if it has none, so a process takes over when the holder dies; a process that is not the
// sequencer does nothing. Thread-safe: rounds run one at a time (a mutex).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"
#include "crypto/signature.h"
#include "platform/clock.h"
#include "store/store.h"
#include "tlog/merkle.h"

namespace sealpost::audit {

struct SequencerOptions {
  std::string origin = "localhost/sealpost-log";  // checkpoint origin and note key name
  int batch = 4096;                               // leaves per round (one transaction)
  // Benchmarks only (bench/evidence_send_bench.cpp, issue 14's benchmark 2): false makes
  // AuditLog::Record drop every event, the baseline of sends without the log. The server never
  // sets it: nothing in the configuration reaches it.
  bool record_events = true;
};

struct SequenceRound {
  bool sequencer = false;  // this process holds the lease
  uint64_t old_size = 0;
  uint64_t new_size = 0;
  uint64_t legacy = 0;  // legacy chain entries among the new leaves
};

class Sequencer final {
 public:
  // `key` must outlive the sequencer.
  Sequencer(const crypto::SigningKey& key, SequencerOptions options, const platform::Clock& clock)
      : key_(key), options_(std::move(options)), clock_(clock) {}

  // One round of at most `batch` leaves. Not being the sequencer is no error (sequencer = false).
  Result<SequenceRound> SequenceOnce(store::Store& store);
  // Rounds until nothing is left to sequence (or this process is not the sequencer).
  Status SequenceAll(store::Store& store);

 private:
  Result<SequenceRound> RoundLocked(store::Store& store);
  // Appends the legacy chain entries that follow a log of `size` leaves, if the log holds only
  // legacy leaves so far.
  Status CollectLegacy(store::Store& store, uint64_t size, std::vector<Bytes>& leaves);

  const crypto::SigningKey& key_;
  const SequencerOptions options_;
  const platform::Clock& clock_;
  std::mutex mu_;
  std::unique_ptr<store::SequencerLease> lease_;
  bool legacy_done_ = false;
};

// A HashSource for a tree of `old_size` leaves stored as tiles plus `new_leaves` appended in
// memory: what the sequencer builds the new tiles and root from. Exposed for tests.
class ExtendedTreeSource final : public tlog::HashSource {
 public:
  ExtendedTreeSource(store::LogReader& log, uint64_t old_size, std::span<const tlog::Hash> added);
  ~ExtendedTreeSource() override;
  uint64_t size() const override;
  Result<tlog::Hash> SubtreeRoot(uint64_t begin, uint64_t end) const override;
  // Tile reads made for the stored part.
  uint64_t tile_reads() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sealpost::audit
