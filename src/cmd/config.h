// sealpost.toml: every key has a default, so `sealpost serve` with no file runs.
// The annotated reference is docs/sealpost.example.toml.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "app/mail_submission.h"
#include "app/services.h"
#include "auth/login_throttle.h"
#include "cmd/smtp_config.h"
#include "core/status.h"
#include "delivery/mailer.h"
#include "delivery/tls_partner_policy.h"
#include "receipts/tsa.h"

namespace sealpost::cmd {

struct Config {
  std::string data_dir = "./sealpost-data";
  // [store]
  std::string store_url;          // empty: SQLite at DatabasePath(); "postgresql://…": PostgreSQL
  int store_max_connections = 8;  // PostgreSQL connections per process
  // [http]
  std::string listen_address = "127.0.0.1";
  uint16_t listen_port = 8443;
  std::string tls_certificate;  // PEM path; generated self-signed under data_dir when empty
  std::string tls_private_key;
  std::string static_dir;  // built web UI; default: web/dist beside the binary's source tree
  int io_threads = 2;
  int worker_threads = 8;
  size_t max_transfers = 256;  // streamed uploads and downloads at once (about 4 MiB each)
  std::chrono::seconds header_timeout{10};
  std::chrono::seconds body_idle_timeout{30};
  std::chrono::seconds keep_alive_timeout{60};
  size_t max_json_bytes = 1 << 20;
  // [mail]
  std::string mail_from = "Sealpost <no-reply@sealpost.localhost>";
  std::string mail_relay;  // host:port; empty = write .eml files to OutboxDir()
  // Where .eml files go without a relay. The outbox stands for the recipients' mailboxes (its
  // mails carry pickup and confirmation links), so it is never inside data_dir: a copy of the
  // data directory must not hold it. Empty: "sealpost-outbox" beside data_dir.
  std::string mail_outbox_dir;
  std::string mail_relay_tls = "required";  // "required" or "opportunistic"
  std::string mail_relay_ca_file;
  std::string mail_relay_username;
  std::string mail_relay_password;  // read from the file; never logged
  std::string mail_helo_name = "sealpost.localhost";
  // DKIM (all three or none): every mail Sealpost sends is signed (delivery/dkim_signer.h).
  std::string mail_dkim_key_file;  // PEM RSA private key; read at start-up, never logged
  std::string mail_dkim_selector;
  std::string mail_dkim_domain;
  int mail_delivery_connections = 4;  // deliverer threads, each with its own relay session
  delivery::SmtpRelayOptions relay;   // filled from the keys above when mail_relay is set
  // [delivery]: direct delivery over enforced TLS to partner domains (docs/tls-partners.md).
  std::string delivery_dns_resolver;           // "IP[@port]" for MX lookups; empty: resolv.conf
  std::string delivery_dns_trust_anchor_file;  // DNSSEC trust anchors; empty: no validation
  std::string delivery_tls_ca_file;            // CA bundle for tls = "verify"; empty: system store
  std::vector<delivery::TlsPartnerPolicy> tls_partners;  // [[delivery.tls_partner]]
  // Routing never picks TLS-only delivery (recipients of partner domains get pickups instead).
  bool delivery_forbid_tls_only = false;
  // Secure copies (app/secure_delivery.h): parallel deliverers, each one SMTP session at a time,
  // and the copies claimed at once, i.e. the most carried by one session.
  int delivery_connections = 4;
  int delivery_copies_per_session = 50;
  // [audit]
  int audit_checkpoint_every = 100;  // the legacy hash chain's; read and ignored (it is frozen)
  // [pki]: the platform's own CA (docs/formats/platform-pki.md). The names are fixed into the
  // certificates on first start; changing them later changes nothing already issued.
  std::string pki_organization = "Sealpost";
  // [tsa]: the RFC 3161 time-stamping authority at POST /tsa.
  std::string tsa_policy_oid = std::string(receipts::kDefaultTsaPolicyOid);
  int tsa_accuracy_millis = 1000;
  // [receipts]: where receipts' RFC 3161 time-stamps come from (cmd/time_stamper.h).
  std::string receipts_tsa_url;          // https://…; empty: the built-in TSA above, in process
  std::string receipts_tsa_ca_file;      // PEM CA(s) the external TSA's certificate chains to
  std::string receipts_tsa_tls_ca_file;  // PEM CA(s) for its HTTPS; empty: the system's store
  int receipts_tsa_timeout_ms = 10'000;  // per time-stamp request, connect to answer
  // [log]: the transparency log's sequencer (docs/formats/log-entry.md)
  int log_sequence_delay_ms = 1000;  // bound on the delay from a commit to its signed checkpoint
  int log_sequence_batch = 4096;     // leaves per sequencing transaction
  std::string log_origin;            // checkpoint origin; empty: LogOrigin()
  // [retention] (docs/retention.md): how often the shredding job runs, and its batch (entries
  // and pickups per run, one transaction each). day_seconds (app.retention_day) is for tests.
  std::chrono::seconds retention_interval{3600};
  int retention_batch = 500;
  // [metrics] (GET /metrics, docs/operations.md) and [logging]. "[logging]", not "[log]": that
  // section is the transparency log's.
  bool metrics_enabled = true;
  bool metrics_allow_loopback = true;     // scrapes from 127.0.0.0/8 and ::1 need no token
  std::string metrics_bearer_token_file;  // a file holding the scrapers' token; read at start-up
  std::string logging_format = "text";    // "text" or "json"
  // [smtp]: the SMTP gateway's listeners (cmd/smtp_config.h, docs/smtp-gateway.md)
  SmtpConfig smtp;
  // [smtp_policy] (docs/smtp-submission.md): which submitted messages go out securely; the
  // spool directory is SubmissionSpoolDir(), the size limit the listener's.
  app::SubmissionConfig submission;
  // [auth], [limits], public_url …
  app::AppConfig app;
  auth::ThrottleLimits throttle;

