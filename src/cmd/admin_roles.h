// `sealpost admin grant-role | revoke-role | list-roles` (app/offline_roles.h; docs/roles.md):
// roles from the server's console, on the store directly, holding the data directory's lock shared
// (beside a running server, like `admin backup`). Audited as `role_granted` / `role_revoked` with
// actor `cli:<Unix user>`.
#pragma once

#include <string>

#include "cmd/config.h"

namespace sealpost::cmd {

struct RoleArgs {
  std::string email;
  std::string role;
  std::string domain;
};

// Exit 0, or 2 with the reason on stderr.
int AdminGrantRole(const Config& config, const RoleArgs& args);
int AdminRevokeRole(const Config& config, const RoleArgs& args);
int AdminListRoles(const Config& config);

}  // namespace sealpost::cmd
