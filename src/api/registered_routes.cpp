// /api/v1 routes for registered mail (app/registered_mail.h): a member accepts or refuses a
// message in their inbox; a guest, unlocked, the message their pickup token opens. No body: the
// message (or the token) is the whole request. Each answers 200 with the message as its
// recipient may now see it (content after acceptance, the notice after refusal), or a problem:
// 409 not-registered, already-decided or deadline-passed.
//
// SECURITY: the pickup token travels only in its header, never in the URL; pickup answers are
// private (no-store, no referrer) like every pickup answer.
#include <nlohmann/json.hpp>

#include "api/message_json.h"
#include "api/request_auth.h"
#include "api/routes.h"
#include "http/problem.h"

namespace sealpost::api {
namespace {

using nlohmann::json;

constexpr std::string_view kPickupTokenHeader = "X-Pickup-Token";

http::Response Private(http::Response r) {
  r.SetHeader("Cache-Control", "no-store");
  r.SetHeader("Referrer-Policy", "no-referrer");
  return r;
}

json ViewJson(const app::MessageView& view) {
  json out = MessageHeaderJson(view.header);
  AddMessageContent(out, view);
  return out;
}

}  // namespace

void RegisterRegisteredRoutes(http::Router& router, const ApiDeps& deps) {
  if (deps.registered == nullptr) return;
  app::Accounts& accounts = deps.accounts;
  app::RegisteredMail& registered = *deps.registered;
  app::Guests& guests = deps.guests;

  for (const app::Decision decision : {app::Decision::kAccept, app::Decision::kRefuse}) {
    const std::string verb = decision == app::Decision::kAccept ? "accept" : "refuse";
    router.Add("POST", "/api/v1/messages/{id}/" + verb,
               [&accounts, &registered, decision](const http::Request& req,
                                                  const http::PathParams& params) {
                 auto auth = RequireSession(accounts, req, SessionNeed::kFull);
                 if (!auth.ctx) return std::move(auth.error);
                 const std::string& id = params.at("id");
                 if (decision == app::Decision::kAccept) {
                   auto view = registered.Accept(*auth.ctx, id);
                   if (!view.ok()) return ApiError(view.status());
                   return http::Response::Json(200, ViewJson(*view).dump());
                 }
                 if (Status st = registered.Refuse(*auth.ctx, id); !st.ok()) return ApiError(st);
                 return http::Response::Json(200, json{{"id", id}, {"state", "refused"}}.dump());
               });
    router.Add("POST", "/api/v1/pickup/" + verb,
               [&guests, decision](const http::Request& req, const http::PathParams&) {
                 const auto token = req.Header(kPickupTokenHeader);
                 if (!token) return Private(http::ProblemFor(Reason::kPickupNotFound));
                 auto view = guests.Decide(*token, decision, req.remote_address);
                 if (!view.ok()) return Private(ApiError(view.status()));
                 json out = ViewJson(*view);
                 out.erase("folder");
                 out.erase("unread");
                 return Private(http::Response::Json(200, out.dump()));
               });
  }
}

}  // namespace sealpost::api
