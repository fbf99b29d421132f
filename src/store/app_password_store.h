// App passwords (app/app_passwords.h): the secrets members give their mail programs for SMTP
// submission. Part of the Store (store/store.h).
//
// The password itself is never stored: only `lookup`, a one-way derivation of it
// (auth/app_password_secret.h), to find the record, and the member's UMK wrapped under another
// derivation of it, so a copy of the database can neither log in nor unwrap the UMK. Revoking
// keeps the row (name, dates) for the member's history but wipes the wrapped UMK in the same
// statement, so a revoked password unlocks nothing even if a check above forgot the flag.
//
// Thread-safe, like the rest of the Store.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/encoding.h"
#include "core/ids.h"
#include "core/status.h"
#include "core/time.h"

namespace sealpost::store {

struct AppPasswordRecord {
  std::string id;      // public: names the password in lists and DELETE paths; not a secret
  std::string lookup;  // derived from the password; unique
  UserId user_id;
  std::string name;
  Bytes wrapped_umk;  // empty once revoked
  TimePoint created_at;
  std::optional<TimePoint> last_used_at;
  std::optional<TimePoint> revoked_at;

  bool live() const { return !revoked_at.has_value(); }
};

class AppPasswordReader {
 public:
  virtual ~AppPasswordReader() = default;

  // NotFound when no password (live or revoked) has this lookup.
  virtual Result<AppPasswordRecord> GetAppPasswordByLookup(const std::string& lookup) = 0;
  // The user's passwords, revoked ones included, newest first.
  virtual Result<std::vector<AppPasswordRecord>> ListAppPasswordsOfUser(const UserId& user_id) = 0;
};

class AppPasswordWriter {
 public:
  virtual ~AppPasswordWriter() = default;

  // Conflict when the id or the lookup is taken. last_used_at and revoked_at are not written.
  virtual Status CreateAppPassword(const AppPasswordRecord& password) = 0;
  // The number of the user's live passwords (read inside the write, so a limit holds against
  // concurrent creations).
  virtual Result<int64_t> CountLiveAppPasswordsOfUser(const UserId& user_id) = 0;
  // Marks the live password revoked at `at` and wipes its wrapped UMK. NotFound when the user
  // has no live password with that id.
  virtual Status RevokeAppPassword(const UserId& user_id, const std::string& id, TimePoint at) = 0;
  // Revokes every live password of the user (disabled member, password reset). The number
  // revoked (0 is fine).
  virtual Result<int64_t> RevokeAppPasswordsOfUser(const UserId& user_id, TimePoint at) = 0;
  // Deletes the user's revoked passwords except the `keep` most recently revoked, so that
  // creating and revoking in a loop cannot grow the table without bound.
  virtual Status PruneRevokedAppPasswords(const UserId& user_id, int keep) = 0;
  // Notes a use. NotFound when the password is gone or revoked meanwhile.
  virtual Status TouchAppPassword(const std::string& lookup, TimePoint at) = 0;
};

}  // namespace sealpost::store
