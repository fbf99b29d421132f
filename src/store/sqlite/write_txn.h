// WriteTxn over the writer connection; used only by the writer thread inside a transaction.
#pragma once

#include "store/sqlite/connection.h"
#include "store/store.h"

namespace sealpost::store::sqlite {

class SqliteWriteTxn final : public WriteTxn {
 public:
  explicit SqliteWriteTxn(Connection& db) : db_(db) {}

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
  Status ExpectOneRow(const char* what);
  Connection& db_;
};

}  // namespace sealpost::store::sqlite
