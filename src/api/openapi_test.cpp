#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <map>
#include <string>

#include "api/api.h"
#include "core/reason.h"
#include "http/problem.h"

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
                           "/api/v1/account/keys",
                           "/api/v1/account/keys/smime.pem",
                           "/api/v1/account/keys/smime.der",
                           "/api/v1/account/keys/openpgp.asc",
                           "/api/v1/account/recover",
                           "/api/v1/sessions/{id}",
                           "/api/v1/admin/users",
                           "/api/v1/admin/users/{id}/disable",
                           "/api/v1/admin/users/{id}/enable",
                           "/api/v1/admin/invitations",
                           "/api/v1/admin/audit",
                           "/api/v1/admin/roles",
                           "/api/v1/admin/roles/{user_id}/{role}/{domain}",
                           "/api/v1/account/tokens",
                           "/api/v1/account/tokens/{id}",
                           "/api/v1/account/app-passwords",
                           "/api/v1/account/app-passwords/{id}",
                           "/api/v1/admin/audit/export",
                           "/api/v1/admin/retention",
                           "/api/v1/admin/retention/{domain}",
                           "/api/v1/admin/holds",
                           "/api/v1/admin/holds/{id}/release",
                           "/api/v1/account/retention",
                           "/api/v1/pickup/unlock",
                           "/api/v1/pickup/attachments/{index}",
                           "/api/v1/messages/{id}/muc",
                           "/api/v1/pickup/uploads",
                           "/api/v1/pickup/reply",
                           "/api/v1/pickup/enrol",
                           "/api/v1/pickup/claim",
                           "/api/v1/messages/{id}/recall",
                           "/api/v1/messages/{id}/accept",
                           "/api/v1/messages/{id}/refuse",
                           "/api/v1/pickup/accept",
                           "/api/v1/pickup/refuse",
                           "/api/v1/messages/{id}/receipts",
                           "/api/v1/messages/{id}/receipts/{receipt_id}",
                           "/api/v1/messages/{id}/evidence",
                           "/tsa",
                           "/api/v1/pki/root.pem",
                           "/api/v1/pki/root.der",
                           "/api/v1/pki/chain.pem",
                           "/log/v1/checkpoint",
                           "/log/v1/key",
                           "/log/v1/tile/{L}/{N}",
                           "/log/v1/tile/entries/{N}",
                           "/api/v1/contacts/keys",
                           "/api/v1/contacts/keys/{id}",
                           "/api/v1/contacts/keys/{id}/verify",
                           "/api/v1/contacts/methods",
                           "/api/v1/admin/keys",
                           "/api/v1/admin/keys/{id}",
                           "/api/v1/admin/anchors",
                           "/api/v1/admin/anchors/{id}",
                           "/api/v1/contacts/keys/{id}/revoke",
                           "/api/v1/admin/keys/{id}/revoke",
                           "/api/v1/admin/tls-partners",
                           "/api/v1/admin/tls-partners/{domain}",
                           "/api/v1/admin/tls-policy",
                           "/api/v1/admin/escrow/{domain}",
                           "/api/v1/admin/smtp-policies",
                           "/api/v1/admin/smtp-policies/{domain}"}) {
    EXPECT_TRUE(doc.at("paths").contains(path)) << path;
  }
}

// The problem catalogue a client reads is the one the server answers with: every code's and
// reason's type, with its HTTP status, title and default detail, and nothing else.
TEST(OpenApiTest, ProblemCatalogueMatchesTheServers) {
  const auto doc = nlohmann::json::parse(OpenApiDocument());
  const auto& listed = doc.at("components").at("schemas").at("Problem").at("x-problem-types");
  std::map<std::string, nlohmann::json> by_type;
  for (const auto& entry : listed) by_type[entry.at("type").get<std::string>()] = entry;
  EXPECT_EQ(by_type.size(), listed.size()) << "a type is listed twice";

  size_t expected = 0;
  const auto check = [&](ErrorCode code, Reason reason) {
    const ClientFace& face = DescribeForClient(code, reason);
    const std::string type = std::string(http::kProblemTypeBase) + std::string(face.slug);
    ++expected;
    auto it = by_type.find(type);
    ASSERT_NE(it, by_type.end()) << type << " is missing from the OpenAPI catalogue";
    EXPECT_EQ(it->second.at("status"), http::HttpStatusOf(code, reason)) << type;
    EXPECT_EQ(it->second.at("title"), face.title) << type;
    EXPECT_EQ(it->second.at("detail"), face.text) << type;
  };
  for (const ErrorCode code : AllErrorCodes()) check(code, Reason::kNone);
  for (const Reason reason : AllReasons()) check(ErrorCode::kInternal, reason);
  EXPECT_EQ(listed.size(), expected) << "the catalogue lists a type the server never sends";
}

}  // namespace
}  // namespace sealpost::api
