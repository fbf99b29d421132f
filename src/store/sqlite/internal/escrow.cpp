#include "store/sqlite/internal/escrow.h"

#include <string>

namespace sealpost::store::sqlite {
namespace {

constexpr const char* kSelectKey = "SELECT domain, public_key, set_by, set_ms FROM escrow_keys";
constexpr const char* kWrapColumns = "w.message_id, w.domain, w.sealed_key, w.created_ms";

EscrowKeyRecord ReadKey(const Statement& s) {
  return {s.Text(0), s.Blob(1), s.Text(2), FromUnixMillis(s.Int(3))};
}

EscrowWrapRecord ReadWrap(const Statement& s) {
  return {MessageId::FromTrusted(s.Text(0)), s.Text(1), s.Blob(2), FromUnixMillis(s.Int(3))};
}

Result<std::vector<EscrowWrapRecord>> ReadWraps(Statement& s) {
  std::vector<EscrowWrapRecord> out;
  for (;;) {
    SP_ASSIGN_OR_RETURN(const bool row, s.Step());
    if (!row) return out;
    out.push_back(ReadWrap(s));
  }
}

}  // namespace

Result<EscrowKeyRecord> SqliteEscrowReader::GetEscrowKey(const std::string& domain) {
  return pool_.ReadOne<EscrowKeyRecord>(
      std::string(kSelectKey) + " WHERE domain = ?", [&](Statement& s) { s.Bind(1, domain); },
      ReadKey, "escrow key");
}

Result<std::vector<EscrowKeyRecord>> SqliteEscrowReader::ListEscrowKeys() {
  using Out = std::vector<EscrowKeyRecord>;
  return pool_.WithReader<Out>([&](Connection& db) -> Result<Out> {
    SP_ASSIGN_OR_RETURN(auto s, db.Prepare(std::string(kSelectKey) + " ORDER BY domain"));
    Out out;
    for (;;) {
      SP_ASSIGN_OR_RETURN(const bool row, s.Step());
      if (!row) return out;
      out.push_back(ReadKey(s));
    }
  });
}

Result<std::vector<EscrowWrapRecord>> SqliteEscrowReader::ListEscrowWraps(
    const EscrowWrapQuery& q) {
  using Out = std::vector<EscrowWrapRecord>;
  return pool_.WithReader<Out>([&](Connection& db) -> Result<Out> {
    // Unset bounds bind as NULL and drop out of the condition.
    SP_ASSIGN_OR_RETURN(
        auto s, db.Prepare(std::string("SELECT ") + kWrapColumns +
                           " FROM escrow_wraps w JOIN messages m ON m.id = w.message_id"
                           " WHERE w.domain = ?1"
                           " AND (?2 IS NULL OR m.created_ms >= ?2)"
                           " AND (?3 IS NULL OR m.created_ms < ?3)"
                           " AND (?4 IS NULL OR m.sender_id = ?4 OR EXISTS (SELECT 1 FROM mailbox b"
                           "      WHERE b.message_id = w.message_id AND b.owner_id = ?4))"
                           " AND (?5 IS NULL OR w.message_id > ?5)"
                           " ORDER BY w.message_id LIMIT ?6"));
    s.Bind(1, q.domain);
    if (q.from)
      s.Bind(2, ToUnixMillis(*q.from));
    else
      s.BindNull(2);
    if (q.to)
      s.Bind(3, ToUnixMillis(*q.to));
    else
      s.BindNull(3);
    if (q.member)
      s.Bind(4, q.member->str());
    else
      s.BindNull(4);
    if (q.after)
      s.Bind(5, q.after->str());
    else
      s.BindNull(5);
    s.Bind(6, static_cast<int64_t>(q.limit));
    return ReadWraps(s);
  });
}

Result<std::vector<EscrowWrapRecord>> SqliteEscrowReader::ListEscrowWrapsOfMessage(
    const MessageId& id) {
  using Out = std::vector<EscrowWrapRecord>;
  return pool_.WithReader<Out>([&](Connection& db) -> Result<Out> {
    SP_ASSIGN_OR_RETURN(auto s, db.Prepare(std::string("SELECT ") + kWrapColumns +
                                           " FROM escrow_wraps w WHERE w.message_id = ?"
                                           " ORDER BY w.domain"));
    s.Bind(1, id.str());
    return ReadWraps(s);
  });
}

Result<int64_t> SqliteEscrowReader::CountEscrowWraps() {
  return pool_.WithReader<int64_t>([&](Connection& db) -> Result<int64_t> {
    SP_ASSIGN_OR_RETURN(auto s, db.Prepare("SELECT count(*) FROM escrow_wraps"));
    SP_ASSIGN_OR_RETURN(const bool row, s.Step());
    if (!row) return Internal("count returned no row");
    return s.Int(0);
  });
}

Status SqliteEscrowWriter::PutEscrowKey(const EscrowKeyRecord& k) {
  SP_ASSIGN_OR_RETURN(auto s, db_.Prepare("INSERT OR REPLACE INTO escrow_keys(domain, public_key, "
                                          "set_by, set_ms) VALUES(?,?,?,?)"));
  return s.Bind(1, k.domain)
      .Bind(2, ByteView(k.public_key))
      .Bind(3, k.set_by)
      .Bind(4, ToUnixMillis(k.set_at))
      .Run();
}

Status SqliteEscrowWriter::DeleteEscrowKey(const std::string& domain) {
  SP_ASSIGN_OR_RETURN(auto s, db_.Prepare("DELETE FROM escrow_keys WHERE domain = ?"));
  SP_RETURN_IF_ERROR(s.Bind(1, domain).Run());
  return ExpectOneRow(db_, "escrow key");
}

Status SqliteEscrowWriter::PutEscrowWrap(const EscrowWrapRecord& w) {
  SP_ASSIGN_OR_RETURN(auto s, db_.Prepare("INSERT INTO escrow_wraps(message_id, domain, "
                                          "sealed_key, created_ms) VALUES(?,?,?,?)"));
  return s.Bind(1, w.message_id.str())
      .Bind(2, w.domain)
      .Bind(3, ByteView(w.sealed_key))
      .Bind(4, ToUnixMillis(w.created_at))
      .Run();
}

Result<int64_t> SqliteEscrowWriter::DeleteEscrowWrap(const MessageId& id,
                                                     const std::string& domain) {
  SP_ASSIGN_OR_RETURN(auto s,
                      db_.Prepare("DELETE FROM escrow_wraps WHERE message_id = ? AND domain = ?"));
  SP_RETURN_IF_ERROR(s.Bind(1, id.str()).Bind(2, domain).Run());
  return db_.Changes();
}

Result<int64_t> SqliteEscrowWriter::DeleteEscrowWrapsOf(const MessageId& id) {
  SP_ASSIGN_OR_RETURN(auto s, db_.Prepare("DELETE FROM escrow_wraps WHERE message_id = ?"));
  SP_RETURN_IF_ERROR(s.Bind(1, id.str()).Run());
  return db_.Changes();
}

}  // namespace sealpost::store::sqlite
