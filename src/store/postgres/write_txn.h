// WriteTxn over one pqxx transaction. Every method catches libpqxx's exceptions: the first error
// is remembered (failure()), because PostgreSQL refuses further statements in an aborted
// transaction and Write must roll back and report it even if the callback ignores it.
#pragma once

#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "store/store.h"

namespace sealpost::store::postgres {

// The batch's end of the audit chain. The batch reads the newest entry right after taking the
// database-wide write lock; from then on only the batch's own appends move it, so it is kept here
// rather than queried per append. Appends are computed here and written together, by one
// statement sent with the batch's COMMIT (InsertStatement): no round trip of their own.
class AuditTail {
 public:
  AuditTail(int64_t seq, Bytes hash) : seq_(seq), hash_(std::move(hash)) {}

  AuditEntry Append(const AuditEvent& event);

  // Where a callback starts, so that rolling the callback back can drop its appends.
  size_t Mark() const { return appended_.size(); }
  void RollBackTo(size_t mark);

  // The SQL text (values escaped for `tx`'s connection) that inserts the appended entries, ending
  // in ';'; empty when there are none.
  std::string InsertStatement(pqxx::transaction_base& tx) const;

 private:
  int64_t seq_;
  Bytes hash_;
  std::vector<AuditEntry> appended_;
};

class PgWriteTxn final : public WriteTxn {
 public:
  // `tx` has taken the write lock (PostgresStore's batch); `audit` is the batch's.
  PgWriteTxn(pqxx::transaction_base& tx, AuditTail& audit) : tx_(tx), audit_(audit) {}

  const Status& failure() const { return failure_; }
  bool retryable() const { return retryable_; }

  Status CreateUser(const UserRecord& user) override;
  Status DeleteUser(const UserId& id) override;
  Status ActivateUser(const UserId& id, ByteView recovery_salt, ByteView umk_by_recovery) override;
  Status SetPasswordSlot(const UserId& id, ByteView salt, uint64_t ops, uint64_t mem,
                         ByteView umk_by_password, ByteView expected) override;
  Status SetRecoverySlot(const UserId& id, ByteView salt, ByteView umk_by_recovery,
                         ByteView expected) override;
  Status SetUserDisabled(const UserId& id, bool disabled) override;
  Status SetTotp(const UserId& id, ByteView totp_secret, bool enabled) override;
  Status ConsumeTotpStep(const UserId& id, int64_t step) override;
  Status CreateSession(const SessionRecord& session) override;
  Status UpdateSession(const SessionRecord& session) override;
  Status DeleteSession(const std::string& lookup) override;
  Status DeleteSessionsOfUser(const UserId& user_id) override;
  Status DeleteOtherSessionsOfUser(const UserId& user_id, const std::string& keep_lookup) override;
  Status DeleteSessionByPublicId(const UserId& user_id, const std::string& public_id) override;
  Status DeleteExpiredSessions(TimePoint now) override;
  Status CreateToken(const TokenRecord& token) override;
  Result<TokenRecord> ConsumeToken(const std::string& lookup, TokenPurpose purpose,
                                   TimePoint now) override;
  Status DeleteTokensOfUser(const UserId& user_id, TokenPurpose purpose) override;
  Status CreateUpload(const UploadRecord& upload) override;
  Status DeleteUpload(const UploadId& id) override;
  Status CreateMessage(const MessageRecord& message, std::span<const MailboxEntry> entries,
                       std::span<const AttachmentRecord> attachments) override;
  Status MarkRead(const UserId& owner, const MessageId& id) override;
  Result<int64_t> BumpCounter(const std::string& key, TimePoint now,
                              std::chrono::milliseconds window) override;
  Status ResetCounter(const std::string& key) override;
  Result<AuditEntry> AppendAudit(const AuditEvent& event) override;
  Status AddAuditCheckpoint(const AuditCheckpoint& checkpoint) override;
  Status PutPlatformKey(const PlatformKeyRecord& key) override;
  Status PutGuestAddress(const GuestAddressRecord& guest) override;
  Status DeleteGuestAddress(const std::string& email) override;
  Status AddMailboxEntry(const MailboxEntry& entry) override;
  Result<int64_t> ReserveMucAttempt(const std::string& email, int64_t limit,
                                    TimePoint now) override;
  Status ResetMucFailures(const std::string& email) override;
  Status CreatePickup(const PickupRecord& pickup) override;
  Status SetPickupState(const std::string& lookup, PickupState state) override;
  Status MarkPickupOpened(const std::string& lookup, TimePoint now) override;
  Status SetPickupReplied(const std::string& lookup, TimePoint at) override;
  Status SetPickupNotified(const std::string& lookup, TimePoint at) override;
  Status SetPickupNotifyFailed(const std::string& lookup, TimePoint at) override;
  Status RevokePendingPickup(const std::string& lookup) override;
  Status ExpirePickup(const std::string& lookup, TimePoint now) override;
  Status ResealPickupShare(const std::string& lookup, ByteView sealed_share,
                           ByteView share_key) override;
  Result<int64_t> DeleteExpiredTokens(TokenPurpose purpose, TimePoint now) override;
  Status DeleteUnreadInboxEntry(const UserId& owner, const MessageId& id) override;
  Status EnqueueMail(const OutboundMailRecord& mail) override;
  Result<std::vector<OutboundMailRecord>> ClaimDueMail(TimePoint now, TimePoint lease_until,
                                                       int limit) override;
  Status RescheduleMail(const MailJobId& id, TimePoint next_attempt_at, int attempts,
                        const std::string& last_error) override;
  Status DeleteMail(const MailJobId& id) override;
  Status DeleteMailOfPickup(const std::string& pickup_lookup) override;

 private:
  // Runs `fn` (which may throw), turning an exception into the remembered failure.
  template <typename Fn>
  Status GuardStatus(Fn&& fn);
  template <typename T, typename Fn>
  Result<T> Guard(Fn&& fn);

  pqxx::transaction_base& tx_;
  AuditTail& audit_;
  Status failure_;
  bool retryable_ = false;
};

}  // namespace sealpost::store::postgres
