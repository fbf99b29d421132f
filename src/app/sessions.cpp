// Accounts: a member's view of their own sessions (see accounts.h).
#include <nlohmann/json.hpp>

#include "app/accounts.h"
#include "app/internal/audit_event.h"

namespace sealpost::app {
namespace {

// More than anyone keeps open; older rows beyond it are expired leftovers.
constexpr int kMaxListedSessions = 200;

}  // namespace

Result<std::vector<SessionInfo>> Accounts::ListSessions(const AuthContext& ctx) {
  SP_ASSIGN_OR_RETURN(const auto records,
                      s_.store.accounts().ListSessionsOfUser(ctx.user.id, kMaxListedSessions));
  const TimePoint now = s_.clock.Now();
  std::vector<SessionInfo> out;
  for (const store::SessionRecord& r : records) {
    if (r.kind == store::SessionKind::kLoginTicket) continue;
    if (r.expires_at <= now || now - r.last_seen_at > s_.config.session_idle) continue;
    out.push_back({r.public_id, r.created_at, r.last_seen_at, r.client_ip, r.user_agent,
                   r.lookup == ctx.session.lookup});
  }
  return out;
}

Status Accounts::EndSession(const AuthContext& ctx, std::string_view public_id) {
  if (!IsWellFormedId(public_id)) return NotFound("session not found");
  return s_.store.Write([&](store::WriteTxn& tx) {
    SP_RETURN_IF_ERROR(tx.accounts().DeleteSessionByPublicId(ctx.user.id, std::string(public_id)));
    return RecordEvent(
        s_, tx, "session_ended", ctx.user.id.str(), ctx.user.id.str(),
        nlohmann::json{{"session", public_id}, {"current", public_id == ctx.session.public_id}}
            .dump());
  });
}

Status Accounts::ExpireSessions() {
  return s_.store.Write(
      [&](store::WriteTxn& tx) { return tx.accounts().DeleteExpiredSessions(s_.clock.Now()); });
}

}  // namespace sealpost::app
