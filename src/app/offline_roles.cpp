#include "app/offline_roles.h"

#include <nlohmann/json.hpp>

#include "app/access.h"
#include "app/portal_author.h"
#include "audit/audit_log.h"
#include "core/address.h"

namespace sealpost::app {

Result<store::UserRecord> OfflineRoles::Target(std::string_view email) {
  auto address = EmailAddress::Parse(email);
  if (!address.ok()) return InvalidArgument("not an address: " + std::string(email));
  auto user = store_.accounts().GetUserByEmail(address->str());
  if (user.status().code() == ErrorCode::kNotFound || (user.ok() && user->id == kPortalSenderId)) {
    return NotFound("no member " + address->str());
  }
  return user;
}

Status OfflineRoles::Record(store::WriteTxn& tx, const char* type, const store::UserRecord& target,
                            std::string_view role, const std::string& domain, TimePoint now) {
  const nlohmann::json details{{"role", role}, {"domain", domain}, {"via", "cli"}};
  SP_ASSIGN_OR_RETURN(const Bytes leaf,
                      audit::EventLeaf({now, type, actor_, target.id.str(), details.dump()}));
  return tx.log().AddPendingEvent(leaf, now);
}

Status OfflineRoles::Grant(std::string_view email, std::string_view role_name,
                           std::string_view domain_text, TimePoint now) {
  SP_ASSIGN_OR_RETURN(const Role role, ParseRole(role_name));
  if (role == Role::kMember)
    return InvalidArgument("every account is a member; grant another role");
  SP_ASSIGN_OR_RETURN(const std::string domain, NormaliseDomainScope(domain_text));
  SP_ASSIGN_OR_RETURN(const store::UserRecord target, Target(email));
  SP_ASSIGN_OR_RETURN(const auto held, store_.access().ListRoleGrantsOfUser(target.id));
  for (const store::RoleGrantRecord& g : held) {
    if (g.role == role && g.domain == domain) return Status::Ok();
  }
  return store_.Write([&](store::WriteTxn& tx) {
    SP_RETURN_IF_ERROR(tx.access().PutRoleGrant({target.id, role, domain, actor_, now}));
    return Record(tx, "role_granted", target, RoleName(role), domain, now);
  });
}

Status OfflineRoles::Revoke(std::string_view email, std::string_view role_name,
                            std::string_view domain_text, TimePoint now) {
  SP_ASSIGN_OR_RETURN(const Role role, ParseRole(role_name));
  SP_ASSIGN_OR_RETURN(const std::string domain, NormaliseDomainScope(domain_text));
  SP_ASSIGN_OR_RETURN(const store::UserRecord target, Target(email));
  return store_.Write([&](store::WriteTxn& tx) {
    SP_RETURN_IF_ERROR(tx.access().DeleteRoleGrant(target.id, role, domain));
    return Record(tx, "role_revoked", target, RoleName(role), domain, now);
  });
}

Result<std::vector<ListedGrant>> OfflineRoles::List() {
  SP_ASSIGN_OR_RETURN(const auto grants, store_.access().ListRoleGrants(100'000));
  std::vector<ListedGrant> out;
  for (const store::RoleGrantRecord& g : grants) {
    auto user = store_.accounts().GetUser(g.user_id);
    out.push_back({user.ok() ? user->email : g.user_id.str(), RoleName(g.role), g.domain,
                   g.granted_by, g.granted_at});
  }
  return out;
}

}  // namespace sealpost::app
