// The storage interface. Two implementations: store/sqlite (embedded default) and store/postgres
// (several processes sharing one database; docs/postgres.md). No SQL outside store/
// (tests/layering checks it).
//
// Writes happen only inside Store::Write: the callback runs in one transaction, on a writer
// thread, together with other writers' callbacks (group commit: one fsync for many). When Write
// returns OK the change is durable. A callback must be quick and do no I/O of its own — prepare
// ciphertexts before calling Write. If the callback returns an error, none of its changes stay.
//
// Thread-safe: any thread may call any method.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"
#include "store/records.h"

namespace sealpost::store {

class WriteTxn {
 public:
  virtual ~WriteTxn() = default;

  // Users. CreateUser fails with Conflict when the address is taken.
  virtual Status CreateUser(const UserRecord& user) = 0;
  virtual Status DeleteUser(const UserId& id) = 0;
  virtual Status ActivateUser(const UserId& id, ByteView recovery_salt,
                              ByteView umk_by_recovery) = 0;
  // Replace a key slot (keys/member_keys.h) only while it still holds `expected` (the slot the
  // caller unwrapped): Conflict when another change came first or the user is gone.
  virtual Status SetPasswordSlot(const UserId& id, ByteView salt, uint64_t ops, uint64_t mem,
                                 ByteView umk_by_password, ByteView expected) = 0;
  virtual Status SetRecoverySlot(const UserId& id, ByteView salt, ByteView umk_by_recovery,
                                 ByteView expected) = 0;
  // NotFound when no such user.
  virtual Status SetUserDisabled(const UserId& id, bool disabled) = 0;
  virtual Status SetTotp(const UserId& id, ByteView totp_secret, bool enabled) = 0;
  // Records `step` as used; Conflict when a step at or after it was already accepted.
  virtual Status ConsumeTotpStep(const UserId& id, int64_t step) = 0;

  virtual Status CreateSession(const SessionRecord& session) = 0;
  virtual Status UpdateSession(const SessionRecord& session) = 0;
  virtual Status DeleteSession(const std::string& lookup) = 0;
  virtual Status DeleteSessionsOfUser(const UserId& user_id) = 0;
  // Every session of the user except the one with lookup `keep_lookup`.
  virtual Status DeleteOtherSessionsOfUser(const UserId& user_id,
                                           const std::string& keep_lookup) = 0;
  // NotFound when the user has no session with that public id.
  virtual Status DeleteSessionByPublicId(const UserId& user_id, const std::string& public_id) = 0;
  virtual Status DeleteExpiredSessions(TimePoint now) = 0;

  virtual Status CreateToken(const TokenRecord& token) = 0;
  // Removes and returns a token; NotFound when missing, of another purpose, or expired.
  virtual Result<TokenRecord> ConsumeToken(const std::string& lookup, TokenPurpose purpose,
                                           TimePoint now) = 0;
  virtual Status DeleteTokensOfUser(const UserId& user_id, TokenPurpose purpose) = 0;

  virtual Status CreateUpload(const UploadRecord& upload) = 0;
  virtual Status DeleteUpload(const UploadId& id) = 0;
  virtual Status CreateMessage(const MessageRecord& message, std::span<const MailboxEntry> entries,
                               std::span<const AttachmentRecord> attachments) = 0;
  virtual Status MarkRead(const UserId& owner, const MessageId& id) = 0;
  // Files an existing message for one more owner (a guest's message re-sealed to the member the
  // guest became). Conflict when that owner already has it in that folder.
  virtual Status AddMailboxEntry(const MailboxEntry& entry) = 0;

  // Fixed-window counter: adds one and returns the count in the current window.
  virtual Result<int64_t> BumpCounter(const std::string& key, TimePoint now,
                                      std::chrono::milliseconds window) = 0;
  virtual Status ResetCounter(const std::string& key) = 0;

