// Messages: uploads waiting to be attached, messages, the mailbox entries that file them for their
// owners, and attachments. Part of the Store (store/store.h).
#pragma once

#include <span>
#include <vector>

#include "core/status.h"
#include "store/records.h"

namespace sealpost::store {

class MessagesReader {
 public:
  virtual ~MessagesReader() = default;

  virtual Result<UploadRecord> GetUpload(const UploadId& id) = 0;
  // Uploads created before `cutoff` (never attached to a message), oldest first.
  virtual Result<std::vector<UploadRecord>> ListUploadsCreatedBefore(TimePoint cutoff,
                                                                     int limit) = 0;
  // Newest first; entries strictly older than `before` when it is given.
  virtual Result<std::vector<MailboxItem>> ListMailbox(const UserId& owner, Folder folder,
                                                       const MailboxCursor* before, int limit) = 0;
  // The owner's entry for a message (inbox before sent) with the message itself.
  virtual Result<MailboxItem> GetMailboxItem(const UserId& owner, const MessageId& id) = 0;
  virtual Result<std::vector<AttachmentRecord>> GetAttachments(const MessageId& id) = 0;
  virtual Result<MessageRecord> GetMessage(const MessageId& id) = 0;
  // Every mailbox entry (inbox and sent, any owner) of a message, by owner.
  virtual Result<std::vector<MailboxEntry>> ListMailboxEntriesOfMessage(const MessageId& id) = 0;
};

class MessagesWriter {
 public:
  virtual ~MessagesWriter() = default;

  virtual Status CreateUpload(const UploadRecord& upload) = 0;
  virtual Status DeleteUpload(const UploadId& id) = 0;
  virtual Status CreateMessage(const MessageRecord& message, std::span<const MailboxEntry> entries,
                               std::span<const AttachmentRecord> attachments) = 0;
  virtual Status MarkRead(const UserId& owner, const MessageId& id) = 0;
  // Files an existing message for one more owner (a guest's message re-sealed to the member the
  // guest became). Conflict when that owner already has it in that folder.
  virtual Status AddMailboxEntry(const MailboxEntry& entry) = 0;
  // Recall of a member copy: the owner's inbox entry, only while unread. NotFound otherwise.
  virtual Status DeleteUnreadInboxEntry(const UserId& owner, const MessageId& id) = 0;
};

}  // namespace sealpost::store
