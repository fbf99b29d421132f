#include "cmd/admin_roles.h"

#include <pwd.h>
#include <unistd.h>

#include <chrono>
#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "app/offline_roles.h"
#include "cmd/data_dir_lock.h"
#include "cmd/open_store.h"
#include "platform/filesystem.h"

namespace sealpost::cmd {
namespace {

int Fail(std::string_view command, std::string_view what) {
  std::cerr << "sealpost admin " << command << ": " << what << "\n";
  return 2;
}

// Who runs the command, for the audit trail.
std::string OperatorName() {
  if (const passwd* pw = ::getpwuid(::geteuid()); pw != nullptr && pw->pw_name != nullptr) {
    return pw->pw_name;
  }
  return fmt::format("uid{}", ::geteuid());
}

// The store with the lock held for as long as it is used.
struct Opened {
  std::optional<DataDirLock> lock;
  std::unique_ptr<store::Store> store;
};

Result<Opened> Open(const Config& config) {
  Opened out;
  SP_ASSIGN_OR_RETURN(DataDirLock lock, DataDirLock::Acquire(config.data_dir, LockMode::kShared));
  out.lock.emplace(std::move(lock));
  if (config.store_url.empty() && !platform::DefaultFilesystem().Exists(config.DatabasePath())) {
    return NotFound("no database at " + config.DatabasePath());
  }
  SP_ASSIGN_OR_RETURN(out.store, OpenStore(config.store_url, config.DatabasePath(), 1));
  return out;
}

int Change(const Config& config, const RoleArgs& args, bool grant) {
  const char* command = grant ? "grant-role" : "revoke-role";
  auto opened = Open(config);
  if (!opened.ok()) return Fail(command, opened.status().message());
  app::OfflineRoles roles(*opened->store, OperatorName());
  const TimePoint now = std::chrono::system_clock::now();
  const Status s = grant ? roles.Grant(args.email, args.role, args.domain, now)
                         : roles.Revoke(args.email, args.role, args.domain, now);
  if (!s.ok()) return Fail(command, s.message());
  std::cout << fmt::format("{} {} {} over {}\n", grant ? "granted" : "revoked", args.email,
                           args.role, args.domain);
  return 0;
}

}  // namespace

int AdminGrantRole(const Config& config, const RoleArgs& args) {
  return Change(config, args, true);
}

int AdminRevokeRole(const Config& config, const RoleArgs& args) {
  return Change(config, args, false);
}

int AdminListRoles(const Config& config) {
  auto opened = Open(config);
  if (!opened.ok()) return Fail("list-roles", opened.status().message());
  app::OfflineRoles roles(*opened->store, OperatorName());
  auto grants = roles.List();
  if (!grants.ok()) return Fail("list-roles", grants.status().message());
  for (const app::ListedGrant& g : *grants) {
    std::cout << fmt::format("{}\t{}\t{}\t{}\t{}\n", g.domain, g.email, g.role, g.granted_by,
                             FormatRfc3339(g.granted_at));
  }
  return 0;
}

}  // namespace sealpost::cmd