  // Appends to the audit hash chain and returns the new entry (with seq and hash).
  virtual Result<AuditEntry> AppendAudit(const AuditEvent& event) = 0;
  virtual Status AddAuditCheckpoint(const AuditCheckpoint& checkpoint) = 0;

  virtual Status PutPlatformKey(const PlatformKeyRecord& key) = 0;

  // Guests (app/guests.h). PutGuestAddress inserts or replaces the address's MUC (failures as
  // given). ReserveMucAttempt counts one attempt before the MUC is checked, so parallel guesses
  // cannot exceed the limit: it returns the new count, or Conflict when the address
  // already has `limit` failures (locked), NotFound when unknown. ResetMucFailures after success.
  virtual Status PutGuestAddress(const GuestAddressRecord& guest) = 0;
  virtual Result<int64_t> ReserveMucAttempt(const std::string& email, int64_t limit,
                                            TimePoint now) = 0;
  virtual Status ResetMucFailures(const std::string& email) = 0;
  // The address became a member: its MUC goes. OK when there is none.
  virtual Status DeleteGuestAddress(const std::string& email) = 0;
  virtual Status CreatePickup(const PickupRecord& pickup) = 0;
  // NotFound when no such pickup.
  virtual Status SetPickupState(const std::string& lookup, PickupState state) = 0;
  // A successful unlock: pending or opened → opened, opened_at kept from the first time. NotFound
  // unless the pickup is pending or opened and not expired at `now` (e.g. recalled meanwhile).
  virtual Status MarkPickupOpened(const std::string& lookup, TimePoint now) = 0;
  // The guest replied (first reply time kept). NotFound when no such pickup.
  virtual Status SetPickupReplied(const std::string& lookup, TimePoint at) = 0;
  // The relay accepted the pickup's notification / the queue gave up on it.
  virtual Status SetPickupNotified(const std::string& lookup, TimePoint at) = 0;
  virtual Status SetPickupNotifyFailed(const std::string& lookup, TimePoint at) = 0;
  // A new MUC gave the pickup's address a new key pair: the share, sealed again to `share_key`.
  // NotFound unless the pickup is pending or opened.
  virtual Status ResealPickupShare(const std::string& lookup, ByteView sealed_share,
                                   ByteView share_key) = 0;
  // Recall: a pending pickup becomes revoked and its wrapped key is dropped. NotFound unless it
  // is pending (opened or gone meanwhile).
  virtual Status RevokePendingPickup(const std::string& lookup) = 0;
  // A pending or opened pickup past expires_at (<= now) becomes expired and its wrapped key is
  // dropped. NotFound otherwise.
  virtual Status ExpirePickup(const std::string& lookup, TimePoint now) = 0;
  // Tokens of `purpose` that expired at or before `now`; returns how many went.
  virtual Result<int64_t> DeleteExpiredTokens(TokenPurpose purpose, TimePoint now) = 0;
  // Recall of a member copy: the owner's inbox entry, only while unread. NotFound otherwise.
  virtual Status DeleteUnreadInboxEntry(const UserId& owner, const MessageId& id) = 0;

  // Outbound mail queue. ClaimDueMail leases up to `limit` mails that are due (next_attempt_at
  // <= now) and not leased by anyone else (or whose lease ran out, e.g. a process died mid-job),
  // oldest due first, and returns them with their new lease. Reschedule ends the lease.
  virtual Status EnqueueMail(const OutboundMailRecord& mail) = 0;
  virtual Result<std::vector<OutboundMailRecord>> ClaimDueMail(TimePoint now, TimePoint lease_until,
                                                               int limit) = 0;
  virtual Status RescheduleMail(const MailJobId& id, TimePoint next_attempt_at, int attempts,
                                const std::string& last_error) = 0;
  // Delivered or given up. NotFound when it is not (or no longer) queued.
  virtual Status DeleteMail(const MailJobId& id) = 0;
  // Drops the queued notifications of a pickup (recalled before they went); none is not an error.
  virtual Status DeleteMailOfPickup(const std::string& pickup_lookup) = 0;
};

class Store {
 public:
  virtual ~Store() = default;

