#include "app/access.h"

#include <algorithm>

#include "core/address.h"

namespace sealpost::app {

const char* RoleName(Role role) {
  switch (role) {
    case Role::kAdministrator:
      return "administrator";
    case Role::kAuditor:
      return "auditor";
    case Role::kComplianceOfficer:
      return "compliance_officer";
    case Role::kMember:
      break;
  }
  return "member";
}

Result<Role> ParseRole(std::string_view name) {
  for (const Role r : kAllRoles) {
    if (name == RoleName(r)) return r;
  }
  return InvalidArgument("role must be one of member, administrator, auditor, compliance_officer")
      .ShownToClient();
}

const char* PermissionName(Permission p) {
  switch (p) {
    case Permission::kListUsers:
      return "list_users";
    case Permission::kManageUsers:
      return "manage_users";
    case Permission::kInviteUsers:
      return "invite_users";
    case Permission::kListRoles:
      return "list_roles";
    case Permission::kManageRoles:
      return "manage_roles";
    case Permission::kManagePolicies:
      return "manage_policies";
    case Permission::kReadAudit:
      return "read_audit";
    case Permission::kExportEvidence:
      return "export_evidence";
    case Permission::kRetention:
      return "retention";
    case Permission::kLegalHold:
      return "legal_hold";
  }
  return "unknown";
}

bool RoleHas(Role role, Permission p) {
  using P = Permission;
  switch (role) {
    case Role::kAdministrator:
      // Users, roles and policies; and the audit log, which an administrator has always read.
      // Retention and legal hold belong to the compliance officer (separation of duties).
      return p == P::kListUsers || p == P::kManageUsers || p == P::kInviteUsers ||
             p == P::kListRoles || p == P::kManageRoles || p == P::kManagePolicies ||
             p == P::kReadAudit;
    case Role::kAuditor:
      // Reads, never changes.
      return p == P::kListUsers || p == P::kListRoles || p == P::kReadAudit ||
             p == P::kExportEvidence;
    case Role::kComplianceOfficer:
      // Must name the members a hold is placed on.
      return p == P::kListUsers || p == P::kRetention || p == P::kLegalHold;
    case Role::kMember:
      break;
  }
  return false;
}

std::string_view DomainOf(std::string_view email) {
  const size_t at = email.rfind('@');
  return at == std::string_view::npos ? std::string_view() : email.substr(at + 1);
}

Result<std::string> NormaliseDomainScope(std::string_view text) {
  if (text == store::kAllDomains) return std::string(store::kAllDomains);
  // The address parser's domain rules, on a placeholder local part.
  if (text.empty() || text.size() > 253) {
    return InvalidArgument("domain must be \"*\" or a mail domain").ShownToClient();
  }
  auto parsed = EmailAddress::Parse("x@" + std::string(text));
  if (!parsed.ok()) {
    return InvalidArgument("domain must be \"*\" or a mail domain").ShownToClient();
  }
  return std::string(parsed->domain());
}

bool Allows(const std::vector<store::RoleGrantRecord>& grants, Permission p,
            std::string_view domain) {
  return std::any_of(grants.begin(), grants.end(), [&](const store::RoleGrantRecord& g) {
    return RoleHas(g.role, p) && (g.domain == store::kAllDomains || g.domain == domain);
  });
}

Result<std::vector<store::RoleGrantRecord>> Access::GrantsOf(const Caller& caller) {
  SP_ASSIGN_OR_RETURN(auto grants, store_.access().ListRoleGrantsOfUser(caller.user.id));
  if (caller.user.is_admin) {
    grants.push_back({caller.user.id, Role::kAdministrator, std::string(store::kAllDomains),
                      "is_admin", caller.user.created_at});
  }
  if (caller.token_role) {
    std::erase_if(grants,
                  [&](const store::RoleGrantRecord& g) { return g.role != *caller.token_role; });
  }
  return grants;
}

Status Access::Require(const Caller& caller, Permission p, std::string_view domain) {
  SP_ASSIGN_OR_RETURN(const auto grants, GrantsOf(caller));
  if (!Allows(grants, p, domain)) {
    return PermissionDenied(std::string("not allowed: ") + PermissionName(p)).ShownToClient();
  }
  return Status::Ok();
}

Status Access::RequireSomewhere(const Caller& caller, Permission p) {
  SP_ASSIGN_OR_RETURN(const auto grants, GrantsOf(caller));
  const bool any = std::any_of(grants.begin(), grants.end(),
                               [&](const store::RoleGrantRecord& g) { return RoleHas(g.role, p); });
  if (!any) {
    return PermissionDenied(std::string("not allowed: ") + PermissionName(p)).ShownToClient();
  }
  return Status::Ok();
}

Status Access::RequireForUser(const Caller& caller, Permission p, const store::UserRecord& target) {
  SP_ASSIGN_OR_RETURN(const auto grants, GrantsOf(caller));
  if (!Allows(grants, p, DomainOf(target.email))) {
    const bool any = std::any_of(grants.begin(), grants.end(),
                                 [&](const auto& g) { return RoleHas(g.role, p); });
    if (!any) {
      return PermissionDenied(std::string("not allowed: ") + PermissionName(p)).ShownToClient();
    }
    return NotFound("user not found");
  }
  return Status::Ok();
}

Result<std::vector<std::string>> Access::DomainsWith(const Caller& caller, Permission p) {
  SP_ASSIGN_OR_RETURN(const auto grants, GrantsOf(caller));
  std::vector<std::string> out;
  for (const store::RoleGrantRecord& g : grants) {
    if (!RoleHas(g.role, p)) continue;
    if (g.domain == store::kAllDomains) return std::vector<std::string>{g.domain};
    if (std::find(out.begin(), out.end(), g.domain) == out.end()) out.push_back(g.domain);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace sealpost::app
