// Route groups of the API; RegisterApi (api.h) calls each.
#pragma once

#include "api/api.h"

namespace sealpost::api {

void RegisterAccountRoutes(http::Router& router, const ApiDeps& deps);
void RegisterMailboxRoutes(http::Router& router, const ApiDeps& deps);
void RegisterAdminRoutes(http::Router& router, const ApiDeps& deps);

}  // namespace sealpost::api
