#include "store/postgres/internal/messages.h"

#include "store/postgres/internal/statements.h"

namespace sealpost::store::postgres {

Result<UploadRecord> PgMessagesReader::GetUpload(const UploadId& id) {
  return reader_.ReadOne<UploadRecord>("get_upload", ReadUpload, "upload", id.str());
}

Result<std::vector<UploadRecord>> PgMessagesReader::ListUploadsCreatedBefore(TimePoint cutoff,
                                                                             int limit) {
  return reader_.ReadAll<UploadRecord>(ReadUpload, "list_uploads_before", ToUnixMillis(cutoff),
                                       limit);
}

Result<std::vector<MailboxItem>> PgMessagesReader::ListMailbox(const UserId& owner, Folder folder,
                                                               const MailboxCursor* before,
                                                               int limit) {
  if (before) {
    return reader_.ReadAll<MailboxItem>(ReadMailboxItem, "list_mailbox_before", owner.str(),
                                        static_cast<int>(folder), before->created_ms,
                                        before->message_id, limit);
  }
  return reader_.ReadAll<MailboxItem>(ReadMailboxItem, "list_mailbox", owner.str(),
                                      static_cast<int>(folder), limit);
}

Result<MailboxItem> PgMessagesReader::GetMailboxItem(const UserId& owner, const MessageId& id) {
  return reader_.ReadOne<MailboxItem>("get_mailbox_item", ReadMailboxItem, "message", owner.str(),
                                      id.str());
}

Result<MessageRecord> PgMessagesReader::GetMessage(const MessageId& id) {
  return reader_.ReadOne<MessageRecord>("get_message", ReadMessage, "message", id.str());
}

Result<std::vector<MailboxEntry>> PgMessagesReader::ListMailboxEntriesOfMessage(
    const MessageId& id) {
  return reader_.ReadAll<MailboxEntry>(ReadMailboxEntry, "list_mailbox_entries_of_message",
                                       id.str());
}

Result<std::vector<AttachmentRecord>> PgMessagesReader::GetAttachments(const MessageId& id) {
  return reader_.ReadAll<AttachmentRecord>(
      [](const pqxx::row& r) {
        AttachmentRecord a;
        a.message_id = MessageId::FromTrusted(r[0].as<std::string>());
        a.index = r[1].as<int>();
        a.blob_id = BlobId::FromTrusted(r[2].as<std::string>());
        a.stored_size = static_cast<uint64_t>(r[3].as<int64_t>());
        return a;
      },
      "get_attachments", id.str());
}

Status PgMessagesWriter::CreateUpload(const UploadRecord& u) {
  return txn_.GuardStatus([&] {
    return ExpectInserted(
        tx_.exec_prepared("create_upload", u.id.str(), u.owner_id.str(), u.blob_id.str(),
                          Bin(u.sealed_key), static_cast<int64_t>(u.size),
                          ToUnixMillis(u.created_at)),
        "upload");
  });
}

Status PgMessagesWriter::DeleteUpload(const UploadId& id) {
  return txn_.GuardStatus(
      [&] { return ExpectOneRow(tx_.exec_prepared("delete_upload", id.str()), "upload"); });
}

Status PgMessagesWriter::CreateMessage(const MessageRecord& m,
                                       std::span<const MailboxEntry> entries,
                                       std::span<const AttachmentRecord> attachments) {
  ArrayLiteral owners, folders, keys, unread, created;
  for (const MailboxEntry& e : entries) {
    if (e.message_id != m.id) return InvalidArgument("mailbox entry of another message");
    owners.Add(e.owner_id.str());
    folders.Add(std::to_string(static_cast<int>(e.folder)));
    keys.Add(HexEncode(e.sealed_key));
    unread.Add(e.unread ? "t" : "f");
    created.Add(std::to_string(ToUnixMillis(e.created_at)));
  }
  ArrayLiteral indexes, blobs, sizes;
  for (const AttachmentRecord& a : attachments) {
    if (a.message_id != m.id) return InvalidArgument("attachment of another message");
    indexes.Add(std::to_string(a.index));
    blobs.Add(a.blob_id.str());
    sizes.Add(std::to_string(a.stored_size));
  }
  return txn_.GuardStatus([&]() -> Status {
    const auto r = tx_.exec_prepared("create_message", m.id.str(), m.sender_id.str(),
                                     ToUnixMillis(m.created_at), Bin(m.summary), Bin(m.body),
                                     owners.str(), folders.str(), keys.str(), unread.str(),
                                     created.str(), indexes.str(), blobs.str(), sizes.str());
    if (r[0][0].as<int64_t>() == 0) return Conflict("message already exists");
    if (r[0][1].as<size_t>() != entries.size()) return Conflict("mailbox entry already exists");
    if (r[0][2].as<size_t>() != attachments.size()) return Conflict("attachment already exists");
    return Status::Ok();
  });
}

Status PgMessagesWriter::AddMailboxEntry(const MailboxEntry& e) {
  return txn_.GuardStatus([&]() -> Status {
    return ExpectInserted(
        tx_.exec_prepared("create_mailbox_entry", e.owner_id.str(), e.message_id.str(),
                          static_cast<int>(e.folder), Bin(e.sealed_key), e.unread,
                          ToUnixMillis(e.created_at)),
        "mailbox entry");
  });
}

Status PgMessagesWriter::MarkRead(const UserId& owner, const MessageId& id) {
  return txn_.GuardStatus([&] {
    tx_.exec_prepared("mark_read", owner.str(), id.str());
    return Status::Ok();
  });
}

Status PgMessagesWriter::DeleteUnreadInboxEntry(const UserId& owner, const MessageId& id) {
  return txn_.GuardStatus([&] {
    return ExpectOneRow(tx_.exec_prepared("delete_unread_inbox_entry", owner.str(), id.str()),
                        "unread inbox entry");
  });
}

}  // namespace sealpost::store::postgres
