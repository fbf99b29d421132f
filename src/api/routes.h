// Route groups of the API; RegisterApi (api.h) calls each.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "api/api.h"
#include "blob/blob_store.h"
#include "http/response.h"

namespace sealpost::api {

// RFC 6266 / RFC 8187 Content-Disposition for a download named `name`.
std::string ContentDisposition(std::string_view name);
// Streams an authenticated blob as a response body.
class BlobBodySource final : public http::BodySource {
 public:
  explicit BlobBodySource(std::unique_ptr<blob::BlobReader> reader) : reader_(std::move(reader)) {}
  Result<size_t> Read(std::span<uint8_t> out) override { return reader_->Read(out); }

 private:
  std::unique_ptr<blob::BlobReader> reader_;
};

void RegisterAccountRoutes(http::Router& router, const ApiDeps& deps);
void RegisterAccountKeyRoutes(http::Router& router, const ApiDeps& deps);
void RegisterMailboxRoutes(http::Router& router, const ApiDeps& deps);
void RegisterAdminRoutes(http::Router& router, const ApiDeps& deps);
void RegisterPickupRoutes(http::Router& router, const ApiDeps& deps);
void RegisterSentRoutes(http::Router& router, const ApiDeps& deps);
void RegisterPkiRoutes(http::Router& router, const ApiDeps& deps);
void RegisterLogRoutes(http::Router& router, const ApiDeps& deps);
void RegisterContactRoutes(http::Router& router, const ApiDeps& deps);
void RegisterMethodRoutes(http::Router& router, const ApiDeps& deps);
void RegisterReceiptRoutes(http::Router& router, const ApiDeps& deps);
void RegisterRegisteredRoutes(http::Router& router, const ApiDeps& deps);
void RegisterTlsPartnerRoutes(http::Router& router, const ApiDeps& deps);
void RegisterSmtpPolicyRoutes(http::Router& router, const ApiDeps& deps);
void RegisterTokenRoutes(http::Router& router, const ApiDeps& deps);
void RegisterAuditExportRoutes(http::Router& router, const ApiDeps& deps);
void RegisterRetentionRoutes(http::Router& router, const ApiDeps& deps);
void RegisterEscrowRoutes(http::Router& router, const ApiDeps& deps);
void RegisterAppPasswordRoutes(http::Router& router, const ApiDeps& deps);
// The sender's view of a sent message (recipients, expires_at, can_recall), added to `out`.
void AddSentStatus(nlohmann::json& out, const app::SentStatus& status);

}  // namespace sealpost::api
