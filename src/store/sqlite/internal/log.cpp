#include "store/sqlite/internal/log.h"

#include <string>

namespace sealpost::store::sqlite {
namespace {

constexpr size_t kHashBytes = 32;

class SqliteSequencerLease final : public SequencerLease {
 public:
  explicit SqliteSequencerLease(std::shared_ptr<std::atomic<bool>> leased)
      : leased_(std::move(leased)) {}
  ~SqliteSequencerLease() override { leased_->store(false); }
  Status Check() override { return Status::Ok(); }

 private:
  std::shared_ptr<std::atomic<bool>> leased_;
};

template <typename T, typename RowFn>
Result<std::vector<T>> ReadRows(Statement& s, RowFn row_fn) {
  std::vector<T> out;
  for (;;) {
    SP_ASSIGN_OR_RETURN(const bool row, s.Step());
    if (!row) break;
    out.push_back(row_fn(s));
  }
  return out;
}

PendingLogEvent PendingRow(const Statement& s) {
  return {s.Int(0), s.Blob(1), FromUnixMillis(s.Int(2))};
}

LogEntryRecord EntryRow(const Statement& s) { return {static_cast<uint64_t>(s.Int(0)), s.Blob(1)}; }

LogCheckpointRecord CheckpointRow(const Statement& s) {
  return {static_cast<uint64_t>(s.Int(0)), s.Blob(1), s.Text(2), FromUnixMillis(s.Int(3))};
}

// SQLite integers are signed 64-bit; indexes and sizes beyond 2^63 cannot occur in practice.
int64_t AsInt(uint64_t v) { return static_cast<int64_t>(v); }

}  // namespace

Result<std::vector<PendingLogEvent>> SqliteLogReader::ReadPendingEvents(int limit) {
  return pool_.WithReader<std::vector<PendingLogEvent>>(
      [&](Connection& db) -> Result<std::vector<PendingLogEvent>> {
        SP_ASSIGN_OR_RETURN(auto s, db.Prepare("SELECT id, leaf, created_ms FROM log_pending "
                                               "ORDER BY id LIMIT ?"));
        s.Bind(1, int64_t{limit});
        return ReadRows<PendingLogEvent>(s, PendingRow);
      });
}

Result<std::vector<PendingLogEvent>> SqliteLogReader::ReadPendingEventsBefore(int64_t before_id,
                                                                              int limit) {
  return pool_.WithReader<std::vector<PendingLogEvent>>(
      [&](Connection& db) -> Result<std::vector<PendingLogEvent>> {
        SP_ASSIGN_OR_RETURN(auto s, db.Prepare("SELECT id, leaf, created_ms FROM log_pending "
                                               "WHERE id < ? ORDER BY id DESC LIMIT ?"));
        s.Bind(1, before_id).Bind(2, int64_t{limit});
        return ReadRows<PendingLogEvent>(s, PendingRow);
      });
}

Result<std::vector<LogEntryRecord>> SqliteLogReader::ReadLogEntries(uint64_t from_index,
                                                                    int limit) {
  return pool_.WithReader<std::vector<LogEntryRecord>>(
      [&](Connection& db) -> Result<std::vector<LogEntryRecord>> {
        SP_ASSIGN_OR_RETURN(auto s, db.Prepare("SELECT idx, leaf FROM log_entries WHERE idx >= ? "
                                               "ORDER BY idx LIMIT ?"));
        s.Bind(1, AsInt(from_index)).Bind(2, int64_t{limit});
        return ReadRows<LogEntryRecord>(s, EntryRow);
      });
}

Result<std::vector<LogEntryRecord>> SqliteLogReader::ReadLogEntriesBefore(uint64_t before_index,
                                                                          int limit) {
  return pool_.WithReader<std::vector<LogEntryRecord>>(
      [&](Connection& db) -> Result<std::vector<LogEntryRecord>> {
        SP_ASSIGN_OR_RETURN(auto s, db.Prepare("SELECT idx, leaf FROM log_entries WHERE idx < ? "
                                               "ORDER BY idx DESC LIMIT ?"));
        s.Bind(1, AsInt(before_index)).Bind(2, int64_t{limit});
        return ReadRows<LogEntryRecord>(s, EntryRow);
      });
}

Result<Bytes> SqliteLogReader::GetLogTile(uint32_t level, uint64_t index, uint32_t width) {
  return pool_.ReadOne<Bytes>(
      "SELECT width, hashes FROM log_tiles WHERE level = ? AND idx = ?",
      [&](Statement& s) { s.Bind(1, int64_t{level}).Bind(2, AsInt(index)); },
      [&](Statement& s) -> Result<Bytes> {
        Bytes hashes = s.Blob(1);
        if (s.Int(0) < width || hashes.size() < size_t{width} * kHashBytes) {
          return NotFound("log tile not found");
        }
        hashes.resize(size_t{width} * kHashBytes);
        return hashes;
      },
      "log tile");
}

Result<std::optional<LogCheckpointRecord>> SqliteLogReader::GetLatestLogCheckpoint() {
  return pool_.WithReader<std::optional<LogCheckpointRecord>>(
      [&](Connection& db) -> Result<std::optional<LogCheckpointRecord>> {
        SP_ASSIGN_OR_RETURN(auto s, db.Prepare("SELECT size, root_hash, note, created_ms FROM "
                                               "log_checkpoints ORDER BY size DESC LIMIT 1"));
        SP_ASSIGN_OR_RETURN(const bool row, s.Step());
        if (!row) return std::optional<LogCheckpointRecord>();
        return std::optional<LogCheckpointRecord>(CheckpointRow(s));
      });
}

Result<std::vector<LogCheckpointRecord>> SqliteLogReader::ReadLogCheckpoints() {
  return pool_.WithReader<std::vector<LogCheckpointRecord>>(
      [&](Connection& db) -> Result<std::vector<LogCheckpointRecord>> {
        SP_ASSIGN_OR_RETURN(auto s, db.Prepare("SELECT size, root_hash, note, created_ms FROM "
                                               "log_checkpoints ORDER BY size"));
        return ReadRows<LogCheckpointRecord>(s, CheckpointRow);
      });
}

Result<std::unique_ptr<SequencerLease>> SqliteLogReader::TryAcquireSequencerLease() {
  bool expected = false;
  if (!leased_->compare_exchange_strong(expected, true)) {
    return Conflict("the log sequencer lease is held");
  }
  return std::unique_ptr<SequencerLease>(std::make_unique<SqliteSequencerLease>(leased_));
}

Status SqliteLogWriter::AddPendingEvent(ByteView leaf, TimePoint created_at) {
  SP_ASSIGN_OR_RETURN(auto s, db_.Prepare("INSERT INTO log_pending(leaf, created_ms) VALUES(?,?)"));
  return s.Bind(1, leaf).Bind(2, ToUnixMillis(created_at)).Run();
}

Status SqliteLogWriter::AppendLogEntries(uint64_t first_index, std::span<const Bytes> leaves) {
  SP_ASSIGN_OR_RETURN(auto s, db_.Prepare("INSERT INTO log_entries(idx, leaf) VALUES(?,?)"));
  for (size_t i = 0; i < leaves.size(); ++i) {
    sqlite3_reset(s.raw());  // a stepped statement takes no new bindings until reset
    SP_RETURN_IF_ERROR(s.Bind(1, AsInt(first_index + i)).Bind(2, ByteView(leaves[i])).Run());
  }
  return Status::Ok();
}

Status SqliteLogWriter::PutLogTile(uint32_t level, uint64_t index, uint32_t width,
                                   ByteView hashes) {
  if (hashes.size() != size_t{width} * kHashBytes) {
    return InvalidArgument("log tile has the wrong length for its width");
  }
  // Only ever widened: a narrower write would drop hashes a checkpoint already covers.
  SP_ASSIGN_OR_RETURN(auto s, db_.Prepare("INSERT INTO log_tiles(level, idx, width, hashes) "
                                          "VALUES(?,?,?,?) ON CONFLICT(level, idx) DO UPDATE SET "
                                          "width = excluded.width, hashes = excluded.hashes "
                                          "WHERE excluded.width > log_tiles.width"));
  return s.Bind(1, int64_t{level})
      .Bind(2, AsInt(index))
      .Bind(3, int64_t{width})
      .Bind(4, hashes)
      .Run();
}

Status SqliteLogWriter::AddLogCheckpoint(const LogCheckpointRecord& c) {
  SP_ASSIGN_OR_RETURN(auto s, db_.Prepare("INSERT INTO log_checkpoints(size, root_hash, note, "
                                          "created_ms) VALUES(?,?,?,?)"));
  s.Bind(1, AsInt(c.size)).Bind(2, ByteView(c.root_hash)).Bind(3, c.note);
  return s.Bind(4, ToUnixMillis(c.created_at)).Run();
}

Status SqliteLogWriter::DeletePendingEvents(std::span<const int64_t> ids) {
  SP_ASSIGN_OR_RETURN(auto s, db_.Prepare("DELETE FROM log_pending WHERE id = ?"));
  for (const int64_t id : ids) {
    sqlite3_reset(s.raw());
    SP_RETURN_IF_ERROR(s.Bind(1, id).Run());
  }
  return Status::Ok();
}

}  // namespace sealpost::store::sqlite
