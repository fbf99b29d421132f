// The messages domain (store/messages_store.h: uploads, messages, mailbox entries and attachments)
// on SQLite.
#pragma once

#include "store/messages_store.h"
#include "store/sqlite/internal/connection.h"
#include "store/sqlite/internal/reader_pool.h"

namespace sealpost::store::sqlite {

class SqliteMessagesReader final : public MessagesReader {
 public:
  explicit SqliteMessagesReader(ReaderPool& pool) : pool_(pool) {}

  Result<UploadRecord> GetUpload(const UploadId& id) override;
  Result<std::vector<UploadRecord>> ListUploadsCreatedBefore(TimePoint cutoff, int limit) override;
  Result<std::vector<MailboxItem>> ListMailbox(const UserId& owner, Folder folder,
                                               const MailboxCursor* before, int limit) override;
  Result<MailboxItem> GetMailboxItem(const UserId& owner, const MessageId& id) override;
  Result<std::vector<AttachmentRecord>> GetAttachments(const MessageId& id) override;
  Result<MessageRecord> GetMessage(const MessageId& id) override;
  Result<std::vector<MailboxEntry>> ListMailboxEntriesOfMessage(const MessageId& id) override;

 private:
  ReaderPool& pool_;
};

// Over the writer connection; used only by the writer thread inside a transaction.
class SqliteMessagesWriter final : public MessagesWriter {
 public:
  explicit SqliteMessagesWriter(Connection& db) : db_(db) {}

  Status CreateUpload(const UploadRecord& upload) override;
  Status DeleteUpload(const UploadId& id) override;
  Status CreateMessage(const MessageRecord& message, std::span<const MailboxEntry> entries,
                       std::span<const AttachmentRecord> attachments) override;
  Status MarkRead(const UserId& owner, const MessageId& id) override;
  Status AddMailboxEntry(const MailboxEntry& entry) override;
  Status DeleteUnreadInboxEntry(const UserId& owner, const MessageId& id) override;

 private:
  Connection& db_;
};

}  // namespace sealpost::store::sqlite
