#include "cmd/config.h"

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <set>
#include <vector>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "cmd/tls_partner_config.h"
#include "core/address.h"
#include "delivery/mx_resolver.h"
#include "telemetry/log_format.h"
#include "tlog/note.h"

namespace sealpost::cmd {
namespace {

constexpr int64_t kMaxSeconds = int64_t{100} * 365 * 24 * 3600;

// Reads typed values and remembers which keys were seen, so unknown keys can be reported.
class Reader {
 public:
  explicit Reader(const toml::table& root) : root_(root) {}

  template <typename T>
  Status Get(std::string_view section, std::string_view key, T& out) {
    known_.insert(fmt::format("{}.{}", section, key));
    const toml::node* node = root_.at_path(fmt::format("{}.{}", section, key)).node();
    if (!node) return Status::Ok();
    if constexpr (std::is_same_v<T, std::string>) {
      if (auto v = node->value<std::string>()) {
        out = *v;
        return Status::Ok();
      }
    } else if constexpr (std::is_same_v<T, bool>) {
      if (auto v = node->value<bool>()) {
        out = *v;
        return Status::Ok();
      }
    } else {
      // Only TOML integers: toml++ 3.3's value<int64_t>() converts floats, and one beyond the
      // int64 range by an undefined cast (found by the fuzzer: "1809223372036854775807e0").
      if (auto v = node->value_exact<int64_t>()) {
        // Within T, so no value wraps into range (port = 70000 is not port 4464).
        const uint64_t max = static_cast<uint64_t>(std::numeric_limits<T>::max());
        if (*v < 0 || static_cast<uint64_t>(*v) > max) {
          return InvalidArgument(
              fmt::format("config key {}.{} must be between 0 and {}", section, key, max));
        }
        out = static_cast<T>(*v);
        return Status::Ok();
      }
    }
    return InvalidArgument(fmt::format("config key {}.{} has the wrong type", section, key));
  }

  // Durations are bounded so that adding one to a time point (nanoseconds since 1970 in
  // 64 bits, good until 2262) or converting it to milliseconds cannot overflow.
  Status GetSeconds(std::string_view section, std::string_view key, std::chrono::seconds& out) {
    int64_t v = out.count();
    SP_RETURN_IF_ERROR(Get(section, key, v));
    if (v > kMaxSeconds) {
      return InvalidArgument(fmt::format("config key {}.{} must be at most {} (100 years)", section,
                                         key, kMaxSeconds));
    }
    out = std::chrono::seconds(v);
    return Status::Ok();
  }

  // The raw node at section.key (marked known), or nullptr when absent.
  const toml::node* Node(std::string_view section, std::string_view key) {
    known_.insert(fmt::format("{}.{}", section, key));
    return root_.at_path(fmt::format("{}.{}", section, key)).node();
  }

  // A whole section read by its own parser, which reports its unknown keys itself.
  const toml::node* Section(std::string_view section) {
    owned_.insert(std::string(section));
    return root_.get(section);
  }

  Status CheckUnknown() const {
    for (const auto& [section, node] : root_) {
      if (owned_.count(std::string(section.str()))) continue;
      const auto* table = node.as_table();
      if (!table)
        return InvalidArgument(fmt::format("config key {} must be a section", section.str()));
      for (const auto& [key, value] : *table) {
        const std::string full = fmt::format("{}.{}", section.str(), key.str());
        if (!known_.count(full)) return InvalidArgument("unknown config key " + full);
      }
    }
    return Status::Ok();
  }

