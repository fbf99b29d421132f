// Access: the roles members hold beyond "member" (each scoped to one mail domain or to all of
// them) and the API tokens that integrations use. Part of the Store (store/store.h). Who may do
// what is decided in app/access.h; this domain only keeps the records.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "store/records.h"

namespace sealpost::store {

// Stored as integers: never renumber.
enum class Role : int { kMember = 0, kAdministrator = 1, kAuditor = 2, kComplianceOfficer = 3 };

// The scope of a grant that covers every domain of the instance.
inline constexpr std::string_view kAllDomains = "*";

// `user_id` holds `role` over `domain` (a lower-case mail domain, or kAllDomains). The users
// table's is_admin flag is not copied here: app/access.h reads it as administrator of "*".
struct RoleGrantRecord {
  UserId user_id;
  Role role = Role::kMember;
  std::string domain;
  std::string granted_by;  // actor id of whoever granted it
  TimePoint granted_at;
};

// An API token: the secret is never stored, only `lookup` (auth/bearer_secret.h, a one-way
// derivation of the 256-bit secret). Revoking deletes the row.
struct ApiTokenRecord {
  std::string public_id;  // names the token in lists and DELETE paths; not a secret
  std::string lookup;
  UserId user_id;
  std::string name;
  Role role = Role::kMember;
  TimePoint created_at;
  TimePoint expires_at;
  std::optional<TimePoint> last_used_at;
};

class AccessReader {
 public:
  virtual ~AccessReader() = default;

  // The user's grants, by role then domain.
  virtual Result<std::vector<RoleGrantRecord>> ListRoleGrantsOfUser(const UserId& user_id) = 0;
  // Every grant, by domain, user, role; at most `limit`.
  virtual Result<std::vector<RoleGrantRecord>> ListRoleGrants(int limit) = 0;
  // Users whose address is in `domain` (the part after '@', compared exactly), in address order;
  // only those after `after_email` when it is given.
  virtual Result<std::vector<UserRecord>> ListUsersOfDomain(const std::string& domain,
                                                            const std::string* after_email,
                                                            int limit) = 0;

  // NotFound when no token has this lookup (expiry is the caller's business).
  virtual Result<ApiTokenRecord> GetApiToken(const std::string& lookup) = 0;
  // The user's tokens, expired ones included, newest first.
  virtual Result<std::vector<ApiTokenRecord>> ListApiTokensOfUser(const UserId& user_id) = 0;
};

class AccessWriter {
 public:
  virtual ~AccessWriter() = default;

  // Conflict when the user already holds that role over that domain.
  virtual Status PutRoleGrant(const RoleGrantRecord& grant) = 0;
  // NotFound when there is no such grant.
  virtual Status DeleteRoleGrant(const UserId& user_id, Role role, const std::string& domain) = 0;

  // Conflict when the public id or the lookup is taken. last_used_at is not written (a new
  // token has not been used).
  virtual Status CreateApiToken(const ApiTokenRecord& token) = 0;
  // NotFound when the user has no token with that public id.
  virtual Status DeleteApiToken(const UserId& user_id, const std::string& public_id) = 0;
  // NotFound when the token is gone (revoked meanwhile).
  virtual Status TouchApiToken(const std::string& lookup, TimePoint at) = 0;
};

}  // namespace sealpost::store
