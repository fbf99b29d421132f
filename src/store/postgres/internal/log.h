// The log domain (store/log_store.h: pending events, entries, tiles, checkpoints) on PostgreSQL.
#pragma once

#include <pqxx/pqxx>

#include "store/log_store.h"
#include "store/postgres/internal/pool.h"
#include "store/postgres/internal/reader.h"
#include "store/postgres/internal/txn.h"

namespace sealpost::store::postgres {

class PgLogReader final : public LogReader {
 public:
  PgLogReader(Reader& reader, Pool& pool) : reader_(reader), pool_(pool) {}

  Result<std::vector<PendingLogEvent>> ReadPendingEvents(int limit) override;
  Result<std::vector<PendingLogEvent>> ReadPendingEventsBefore(int64_t before_id,
                                                               int limit) override;
  Result<std::vector<LogEntryRecord>> ReadLogEntries(uint64_t from_index, int limit) override;
  Result<std::vector<LogEntryRecord>> ReadLogEntriesBefore(uint64_t before_index,
                                                           int limit) override;
  Result<Bytes> GetLogTile(uint32_t level, uint64_t index, uint32_t width) override;
  Result<std::optional<LogCheckpointRecord>> GetLatestLogCheckpoint() override;
  Result<std::vector<LogCheckpointRecord>> ReadLogCheckpoints() override;
  // pg_try_advisory_lock(kLogSequencerLock) on a connection of the lease's own, outside the
  // pool, so the lock lives exactly as long as that connection (a process that dies loses it).
  Result<std::unique_ptr<SequencerLease>> TryAcquireSequencerLease() override;

 private:
  Reader& reader_;
  Pool& pool_;
};

// On the batch's transaction (PgTxn: the first error sticks).
class PgLogWriter final : public LogWriter {
 public:
  explicit PgLogWriter(PgTxn& txn) : txn_(txn), tx_(txn.tx()) {}

  Status AddPendingEvent(ByteView leaf, TimePoint created_at) override;
  Status AppendLogEntries(uint64_t first_index, std::span<const Bytes> leaves) override;
  Status PutLogTile(uint32_t level, uint64_t index, uint32_t width, ByteView hashes) override;
  Status AddLogCheckpoint(const LogCheckpointRecord& checkpoint) override;
  Status DeletePendingEvents(std::span<const int64_t> ids) override;

 private:
  PgTxn& txn_;
  pqxx::transaction_base& tx_;
};

}  // namespace sealpost::store::postgres
