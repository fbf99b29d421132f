// The public REST API, /api/v1: JSON in and out, errors as RFC 9457 problems, browser auth by an
// HttpOnly session cookie plus a CSRF token header on unsafe methods. Handlers only parse,
// authenticate and call app/; the rules live there (docs/architecture.md).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "app/account_keys.h"
#include "app/accounts.h"
#include "app/admin.h"
#include "app/api_tokens.h"
#include "app/app_passwords.h"
#include "app/audit_exports.h"
#include "app/contacts.h"
#include "app/escrow.h"
#include "app/evidence_package.h"
#include "app/folders.h"
#include "app/guests.h"
#include "app/inbound_reader.h"
#include "app/mailbox.h"
#include "app/public_log.h"
#include "app/receipt_issuing.h"
#include "app/registered_mail.h"
#include "app/retention.h"
#include "app/routing.h"
#include "app/sent_status.h"
#include "app/smtp_policies.h"
#include "app/tls_partners.h"
#include "http/router.h"
#include "receipts/tsa.h"

namespace sealpost::api {

// The platform's public certificates (trust/platform_pki.h), served to anyone.
struct PublicPki {
  std::string root_pem;
  Bytes root_der;
  // The issuing CA, then the certificates the platform signs with (TSA, evidence signer): enough
  // for `openssl ts -verify … -untrusted chain.pem` whether or not a token carries certificates.
  std::string chain_pem;
};

struct ApiDeps {
  app::Accounts& accounts;
  app::Mailbox& mailbox;
  app::Folders& folders;
  app::Admin& admin;
  app::Guests& guests;
  app::SentMessages& sent;
  app::AccountKeys& account_keys;
  std::function<Status()> ready;  // readiness probe (store reachable)
  uint64_t max_upload_bytes = 100ull << 20;
  size_t max_json_bytes = 1 << 20;
  size_t max_message_json_bytes = 4 << 20;
  // POST /tsa (RFC 3161 over HTTP); not served when null.
  std::shared_ptr<const receipts::TimeStampAuthority> tsa;
  // GET /api/v1/pki/{root.pem,root.der,chain.pem}; not served when root_der is empty.
  PublicPki pki;
  // GET /log/v1/… (C2SP tlog-tiles, checkpoint, verifier key); not served when null.
  std::shared_ptr<app::PublicLog> log;
  // /api/v1/contacts/keys… and /api/v1/admin/{keys,anchors} (the key directory); not served
  // when null.
  app::Contacts* contacts = nullptr;
  // GET /api/v1/messages/{id}/receipts[/{receipt_id}]; not served when null.
  app::Receipts* receipts = nullptr;
  // GET /api/v1/contacts/methods (Compose's hints, app/routing.h); not served when null.
  const app::Routing* routing = nullptr;
  // POST /api/v1/messages/{id}/{accept,refuse} and /api/v1/pickup/{accept,refuse} (registered
  // mail); not served when null.
  app::RegisteredMail* registered = nullptr;
  // GET /api/v1/messages/{id}/evidence (the evidence package); not served when null.
  app::EvidencePackages* evidence = nullptr;
  // /api/v1/admin/tls-partners… and /api/v1/admin/tls-policy; not served when null.
  app::TlsPartners* tls_partners = nullptr;
  // /api/v1/admin/smtp-policies… (the domains' SMTP gateway policies); not served when null.
  app::SmtpPolicies* smtp_policies = nullptr;
  // Bearer API tokens: /api/v1/account/tokens and `Authorization: Bearer` on the administration
  // routes; refused when null.
  app::ApiTokens* api_tokens = nullptr;
  // GET /api/v1/admin/audit/export; not served when null.
  app::AuditExports* audit_exports = nullptr;
  // GET /api/v1/account/retention, /api/v1/admin/{retention,holds}; not served when null.
  app::Retention* retention = nullptr;
  // /api/v1/admin/escrow/{domain} (escrow keys, app/escrow.h); not served when null.
  app::Escrow* escrow = nullptr;
  // /api/v1/account/app-passwords (mail programs' passwords); not served when null.
  app::AppPasswords* app_passwords = nullptr;
  // GET /api/v1/messages/{id} opens S/MIME and OpenPGP mail from outside with the member's keys
  // and checks its signature ("signature"); when null, such mail shows only as stored.
  app::InboundReader* inbound_reader = nullptr;
};

void RegisterApi(http::Router& router, const ApiDeps& deps);

// The OpenAPI 3 description served at /api/v1/openapi.json.
const std::string& OpenApiDocument();

}  // namespace sealpost::api
