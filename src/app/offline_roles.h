// Roles from the server's console (`sealpost admin grant-role | revoke-role | list-roles`): the
// operator who can read the data directory stands above every administrator, as for `sealpost
// admin backup`, so no permission is checked; the same rules as the API otherwise (app/admin.h:
// no "member" grant, no system account, a scope of "*" or a mail domain) and the same audit events
// (`role_granted`, `role_revoked`, with `{role, domain, via: "cli"}`), actor `cli:<name>`.
//
// The events are written as pending log events in the grant's own transaction; a running server's
// sequencer (or the next start) gives them their place in the log. Nothing here needs the master
// key. SECURITY: addresses, roles and domains come from the command line; they are validated as the
// API's are. Thread-safe (no state beyond the store).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/time.h"
#include "store/store.h"

namespace sealpost::app {

struct ListedGrant {
  std::string email;
  std::string role;  // RoleName
  std::string domain;
  std::string granted_by;
  TimePoint granted_at;
};

class OfflineRoles final {
 public:
  // `operator_name` names who acted (the Unix user): the audit actor is "cli:" + it.
  OfflineRoles(store::Store& store, std::string operator_name)
      : store_(store), actor_("cli:" + std::move(operator_name)) {}

  // Idempotent: granting a role already held records nothing. NotFound for an unknown address.
  Status Grant(std::string_view email, std::string_view role, std::string_view domain,
               TimePoint now);
  // NotFound when the address or the grant does not exist.
  Status Revoke(std::string_view email, std::string_view role, std::string_view domain,
                TimePoint now);
  // Every grant, by domain, user, role (the is_admin flag shows as administrator of "*", by
  // "is_admin").
  Result<std::vector<ListedGrant>> List();

 private:
  Result<store::UserRecord> Target(std::string_view email);
  Status Record(store::WriteTxn& tx, const char* type, const store::UserRecord& target,
                std::string_view role, const std::string& domain, TimePoint now);

  store::Store& store_;
  std::string actor_;
};

}  // namespace sealpost::app
