#include "cmd/serve.h"

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <iostream>
#include <memory>
#include <vector>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "api/api.h"
#include "app/accounts.h"
#include "app/app_passwords.h"
#include "app/delivery_reports.h"
#include "app/evidence_package.h"
#include "app/inbound_mail.h"
#include "app/inbound_reader.h"
#include "app/key_directory.h"
#include "app/mailbox.h"
#include "app/outbound_mail.h"
#include "app/public_log.h"
#include "app/receipt_issuing.h"
#include "app/registered_mail.h"
#include "app/retention.h"
#include "app/routing.h"
#include "app/secure_delivery.h"
#include "app/sent_status.h"
#include "app/smtp_policies.h"
#include "app/tls_partners.h"
#include "audit/audit_log.h"
#include "blob/blob_store.h"
#include "cmd/admin_rotate_master_key.h"
#include "cmd/data_dir_lock.h"
#include "cmd/open_store.h"
#include "cmd/periodic_task.h"
#include "cmd/smtp_gateway.h"
#include "cmd/time_stamper.h"
#include "crypto/security_policy.h"
#include "delivery/dkim_signer.h"
#include "delivery/mail_authentication.h"
#include "delivery/mailer.h"
#include "delivery/mx_resolver.h"
#include "delivery/tls_direct_sender.h"
#include "http/metrics_endpoint.h"
#include "http/self_signed.h"
#include "http/server.h"
#include "http/static_files.h"
#include "keys/master_key.h"
#include "keys/secret_file.h"
#include "platform/filesystem.h"
#include "receipts/receipt_issuer.h"
#include "receipts/tsa.h"
#include "smtp/inbound_face.h"
#include "smtp/relay_face.h"
#include "smtp/submission_face.h"
#include "telemetry/log_format.h"
#include "telemetry/metrics.h"
#include "tlog/note.h"
#include "trust/platform_pki.h"

namespace sealpost::cmd {
namespace {

Result<http::PemPair> LoadOrCreateTlsIdentity(const Config& c, platform::Filesystem& fs) {
  if (!c.tls_certificate.empty()) {
    SP_ASSIGN_OR_RETURN(std::string cert, platform::ReadSmallFile(fs, c.tls_certificate, 1 << 20));
    SP_ASSIGN_OR_RETURN(crypto::SecretString key,
                        keys::ReadSecretFile(fs, c.tls_private_key, 1 << 20));
    return http::PemPair{std::move(cert), std::move(key)};
  }
  const std::string dir = c.data_dir + "/tls";
  const std::string cert_path = dir + "/certificate.pem";
  const std::string key_path = dir + "/private-key.pem";
  if (fs.Exists(cert_path) && fs.Exists(key_path)) {
    SP_ASSIGN_OR_RETURN(std::string cert, platform::ReadSmallFile(fs, cert_path, 1 << 20));
    SP_ASSIGN_OR_RETURN(crypto::SecretString key, keys::ReadSecretFile(fs, key_path, 1 << 20));
    return http::PemPair{std::move(cert), std::move(key)};
  }
  SP_RETURN_IF_ERROR(fs.CreateDirectories(dir));
  SP_ASSIGN_OR_RETURN(
      http::PemPair pair,
      http::GenerateSelfSignedCertificate("localhost", {"localhost"}, {"127.0.0.1", "::1"}, 825));
  SP_RETURN_IF_ERROR(
      platform::WriteFileAtomically(fs, key_path, pair.private_key_pem.bytes().view()));
  SP_RETURN_IF_ERROR(platform::WriteFileAtomically(fs, cert_path, AsBytes(pair.certificate_pem)));
  spdlog::info("generated a self-signed TLS certificate: {}", cert_path);
  return pair;
}

std::string DefaultStaticDir() {
  // `make run` serves the UI built in web/dist of the source tree the binary was built from.
  return std::string(SEALPOST_SOURCE_DIR) + "/web/dist";
}

int Fail(const std::string& what, const Status& s) {
  std::cerr << "sealpost: " << what << ": " << s.ToString() << "\n";
  return 1;
}

// [metrics] → who may scrape GET /metrics (http/metrics_endpoint.h).
Result<http::MetricsAccess> LoadMetricsAccess(const Config& c, platform::Filesystem& fs) {
  http::MetricsAccess access;
  access.allow_loopback = c.metrics_allow_loopback;
  if (c.metrics_bearer_token_file.empty()) return access;
  SP_ASSIGN_OR_RETURN(crypto::SecretString file,
                      keys::ReadSecretFile(fs, c.metrics_bearer_token_file, 4096));
  std::string_view token = file.view();
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r' || token.back() == ' ')) {
    token.remove_suffix(1);
  }
  if (token.size() < 32 || token.find_first_of(" \t\r\n") != std::string_view::npos) {
    return InvalidArgument(
        "metrics.bearer_token_file must hold one token of at least 32 characters");
  }
  access.bearer_token = crypto::SecretString::CopyOf(token);
  return access;
}

// Outbound mail waiting, by state, read from the queue at each scrape. At most kQueueScan rows
// are looked at (a deeper queue shows as that many): the count is a health signal, not a ledger.
std::vector<telemetry::GaugeSample> ReadQueueDepth(store::Store& store,
                                                   const platform::Clock& clock) {
  constexpr int kQueueScan = 10000;
  auto queued = store.outbox().ListQueuedMail(kQueueScan);
  if (!queued.ok()) return {};  // no sample rather than a wrong one
  const TimePoint now = clock.Now();
  double sending = 0, retrying = 0, waiting = 0;
  for (const store::OutboundMailRecord& m : *queued) {
    if (m.lease_until && *m.lease_until > now) {
      ++sending;
    } else if (m.attempts > 0) {
      ++retrying;
    } else {
      ++waiting;
    }
  }
  return {{{"sending"}, sending}, {{"retrying"}, retrying}, {{"waiting"}, waiting}};
}

}  // namespace

