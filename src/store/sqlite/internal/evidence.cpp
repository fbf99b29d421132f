#include "store/sqlite/internal/evidence.h"

namespace sealpost::store::sqlite {
namespace {

constexpr const char* kReceiptColumns =
    "id, message_id, recipient, event, log_index, created_ms, der";

ReceiptRecord ReceiptRow(const Statement& s) {
  return {s.Text(0), MessageId::FromTrusted(s.Text(1)), s.Text(2),
          s.Text(3), static_cast<uint64_t>(s.Int(4)),   FromUnixMillis(s.Int(5)),
          s.Blob(6)};
}

}  // namespace

Result<MessageEvidenceRecord> SqliteEvidenceReader::GetMessageEvidence(const MessageId& id) {
  return pool_.ReadOne<MessageEvidenceRecord>(
      "SELECT message_id, sender, sealed_digest, created_ms FROM message_evidence "
      "WHERE message_id = ?",
      [&](Statement& s) { s.Bind(1, id.str()); },
      [](const Statement& s) {
        return MessageEvidenceRecord{MessageId::FromTrusted(s.Text(0)), s.Text(1), s.Text(2),
                                     FromUnixMillis(s.Int(3))};
      },
      "message evidence");
}

Result<std::vector<ReceiptRecord>> SqliteEvidenceReader::ListReceipts(const MessageId& id) {
  return pool_.WithReader<std::vector<ReceiptRecord>>(
      [&](Connection& db) -> Result<std::vector<ReceiptRecord>> {
        SP_ASSIGN_OR_RETURN(auto s, db.Prepare(std::string("SELECT ") + kReceiptColumns +
                                               " FROM receipts WHERE message_id = ? "
                                               "ORDER BY log_index, id"));
        s.Bind(1, id.str());
        std::vector<ReceiptRecord> out;
        for (;;) {
          SP_ASSIGN_OR_RETURN(const bool row, s.Step());
          if (!row) break;
          out.push_back(ReceiptRow(s));
        }
        return out;
      });
}

Result<ReceiptRecord> SqliteEvidenceReader::GetReceipt(const MessageId& message_id,
                                                       const std::string& id) {
  return pool_.ReadOne<ReceiptRecord>(
      std::string("SELECT ") + kReceiptColumns + " FROM receipts WHERE id = ? AND message_id = ?",
      [&](Statement& s) { s.Bind(1, id).Bind(2, message_id.str()); }, ReceiptRow, "receipt");
}

Result<uint64_t> SqliteEvidenceReader::GetReceiptCursor() {
  return pool_.WithReader<uint64_t>([&](Connection& db) -> Result<uint64_t> {
    SP_ASSIGN_OR_RETURN(auto s, db.Prepare("SELECT next_index FROM receipt_cursor WHERE one = 1"));
    SP_ASSIGN_OR_RETURN(const bool row, s.Step());
    return row ? static_cast<uint64_t>(s.Int(0)) : uint64_t{0};
  });
}

Status SqliteEvidenceWriter::PutMessageEvidence(const MessageEvidenceRecord& r) {
  SP_ASSIGN_OR_RETURN(auto s, db_.Prepare("INSERT INTO message_evidence(message_id, sender, "
                                          "sealed_digest, created_ms) VALUES(?,?,?,?)"));
  return s.Bind(1, r.message_id.str())
      .Bind(2, r.sender)
      .Bind(3, r.sealed_digest_hex)
      .Bind(4, ToUnixMillis(r.created_at))
      .Run();
}

Status SqliteEvidenceWriter::AddReceipt(const ReceiptRecord& r) {
  SP_ASSIGN_OR_RETURN(auto s, db_.Prepare(std::string("INSERT INTO receipts(") + kReceiptColumns +
                                          ") VALUES(?,?,?,?,?,?,?) ON CONFLICT(id) DO NOTHING"));
  return s.Bind(1, r.id)
      .Bind(2, r.message_id.str())
      .Bind(3, r.recipient)
      .Bind(4, r.event)
      .Bind(5, static_cast<int64_t>(r.log_index))
      .Bind(6, ToUnixMillis(r.created_at))
      .Bind(7, ByteView(r.der))
      .Run();
}

Status SqliteEvidenceWriter::AdvanceReceiptCursor(uint64_t next_index) {
  SP_ASSIGN_OR_RETURN(auto s, db_.Prepare("INSERT INTO receipt_cursor(one, next_index) "
                                          "VALUES(1, ?1) ON CONFLICT(one) DO UPDATE SET "
                                          "next_index = max(next_index, ?1)"));
  return s.Bind(1, static_cast<int64_t>(next_index)).Run();
}

}  // namespace sealpost::store::sqlite
