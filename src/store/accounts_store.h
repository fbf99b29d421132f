// Accounts: users, their sessions, and single-use tokens of every purpose. Part of the Store
// (store/store.h), whose top comment describes when writes run and become durable.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "store/records.h"

namespace sealpost::store {

class AccountsReader {
 public:
  virtual ~AccountsReader() = default;

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

  // A token of `purpose` that has not expired, left in place (unlike ConsumeToken).
  virtual Result<TokenRecord> GetToken(const std::string& lookup, TokenPurpose purpose,
                                       TimePoint now) = 0;

  // The member's certified keys; NotFound when they have none yet.
  virtual Result<MemberKeysRecord> GetMemberKeys(const UserId& user_id) = 0;
};

class AccountsWriter {
 public:
  virtual ~AccountsWriter() = default;

  // Users. CreateUser fails with Conflict when the address is taken.
  virtual Status CreateUser(const UserRecord& user) = 0;
  virtual Status DeleteUser(const UserId& id) = 0;
  virtual Status ActivateUser(const UserId& id, ByteView recovery_salt, uint64_t recovery_ops,
                              uint64_t recovery_mem, ByteView umk_by_recovery) = 0;
  // Replace a key slot (keys/member_keys.h) only while it still holds `expected` (the slot the
  // caller unwrapped): Conflict when another change came first or the user is gone.
  virtual Status SetPasswordSlot(const UserId& id, ByteView salt, uint64_t ops, uint64_t mem,
                                 ByteView umk_by_password, ByteView expected) = 0;
  virtual Status SetRecoverySlot(const UserId& id, ByteView salt, uint64_t ops, uint64_t mem,
                                 ByteView umk_by_recovery, ByteView expected) = 0;
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
  // Tokens of `purpose` that expired at or before `now`; returns how many went.
  virtual Result<int64_t> DeleteExpiredTokens(TokenPurpose purpose, TimePoint now) = 0;

  // A member's certified keys, at most one set per member (deleted with the user). Conflict when
  // the member already has them (a concurrent log-in made them first).
  virtual Status CreateMemberKeys(const MemberKeysRecord& keys) = 0;
};

}  // namespace sealpost::store
