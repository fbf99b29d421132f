#include "store/sqlite/internal/audit.h"

#include "store/audit_chain.h"
#include "store/sqlite/internal/rows.h"

namespace sealpost::store::sqlite {

Result<std::vector<AuditEntry>> SqliteAuditReader::ReadAudit(int64_t from_seq, int limit) {
  return pool_.WithReader<std::vector<AuditEntry>>(
      [&](Connection& db) -> Result<std::vector<AuditEntry>> {
        SP_ASSIGN_OR_RETURN(auto s, db.Prepare(std::string("SELECT ") + kAuditColumns +
                                               " FROM audit_log WHERE seq >= ? ORDER BY seq "
                                               "LIMIT ?"));
        s.Bind(1, from_seq).Bind(2, int64_t{limit});
        std::vector<AuditEntry> out;
        for (;;) {
          SP_ASSIGN_OR_RETURN(const bool row, s.Step());
          if (!row) break;
          out.push_back(ReadAuditEntry(s));
        }
        return out;
      });
}

Result<std::vector<AuditEntry>> SqliteAuditReader::ReadAuditBefore(int64_t before_seq, int limit) {
  return pool_.WithReader<std::vector<AuditEntry>>(
      [&](Connection& db) -> Result<std::vector<AuditEntry>> {
        SP_ASSIGN_OR_RETURN(auto s, db.Prepare(std::string("SELECT ") + kAuditColumns +
                                               " FROM audit_log WHERE seq < ? ORDER BY seq "
                                               "DESC LIMIT ?"));
        s.Bind(1, before_seq).Bind(2, int64_t{limit});
        std::vector<AuditEntry> out;
        for (;;) {
          SP_ASSIGN_OR_RETURN(const bool row, s.Step());
          if (!row) break;
          out.push_back(ReadAuditEntry(s));
        }
        return out;
      });
}

Result<std::vector<AuditCheckpoint>> SqliteAuditReader::ReadAuditCheckpoints() {
  return pool_.WithReader<std::vector<AuditCheckpoint>>(
      [&](Connection& db) -> Result<std::vector<AuditCheckpoint>> {
        SP_ASSIGN_OR_RETURN(auto s, db.Prepare("SELECT seq, hash, signature, time_ms FROM "
                                               "audit_checkpoints ORDER BY seq"));
        std::vector<AuditCheckpoint> out;
        for (;;) {
          SP_ASSIGN_OR_RETURN(const bool row, s.Step());
          if (!row) break;
          out.push_back({s.Int(0), s.Blob(1), s.Blob(2), FromUnixMillis(s.Int(3))});
        }
        return out;
      });
}

Result<AuditEntry> SqliteAuditWriter::AppendAudit(const AuditEvent& event) {
  AuditEntry entry;
  entry.event = event;
  {
    SP_ASSIGN_OR_RETURN(auto s, db_.Prepare("SELECT seq, hash FROM audit_log "
                                            "ORDER BY seq DESC LIMIT 1"));
    SP_ASSIGN_OR_RETURN(const bool row, s.Step());
    entry.seq = row ? s.Int(0) + 1 : 1;
    entry.prev_hash = row ? s.Blob(1) : Bytes(kAuditHashBytes, 0);
    SP_RETURN_IF_ERROR(s.Run());
  }
  entry.hash = AuditEntryHash(entry.prev_hash, entry.seq, event);
  SP_ASSIGN_OR_RETURN(auto s, db_.Prepare(std::string("INSERT INTO audit_log(") + kAuditColumns +
                                          ") VALUES(?,?,?,?,?,?,?,?)"));
  s.Bind(1, entry.seq).Bind(2, ToUnixMillis(event.time)).Bind(3, event.type);
  s.Bind(4, event.actor).Bind(5, event.subject).Bind(6, event.details);
  s.Bind(7, ByteView(entry.prev_hash)).Bind(8, ByteView(entry.hash));
  SP_RETURN_IF_ERROR(s.Run());
  return entry;
}

Status SqliteAuditWriter::AddAuditCheckpoint(const AuditCheckpoint& c) {
  SP_ASSIGN_OR_RETURN(auto s, db_.Prepare("INSERT INTO audit_checkpoints(seq, hash, signature, "
                                          "time_ms) VALUES(?,?,?,?)"));
  s.Bind(1, c.seq).Bind(2, ByteView(c.hash)).Bind(3, ByteView(c.signature));
  return s.Bind(4, ToUnixMillis(c.time)).Run();
}

}  // namespace sealpost::store::sqlite