  std::string DatabasePath() const { return data_dir + "/sealpost.db"; }
  std::string BlobDir() const { return data_dir + "/blobs"; }
  std::string SubmissionSpoolDir() const { return data_dir + "/smtp-spool"; }
  std::string OutboxDir() const;  // mail_outbox_dir, or the default beside data_dir
  std::string MasterKeyPath() const { return data_dir + "/master.key"; }
  std::string AuditPublicKeyPath() const { return data_dir + "/audit-signing.pub"; }
  // The log's note verifier key line (GET /log/v1/key), written at every start for monitors.
  std::string LogVerifierKeyPath() const { return data_dir + "/log-verifier-key.txt"; }
  // log_origin, or "<host of public_url>/sealpost-log".
  std::string LogOrigin() const;
};

// Reads `path` (when given) over the defaults; unknown keys and bad values are errors naming
// the key. `data_dir_override` (from --data-dir) and `outbox_dir_override` (--outbox-dir) win
// over the file. InvalidArgument when the outbox (used without a relay) is inside data_dir.
// Integers must fit their field (no value wraps into range), durations (*_seconds) are at most
// 100 years.
//
// SECURITY: the file is the operator's, but it is parsed to the untrusted-input standard (and
// fuzzed, tests/fuzz/config_fuzz.cpp): malformed TOML and out-of-range values are errors, never a
// crash, undefined behaviour or a silently different setting.
Result<Config> LoadConfig(const std::optional<std::string>& path,
                          const std::optional<std::string>& data_dir_override,
                          const std::optional<std::string>& outbox_dir_override = std::nullopt);
// The same for TOML text already in memory (no overrides); `source_name` names it in parse
// errors.
Result<Config> ParseConfig(std::string_view toml_text, std::string_view source_name);

}  // namespace sealpost::cmd
