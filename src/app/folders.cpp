#include "app/folders.h"

#include <spdlog/spdlog.h>

namespace sealpost::app {

Result<FolderPage> Folders::List(const AuthContext& ctx, store::Folder folder,
                                 std::string_view cursor, int limit,
                                 std::optional<std::string_view> query) {
  if (auto resealed = guests_.ResealWaiting(ctx); !resealed.ok()) {
    spdlog::warn("re-sealing waiting messages failed: {}", resealed.status().ToString());
  }
  FolderPage out;
  SP_ASSIGN_OR_RETURN(out.page, mailbox_.List(ctx, folder, cursor, limit, query));
  if (folder == store::Folder::kInbox && cursor.empty()) {
    SP_ASSIGN_OR_RETURN(out.waiting, guests_.Waiting(ctx));
    out.lists_waiting = true;
  }
  return out;
}

}  // namespace sealpost::app
