#include "store/postgres/internal/escrow.h"

#include <optional>
#include <string>

namespace sealpost::store::postgres {
namespace {

constexpr const char* kSelectKey = "SELECT domain, public_key, set_by, set_ms FROM escrow_keys";
constexpr const char* kWrapColumns = "w.message_id, w.domain, w.sealed_key, w.created_ms";

EscrowKeyRecord ReadKey(const pqxx::row& r) {
  return {r[0].as<std::string>(), ReadBytes(r[1]), r[2].as<std::string>(),
          FromUnixMillis(r[3].as<int64_t>())};
}

EscrowWrapRecord ReadWrap(const pqxx::row& r) {
  return {MessageId::FromTrusted(r[0].as<std::string>()), r[1].as<std::string>(), ReadBytes(r[2]),
          FromUnixMillis(r[3].as<int64_t>())};
}

std::vector<EscrowWrapRecord> ReadWraps(const pqxx::result& r) {
  std::vector<EscrowWrapRecord> out;
  out.reserve(r.size());
  for (const auto& row : r) out.push_back(ReadWrap(row));
  return out;
}

std::optional<int64_t> MillisOf(const std::optional<TimePoint>& t) {
  if (!t) return std::nullopt;
  return ToUnixMillis(*t);
}

}  // namespace

Result<EscrowKeyRecord> PgEscrowReader::GetEscrowKey(const std::string& domain) {
  return reader_.Read<EscrowKeyRecord>([&](pqxx::transaction_base& tx) -> Result<EscrowKeyRecord> {
    const auto r = tx.exec_params(std::string(kSelectKey) + " WHERE domain = $1", domain);
    if (r.empty()) return NotFound("escrow key not found");
    return ReadKey(r[0]);
  });
}

Result<std::vector<EscrowKeyRecord>> PgEscrowReader::ListEscrowKeys() {
  return reader_.Read<std::vector<EscrowKeyRecord>>([&](pqxx::transaction_base& tx) {
    // COLLATE "C": byte order, as SQLite sorts.
    const auto r = tx.exec(std::string(kSelectKey) + " ORDER BY domain COLLATE \"C\"");
    std::vector<EscrowKeyRecord> out;
    out.reserve(r.size());
    for (const auto& row : r) out.push_back(ReadKey(row));
    return out;
  });
}

Result<std::vector<EscrowWrapRecord>> PgEscrowReader::ListEscrowWraps(const EscrowWrapQuery& q) {
  return reader_.Read<std::vector<EscrowWrapRecord>>([&](pqxx::transaction_base& tx) {
    const std::optional<std::string> member =
        q.member ? std::optional<std::string>(q.member->str()) : std::nullopt;
    const std::optional<std::string> after =
        q.after ? std::optional<std::string>(q.after->str()) : std::nullopt;
    return ReadWraps(tx.exec_params(
        std::string("SELECT ") + kWrapColumns +
            " FROM escrow_wraps w JOIN messages m ON m.id = w.message_id"
            " WHERE w.domain = $1"
            " AND ($2::BIGINT IS NULL OR m.created_ms >= $2::BIGINT)"
            " AND ($3::BIGINT IS NULL OR m.created_ms < $3::BIGINT)"
            " AND ($4::TEXT IS NULL OR m.sender_id = $4::TEXT OR EXISTS (SELECT 1 FROM mailbox b"
            "      WHERE b.message_id = w.message_id AND b.owner_id = $4::TEXT))"
            " AND ($5::TEXT IS NULL OR w.message_id > $5::TEXT COLLATE \"C\")"
            " ORDER BY w.message_id COLLATE \"C\" LIMIT $6",
        q.domain, MillisOf(q.from), MillisOf(q.to), member, after, static_cast<int64_t>(q.limit)));
  });
}

Result<std::vector<EscrowWrapRecord>> PgEscrowReader::ListEscrowWrapsOfMessage(
    const MessageId& id) {
  return reader_.Read<std::vector<EscrowWrapRecord>>([&](pqxx::transaction_base& tx) {
    return ReadWraps(tx.exec_params(std::string("SELECT ") + kWrapColumns +
                                        " FROM escrow_wraps w WHERE w.message_id = $1"
                                        " ORDER BY w.domain COLLATE \"C\"",
                                    id.str()));
  });
}

Result<int64_t> PgEscrowReader::CountEscrowWraps() {
  return reader_.Read<int64_t>([&](pqxx::transaction_base& tx) {
    return tx.exec("SELECT count(*) FROM escrow_wraps")[0][0].as<int64_t>();
  });
}

Status PgEscrowWriter::PutEscrowKey(const EscrowKeyRecord& k) {
  return txn_.GuardStatus([&] {
    tx_.exec_params(
        "INSERT INTO escrow_keys(domain, public_key, set_by, set_ms) VALUES($1, $2, $3, $4) "
        "ON CONFLICT (domain) DO UPDATE SET public_key = EXCLUDED.public_key, "
        "set_by = EXCLUDED.set_by, set_ms = EXCLUDED.set_ms",
        k.domain, Bin(k.public_key), k.set_by, ToUnixMillis(k.set_at));
    return Status::Ok();
  });
}

Status PgEscrowWriter::DeleteEscrowKey(const std::string& domain) {
  return txn_.GuardStatus([&] {
    return ExpectOneRow(tx_.exec_params("DELETE FROM escrow_keys WHERE domain = $1", domain),
                        "escrow key");
  });
}

Status PgEscrowWriter::PutEscrowWrap(const EscrowWrapRecord& w) {
  return txn_.GuardStatus([&] {
    return ExpectInserted(
        tx_.exec_params("INSERT INTO escrow_wraps(message_id, domain, sealed_key, created_ms) "
                        "VALUES($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                        w.message_id.str(), w.domain, Bin(w.sealed_key),
                        ToUnixMillis(w.created_at)),
        "escrow wrap");
  });
}

Result<int64_t> PgEscrowWriter::DeleteEscrowWrap(const MessageId& id, const std::string& domain) {
  return txn_.Guard<int64_t>([&]() -> Result<int64_t> {
    return static_cast<int64_t>(
        tx_.exec_params("DELETE FROM escrow_wraps WHERE message_id = $1 AND domain = $2", id.str(),
                        domain)
            .affected_rows());
  });
}

Result<int64_t> PgEscrowWriter::DeleteEscrowWrapsOf(const MessageId& id) {
  return txn_.Guard<int64_t>([&]() -> Result<int64_t> {
    return static_cast<int64_t>(
        tx_.exec_params("DELETE FROM escrow_wraps WHERE message_id = $1", id.str())
            .affected_rows());
  });
}

}  // namespace sealpost::store::postgres
