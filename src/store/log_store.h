// The transparency log (docs/formats/log-entry.md): events waiting to be sequenced, the
// sequenced leaves, the tree's hash tiles and the signed checkpoints. Part of the Store
// (store/store.h).
//
// Writers add pending events in their own transactions, with no index and no lock; the one
// sequencer (audit/sequencer.h) moves them into the log. Only the sequencer writes entries, tiles
// and checkpoints; index and size are primary keys, so two sequencers that both thought they were
// the only one cannot fork the log: the second one's transaction fails as a Conflict.
//
// Tiles: one row per tile position (level, index) holding its widest version so far; a narrower
// version of the same tile is a prefix of it (a tile holds hashes of complete subtrees only,
// which never change), so GetTile answers any width up to the stored one.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/encoding.h"
#include "core/status.h"
#include "core/time.h"

namespace sealpost::store {

// An event written by a state change, not yet in the log.
struct PendingLogEvent {
  int64_t id = 0;  // increasing in insertion order per process; not dense, not an index
  Bytes leaf;      // the leaf bytes (tlog/log_entry.h)
  TimePoint created_at;
};

// A sequenced entry: the leaf at `index` (0-based, dense).
struct LogEntryRecord {
  uint64_t index = 0;
  Bytes leaf;
};

// A signed tree head.
struct LogCheckpointRecord {
  uint64_t size = 0;
  Bytes root_hash;   // 32 bytes
  std::string note;  // the signed note (tlog/checkpoint.h), exactly as published
  TimePoint created_at;
};

// Held by the one process that may sequence (PostgreSQL: a session advisory lock on a connection
// of its own; SQLite: one process owns the file). Released when destroyed.
class SequencerLease {
 public:
  virtual ~SequencerLease() = default;
  // OK while the lease is still held (PostgreSQL: its connection is alive); Unavailable once it
  // was lost, after which the holder must stop sequencing and acquire a new one.
  virtual Status Check() = 0;
};

class LogReader {
 public:
  virtual ~LogReader() = default;

  // The oldest pending events, by id, at most `limit`.
  virtual Result<std::vector<PendingLogEvent>> ReadPendingEvents(int limit) = 0;
  // Newest first: pending events with id < before_id.
  virtual Result<std::vector<PendingLogEvent>> ReadPendingEventsBefore(int64_t before_id,
                                                                       int limit) = 0;
  // Entries with index ≥ from_index, oldest first.
  virtual Result<std::vector<LogEntryRecord>> ReadLogEntries(uint64_t from_index, int limit) = 0;
  // Newest first: entries with index < before_index.
  virtual Result<std::vector<LogEntryRecord>> ReadLogEntriesBefore(uint64_t before_index,
                                                                   int limit) = 0;
  // The stored tile at (level, index) cut to `width` hashes. NotFound if there is none or it is
  // narrower.
  virtual Result<Bytes> GetLogTile(uint32_t level, uint64_t index, uint32_t width) = 0;
  // The checkpoint of the largest tree; nullopt before the first.
  virtual Result<std::optional<LogCheckpointRecord>> GetLatestLogCheckpoint() = 0;
  // Every checkpoint, smallest tree first.
  virtual Result<std::vector<LogCheckpointRecord>> ReadLogCheckpoints() = 0;

  // Tries to become the sequencer. Conflict when another process holds the lease.
  virtual Result<std::unique_ptr<SequencerLease>> TryAcquireSequencerLease() = 0;
};

class LogWriter {
 public:
  virtual ~LogWriter() = default;

  // A writer's event: inserted with the next pending id, nothing else read or locked.
  virtual Status AddPendingEvent(ByteView leaf, TimePoint created_at) = 0;

  // The sequencer's writes, all in one transaction:
  // Leaves at first_index, first_index + 1, …: Conflict if an index is taken.
  virtual Status AppendLogEntries(uint64_t first_index, std::span<const Bytes> leaves) = 0;
  // Inserts or widens the tile at (level, index): `hashes` is width · 32 bytes.
  virtual Status PutLogTile(uint32_t level, uint64_t index, uint32_t width, ByteView hashes) = 0;
  // Conflict if a checkpoint of that size exists.
  virtual Status AddLogCheckpoint(const LogCheckpointRecord& checkpoint) = 0;
  // Removes the pending events with these ids (the ones just sequenced).
  virtual Status DeletePendingEvents(std::span<const int64_t> ids) = 0;
};

}  // namespace sealpost::store