  // Runs `fn` in a write transaction and commits what it wrote if it returns Ok; otherwise
  // nothing it wrote is kept. `fn` may run more than once (a store re-runs it after a transient
  // failure, or to set a failing neighbour in its batch apart), so it must start from scratch
  // each time: effects outside `tx` are limited to recording results, which a re-run overwrites.
  virtual Status Write(const std::function<Status(WriteTxn&)>& fn) = 0;

  virtual Result<UserRecord> GetUser(const UserId& id) = 0;
  virtual Result<UserRecord> GetUserByEmail(const std::string& email) = 0;
  // An active, not disabled administrator exists.
  virtual Result<bool> HasActiveAdmin() = 0;
  // Users in address order; only those after `after_email` when it is given.
  virtual Result<std::vector<UserRecord>> ListUsers(const std::string* after_email, int limit) = 0;

  virtual Result<SessionRecord> GetSession(const std::string& lookup) = 0;
  // The session and its user in one read; NotFound if either is missing.
  virtual Result<SessionWithUser> GetSessionWithUser(const std::string& lookup) = 0;
  // The user's sessions of every kind, expired ones included, newest first.
  virtual Result<std::vector<SessionRecord>> ListSessionsOfUser(const UserId& user_id,
                                                                int limit) = 0;
  virtual Result<int64_t> GetCounter(const std::string& key, TimePoint now,
                                     std::chrono::milliseconds window) = 0;

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

  virtual Result<std::vector<AuditEntry>> ReadAudit(int64_t from_seq, int limit) = 0;
  // Newest first: entries with seq < before_seq.
  virtual Result<std::vector<AuditEntry>> ReadAuditBefore(int64_t before_seq, int limit) = 0;
  virtual Result<std::vector<AuditCheckpoint>> ReadAuditCheckpoints() = 0;
  virtual Result<PlatformKeyRecord> GetPlatformKey(const std::string& name) = 0;

  virtual Result<MessageRecord> GetMessage(const MessageId& id) = 0;
  // A token of `purpose` that has not expired, left in place (unlike ConsumeToken).
  virtual Result<TokenRecord> GetToken(const std::string& lookup, TokenPurpose purpose,
                                       TimePoint now) = 0;
  virtual Result<GuestAddressRecord> GetGuestAddress(const std::string& email) = 0;
  virtual Result<PickupRecord> GetPickup(const std::string& lookup) = 0;
  // Oldest first.
  virtual Result<std::vector<PickupRecord>> ListPickupsOfMessage(const MessageId& id) = 0;
  virtual Result<std::vector<PickupRecord>> ListPickupsOfAddress(const std::string& email,
                                                                 int limit) = 0;
  // Pickups of `sender` still pending or opened whose address now belongs to an active member:
  // the messages the sender's keys can re-seal to that member. Oldest first.
  virtual Result<std::vector<PickupRecord>> ListClaimablePickupsOfSender(const UserId& sender,
                                                                         int limit) = 0;
  // Pickups of `sender` still pending or opened, with a sender copy of their share, whose share
  // is sealed to another key than their address's current one (a MUC was issued since): the
  // shares the sender's keys can re-seal. Oldest first.
  virtual Result<std::vector<PickupRecord>> ListStaleSharesOfSender(const UserId& sender,
                                                                    int limit) = 0;
  // Pending or opened pickups with expires_at <= now, soonest expired first.
  virtual Result<std::vector<PickupRecord>> ListExpiredPickups(TimePoint now, int limit) = 0;
  // Every mailbox entry (inbox and sent, any owner) of a message, by owner.
  virtual Result<std::vector<MailboxEntry>> ListMailboxEntriesOfMessage(const MessageId& id) = 0;

  // Mails waiting in the outbound queue, soonest due first.
  virtual Result<std::vector<OutboundMailRecord>> ListQueuedMail(int limit) = 0;
};

}  // namespace sealpost::store
