// Test support: a Store that passes everything to another store, except the writes a test tells
// it to fail (leveldb's ErrorEnv, for the database). Reads always pass through.
//
// Tests use it to show that a failed write is reported and changes nothing: the inner store sees
// no Write call at all for an injected failure, so nothing of the callback is kept.
// Thread-safe.
#pragma once

#include <atomic>
#include <mutex>

#include "store/store.h"

namespace sealpost::store::testing {

class FaultInjectingStore final : public Store {
 public:
  explicit FaultInjectingStore(Store& inner) : inner_(inner) {}

  // From now on, the `count` writes after the next `skip` ones fail with `status` (a negative
  // count: every one). Replaces any earlier instruction.
  void FailWrites(Status status, int count = -1, int skip = 0) {
    std::lock_guard lock(mu_);
    failure_ = std::move(status);
    remaining_ = count;
    skip_ = skip;
  }
  void StopFailing() { FailWrites(Status::Ok(), 0); }
  // Writes that failed by injection so far.
  int injected() const { return injected_.load(); }

  Status Write(const std::function<Status(WriteTxn&)>& fn) override {
    {
      std::lock_guard lock(mu_);
      if (!failure_.ok() && remaining_ != 0) {
        if (skip_ > 0) {
          --skip_;
        } else {
          if (remaining_ > 0) --remaining_;
          ++injected_;
          return failure_;
        }
      }
    }
    return inner_.Write(fn);
  }

  Result<UserRecord> GetUser(const UserId& id) override { return inner_.GetUser(id); }
  Result<UserRecord> GetUserByEmail(const std::string& email) override {
    return inner_.GetUserByEmail(email);
  }
  Result<bool> HasActiveAdmin() override { return inner_.HasActiveAdmin(); }
  Result<std::vector<UserRecord>> ListUsers(const std::string* after_email, int limit) override {
    return inner_.ListUsers(after_email, limit);
  }
  Result<SessionRecord> GetSession(const std::string& lookup) override {
    return inner_.GetSession(lookup);
  }
  Result<SessionWithUser> GetSessionWithUser(const std::string& lookup) override {
    return inner_.GetSessionWithUser(lookup);
  }
  Result<std::vector<SessionRecord>> ListSessionsOfUser(const UserId& user_id, int limit) override {
    return inner_.ListSessionsOfUser(user_id, limit);
  }
  Result<int64_t> GetCounter(const std::string& key, TimePoint now,
                             std::chrono::milliseconds window) override {
    return inner_.GetCounter(key, now, window);
  }
  Result<UploadRecord> GetUpload(const UploadId& id) override { return inner_.GetUpload(id); }
  Result<std::vector<UploadRecord>> ListUploadsCreatedBefore(TimePoint cutoff, int limit) override {
    return inner_.ListUploadsCreatedBefore(cutoff, limit);
  }
  Result<std::vector<MailboxItem>> ListMailbox(const UserId& owner, Folder folder,
                                               const MailboxCursor* before, int limit) override {
    return inner_.ListMailbox(owner, folder, before, limit);
  }
  Result<MailboxItem> GetMailboxItem(const UserId& owner, const MessageId& id) override {
    return inner_.GetMailboxItem(owner, id);
  }
  Result<std::vector<AttachmentRecord>> GetAttachments(const MessageId& id) override {
    return inner_.GetAttachments(id);
  }
  Result<std::vector<AuditEntry>> ReadAudit(int64_t from_seq, int limit) override {
    return inner_.ReadAudit(from_seq, limit);
  }
  Result<std::vector<AuditEntry>> ReadAuditBefore(int64_t before_seq, int limit) override {
    return inner_.ReadAuditBefore(before_seq, limit);
  }
  Result<std::vector<AuditCheckpoint>> ReadAuditCheckpoints() override {
    return inner_.ReadAuditCheckpoints();
  }
  Result<PlatformKeyRecord> GetPlatformKey(const std::string& name) override {
    return inner_.GetPlatformKey(name);
  }
  Result<MessageRecord> GetMessage(const MessageId& id) override { return inner_.GetMessage(id); }
  Result<TokenRecord> GetToken(const std::string& lookup, TokenPurpose purpose,
                               TimePoint now) override {
    return inner_.GetToken(lookup, purpose, now);
  }
  Result<GuestAddressRecord> GetGuestAddress(const std::string& email) override {
    return inner_.GetGuestAddress(email);
  }
  Result<PickupRecord> GetPickup(const std::string& lookup) override {
    return inner_.GetPickup(lookup);
  }
  Result<std::vector<PickupRecord>> ListPickupsOfMessage(const MessageId& id) override {
    return inner_.ListPickupsOfMessage(id);
  }
  Result<std::vector<PickupRecord>> ListPickupsOfAddress(const std::string& email,
                                                         int limit) override {
    return inner_.ListPickupsOfAddress(email, limit);
  }
  Result<std::vector<PickupRecord>> ListClaimablePickupsOfSender(const UserId& sender,
                                                                 int limit) override {
    return inner_.ListClaimablePickupsOfSender(sender, limit);
  }
  Result<std::vector<PickupRecord>> ListStaleSharesOfSender(const UserId& sender,
                                                            int limit) override {
    return inner_.ListStaleSharesOfSender(sender, limit);
  }
  Result<std::vector<PickupRecord>> ListExpiredPickups(TimePoint now, int limit) override {
    return inner_.ListExpiredPickups(now, limit);
  }
  Result<std::vector<MailboxEntry>> ListMailboxEntriesOfMessage(const MessageId& id) override {
    return inner_.ListMailboxEntriesOfMessage(id);
  }
  Result<std::vector<OutboundMailRecord>> ListQueuedMail(int limit) override {
    return inner_.ListQueuedMail(limit);
  }

 private:
  Store& inner_;
  std::mutex mu_;
  Status failure_;
  int remaining_ = 0;
  int skip_ = 0;
  std::atomic<int> injected_{0};
};

}  // namespace sealpost::store::testing
