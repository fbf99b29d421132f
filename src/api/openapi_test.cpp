#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "api/api.h"

namespace sealpost::api {
namespace {

TEST(OpenApiTest, DocumentIsValidJsonWithEveryRoute) {
  const auto doc = nlohmann::json::parse(OpenApiDocument());
  EXPECT_EQ(doc.at("openapi"), "3.0.3");
  for (const char* path : {"/api/v1/accounts",
                           "/api/v1/session",
                           "/api/v1/session/totp",
                           "/api/v1/uploads",
                           "/api/v1/messages",
                           "/api/v1/mailbox/{folder}",
                           "/api/v1/messages/{id}/attachments/{index}",
                           "/api/v1/account",
                           "/api/v1/account/password",
                           "/api/v1/account/recover",
                           "/api/v1/sessions/{id}",
                           "/api/v1/admin/users",
                           "/api/v1/admin/users/{id}/disable",
                           "/api/v1/admin/users/{id}/enable",
                           "/api/v1/admin/invitations",
                           "/api/v1/admin/audit",
                           "/api/v1/pickup/unlock",
                           "/api/v1/pickup/attachments/{index}",
                           "/api/v1/messages/{id}/recipients/{address}/muc",
                           "/api/v1/pickup/uploads",
                           "/api/v1/pickup/reply",
                           "/api/v1/pickup/enrol",
                           "/api/v1/pickup/claim",
                           "/api/v1/messages/{id}/recall"}) {
    EXPECT_TRUE(doc.at("paths").contains(path)) << path;
  }
}

}  // namespace
}  // namespace sealpost::api
