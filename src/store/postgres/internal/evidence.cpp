#include "store/postgres/internal/evidence.h"

#include <string>

namespace sealpost::store::postgres {
namespace {

// The statements of this domain are its own (not in the shared catalogue): plain parameterised
// statements, few and cheap enough not to need preparing.
const std::string kReceiptColumns = "id, message_id, recipient, event, log_index, created_ms, der";

ReceiptRecord ReceiptRow(const pqxx::row& r) {
  return {r[0].as<std::string>(),
          MessageId::FromTrusted(r[1].as<std::string>()),
          r[2].as<std::string>(),
          r[3].as<std::string>(),
          static_cast<uint64_t>(r[4].as<int64_t>()),
          FromUnixMillis(r[5].as<int64_t>()),
          ReadBytes(r[6])};
}

}  // namespace

Result<MessageEvidenceRecord> PgEvidenceReader::GetMessageEvidence(const MessageId& id) {
  return reader_.Read<MessageEvidenceRecord>(
      [&](pqxx::transaction_base& tx) -> Result<MessageEvidenceRecord> {
        const auto r = tx.exec_params(
            "SELECT message_id, sender, sealed_digest, created_ms FROM message_evidence "
            "WHERE message_id = $1",
            id.str());
        if (r.empty()) return NotFound("message evidence not found");
        return MessageEvidenceRecord{MessageId::FromTrusted(r[0][0].as<std::string>()),
                                     r[0][1].as<std::string>(), r[0][2].as<std::string>(),
                                     FromUnixMillis(r[0][3].as<int64_t>())};
      });
}

Result<std::vector<ReceiptRecord>> PgEvidenceReader::ListReceipts(const MessageId& id) {
  return reader_.Read<std::vector<ReceiptRecord>>([&](pqxx::transaction_base& tx) {
    const auto r = tx.exec_params(
        "SELECT " + kReceiptColumns + " FROM receipts WHERE message_id = $1 ORDER BY log_index, id",
        id.str());
    std::vector<ReceiptRecord> out;
    out.reserve(r.size());
    for (const auto& row : r) out.push_back(ReceiptRow(row));
    return out;
  });
}

Result<ReceiptRecord> PgEvidenceReader::GetReceipt(const MessageId& message_id,
                                                   const std::string& id) {
  return reader_.Read<ReceiptRecord>([&](pqxx::transaction_base& tx) -> Result<ReceiptRecord> {
    const auto r = tx.exec_params(
        "SELECT " + kReceiptColumns + " FROM receipts WHERE id = $1 AND message_id = $2", id,
        message_id.str());
    if (r.empty()) return NotFound("receipt not found");
    return ReceiptRow(r[0]);
  });
}

Result<uint64_t> PgEvidenceReader::GetReceiptCursor() {
  return reader_.Read<uint64_t>([&](pqxx::transaction_base& tx) {
    const auto r = tx.exec("SELECT next_index FROM receipt_cursor WHERE one = 1");
    return r.empty() ? uint64_t{0} : static_cast<uint64_t>(r[0][0].as<int64_t>());
  });
}

Status PgEvidenceWriter::PutMessageEvidence(const MessageEvidenceRecord& r) {
  return txn_.GuardStatus([&] {
    return ExpectInserted(
        tx_.exec_params("INSERT INTO message_evidence(message_id, sender, sealed_digest, "
                        "created_ms) VALUES($1,$2,$3,$4) ON CONFLICT DO NOTHING",
                        r.message_id.str(), r.sender, r.sealed_digest_hex,
                        ToUnixMillis(r.created_at)),
        "message evidence");
  });
}

Status PgEvidenceWriter::AddReceipt(const ReceiptRecord& r) {
  return txn_.GuardStatus([&] {
    tx_.exec_params("INSERT INTO receipts(" + kReceiptColumns +
                        ") VALUES($1,$2,$3,$4,$5,$6,$7) ON CONFLICT(id) DO NOTHING",
                    r.id, r.message_id.str(), r.recipient, r.event,
                    static_cast<int64_t>(r.log_index), ToUnixMillis(r.created_at), Bin(r.der));
    return Status::Ok();
  });
}

Status PgEvidenceWriter::AdvanceReceiptCursor(uint64_t next_index) {
  return txn_.GuardStatus([&] {
    tx_.exec_params(
        "INSERT INTO receipt_cursor(one, next_index) VALUES(1, $1) ON CONFLICT(one) DO UPDATE "
        "SET next_index = GREATEST(receipt_cursor.next_index, EXCLUDED.next_index)",
        static_cast<int64_t>(next_index));
    return Status::Ok();
  });
}

}  // namespace sealpost::store::postgres
