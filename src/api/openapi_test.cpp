#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "api/api.h"

namespace sealpost::api {
namespace {

TEST(OpenApiTest, DocumentIsValidJsonWithEveryRoute) {
  const auto doc = nlohmann::json::parse(OpenApiDocument());
  EXPECT_EQ(doc.at("openapi"), "3.0.3");
  for (const char* path : {"/api/v1/accounts", "/api/v1/session", "/api/v1/session/totp",
                           "/api/v1/uploads", "/api/v1/messages", "/api/v1/mailbox/{folder}",
                           "/api/v1/messages/{id}/attachments/{index}"}) {
    EXPECT_TRUE(doc.at("paths").contains(path)) << path;
  }
}

}  // namespace
}  // namespace sealpost::api
