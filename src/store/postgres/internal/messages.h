// The messages domain (store/messages_store.h: uploads, messages, mailbox entries and attachments)
// on PostgreSQL.
#pragma once

#include "store/messages_store.h"
#include "store/postgres/internal/reader.h"
#include "store/postgres/internal/txn.h"

namespace sealpost::store::postgres {

class PgMessagesReader final : public MessagesReader {
 public:
  explicit PgMessagesReader(Reader& reader) : reader_(reader) {}

  Result<UploadRecord> GetUpload(const UploadId& id) override;
  Result<std::vector<UploadRecord>> ListUploadsCreatedBefore(TimePoint cutoff, int limit) override;
  Result<std::vector<MailboxItem>> ListMailbox(const UserId& owner, Folder folder,
                                               const MailboxCursor* before, int limit) override;
  Result<MailboxItem> GetMailboxItem(const UserId& owner, const MessageId& id) override;
  Result<std::vector<AttachmentRecord>> GetAttachments(const MessageId& id) override;
  Result<MessageRecord> GetMessage(const MessageId& id) override;
  Result<std::vector<MailboxEntry>> ListMailboxEntriesOfMessage(const MessageId& id) override;

 private:
  Reader& reader_;
};

// On the batch's transaction (PgTxn: the first error sticks).
class PgMessagesWriter final : public MessagesWriter {
 public:
  explicit PgMessagesWriter(PgTxn& txn) : txn_(txn), tx_(txn.tx()) {}

  Status CreateUpload(const UploadRecord& upload) override;
  Status DeleteUpload(const UploadId& id) override;
  Status CreateMessage(const MessageRecord& message, std::span<const MailboxEntry> entries,
                       std::span<const AttachmentRecord> attachments) override;
  Status MarkRead(const UserId& owner, const MessageId& id) override;
  Status AddMailboxEntry(const MailboxEntry& entry) override;
  Status DeleteUnreadInboxEntry(const UserId& owner, const MessageId& id) override;

 private:
  PgTxn& txn_;
  pqxx::transaction_base& tx_;
};

}  // namespace sealpost::store::postgres
