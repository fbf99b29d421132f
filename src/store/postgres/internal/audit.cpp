#include "store/postgres/internal/audit.h"

#include <cstddef>
#include <utility>

#include "store/audit_chain.h"
#include "store/postgres/internal/statements.h"

namespace sealpost::store::postgres {

Result<std::vector<AuditEntry>> PgAuditReader::ReadAudit(int64_t from_seq, int limit) {
  return reader_.ReadAll<AuditEntry>(ReadAuditEntry, "read_audit", from_seq, limit);
}

Result<std::vector<AuditEntry>> PgAuditReader::ReadAuditBefore(int64_t before_seq, int limit) {
  return reader_.ReadAll<AuditEntry>(ReadAuditEntry, "read_audit_before", before_seq, limit);
}

Result<std::vector<AuditCheckpoint>> PgAuditReader::ReadAuditCheckpoints() {
  return reader_.ReadAll<AuditCheckpoint>(
      [](const pqxx::row& r) {
        return AuditCheckpoint{r[0].as<int64_t>(), ReadBytes(r[1]), ReadBytes(r[2]),
                               FromUnixMillis(r[3].as<int64_t>())};
      },
      "read_checkpoints");
}

AuditEntry AuditTail::Append(const AuditEvent& event) {
  AuditEntry entry;
  entry.event = event;
  entry.seq = (appended_.empty() ? seq_ : appended_.back().seq) + 1;
  entry.prev_hash = appended_.empty() ? hash_ : appended_.back().hash;
  entry.hash = AuditEntryHash(entry.prev_hash, entry.seq, event);
  appended_.push_back(entry);
  return entry;
}

void AuditTail::RollBackTo(size_t mark) {
  appended_.erase(appended_.begin() + static_cast<std::ptrdiff_t>(mark), appended_.end());
}

std::string AuditTail::InsertStatement(pqxx::transaction_base& tx) const {
  if (appended_.empty()) return "";
  ArrayLiteral seqs, times, types, actors, subjects, details, prev_hashes, hashes;
  for (const AuditEntry& e : appended_) {
    seqs.Add(std::to_string(e.seq));
    times.Add(std::to_string(ToUnixMillis(e.event.time)));
    types.Add(e.event.type);
    actors.Add(e.event.actor);
    subjects.Add(e.event.subject);
    details.Add(e.event.details);
    prev_hashes.Add(HexEncode(e.prev_hash));
    hashes.Add(HexEncode(e.hash));
  }
  std::string sql = "INSERT INTO audit_log(";
  sql += kAuditColumns;
  sql +=
      ") SELECT seq, time_ms, type, actor, subject, details, decode(prev_hash, 'hex'), "
      "decode(hash, 'hex') FROM unnest(";
  const std::pair<const ArrayLiteral*, const char*> columns[] = {
      {&seqs, "bigint"},   {&times, "bigint"}, {&types, "text"},       {&actors, "text"},
      {&subjects, "text"}, {&details, "text"}, {&prev_hashes, "text"}, {&hashes, "text"}};
  for (const auto& [values, type] : columns) {
    if (values != &seqs) sql += ", ";
    sql += '\'';  // (tx.quote does the same, but trips GCC 12's -Wrestrict at -O3)
    sql += tx.esc(values->str());
    sql += "'::";
    sql += type;
    sql += "[]";
  }
  sql += ") AS x(";
  sql += kAuditColumns;
  sql += ");";
  return sql;
}

// Appends after the batch's tail. The first append of a batch takes the chain lock and then
// reads the head (in a statement of its own, so that its snapshot is taken after the lock was
// granted), so no other process appends meanwhile and the chain cannot fork.
Result<AuditEntry> PgAuditWriter::AppendAudit(const AuditEvent& event) {
  if (!txn_.failure().ok()) return txn_.failure();
  AuditTail& tail = txn_.audit();
  if (!tail.loaded()) {
    SP_RETURN_IF_ERROR(txn_.GuardStatus([&] {
      tx_.exec("SELECT pg_advisory_xact_lock(" + std::to_string(kAuditAppendLock) + ")");
      const pqxx::result newest =
          tx_.exec("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1");
      tail.Load(newest.empty() ? 0 : newest[0][0].as<int64_t>(),
                newest.empty() ? Bytes(kAuditHashBytes, 0) : ReadBytes(newest[0][1]));
      return Status::Ok();
    }));
  }
  return tail.Append(event);
}

Status PgAuditWriter::AddAuditCheckpoint(const AuditCheckpoint& c) {
  return txn_.GuardStatus([&] {
    return ExpectInserted(tx_.exec_prepared("add_checkpoint", c.seq, Bin(c.hash), Bin(c.signature),
                                            ToUnixMillis(c.time)),
                          "audit checkpoint");
  });
}

}  // namespace sealpost::store::postgres
