// Who may do what: the one place that answers "may this caller do X (on domain Y)". The API's
// authentication layer (api/request_auth.h) turns a session or an API token into a Caller; every
// use case that needs more than membership asks RequirePermission here.
//
// Roles (store/access_store.h): member (everyone; no permission listed here), administrator
// (users, roles, policies), auditor (reads the audit log and exports evidence; changes nothing),
// compliance officer (retention and legal hold). A grant is scoped to one mail domain (the part
// of an address after '@') or to all of them ("*"). The users table's is_admin flag (the first
// administrator, `sealpost admin`) counts as administrator of "*".
//
// Instance-wide permissions (reading the audit log, which is not split by domain) need a grant
// on "*". An API token acts with the one role it was created for, and only while its member
// still holds that role: revoking the role disarms the token.
//
// SECURITY: the domains and user ids handed in come from requests; the grants come from the
// store. Thread-safe (no state beyond the store).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "app/auth_context.h"
#include "store/access_store.h"
#include "store/store.h"

namespace sealpost::app {

using store::Role;

enum class Permission {
  kListUsers,       // list accounts (of the domains in scope)
  kManageUsers,     // disable, enable
  kInviteUsers,     // invitations to addresses of the domain
  kListRoles,       // see who holds which role
  kManageRoles,     // grant and revoke roles
  kManagePolicies,  // domain policies
  kReadAudit,       // list and verify the audit log (instance-wide)
  kExportEvidence,  // audit export
  kRetention,       // retention policy and runs
  kLegalHold,       // place and release legal holds
};
inline constexpr Permission kAllPermissions[] = {
    Permission::kListUsers, Permission::kManageUsers,    Permission::kInviteUsers,
    Permission::kListRoles, Permission::kManageRoles,    Permission::kManagePolicies,
    Permission::kReadAudit, Permission::kExportEvidence, Permission::kRetention,
    Permission::kLegalHold};
inline constexpr Role kAllRoles[] = {Role::kMember, Role::kAdministrator, Role::kAuditor,
                                     Role::kComplianceOfficer};

// "member", "administrator", "auditor", "compliance_officer"; ParseRole is its inverse
// (InvalidArgument otherwise).
const char* RoleName(Role role);
Result<Role> ParseRole(std::string_view name);
const char* PermissionName(Permission p);

// The permission table: whether `role` carries `p` at all (scope aside).
bool RoleHas(Role role, Permission p);

// Who asks: a member by session, or an API token acting for its member with one role.
struct Caller {
  store::UserRecord user;
  std::optional<Role> token_role;  // set for API tokens: only this role counts
  std::string token_id;            // the token's public id, for the audit trail
  std::string client_address;

  Caller(store::UserRecord u, std::optional<Role> role, std::string address)
      : user(std::move(u)), token_role(role), client_address(std::move(address)) {}
  // A session caller (implicit, so use cases can take either).
  Caller(const AuthContext& ctx)  // NOLINT(google-explicit-constructor)
      : user(ctx.user), client_address(ctx.client_address) {}
};

// The mail domain of a normalised address (after the last '@'); empty when there is none.
std::string_view DomainOf(std::string_view email);
// A grant scope from a request: "*" or a valid mail domain, lower-cased. InvalidArgument
// otherwise (shown to the client).
Result<std::string> NormaliseDomainScope(std::string_view text);

// Whether `grants` give `p` over `domain` (a mail domain, or "*" for an instance-wide action,
// which only a "*" grant covers).
bool Allows(const std::vector<store::RoleGrantRecord>& grants, Permission p,
            std::string_view domain);

class Access final {
 public:
  explicit Access(store::Store& store) : store_(store) {}

  // The grants that count for the caller: the stored ones, the is_admin flag as administrator of
  // "*", narrowed to the token's role for an API token.
  Result<std::vector<store::RoleGrantRecord>> GrantsOf(const Caller& caller);

  // PermissionDenied (403) unless the caller holds `p` over `domain` ("*": instance-wide).
  Status Require(const Caller& caller, Permission p, std::string_view domain = store::kAllDomains);
  // PermissionDenied unless the caller holds `p` over at least one domain.
  Status RequireSomewhere(const Caller& caller, Permission p);
  // For actions on an existing user: PermissionDenied when the caller holds `p` nowhere,
  // NotFound ("user not found", as for an unknown id) when the user is outside the caller's
  // domains, so that no administrator learns of another domain's accounts.
  Status RequireForUser(const Caller& caller, Permission p, const store::UserRecord& target);
  // The domains the caller holds `p` over; {"*"} alone when that covers them all.
  Result<std::vector<std::string>> DomainsWith(const Caller& caller, Permission p);

 private:
  store::Store& store_;
};

}  // namespace sealpost::app
