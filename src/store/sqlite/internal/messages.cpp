#include "store/sqlite/internal/messages.h"

#include "store/sqlite/internal/rows.h"

namespace sealpost::store::sqlite {
namespace {

MailboxItem ReadMailboxItem(const Statement& s) {
  // Columns: owner_id, message_id, folder, sealed_key, unread, created_ms, sender_id,
  // message created_ms, summary, body.
  MailboxItem item;
  item.entry.owner_id = UserId::FromTrusted(s.Text(0));
  item.entry.message_id = MessageId::FromTrusted(s.Text(1));
  item.entry.folder = static_cast<Folder>(s.Int(2));
  item.entry.sealed_key = s.Blob(3);
  item.entry.unread = s.Int(4) != 0;
  item.entry.created_at = FromUnixMillis(s.Int(5));
  item.message.id = item.entry.message_id;
  item.message.sender_id = UserId::FromTrusted(s.Text(6));
  item.message.created_at = FromUnixMillis(s.Int(7));
  item.message.summary = s.Blob(8);
  item.message.body = s.Blob(9);
  return item;
}

constexpr const char* kMailboxSelect =
    "SELECT b.owner_id, b.message_id, b.folder, b.sealed_key, b.unread, b.created_ms, "
    "m.sender_id, m.created_ms, m.summary, m.body FROM mailbox b JOIN messages m ON "
    "m.id = b.message_id ";

}  // namespace

Result<UploadRecord> SqliteMessagesReader::GetUpload(const UploadId& id) {
  return pool_.ReadOne<UploadRecord>(
      std::string("SELECT ") + kUploadColumns + " FROM uploads WHERE id = ?",
      [&](Statement& s) { s.Bind(1, id.str()); }, ReadUpload, "upload");
}

Result<std::vector<UploadRecord>> SqliteMessagesReader::ListUploadsCreatedBefore(TimePoint cutoff,
                                                                                 int limit) {
  return pool_.WithReader<std::vector<UploadRecord>>(
      [&](Connection& db) -> Result<std::vector<UploadRecord>> {
        SP_ASSIGN_OR_RETURN(auto s, db.Prepare(std::string("SELECT ") + kUploadColumns +
                                               " FROM uploads WHERE created_ms < ? "
                                               "ORDER BY created_ms LIMIT ?"));
        s.Bind(1, ToUnixMillis(cutoff)).Bind(2, int64_t{limit});
        std::vector<UploadRecord> out;
        for (;;) {
          SP_ASSIGN_OR_RETURN(const bool row, s.Step());
          if (!row) break;
          out.push_back(ReadUpload(s));
        }
        return out;
      });
}

Result<std::vector<MailboxItem>> SqliteMessagesReader::ListMailbox(const UserId& owner,
                                                                   Folder folder,
                                                                   const MailboxCursor* before,
                                                                   int limit) {
  return pool_.WithReader<std::vector<MailboxItem>>(
      [&](Connection& db) -> Result<std::vector<MailboxItem>> {
        std::string sql = std::string(kMailboxSelect) + "WHERE b.owner_id = ? AND b.folder = ? ";
        if (before) sql += "AND (b.created_ms, b.message_id) < (?, ?) ";
        sql += "ORDER BY b.created_ms DESC, b.message_id DESC LIMIT ?";
        SP_ASSIGN_OR_RETURN(auto s, db.Prepare(sql));
        s.Bind(1, owner.str()).Bind(2, int64_t{static_cast<int>(folder)});
        int next = 3;
        if (before) {
          s.Bind(3, before->created_ms).Bind(4, before->message_id);
          next = 5;
        }
        s.Bind(next, int64_t{limit});
        std::vector<MailboxItem> items;
        for (;;) {
          SP_ASSIGN_OR_RETURN(const bool row, s.Step());
          if (!row) break;
          items.push_back(ReadMailboxItem(s));
        }
        return items;
      });
}

Result<MailboxItem> SqliteMessagesReader::GetMailboxItem(const UserId& owner, const MessageId& id) {
  return pool_.ReadOne<MailboxItem>(
      std::string(kMailboxSelect) +
          "WHERE b.owner_id = ? AND b.message_id = ? "
          "ORDER BY b.folder LIMIT 1",
      [&](Statement& s) { s.Bind(1, owner.str()).Bind(2, id.str()); }, ReadMailboxItem, "message");
}

Result<MessageRecord> SqliteMessagesReader::GetMessage(const MessageId& id) {
  return pool_.ReadOne<MessageRecord>(
      "SELECT id, sender_id, created_ms, summary, body FROM messages WHERE id = ?",
      [&](Statement& s) { s.Bind(1, id.str()); },
      [](const Statement& s) {
        return MessageRecord{MessageId::FromTrusted(s.Text(0)), UserId::FromTrusted(s.Text(1)),
                             FromUnixMillis(s.Int(2)), s.Blob(3), s.Blob(4)};
      },
      "message");
}

Result<std::vector<MailboxEntry>> SqliteMessagesReader::ListMailboxEntriesOfMessage(
    const MessageId& id) {
  return pool_.WithReader<std::vector<MailboxEntry>>(
      [&](Connection& db) -> Result<std::vector<MailboxEntry>> {
        SP_ASSIGN_OR_RETURN(auto s, db.Prepare("SELECT owner_id, message_id, folder, sealed_key, "
                                               "unread, created_ms FROM mailbox WHERE "
                                               "message_id = ? ORDER BY owner_id, folder"));
        s.Bind(1, id.str());
        std::vector<MailboxEntry> out;
        for (;;) {
          SP_ASSIGN_OR_RETURN(const bool row, s.Step());
          if (!row) break;
          out.push_back({UserId::FromTrusted(s.Text(0)), MessageId::FromTrusted(s.Text(1)),
                         static_cast<Folder>(s.Int(2)), s.Blob(3), s.Int(4) != 0,
                         FromUnixMillis(s.Int(5))});
        }
        return out;
      });
}

Result<std::vector<AttachmentRecord>> SqliteMessagesReader::GetAttachments(const MessageId& id) {
  return pool_.WithReader<std::vector<AttachmentRecord>>(
      [&](Connection& db) -> Result<std::vector<AttachmentRecord>> {
        SP_ASSIGN_OR_RETURN(auto s, db.Prepare("SELECT message_id, idx, blob_id, stored_size "
                                               "FROM attachments WHERE message_id = ? "
                                               "ORDER BY idx"));
        s.Bind(1, id.str());
        std::vector<AttachmentRecord> out;
        for (;;) {
          SP_ASSIGN_OR_RETURN(const bool row, s.Step());
          if (!row) break;
          AttachmentRecord a;
          a.message_id = MessageId::FromTrusted(s.Text(0));
          a.index = static_cast<int>(s.Int(1));
          a.blob_id = BlobId::FromTrusted(s.Text(2));
          a.stored_size = static_cast<uint64_t>(s.Int(3));
          out.push_back(std::move(a));
        }
        return out;
      });
}

Status SqliteMessagesWriter::CreateUpload(const UploadRecord& u) {
  SP_ASSIGN_OR_RETURN(auto s, db_.Prepare(std::string("INSERT INTO uploads(") + kUploadColumns +
                                          ") VALUES(?,?,?,?,?,?)"));
  s.Bind(1, u.id.str()).Bind(2, u.owner_id.str()).Bind(3, u.blob_id.str());
  s.Bind(4, ByteView(u.sealed_key)).Bind(5, static_cast<int64_t>(u.size));
  s.Bind(6, ToUnixMillis(u.created_at));
  return s.Run();
}

Status SqliteMessagesWriter::DeleteUpload(const UploadId& id) {
  SP_ASSIGN_OR_RETURN(auto s, db_.Prepare("DELETE FROM uploads WHERE id = ?"));
  SP_RETURN_IF_ERROR(s.Bind(1, id.str()).Run());
  return ExpectOneRow(db_, "upload");
}

Status SqliteMessagesWriter::CreateMessage(const MessageRecord& m,
                                           std::span<const MailboxEntry> entries,
                                           std::span<const AttachmentRecord> attachments) {
  {
    SP_ASSIGN_OR_RETURN(auto s, db_.Prepare("INSERT INTO messages(id, sender_id, created_ms, "
                                            "summary, body) VALUES(?,?,?,?,?)"));
    s.Bind(1, m.id.str()).Bind(2, m.sender_id.str()).Bind(3, ToUnixMillis(m.created_at));
    SP_RETURN_IF_ERROR(s.Bind(4, ByteView(m.summary)).Bind(5, ByteView(m.body)).Run());
  }
  for (const MailboxEntry& e : entries) {
    SP_ASSIGN_OR_RETURN(auto s, db_.Prepare("INSERT INTO mailbox(owner_id, message_id, folder, "
                                            "sealed_key, unread, created_ms) VALUES(?,?,?,?,?,?)"));
    s.Bind(1, e.owner_id.str()).Bind(2, e.message_id.str());
    s.Bind(3, int64_t{static_cast<int>(e.folder)}).Bind(4, ByteView(e.sealed_key));
    s.Bind(5, int64_t{e.unread}).Bind(6, ToUnixMillis(e.created_at));
    SP_RETURN_IF_ERROR(s.Run());
  }
  for (const AttachmentRecord& a : attachments) {
    SP_ASSIGN_OR_RETURN(auto s, db_.Prepare("INSERT INTO attachments(message_id, idx, blob_id, "
                                            "stored_size) VALUES(?,?,?,?)"));
    s.Bind(1, a.message_id.str()).Bind(2, int64_t{a.index}).Bind(3, a.blob_id.str());
    SP_RETURN_IF_ERROR(s.Bind(4, static_cast<int64_t>(a.stored_size)).Run());
  }
  return Status::Ok();
}

Status SqliteMessagesWriter::AddMailboxEntry(const MailboxEntry& e) {
  SP_ASSIGN_OR_RETURN(auto s, db_.Prepare("INSERT INTO mailbox(owner_id, message_id, folder, "
                                          "sealed_key, unread, created_ms) VALUES(?,?,?,?,?,?)"));
  s.Bind(1, e.owner_id.str()).Bind(2, e.message_id.str());
  s.Bind(3, int64_t{static_cast<int>(e.folder)}).Bind(4, ByteView(e.sealed_key));
  s.Bind(5, int64_t{e.unread}).Bind(6, ToUnixMillis(e.created_at));
  return s.Run();
}

Status SqliteMessagesWriter::MarkRead(const UserId& owner, const MessageId& id) {
  SP_ASSIGN_OR_RETURN(auto s, db_.Prepare("UPDATE mailbox SET unread = 0 WHERE owner_id = ? AND "
                                          "message_id = ? AND unread = 1"));
  return s.Bind(1, owner.str()).Bind(2, id.str()).Run();
}

Status SqliteMessagesWriter::DeleteUnreadInboxEntry(const UserId& owner, const MessageId& id) {
  SP_ASSIGN_OR_RETURN(auto s, db_.Prepare("DELETE FROM mailbox WHERE owner_id = ? AND "
                                          "message_id = ? AND folder = 1 AND unread = 1"));
  SP_RETURN_IF_ERROR(s.Bind(1, owner.str()).Bind(2, id.str()).Run());
  return ExpectOneRow(db_, "unread inbox entry");
}

}  // namespace sealpost::store::sqlite