 private:
  const toml::table& root_;
  std::set<std::string> known_;
  std::set<std::string> owned_;
};

// [smtp_policy] (docs/smtp-submission.md): which messages of mail programs (and of the
// organisation's relay) go out securely. Its own section: [smtp] holds the listeners.
Status ReadSmtpPolicy(Reader& r, Config& c) {
  constexpr std::string_view kSection = "smtp_policy";
  std::string policy = "all";
  SP_RETURN_IF_ERROR(r.Get(kSection, "policy", policy));
  auto parsed = app::ParseSubmissionPolicy(policy);
  if (!parsed.ok()) return InvalidArgument("smtp_policy.policy must be all, tag or rules");
  c.submission.policy = *parsed;
  SP_RETURN_IF_ERROR(r.Get(kSection, "tag", c.submission.tag));
  for (auto [key, out] : {std::pair{"ready_rules", &c.submission.rules.ready},
                          std::pair{"regex_rules", &c.submission.rules.regexes}}) {
    const toml::node* node = r.Node(kSection, key);
    if (!node) continue;
    const toml::array* list = node->as_array();
    if (!list)
      return InvalidArgument(fmt::format("config key {}.{} must be a list", kSection, key));
    for (const toml::node& item : *list) {
      auto text = item.value<std::string>();
      if (!text) {
        return InvalidArgument(fmt::format("config key {}.{} must hold strings", kSection, key));
      }
      out->push_back(*text);
    }
  }
  if (c.submission.tag.empty() || c.submission.tag.size() > 100) {
    return InvalidArgument("smtp_policy.tag must be 1 to 100 bytes");
  }
  // A rule that does not compile is a configuration error, named at start-up.
  return app::ContentRules::Compile(c.submission.rules).status();
}

Status Read(Reader& r, Config& c) {
  SP_RETURN_IF_ERROR(r.Get("server", "data_dir", c.data_dir));
  SP_RETURN_IF_ERROR(r.Get("server", "public_url", c.app.public_url));
  SP_RETURN_IF_ERROR(r.Get("store", "url", c.store_url));
  SP_RETURN_IF_ERROR(r.Get("store", "max_connections", c.store_max_connections));
  SP_RETURN_IF_ERROR(r.Get("http", "address", c.listen_address));
  SP_RETURN_IF_ERROR(r.Get("http", "port", c.listen_port));
  SP_RETURN_IF_ERROR(r.Get("http", "tls_certificate", c.tls_certificate));
  SP_RETURN_IF_ERROR(r.Get("http", "tls_private_key", c.tls_private_key));
  SP_RETURN_IF_ERROR(r.Get("http", "static_dir", c.static_dir));
  SP_RETURN_IF_ERROR(r.Get("http", "io_threads", c.io_threads));
  SP_RETURN_IF_ERROR(r.Get("http", "worker_threads", c.worker_threads));
  SP_RETURN_IF_ERROR(r.Get("http", "max_transfers", c.max_transfers));
  SP_RETURN_IF_ERROR(r.GetSeconds("http", "header_timeout_seconds", c.header_timeout));
  SP_RETURN_IF_ERROR(r.GetSeconds("http", "body_idle_timeout_seconds", c.body_idle_timeout));
  SP_RETURN_IF_ERROR(r.GetSeconds("http", "keep_alive_timeout_seconds", c.keep_alive_timeout));
  SP_RETURN_IF_ERROR(r.Get("http", "max_json_bytes", c.max_json_bytes));
  SP_RETURN_IF_ERROR(r.Get("mail", "from", c.mail_from));
  SP_RETURN_IF_ERROR(r.Get("mail", "relay", c.mail_relay));
  SP_RETURN_IF_ERROR(r.Get("mail", "outbox_dir", c.mail_outbox_dir));
  SP_RETURN_IF_ERROR(r.Get("mail", "relay_tls", c.mail_relay_tls));
  SP_RETURN_IF_ERROR(r.Get("mail", "relay_ca_file", c.mail_relay_ca_file));
  SP_RETURN_IF_ERROR(r.Get("mail", "relay_username", c.mail_relay_username));
  SP_RETURN_IF_ERROR(r.Get("mail", "relay_password", c.mail_relay_password));
  SP_RETURN_IF_ERROR(r.Get("mail", "helo_name", c.mail_helo_name));
  // Bounce addresses for delivery status notifications (app/delivery_reports.h).
  SP_RETURN_IF_ERROR(r.Get("mail", "bounce_domain", c.app.bounce_domain));
  if (!c.app.bounce_domain.empty() &&
      (c.app.bounce_domain.find('@') != std::string::npos ||
       !EmailAddress::Parse("bounces@" + c.app.bounce_domain).ok())) {
    return InvalidArgument("config key mail.bounce_domain must be a domain name");
  }
  SP_RETURN_IF_ERROR(r.Get("mail", "delivery_connections", c.mail_delivery_connections));
  SP_RETURN_IF_ERROR(r.Get("mail", "dkim_key_file", c.mail_dkim_key_file));
  SP_RETURN_IF_ERROR(r.Get("mail", "dkim_selector", c.mail_dkim_selector));
  SP_RETURN_IF_ERROR(r.Get("mail", "dkim_domain", c.mail_dkim_domain));
  SP_RETURN_IF_ERROR(r.GetSeconds("mail", "retry_first_seconds", c.app.mail_retry.first_retry));
  SP_RETURN_IF_ERROR(r.GetSeconds("mail", "retry_max_seconds", c.app.mail_retry.max_retry));
  SP_RETURN_IF_ERROR(r.GetSeconds("mail", "give_up_after_seconds", c.app.mail_retry.give_up_after));
  SP_RETURN_IF_ERROR(r.GetSeconds("mail", "lease_seconds", c.app.mail_retry.lease));
  SP_RETURN_IF_ERROR(r.Get("audit", "checkpoint_every", c.audit_checkpoint_every));
  SP_RETURN_IF_ERROR(r.Get("pki", "organization", c.pki_organization));
  SP_RETURN_IF_ERROR(r.Get("tsa", "policy_oid", c.tsa_policy_oid));
  SP_RETURN_IF_ERROR(r.Get("tsa", "accuracy_millis", c.tsa_accuracy_millis));
  SP_RETURN_IF_ERROR(r.Get("receipts", "tsa_url", c.receipts_tsa_url));
  SP_RETURN_IF_ERROR(r.Get("receipts", "tsa_ca_file", c.receipts_tsa_ca_file));
  SP_RETURN_IF_ERROR(r.Get("receipts", "tsa_tls_ca_file", c.receipts_tsa_tls_ca_file));
  SP_RETURN_IF_ERROR(r.Get("receipts", "tsa_timeout_ms", c.receipts_tsa_timeout_ms));
  SP_RETURN_IF_ERROR(r.Get("log", "sequence_delay_ms", c.log_sequence_delay_ms));
  SP_RETURN_IF_ERROR(r.Get("log", "sequence_batch", c.log_sequence_batch));
  SP_RETURN_IF_ERROR(r.Get("log", "origin", c.log_origin));
  SP_RETURN_IF_ERROR(r.Get("delivery", "dns_resolver", c.delivery_dns_resolver));
  SP_RETURN_IF_ERROR(r.Get("delivery", "dns_trust_anchor_file", c.delivery_dns_trust_anchor_file));
  SP_RETURN_IF_ERROR(r.Get("delivery", "tls_ca_file", c.delivery_tls_ca_file));
  SP_RETURN_IF_ERROR(r.Get("delivery", "forbid_tls_only", c.delivery_forbid_tls_only));
  SP_RETURN_IF_ERROR(r.Get("delivery", "connections", c.delivery_connections));
  SP_RETURN_IF_ERROR(r.Get("delivery", "copies_per_session", c.delivery_copies_per_session));
  if (const toml::node* partners = r.Node("delivery", "tls_partner")) {
    SP_ASSIGN_OR_RETURN(c.tls_partners, ParseTlsPartners(*partners));
  }
  if (!c.delivery_dns_resolver.empty()) {
    delivery::DnsResolverOptions dns;
    dns.resolver = c.delivery_dns_resolver;
    if (Status s = delivery::MakeUnboundMxResolver(dns).status(); !s.ok()) {
      return InvalidArgument("delivery.dns_resolver: " + s.message());
    }
  }
  if (const toml::node* smtp = r.Section("smtp")) {
    SP_ASSIGN_OR_RETURN(c.smtp, ParseSmtpConfig(*smtp));
  }
  SP_RETURN_IF_ERROR(r.Get("metrics", "enabled", c.metrics_enabled));
  SP_RETURN_IF_ERROR(r.Get("metrics", "allow_loopback", c.metrics_allow_loopback));
  SP_RETURN_IF_ERROR(r.Get("metrics", "bearer_token_file", c.metrics_bearer_token_file));
  SP_RETURN_IF_ERROR(r.Get("logging", "format", c.logging_format));
  auto& a = c.app;
  SP_RETURN_IF_ERROR(r.Get("auth", "argon2_ops", a.password_hash.ops_limit));
  SP_RETURN_IF_ERROR(r.Get("auth", "argon2_memory_bytes", a.password_hash.mem_limit_bytes));
  SP_RETURN_IF_ERROR(r.GetSeconds("auth", "session_idle_seconds", a.session_idle));
  SP_RETURN_IF_ERROR(r.GetSeconds("auth", "session_absolute_seconds", a.session_absolute));
  SP_RETURN_IF_ERROR(r.GetSeconds("auth", "verification_ttl_seconds", a.verification_ttl));
  SP_RETURN_IF_ERROR(r.Get("auth", "require_totp", a.require_totp));
  SP_RETURN_IF_ERROR(r.Get("auth", "failures_per_account_address", c.throttle.per_account_address));
  SP_RETURN_IF_ERROR(r.Get("auth", "failures_per_account", c.throttle.per_account));
  SP_RETURN_IF_ERROR(r.Get("auth", "failures_per_address", c.throttle.per_address));
  std::chrono::seconds window = std::chrono::duration_cast<std::chrono::seconds>(c.throttle.window);
  SP_RETURN_IF_ERROR(r.GetSeconds("auth", "failure_window_seconds", window));
  c.throttle.window = window;
  SP_RETURN_IF_ERROR(r.GetSeconds("guests", "pickup_ttl_seconds", a.pickup_ttl));
  SP_RETURN_IF_ERROR(r.GetSeconds("guests", "max_pickup_ttl_seconds", a.max_pickup_ttl));
  SP_RETURN_IF_ERROR(r.Get("guests", "max_muc_failures", a.max_muc_failures));
  SP_RETURN_IF_ERROR(r.Get("guests", "notice", a.guest_notice));
  SP_RETURN_IF_ERROR(r.Get("guests", "notice_subject", a.guest_notice_subject));
  SP_RETURN_IF_ERROR(r.GetSeconds("registered", "deadline_seconds", a.registered_deadline));
  SP_RETURN_IF_ERROR(r.GetSeconds("registered", "max_deadline_seconds", a.max_registered_deadline));
  SP_RETURN_IF_ERROR(r.GetSeconds("retention", "interval_seconds", c.retention_interval));
  SP_RETURN_IF_ERROR(r.Get("retention", "batch", c.retention_batch));
  SP_RETURN_IF_ERROR(r.GetSeconds("retention", "day_seconds", a.retention_day));
  auto& l = a.limits;
  SP_RETURN_IF_ERROR(r.Get("limits", "max_recipients", l.max_recipients));
  SP_RETURN_IF_ERROR(r.Get("limits", "max_attachments", l.max_attachments));
  SP_RETURN_IF_ERROR(r.Get("limits", "max_upload_bytes", l.max_upload_bytes));
  SP_RETURN_IF_ERROR(r.Get("limits", "max_text_bytes", l.max_text_bytes));
  SP_RETURN_IF_ERROR(r.Get("limits", "invitations_per_hour", a.max_invitations_per_hour));
  SP_RETURN_IF_ERROR(
      r.Get("limits", "system_mails_per_address_per_hour", a.max_system_mails_per_address));
  SP_RETURN_IF_ERROR(r.Get("limits", "rejection_evidence_per_sender_per_hour",
                           a.max_rejection_evidence_per_sender));
  SP_RETURN_IF_ERROR(r.Get("limits", "rejection_evidence_per_client_per_hour",
                           a.max_rejection_evidence_per_client));
  SP_RETURN_IF_ERROR(ReadSmtpPolicy(r, c));
  return r.CheckUnknown();
}

// The components of `path` made absolute, with symbolic links of its existing part resolved.
std::vector<std::string> ResolvedParts(const std::string& path) {
  std::error_code ec;
  std::filesystem::path p = std::filesystem::absolute(path, ec);
  if (ec) p = path;
  const std::filesystem::path resolved = std::filesystem::weakly_canonical(p, ec);
  std::vector<std::string> parts;
  for (const auto& part : (ec ? p : resolved).lexically_normal()) {
    if (!part.empty() && part != ".") parts.push_back(part.string());
  }
  return parts;
}

// True when `inner` is `outer` or below it.
bool IsWithin(const std::string& inner, const std::string& outer) {
  const std::vector<std::string> in = ResolvedParts(inner);
  const std::vector<std::string> out = ResolvedParts(outer);
  return in.size() >= out.size() && std::equal(out.begin(), out.end(), in.begin());
}

Status Validate(const Config& c) {
  if (c.mail_relay.empty() && IsWithin(c.OutboxDir(), c.data_dir)) {
    return InvalidArgument(fmt::format(
        "mail.outbox_dir ({}) must not be inside the data directory ({}): the outbox stands for "
        "the recipients' mailboxes, and a copy of the data directory must not contain it",
        c.OutboxDir(), c.data_dir));
  }
  if (Status s = c.app.password_hash.Validate(); !s.ok()) {
    return InvalidArgument("auth.argon2_*: " + s.message());
  }
  if (c.app.max_muc_failures < 1 || c.app.max_muc_failures > 20 ||
      c.app.pickup_ttl.count() < 3600) {
    return InvalidArgument(
        "guests.max_muc_failures must be 1 to 20 and guests.pickup_ttl_seconds at least 3600");
  }
  if (c.app.max_pickup_ttl < c.app.pickup_ttl || c.app.max_pickup_ttl.count() < 24 * 3600 ||
      c.app.max_pickup_ttl.count() > int64_t{10} * 365 * 24 * 3600) {
    return InvalidArgument(
        "guests.max_pickup_ttl_seconds must be at least one day and pickup_ttl_seconds, and at "
        "most ten years");
  }
  if (c.app.registered_deadline.count() < 3600 ||
      c.app.max_registered_deadline < c.app.registered_deadline ||
      c.app.max_registered_deadline.count() < 24 * 3600 ||
      c.app.max_registered_deadline.count() > int64_t{10} * 365 * 24 * 3600) {
    return InvalidArgument(
        "registered.deadline_seconds must be at least 3600, and registered.max_deadline_seconds "
        "at least one day and deadline_seconds, and at most ten years");
  }
  if (c.app.guest_notice.size() > 1000 ||
      c.app.guest_notice.find_first_of("\r\n") != std::string::npos) {
    return InvalidArgument("guests.notice must be one line of at most 1000 bytes");
  }
  const int dkim_keys =
      !c.mail_dkim_key_file.empty() + !c.mail_dkim_selector.empty() + !c.mail_dkim_domain.empty();
  if (dkim_keys != 0 && dkim_keys != 3) {
    return InvalidArgument("mail.dkim_key_file, dkim_selector and dkim_domain go together");
  }
  if (c.pki_organization.empty() || c.pki_organization.size() > 48) {
    // 48: room for " Evidence Signer" within the 64 characters of a common name.
    return InvalidArgument("pki.organization must have 1 to 48 characters");
  }
  if (c.tsa_policy_oid.empty() || c.tsa_policy_oid.size() > 200 ||
      c.tsa_policy_oid.find_first_not_of("0123456789.") != std::string::npos) {
    return InvalidArgument("tsa.policy_oid must be a dotted-decimal OID such as 1.3.6.1.4.1.x.y");
  }
  if (c.tsa_accuracy_millis < 1 || c.tsa_accuracy_millis > 3600 * 1000) {
    return InvalidArgument("tsa.accuracy_millis must be 1 to 3600000");
  }
  if (!c.receipts_tsa_url.empty() &&
      (!c.receipts_tsa_url.starts_with("https://") || c.receipts_tsa_ca_file.empty())) {
    return InvalidArgument("receipts.tsa_url must be an https:// URL, with receipts.tsa_ca_file");
  }
  if (c.receipts_tsa_timeout_ms < 100 || c.receipts_tsa_timeout_ms > 120'000) {
    return InvalidArgument("receipts.tsa_timeout_ms must be 100 to 120000");
  }
  if (c.mail_delivery_connections < 1 || c.mail_delivery_connections > 32) {
    return InvalidArgument("mail.delivery_connections must be 1 to 32");
  }
  if (c.delivery_connections < 1 || c.delivery_connections > 32) {
    return InvalidArgument("delivery.connections must be 1 to 32");
  }
  if (c.delivery_copies_per_session < 1 || c.delivery_copies_per_session > 100) {
    return InvalidArgument("delivery.copies_per_session must be 1 to 100");
  }
  if (c.log_sequence_delay_ms < 10 || c.log_sequence_delay_ms > 60'000) {
    return InvalidArgument("log.sequence_delay_ms must be 10 to 60000");
  }
  if (c.retention_interval.count() < 1 || c.retention_batch < 1 || c.retention_batch > 10'000 ||
      c.app.retention_day.count() < 1) {
    return InvalidArgument(
        "retention.interval_seconds and retention.day_seconds must be at least 1, "
        "retention.batch 1 to 10000");
  }
  if (c.log_sequence_batch < 1 || c.log_sequence_batch > 100'000) {
    return InvalidArgument("log.sequence_batch must be 1 to 100000");
  }
  if (!c.log_origin.empty() && !tlog::IsValidKeyName(c.log_origin)) {
    return InvalidArgument("log.origin must be printable ASCII without spaces or '+'");
  }
  if (!telemetry::ParseLogFormat(c.logging_format).ok()) {
    return InvalidArgument("logging.format must be \"text\" or \"json\"");
  }
  if (c.io_threads < 1 || c.worker_threads < 1) {
    return InvalidArgument("http.io_threads and http.worker_threads must be at least 1");
  }
  if (c.max_transfers < 1 || c.max_transfers > 4096) {
    return InvalidArgument("http.max_transfers must be 1 to 4096");
  }
  if (c.app.session_idle.count() < 60 || c.app.session_absolute < c.app.session_idle) {
    return InvalidArgument("auth.session_idle_seconds must be ≥ 60 and ≤ session_absolute_seconds");
  }
  const app::MailRetryPolicy& retry = c.app.mail_retry;
  if (retry.first_retry.count() < 1 || retry.max_retry < retry.first_retry ||
      retry.give_up_after < retry.first_retry) {
    return InvalidArgument(
        "mail.retry_first_seconds must be ≥ 1 and ≤ retry_max_seconds and give_up_after_seconds");
  }
  if (retry.lease.count() < 1) return InvalidArgument("mail.lease_seconds must be at least 1");
  if (c.app.max_system_mails_per_address < 1) {
    return InvalidArgument("limits.system_mails_per_address_per_hour must be at least 1");
  }
  if (c.app.max_rejection_evidence_per_sender < 1 || c.app.max_rejection_evidence_per_client < 1) {
    return InvalidArgument("limits.rejection_evidence_per_*_per_hour must be at least 1");
  }
  if (c.throttle.per_account_address < 1 || c.throttle.per_account < 1 ||
      c.throttle.per_address < 1) {
    return InvalidArgument("auth.failures_per_* must be at least 1");
  }
  if (!c.store_url.empty() && c.store_url.rfind("postgresql://", 0) != 0 &&
      c.store_url.rfind("postgres://", 0) != 0) {
    return InvalidArgument("store.url must be empty (SQLite in data_dir) or a postgresql:// URL");
  }
  if (c.store_max_connections < 1 || c.store_max_connections > 1000) {
    return InvalidArgument("store.max_connections must be between 1 and 1000");
  }
  return Status::Ok();
}

Status BuildRelayOptions(Config& c) {
  if (c.mail_relay.empty()) return Status::Ok();
  const size_t colon = c.mail_relay.rfind(':');
  int64_t port = 25;
  std::string host = c.mail_relay;
  if (colon != std::string::npos) {
    host = c.mail_relay.substr(0, colon);
    const std::string digits = c.mail_relay.substr(colon + 1);
    if (digits.empty() || digits.size() > 5 ||
        digits.find_first_not_of("0123456789") != std::string::npos ||
        (port = std::stoll(digits)) < 1 || port > 65535) {
      return InvalidArgument("mail.relay must be host or host:port");
    }
  }
  if (c.mail_relay_tls != "required" && c.mail_relay_tls != "opportunistic") {
    return InvalidArgument("mail.relay_tls must be \"required\" or \"opportunistic\"");
  }
  auto& o = c.relay;
  o.host = host;
  o.port = static_cast<uint16_t>(port);
  o.tls = c.mail_relay_tls == "required" ? delivery::SmtpRelayOptions::Tls::kRequired
                                         : delivery::SmtpRelayOptions::Tls::kOpportunistic;
  o.ca_file = c.mail_relay_ca_file;
  o.username = c.mail_relay_username;
  o.password = c.mail_relay_password;
  o.helo_name = c.mail_helo_name;
  o.from_address = c.mail_from;
  if (Status s = delivery::ValidateSmtpRelayOptions(o); !s.ok()) {
    return InvalidArgument("mail.*: " + s.message());
  }
  return Status::Ok();
}

Result<Config> FromToml(const toml::table* root,
                        const std::optional<std::string>& data_dir_override,
                        const std::optional<std::string>& outbox_dir_override) {
  Config config;
  if (root) {
    Reader reader(*root);
    SP_RETURN_IF_ERROR(Read(reader, config));
  }
  if (data_dir_override) config.data_dir = *data_dir_override;
  if (outbox_dir_override) config.mail_outbox_dir = *outbox_dir_override;
  if (config.app.public_url == "https://127.0.0.1:8443" && config.listen_port != 8443) {
    config.app.public_url = fmt::format("https://{}:{}", config.listen_address, config.listen_port);
  }
  SP_RETURN_IF_ERROR(Validate(config));
  SP_RETURN_IF_ERROR(BuildRelayOptions(config));
  return config;
}

}  // namespace

std::string Config::OutboxDir() const {
  if (!mail_outbox_dir.empty()) return mail_outbox_dir;
  std::filesystem::path data = std::filesystem::path(data_dir).lexically_normal();
  if (!data.has_filename()) data = data.parent_path();  // "dir/" names dir
  return (data.parent_path() / "sealpost-outbox").string();
}

std::string Config::LogOrigin() const {
  if (!log_origin.empty()) return log_origin;
  // The host of public_url: after "scheme://", up to a port, path or userinfo's end.
  std::string_view rest = app.public_url;
  if (const size_t scheme = rest.find("://"); scheme != std::string_view::npos) {
    rest.remove_prefix(scheme + 3);
  }
  rest = rest.substr(0, rest.find_first_of("/?#"));
  if (const size_t at = rest.rfind('@'); at != std::string_view::npos) rest.remove_prefix(at + 1);
  if (!rest.empty() && rest.front() == '[') {
    rest = rest.substr(0, rest.find(']') + 1);  // an IPv6 literal keeps its brackets
  } else {
    rest = rest.substr(0, rest.find(':'));
  }
  std::string host(rest);
  if (host.empty() || !tlog::IsValidKeyName(host + "/sealpost-log")) host = "localhost";
  return host + "/sealpost-log";
}

Result<Config> LoadConfig(const std::optional<std::string>& path,
                          const std::optional<std::string>& data_dir_override,
                          const std::optional<std::string>& outbox_dir_override) {
  if (!path) return FromToml(nullptr, data_dir_override, outbox_dir_override);
  toml::table root;
  try {
    root = toml::parse_file(*path);
  } catch (const toml::parse_error& e) {
    return InvalidArgument(fmt::format("{}: {}", *path, e.description()));
  }
  return FromToml(&root, data_dir_override, outbox_dir_override);
}

Result<Config> ParseConfig(std::string_view toml_text, std::string_view source_name) {
  toml::table root;
  try {
    root = toml::parse(toml_text, source_name);
  } catch (const toml::parse_error& e) {
    return InvalidArgument(fmt::format("{}: {}", source_name, e.description()));
  }
  return FromToml(&root, std::nullopt, std::nullopt);
}

}  // namespace sealpost::cmd
