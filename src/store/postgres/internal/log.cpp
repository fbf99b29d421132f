#include "store/postgres/internal/log.h"

#include <mutex>
#include <string>

#include "store/postgres/internal/statements.h"

namespace sealpost::store::postgres {
namespace {

constexpr size_t kHashBytes = 32;

PendingLogEvent PendingRow(const pqxx::row& r) {
  return {r[0].as<int64_t>(), ReadBytes(r[1]), FromUnixMillis(r[2].as<int64_t>())};
}

LogEntryRecord EntryRow(const pqxx::row& r) {
  return {static_cast<uint64_t>(r[0].as<int64_t>()), ReadBytes(r[1])};
}

LogCheckpointRecord CheckpointRow(const pqxx::row& r) {
  return {static_cast<uint64_t>(r[0].as<int64_t>()), ReadBytes(r[1]), r[2].as<std::string>(),
          FromUnixMillis(r[3].as<int64_t>())};
}

// BIGINT is signed; indexes and sizes beyond 2^63 cannot occur in practice.
int64_t AsInt(uint64_t v) { return static_cast<int64_t>(v); }

class PgSequencerLease final : public SequencerLease {
 public:
  explicit PgSequencerLease(std::unique_ptr<pqxx::connection> conn) : conn_(std::move(conn)) {}
  // Closing the connection releases the session lock.
  ~PgSequencerLease() override = default;

  Status Check() override {
    std::lock_guard lock(mu_);
    if (!conn_) return Unavailable("log sequencer lease lost");
    try {
      pqxx::nontransaction tx(*conn_);
      tx.exec("SELECT 1");
      return Status::Ok();
    } catch (...) {
      conn_.reset();
      return Unavailable("log sequencer lease lost: its connection failed");
    }
  }

 private:
  std::mutex mu_;
  std::unique_ptr<pqxx::connection> conn_;
};

}  // namespace

Result<std::vector<PendingLogEvent>> PgLogReader::ReadPendingEvents(int limit) {
  return reader_.ReadAll<PendingLogEvent>(PendingRow, "log_read_pending", limit);
}

Result<std::vector<PendingLogEvent>> PgLogReader::ReadPendingEventsBefore(int64_t before_id,
                                                                          int limit) {
  return reader_.ReadAll<PendingLogEvent>(PendingRow, "log_read_pending_before", before_id, limit);
}

Result<std::vector<LogEntryRecord>> PgLogReader::ReadLogEntries(uint64_t from_index, int limit) {
  return reader_.ReadAll<LogEntryRecord>(EntryRow, "log_read_entries", AsInt(from_index), limit);
}

Result<std::vector<LogEntryRecord>> PgLogReader::ReadLogEntriesBefore(uint64_t before_index,
                                                                      int limit) {
  return reader_.ReadAll<LogEntryRecord>(EntryRow, "log_read_entries_before", AsInt(before_index),
                                         limit);
}

Result<Bytes> PgLogReader::GetLogTile(uint32_t level, uint64_t index, uint32_t width) {
  return reader_.ReadOne<Bytes>(
      "log_get_tile",
      [width](const pqxx::row& r) -> Result<Bytes> {
        Bytes hashes = ReadBytes(r[1]);
        if (r[0].as<int64_t>() < width || hashes.size() < size_t{width} * kHashBytes) {
          return NotFound("log tile not found");
        }
        hashes.resize(size_t{width} * kHashBytes);
        return hashes;
      },
      "log tile", static_cast<int64_t>(level), AsInt(index));
}

Result<std::optional<LogCheckpointRecord>> PgLogReader::GetLatestLogCheckpoint() {
  return reader_.Read<std::optional<LogCheckpointRecord>>(
      [](pqxx::transaction_base& tx) -> std::optional<LogCheckpointRecord> {
        const auto r = tx.exec_prepared("log_latest_checkpoint");
        if (r.empty()) return std::nullopt;
        return CheckpointRow(r[0]);
      });
}

Result<std::vector<LogCheckpointRecord>> PgLogReader::ReadLogCheckpoints() {
  return reader_.ReadAll<LogCheckpointRecord>(CheckpointRow, "log_read_checkpoints");
}

Result<std::unique_ptr<SequencerLease>> PgLogReader::TryAcquireSequencerLease() {
  SP_ASSIGN_OR_RETURN(auto conn, Connect(pool_.url()));
  try {
    pqxx::nontransaction tx(*conn);
    const auto r =
        tx.exec("SELECT pg_try_advisory_lock(" + std::to_string(kLogSequencerLock) + ")");
    if (!r[0][0].as<bool>()) return Conflict("another process is the log sequencer");
  } catch (...) {
    return StatusFromException(std::current_exception(), nullptr);
  }
  return std::unique_ptr<SequencerLease>(std::make_unique<PgSequencerLease>(std::move(conn)));
}

Status PgLogWriter::AddPendingEvent(ByteView leaf, TimePoint created_at) {
  return txn_.GuardStatus([&] {
    tx_.exec_prepared("log_add_pending", Bin(leaf), ToUnixMillis(created_at));
    return Status::Ok();
  });
}

Status PgLogWriter::AppendLogEntries(uint64_t first_index, std::span<const Bytes> leaves) {
  if (leaves.empty()) return Status::Ok();
  ArrayLiteral indexes, hex;
  for (size_t i = 0; i < leaves.size(); ++i) {
    indexes.Add(std::to_string(first_index + i));
    hex.Add(HexEncode(leaves[i]));
  }
  return txn_.GuardStatus([&]() -> Status {
    const auto r = tx_.exec_prepared("log_append_entries", indexes.str(), hex.str());
    if (r.affected_rows() != leaves.size()) return Conflict("log index already taken");
    return Status::Ok();
  });
}

Status PgLogWriter::PutLogTile(uint32_t level, uint64_t index, uint32_t width, ByteView hashes) {
  if (hashes.size() != size_t{width} * kHashBytes) {
    return InvalidArgument("log tile has the wrong length for its width");
  }
  return txn_.GuardStatus([&] {
    tx_.exec_prepared("log_put_tile", static_cast<int64_t>(level), AsInt(index),
                      static_cast<int64_t>(width), Bin(hashes));
    return Status::Ok();
  });
}

Status PgLogWriter::AddLogCheckpoint(const LogCheckpointRecord& c) {
  return txn_.GuardStatus([&] {
    return ExpectInserted(tx_.exec_prepared("log_add_checkpoint", AsInt(c.size), Bin(c.root_hash),
                                            c.note, ToUnixMillis(c.created_at)),
                          "log checkpoint");
  });
}

Status PgLogWriter::DeletePendingEvents(std::span<const int64_t> ids) {
  if (ids.empty()) return Status::Ok();
  ArrayLiteral list;
  for (const int64_t id : ids) list.Add(std::to_string(id));
  return txn_.GuardStatus([&] {
    tx_.exec_prepared("log_delete_pending", list.str());
    return Status::Ok();
  });
}

}  // namespace sealpost::store::postgres
