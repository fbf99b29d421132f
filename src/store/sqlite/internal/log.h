// The log domain (store/log_store.h: pending events, entries, tiles, checkpoints) on SQLite.
#pragma once

#include <atomic>
#include <memory>

#include "store/log_store.h"
#include "store/sqlite/internal/connection.h"
#include "store/sqlite/internal/reader_pool.h"

namespace sealpost::store::sqlite {

class SqliteLogReader final : public LogReader {
 public:
  explicit SqliteLogReader(ReaderPool& pool) : pool_(pool) {}

  Result<std::vector<PendingLogEvent>> ReadPendingEvents(int limit) override;
  Result<std::vector<PendingLogEvent>> ReadPendingEventsBefore(int64_t before_id,
                                                               int limit) override;
  Result<std::vector<LogEntryRecord>> ReadLogEntries(uint64_t from_index, int limit) override;
  Result<std::vector<LogEntryRecord>> ReadLogEntriesBefore(uint64_t before_index,
                                                           int limit) override;
  Result<Bytes> GetLogTile(uint32_t level, uint64_t index, uint32_t width) override;
  Result<std::optional<LogCheckpointRecord>> GetLatestLogCheckpoint() override;
  Result<std::vector<LogCheckpointRecord>> ReadLogCheckpoints() override;
  // One process owns an SQLite file; within it, one lease at a time.
  Result<std::unique_ptr<SequencerLease>> TryAcquireSequencerLease() override;

 private:
  ReaderPool& pool_;
  std::shared_ptr<std::atomic<bool>> leased_ = std::make_shared<std::atomic<bool>>(false);
};

// Over the writer connection; used only by the writer thread inside a transaction.
class SqliteLogWriter final : public LogWriter {
 public:
  explicit SqliteLogWriter(Connection& db) : db_(db) {}

  Status AddPendingEvent(ByteView leaf, TimePoint created_at) override;
  Status AppendLogEntries(uint64_t first_index, std::span<const Bytes> leaves) override;
  Status PutLogTile(uint32_t level, uint64_t index, uint32_t width, ByteView hashes) override;
  Status AddLogCheckpoint(const LogCheckpointRecord& checkpoint) override;
  Status DeletePendingEvents(std::span<const int64_t> ids) override;

 private:
  Connection& db_;
};

}  // namespace sealpost::store::sqlite