int Serve(const Config& config) {
  // Signals are taken synchronously by this thread; every thread started later inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  telemetry::SetLogFormat(config.logging_format == "json" ? telemetry::LogFormat::kJson
                                                          : telemetry::LogFormat::kText);
  platform::Filesystem& fs = platform::DefaultFilesystem();
  platform::SystemClock clock;
  platform::SystemRng rng;
  if (Status s = fs.CreateDirectories(config.data_dir); !s.ok()) return Fail("data directory", s);
  // Held while serving, so that `admin rotate-master-key` cannot run beside (cmd/data_dir_lock.h).
  auto data_dir_lock = DataDirLock::Acquire(config.data_dir, LockMode::kShared);
  if (!data_dir_lock.ok()) return Fail("data directory", data_dir_lock.status());
  if (fs.Exists(PendingMasterKeyPath(config.MasterKeyPath()))) {
    return Fail("master key", Conflict("a master-key rotation was interrupted: run `sealpost "
                                       "admin rotate-master-key` again to finish it"));
  }
  if (fs.Exists(config.data_dir + "/outbox")) {
    spdlog::warn(
        "{}/outbox holds mail written by an earlier version; mail now goes to {} ([mail] "
        "outbox_dir): move or delete the old outbox, a copy of the data directory must not hold it",
        config.data_dir, config.OutboxDir());
  }

  auto master = keys::MasterKey::LoadOrCreate(fs, config.MasterKeyPath());
  if (!master.ok()) return Fail("master key", master.status());
  auto store = OpenStore(config.store_url, config.DatabasePath(), config.store_max_connections);
  if (!store.ok()) return Fail("database", store.status());
  auto blobs =
      OpenBlobs(**store, config.store_url, fs, config.BlobDir(), config.store_max_connections);
  if (!blobs.ok()) return Fail("blob store", blobs.status());
  auto audit_key = audit::LoadOrCreateAuditKey(**store, *master);
  if (!audit_key.ok()) return Fail("audit signing key", audit_key.status());
  const std::string audit_pub = HexEncode(audit_key->verify_key().bytes()) + "\n";
  if (Status s = platform::WriteFileAtomically(fs, config.AuditPublicKeyPath(), AsBytes(audit_pub));
      !s.ok()) {
    return Fail("audit public key", s);
  }
  audit::AuditLog audit_log(std::move(*audit_key), {config.LogOrigin(), config.log_sequence_batch},
                            clock);
  const std::string log_vkey =
      tlog::FormatVerifierKey({audit_log.origin(), audit_log.verify_key()});
  if (Status s =
          platform::WriteFileAtomically(fs, config.LogVerifierKeyPath(), AsBytes(log_vkey + "\n"));
      !s.ok()) {
    return Fail("log verifier key", s);
  }
  // The hash chain of earlier versions becomes the log's first leaves before any new event
  // (docs/formats/log-entry.md); on PostgreSQL only in the process that is the sequencer.
  if (Status s = audit_log.SequenceNow(**store); !s.ok()) {
    spdlog::error("audit log: sequencing (and migrating the hash chain) failed: {}", s.ToString());
  }
  const std::string& org = config.pki_organization;
  auto pki = trust::LoadOrCreatePlatformPki(**store, *master, clock,
                                            {org, org + " Root CA", org + " Issuing CA"});
  if (!pki.ok()) return Fail("platform PKI", pki.status());
  auto tsa = receipts::TimeStampAuthority::Create(
      pki->tsa, pki->Chain(), clock,
      {config.tsa_policy_oid, std::chrono::milliseconds(config.tsa_accuracy_millis)});
  if (!tsa.ok()) return Fail("time-stamping authority", tsa.status());
  spdlog::info("platform root CA {} (SHA-256 {})", pki->root.certificate.subject(),
               pki->root.certificate.FingerprintHex());
  // Nothing renews the platform's certificates yet (docs/formats/platform-pki.md): say so early.
  for (const smime::IssuedKey* entry :
       {&pki->root, &pki->issuing, &pki->evidence_signer, &pki->tsa}) {
    if (entry->certificate.not_after() - clock.Now() < std::chrono::hours(24 * 60)) {
      spdlog::warn("platform certificate {} expires at {}; renew the platform PKI",
                   entry->certificate.subject(), FormatRfc3339(entry->certificate.not_after()));
    }
  }
  api::PublicPki public_pki{pki->root.certificate.ToPem(), pki->root.certificate.der(),
                            pki->issuing.certificate.ToPem() + pki->tsa.certificate.ToPem() +
                                pki->evidence_signer.certificate.ToPem()};
  std::shared_ptr<const delivery::DkimSigner> dkim;
  if (!config.mail_dkim_key_file.empty()) {
    auto signer = delivery::LoadDkimSigner(
        {config.mail_dkim_key_file, config.mail_dkim_selector, config.mail_dkim_domain});
    if (!signer.ok()) return Fail("DKIM key", signer.status());
    dkim = *std::move(signer);
  }
  delivery::SmtpRelayOptions relay_options = config.relay;
  relay_options.dkim = dkim;
  std::unique_ptr<delivery::Mailer> mailer =
      config.mail_relay.empty()
          ? delivery::MakeEmlOutboxMailer(
                fs, clock, rng, {config.OutboxDir(), config.mail_from, config.mail_helo_name, dkim})
          : delivery::MakeSmtpRelayMailer(clock, rng, std::move(relay_options));
  auth::LoginThrottle throttle((*store)->platform(), clock, config.throttle);
  app::Services services{**store, **blobs, *master,  audit_log, clock,
                         rng,     *mailer, throttle, config.app};
  services.blob_rows_up_to = BlobRowsUpTo(config.store_url);
  services.pki = &*pki;
  services.pki_names = {org, org + " Root CA", org + " Issuing CA"};
  // Receipts (app/receipt_issuing.h): signed by the evidence certificate, time-stamped by the
  // platform TSA in process (the one POST /tsa serves) or by the external TSA of
  // `[receipts] tsa_url`, with the inclusion proof from the store.
  std::shared_ptr<const receipts::TimeStampAuthority> shared_tsa = std::move(*tsa);
  auto receipt_stamper = MakeTimeStamper(config, *shared_tsa);
  if (!receipt_stamper.ok()) return Fail("time-stamper for receipts", receipt_stamper.status());
  auto receipt_issuer =
      receipts::ReceiptIssuer::Create(pki->evidence_signer, pki->Chain(), **receipt_stamper);
  if (!receipt_issuer.ok()) return Fail("receipt issuer", receipt_issuer.status());
  services.receipt_issuer = receipt_issuer->get();
  app::ReceiptIssuing receipt_issuing(services);
  app::Receipts receipt_views(services);
  app::EvidencePackages evidence_packages(services);
  // The deliverers start before anything can queue mail; a send wakes them at once. Several, each
  // with its own relay session per batch; claims are leased, so they never send the same mail.
  app::MailDeliverer mail_deliverer(services);
  auto& deliveries = telemetry::DefaultRegistry().AddCounter(
      "sealpost_mail_deliveries_total",
      "Outbound mail delivery attempts, by method and result (delivered, retried, failed).",
      {"method", "result"});
  const std::string method = config.mail_relay.empty() ? "eml_file" : "smtp_relay";
  telemetry::Counter& delivered = deliveries.With({method, "delivered"});
  telemetry::Counter& retried = deliveries.With({method, "retried"});
  telemetry::Counter& failed = deliveries.With({method, "failed"});
  std::vector<std::unique_ptr<PeriodicTask>> mail_delivery;
  services.mail_queued = [&mail_delivery] {
    for (const auto& task : mail_delivery) task->Wake();
  };
  for (int i = 0; i < config.mail_delivery_connections; ++i) {
    mail_delivery.push_back(std::make_unique<PeriodicTask>(
        [&] {
          constexpr int kBatch = 50;  // mails per claim, and per relay session
          for (;;) {                  // until the queue holds nothing due
            auto round = mail_deliverer.DeliverDue(kBatch);
            if (!round.ok()) {
              spdlog::warn("mail delivery: {}", round.status().ToString());
              return;
            }
            delivered.Increment(static_cast<uint64_t>(round->delivered));
            retried.Increment(static_cast<uint64_t>(round->retried));
            failed.Increment(static_cast<uint64_t>(round->failed));
            if (round->delivered + round->retried + round->failed < kBatch) return;
          }
        },
        std::chrono::seconds(1)));
  }

  // Secure delivery (app/routing.h, app/secure_delivery.h; docs/secure-delivery.md): routing by
  // the key directory and the TLS partners (the [[delivery.tls_partner]] table, read-only, and
  // the administrators' table in the store: app/tls_partners.h), copies delivered by their own
  // deliverers (TLS copies only directly to the partners' MX hosts). Set before the use cases
  // below copy the services.
  // One set of trust anchors for contacts' certificates and inbound S/MIME signers (the system
  // CA bundle besides the administrators' anchors and the platform CA).
  const app::KeyDirectoryOptions key_directory_options;
  app::KeyDirectory key_directory(services, key_directory_options);
  services.key_directory = &key_directory;
  // Config-file partners are read-only beside the administrators' (app/tls_partners.h).
  app::TlsPartners tls_partners(services, config.tls_partners);
  services.tls_partner = [&tls_partners](std::string_view sender_domain, std::string_view domain) {
    return tls_partners.Lookup(sender_domain, domain);
  };
  services.tls_only_forbidden =
      [&tls_partners, forbid = config.delivery_forbid_tls_only](std::string_view domain) {
        return forbid || tls_partners.TlsOnlyForbidden(domain);
      };
  // Partners can be added at run time (admin API), so the sender exists whenever DNS can be
  // asked; without it TLS copies wait (deferred, with the reason) rather than go another way.
  std::unique_ptr<delivery::TlsDirectSender> tls_sender;
  {
    delivery::DnsResolverOptions dns;
    dns.resolver = config.delivery_dns_resolver;
    dns.trust_anchor_file = config.delivery_dns_trust_anchor_file;
    auto resolver = delivery::MakeUnboundMxResolver(dns);
    if (!resolver.ok()) {
      if (!config.tls_partners.empty()) {
        return Fail("DNS resolver for direct delivery", resolver.status());
      }
      spdlog::warn("direct delivery over TLS is off: {}", resolver.status().ToString());
    } else {
      delivery::TlsDirectOptions tls_options;
      tls_options.helo_name = config.mail_helo_name;
      tls_options.ca_file = config.delivery_tls_ca_file;
      auto sender = delivery::MakeTlsDirectSender(
          std::shared_ptr<const delivery::MxResolver>(std::move(*resolver)), tls_options);
      if (!sender.ok()) return Fail("direct delivery over TLS", sender.status());
      tls_sender = std::move(*sender);
    }
  }
  app::SecureCopyDeliverer secure_deliverer(services, tls_sender.get());
  auto& secure_deliveries = telemetry::DefaultRegistry().AddCounter(
      "sealpost_secure_copy_deliveries_total",
      "Secure copy (S/MIME, OpenPGP, TLS) delivery attempts, by result.", {"result"});
  // Several deliverers, each claiming up to copies_per_session copies and carrying them in one
  // session per next hop (the relay, or a partner domain's MX); claims are leased, so no copy is
  // sent twice by two of them.
  std::vector<std::unique_ptr<PeriodicTask>> secure_delivery;
  for (int i = 0; i < config.delivery_connections; ++i) {
    secure_delivery.push_back(std::make_unique<PeriodicTask>(
        [&] {
          const int kBatch = config.delivery_copies_per_session;
          for (;;) {
            auto round = secure_deliverer.DeliverDue(kBatch);
            if (!round.ok()) {
              spdlog::warn("secure delivery: {}", round.status().ToString());
              return;
            }
            secure_deliveries.With({"delivered"})
                .Increment(static_cast<uint64_t>(round->delivered));
            secure_deliveries.With({"retried"}).Increment(static_cast<uint64_t>(round->retried));
            secure_deliveries.With({"failed"}).Increment(static_cast<uint64_t>(round->failed));
            if (round->delivered + round->retried + round->failed < kBatch) return;
          }
        },
        std::chrono::seconds(5)));
  }
  services.secure_copies_queued = [&secure_delivery] {
    for (const auto& task : secure_delivery) task->Wake();
  };
  const app::Routing routing(services);

  app::Accounts accounts(services);
  app::Mailbox mailbox(services);
  app::Folders folders(services);
  app::Admin admin(services);
  app::Guests guests(services);
  app::SentMessages sent(services);
  app::AccountKeys account_keys(services);
  app::Contacts contacts(services, key_directory_options);
  // Opens S/MIME and OpenPGP mail from outside when the member reads it.
  app::InboundReader inbound_reader(services, key_directory_options.ca_bundle_path);
  app::RegisteredMail registered_mail(services);
  app::ApiTokens api_tokens(services);
  app::AuditExports audit_exports(services);
  app::Retention retention(services);
  app::Escrow escrow(services);
  // The domains' SMTP gateway policies, with the config file's [smtp_policy] as the default (the
  // admin API's; the submission use case keeps its own look-up over the same store).
  auto smtp_policies = app::SmtpPolicies::Create(
      services, {config.submission.policy, config.submission.tag, config.submission.rules});
  if (!smtp_policies.ok()) return Fail("SMTP policy", smtp_policies.status());
  // Mail programs' passwords, shown with the submission listeners' ports (0 = not offered; the
  // host comes from public_url).
  const auto submission_port = [&config](const char* name) -> uint16_t {
    const auto l = config.smtp.listeners.find(name);
    return l != config.smtp.listeners.end() && l->second.enabled ? l->second.port : 0;
  };
  app::AppPasswords app_passwords(
      services, {},
      app::MailProgramSettings{{}, submission_port("submission"), submission_port("submissions")});

  auto router = std::make_shared<http::Router>();
  store::Store& store_ref = **store;
  api::RegisterApi(*router,
                   {accounts,
                    mailbox,
                    folders,
                    admin,
                    guests,
                    sent,
                    account_keys,
                    [&store_ref] { return store_ref.accounts().HasActiveAdmin().status(); },
                    config.app.limits.max_upload_bytes,
                    config.max_json_bytes,
                    4 * config.app.limits.max_text_bytes,
                    shared_tsa,
                    std::move(public_pki),
                    std::make_shared<app::PublicLog>(store_ref, audit_log),
                    &contacts,
                    &receipt_views,
                    &routing,
                    &registered_mail,
                    &evidence_packages,
                    &tls_partners,
                    smtp_policies->get(),
                    &api_tokens,
                    &audit_exports,
                    &retention,
                    &escrow,
                    &app_passwords,
                    &inbound_reader});
  const std::string static_dir = config.static_dir.empty() ? DefaultStaticDir() : config.static_dir;
  std::optional<telemetry::Registry::ReaderHandle> queue_depth;
  std::optional<telemetry::Registry::ReaderHandle> sessions_live;
  if (config.metrics_enabled) {
    auto access = LoadMetricsAccess(config, fs);
    if (!access.ok()) return Fail("metrics", access.status());
    router->Add("GET", "/metrics",
                http::MakeMetricsHandler(std::move(*access), telemetry::DefaultRegistry()));
    queue_depth = telemetry::DefaultRegistry().AddGaugeReader(
        "sealpost_mail_queue_depth",
        "Outbound mails queued, by state (waiting, retrying, sending).", {"state"},
        [&store_ref, &clock] { return ReadQueueDepth(store_ref, clock); });
    // Members logged in: full sessions neither expired nor idle (a bounded count per scrape).
    sessions_live = telemetry::DefaultRegistry().AddGaugeReader(
        "sealpost_sessions_live", "Members logged in: sessions neither expired nor idle.", {},
        [&store_ref, &clock,
         idle = config.app.session_idle]() -> std::vector<telemetry::GaugeSample> {
          const TimePoint now = clock.Now();
          auto live = store_ref.stats().CountLiveSessions(now, now - idle);
          if (!live.ok()) return {};  // no sample rather than a wrong one
          return {{{}, static_cast<double>(*live)}};
        });
  }
  // An unknown /log/ path is a 404, not the web UI.
  router->SetFallback(http::MakeStaticFileHandler(static_dir), {"/api/", "/log/"});

  auto tls = LoadOrCreateTlsIdentity(config, fs);
  if (!tls.ok()) return Fail("TLS certificate", tls.status());
  http::ServerOptions options;
  options.address = config.listen_address;
  options.port = config.listen_port;
  options.certificate_pem = tls->certificate_pem;
  options.private_key_pem = std::move(tls->private_key_pem);
  options.io_threads = config.io_threads;
  options.worker_threads = config.worker_threads;
  options.max_transfers = config.max_transfers;
  options.public_url = config.app.public_url;
  options.header_timeout = config.header_timeout;
  options.body_idle_timeout = config.body_idle_timeout;
  options.keep_alive_timeout = config.keep_alive_timeout;
  auto server = http::Server::Create(std::move(options), router);
  if (!server.ok()) return Fail("HTTPS server", server.status());
  if (Status s = (*server)->Start(); !s.ok()) return Fail("HTTPS server", s);

  // [smtp]: the SMTP gateway (cmd/smtp_gateway.h, docs/smtp-gateway.md). An enabled listener
  // starts once its face is registered here (listener name → factory); the faces come with
  // their parts of the gateway. Declared after everything a face uses, so it stops first.
  // inbound (app/inbound_mail.h): the MX of the [smtp.inbound] domains (none listed: every
  // domain that has members); SPF and DKIM through the [delivery] DNS resolver.
  delivery::DnsResolverOptions inbound_dns;
  inbound_dns.resolver = config.delivery_dns_resolver;
  inbound_dns.trust_anchor_file = config.delivery_dns_trust_anchor_file;
  auto mail_authenticator = delivery::MakeMailAuthenticator(inbound_dns);
  if (!mail_authenticator.ok()) return Fail("inbound mail DNS", mail_authenticator.status());
  // Delivery status notifications to our tagged bounce addresses ([mail] bounce_domain) update
  // the state of the copy or mail they report on (app/delivery_reports.h).
  app::DeliveryReports delivery_reports(services);
  const auto inbound_listener = config.smtp.listeners.find("inbound");
  const app::InboundMail inbound_mail(
      services,
      inbound_listener == config.smtp.listeners.end() ? std::vector<std::string>{}
                                                      : inbound_listener->second.domains,
      app::CheckWith(**mail_authenticator),
      {inbound_listener == config.smtp.listeners.end()
           ? 0
           : std::min<uint64_t>(inbound_listener->second.max_message_bytes,
                                crypto::policy::kMimeParse.max_message_bytes)});
  SmtpFaces smtp_faces = {{"inbound", [&]() -> Result<std::shared_ptr<smtp::Face>> {
                             return std::shared_ptr<smtp::Face>(std::make_shared<smtp::InboundFace>(
                                 inbound_mail, &delivery_reports));
                           }}};
  // Submission (docs/smtp-submission.md): members' mail programs, on both submission listeners.
  app::SubmissionConfig submission_config = config.submission;
  submission_config.spool_directory = config.SubmissionSpoolDir();
  submission_config.max_message_bytes = config.smtp.listeners.at("submission").max_message_bytes;
  auto mail_submission = app::MailSubmission::Create(services, std::move(submission_config));
  if (!mail_submission.ok()) return Fail("SMTP submission", mail_submission.status());
  // AUTH with an app password (app/app_passwords.h): it unwraps the member's UMK, so submitted
  // mail is sealed with the member's own key.
  const smtp::SubmissionAuthenticator authenticate_app_password =
      [&app_passwords](std::string_view email, const crypto::SecretString& password,
                       std::string_view client) -> Result<app::AuthContext> {
    return app_passwords.Authenticate(email, password, client);
  };
  // Checked again at each transaction, so a revocation stops a connection already logged in.
  const smtp::SubmissionLiveness app_password_still_live =
      [&app_passwords](const app::AuthContext& ctx) { return app_passwords.StillLive(ctx); };
  for (const char* name : {"submission", "submissions"}) {
    const SmtpListenerConfig& listener = config.smtp.listeners.at(name);
    smtp_faces[name] = [&, listener]() -> Result<std::shared_ptr<smtp::Face>> {
      return std::shared_ptr<smtp::Face>(std::make_shared<smtp::SubmissionFace>(
          **mail_submission, authenticate_app_password, app_password_still_live,
          smtp::SubmissionFaceOptions{listener.max_recipients, listener.auth_requires_tls}));
    };
  }
  // The relay face (smtp/relay_face.h): the organisation's mail server; [smtp.relay]
  // client_networks / client_certificates say who it is. Its mail takes the submission's way
  // ([smtp_policy]: sent securely, sealed by the gateway for the member, or relayed unchanged).
  if (const auto relay = config.smtp.listeners.find("relay");
      relay != config.smtp.listeners.end()) {
    smtp_faces["relay"] = [&services, &mail_submission,
                           listener = relay->second]() -> Result<std::shared_ptr<smtp::Face>> {
      SP_ASSIGN_OR_RETURN(
          std::unique_ptr<smtp::Face> face,
          smtp::MakeRelayFace(services, **mail_submission,
                              {listener.client_networks, listener.client_certificates,
                               listener.max_message_bytes}));
      return std::shared_ptr<smtp::Face>(std::move(face));
    };
  }
  auto smtp_tls = LoadOrCreateTlsIdentity(config, fs);
  if (!smtp_tls.ok()) return Fail("SMTP TLS certificate", smtp_tls.status());
  auto smtp_server = StartSmtpGateway(config.smtp, smtp_faces, std::move(smtp_tls->certificate_pem),
                                      std::move(smtp_tls->private_key_pem), fs);
  if (!smtp_server.ok()) return Fail("SMTP gateway", smtp_server.status());

  PeriodicTask housekeeping(
      [&] {
        auto uploads = mailbox.ExpireUploads();
        if (!uploads.ok()) spdlog::warn("housekeeping: uploads: {}", uploads.status().ToString());
        if (uploads.ok() && *uploads > 0)
          spdlog::info("housekeeping: expired {} uploads", *uploads);
        auto pickups = sent.ExpirePickups();
        if (!pickups.ok()) spdlog::warn("housekeeping: pickups: {}", pickups.status().ToString());
        if (pickups.ok() && pickups->expired + pickups->tokens > 0) {
          spdlog::info("housekeeping: expired {} pickups, {} pickup tokens", pickups->expired,
                       pickups->tokens);
        }
        const Status sessions = accounts.ExpireSessions();
        if (!sessions.ok()) spdlog::warn("housekeeping: sessions: {}", sessions.ToString());
      },
      std::chrono::minutes(10));

  // Registered mail not accepted by its deadline expires (app/registered_mail.h), each with its
  // log leaf; deadlines are days away, so a round a minute is on time.
  PeriodicTask registered_expiry(
      [&] {
        auto round = registered_mail.ExpireOverdue();
        if (!round.ok()) spdlog::warn("registered mail: {}", round.status().ToString());
        if (round.ok() && round->expired > 0) {
          spdlog::info("registered mail: {} recipients let the deadline pass", round->expired);
        }
      },
      std::chrono::minutes(1));
  // Retention (docs/retention.md): runs of at most `retention_batch` entries and pickups, each
  // one transaction and one audited event, until nothing is due.
  PeriodicTask retention_task(
      [&] {
        for (;;) {
          auto round = retention.ShredDue(config.retention_batch);
          if (!round.ok()) {
            spdlog::warn("retention: {}", round.status().ToString());
            return;
          }
          if (!round->run_id.empty() || round->blobs > 0) {
            spdlog::info("retention: run {} shredded {} entries, {} pickups, {} messages, {} blobs",
                         round->run_id, round->entries, round->pickups, round->messages,
                         round->blobs);
          }
          if (!round->more || round->run_id.empty()) return;  // done, or all held meanwhile
        }
      },
      config.retention_interval);

  // Receipts for the evidence events a checkpoint covers: a round after each sequencing round
  // (declared first: the sequencer wakes it), and every delay in case another process sequences.
  // At background priority: a receipt follows its delivery, and must not slow the deliveries.
  PeriodicTask receipt_task(
      [&] {
        constexpr int kBatch = 256;  // leaves per round (one write transaction)
        for (;;) {
          auto round = receipt_issuing.IssueDue(kBatch);
          if (!round.ok()) {
            spdlog::warn("receipts: {}", round.status().ToString());
            return;
          }
          if (round->scanned < static_cast<uint64_t>(kBatch)) return;
        }
      },
      std::chrono::milliseconds(config.log_sequence_delay_ms), PeriodicTask::Priority::kBackground);

  // Pending audit events get their log index and a signed checkpoint within the delay.
  PeriodicTask log_sequencer(
      [&] {
        if (Status s = audit_log.SequenceNow(**store); !s.ok()) {
          spdlog::warn("audit log: sequencing: {}", s.ToString());
          return;
        }
        receipt_task.Wake();
      },
      std::chrono::milliseconds(config.log_sequence_delay_ms));

  const std::string url = config.app.public_url;
  std::cout << fmt::format("Sealpost is running at {}/\n", url);
  std::cout << fmt::format("listening on {}:{}\n", config.listen_address, (*server)->port());
  std::cout << fmt::format("Transparency log: {}/log/v1/ (verifier key {})\n", url, log_vkey);
  // The URL may carry a password: name the backend only.
  std::cout << (config.store_url.empty()
                    ? fmt::format("Database: SQLite {}\n", config.DatabasePath())
                    : std::string("Database: PostgreSQL ([store] url)\n"));
  auto bootstrap = accounts.CreateBootstrapTokenIfNeeded();
  if (!bootstrap.ok()) return Fail("bootstrap link", bootstrap.status());
  if (*bootstrap) {
    std::cout << fmt::format(
        "Create the first administrator (link valid 24 h, once): "
        "{}/setup#token={}\n",
        url, **bootstrap);
  }
  if (config.mail_relay.empty()) {
    std::cout << fmt::format(
        "Outgoing mail: no relay configured, written to {}\n",
        std::filesystem::absolute(config.OutboxDir()).lexically_normal().string());
  } else {
    std::cout << fmt::format("Outgoing mail: via the SMTP relay {} (TLS {})\n", config.mail_relay,
                             config.mail_relay_tls);
  }
  std::cout << std::flush;

  int signal = 0;
  sigwait(&signals, &signal);
  spdlog::info("received signal {}, stopping", signal);
  (*server)->Stop();
  if (Status s = audit_log.SequenceNow(**store); !s.ok()) {
    spdlog::error("final audit log sequencing failed: {}", s.ToString());
  }
  return 0;
}

}  // namespace sealpost::cmd
