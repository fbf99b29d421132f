#include "cmd/smtp_config.h"

#include <limits>
#include <set>

#include <fmt/format.h>

#include "core/address.h"

namespace sealpost::cmd {
namespace {

constexpr int64_t kMaxTimeoutSeconds = 24 * 3600;

template <typename T>
Status GetInt(const toml::table& t, std::string_view key, const std::string& where, T& out,
              int64_t min) {
  const toml::node* node = t.get(key);
  if (!node) return Status::Ok();
  const auto v = node->value_exact<int64_t>();
  const int64_t max = static_cast<int64_t>(
      std::min<uint64_t>(std::numeric_limits<T>::max(), std::numeric_limits<int64_t>::max()));
  if (!v || *v < min || *v > max) {
    return InvalidArgument(
        fmt::format("config key {}.{} must be an integer from {} to {}", where, key, min, max));
  }
  out = static_cast<T>(*v);
  return Status::Ok();
}

Status GetString(const toml::table& t, std::string_view key, const std::string& where,
                 std::string& out) {
  const toml::node* node = t.get(key);
  if (!node) return Status::Ok();
  const auto v = node->value<std::string>();
  if (!v) return InvalidArgument(fmt::format("config key {}.{} must be a string", where, key));
  out = *v;
  return Status::Ok();
}

Status GetBool(const toml::table& t, std::string_view key, const std::string& where, bool& out) {
  const toml::node* node = t.get(key);
  if (!node) return Status::Ok();
  const auto v = node->value<bool>();
  if (!v) return InvalidArgument(fmt::format("config key {}.{} must be true or false", where, key));
  out = *v;
  return Status::Ok();
}

Status GetSeconds(const toml::table& t, std::string_view key, const std::string& where,
                  std::chrono::seconds& out) {
  int64_t v = out.count();
  SP_RETURN_IF_ERROR(GetInt(t, key, where, v, 1));
  if (v > kMaxTimeoutSeconds) {
    return InvalidArgument(
        fmt::format("config key {}.{} must be at most {}", where, key, kMaxTimeoutSeconds));
  }
  out = std::chrono::seconds(v);
  return Status::Ok();
}

// An array of strings (at most 1,000), e.g. the relay's client networks.
Status GetStrings(const toml::table& t, std::string_view key, const std::string& where,
                  std::vector<std::string>& out) {
  const toml::node* node = t.get(key);
  if (!node) return Status::Ok();
  const toml::array* list = node->as_array();
  if (!list || list->size() > 1000) {
    return InvalidArgument(
        fmt::format("config key {}.{} must be an array of at most 1000 strings", where, key));
  }
  out.clear();
  for (size_t i = 0; i < list->size(); ++i) {
    const auto v = (*list)[i].value<std::string>();
    if (!v)
      return InvalidArgument(fmt::format("config key {}.{}[{}] must be a string", where, key, i));
    out.push_back(*v);
  }
  return Status::Ok();
}

// A mail domain of [smtp.inbound] domains: a domain name as in an address (letters, digits,
// hyphens, at least two labels), lower-cased in place.
Status ParseMailDomain(const std::string& where, size_t index, std::string& domain) {
  auto address = EmailAddress::Parse("postmaster@" + domain);
  if (!address.ok()) {
    std::string shown = domain.substr(0, 80);  // printable, so the error stays one line
    for (char& c : shown) {
      if (c < ' ' || c > '~') c = '?';
    }
    return InvalidArgument(
        fmt::format("config key {}.domains[{}]: \"{}\" is not a domain name", where, index, shown));
  }
  domain = std::string(address->domain());
  return Status::Ok();
}

Status ParseListener(const toml::table& t, const std::string& where, SmtpListenerConfig& l) {
  static const std::set<std::string> kKeys = {"enabled",
                                              "address",
                                              "port",
                                              "tls",
                                              "auth",
                                              "auth_requires_tls",
                                              "client_ca_file",
                                              "max_message_bytes",
                                              "max_recipients",
                                              "max_sessions",
                                              "max_sessions_per_address",
                                              "client_networks",
                                              "client_certificates",
                                              "domains"};
  for (const auto& [key, value] : t) {
    if (!kKeys.count(std::string(key.str()))) {
      return InvalidArgument(fmt::format("unknown config key {}.{}", where, key.str()));
    }
  }
  SP_RETURN_IF_ERROR(GetBool(t, "enabled", where, l.enabled));
  SP_RETURN_IF_ERROR(GetString(t, "address", where, l.address));
  SP_RETURN_IF_ERROR(GetInt(t, "port", where, l.port, 0));
  SP_RETURN_IF_ERROR(GetString(t, "tls", where, l.tls));
  if (l.tls != "starttls" && l.tls != "implicit" && l.tls != "optional" && l.tls != "none") {
    return InvalidArgument(fmt::format(
        "config key {}.tls must be \"starttls\", \"implicit\", \"optional\" or \"none\"", where));
  }
  SP_RETURN_IF_ERROR(GetBool(t, "auth", where, l.auth));
  SP_RETURN_IF_ERROR(GetBool(t, "auth_requires_tls", where, l.auth_requires_tls));
  SP_RETURN_IF_ERROR(GetString(t, "client_ca_file", where, l.client_ca_file));
  SP_RETURN_IF_ERROR(GetStrings(t, "client_networks", where, l.client_networks));
  SP_RETURN_IF_ERROR(GetStrings(t, "client_certificates", where, l.client_certificates));
  if (t.contains("domains") && where != "smtp.inbound") {
    return InvalidArgument(fmt::format("config key {}.domains is only for smtp.inbound", where));
  }
  SP_RETURN_IF_ERROR(GetStrings(t, "domains", where, l.domains));
  for (size_t i = 0; i < l.domains.size(); ++i) {
    SP_RETURN_IF_ERROR(ParseMailDomain(where, i, l.domains[i]));
  }
  SP_RETURN_IF_ERROR(GetInt(t, "max_message_bytes", where, l.max_message_bytes, 1024));
  SP_RETURN_IF_ERROR(GetInt(t, "max_recipients", where, l.max_recipients, 1));
  SP_RETURN_IF_ERROR(GetInt(t, "max_sessions", where, l.max_sessions, 1));
  SP_RETURN_IF_ERROR(GetInt(t, "max_sessions_per_address", where, l.max_sessions_per_address, 1));
  if (l.tls == "none" && l.auth && l.auth_requires_tls) {
    return InvalidArgument(where + ": auth needs TLS (auth_requires_tls) but tls is \"none\"");
  }
  return Status::Ok();
}

}  // namespace

std::map<std::string, SmtpListenerConfig> SmtpConfig::DefaultListeners() {
  SmtpListenerConfig submission;
  submission.enabled = true;
  submission.port = 10587;
  submission.tls = "starttls";
  submission.auth = true;
  // Mail programs send attachments up to the upload limit (100 MiB, base64: x 1.37), streamed
  // from the spool (mime/streamed_message.h); the inbound MX keeps the smaller default.
  submission.max_message_bytes = kSubmissionMaxMessageBytes;
  SmtpListenerConfig submissions = submission;
  submissions.port = 10465;
  submissions.tls = "implicit";
  SmtpListenerConfig relay;
  relay.port = 10025;
  relay.tls = "optional";
  relay.max_message_bytes = kSubmissionMaxMessageBytes;
  SmtpListenerConfig inbound = relay;
  inbound.port = 10026;
  inbound.max_message_bytes = SmtpListenerConfig().max_message_bytes;
  return {{"submission", submission},
          {"submissions", submissions},
          {"relay", relay},
          {"inbound", inbound}};
}

Result<SmtpConfig> ParseSmtpConfig(const toml::node& node) {
  const toml::table* t = node.as_table();
  if (!t) return InvalidArgument("config key smtp must be a section");
  SmtpConfig c;
  static const std::set<std::string> kKeys = {"hostname",
                                              "tls_certificate",
                                              "tls_private_key",
                                              "command_timeout_seconds",
                                              "data_timeout_seconds",
                                              "tls_handshake_timeout_seconds",
                                              "io_threads",
                                              "worker_threads"};
  for (const auto& [key, value] : *t) {
    const std::string k(key.str());
    if (c.listeners.count(k)) {
      const toml::table* listener = value.as_table();
      if (!listener) return InvalidArgument("config key smtp." + k + " must be a section");
      SP_RETURN_IF_ERROR(ParseListener(*listener, "smtp." + k, c.listeners[k]));
    } else if (!kKeys.count(k)) {
      return InvalidArgument("unknown config key smtp." + k);
    }
  }
  const std::string where = "smtp";
  SP_RETURN_IF_ERROR(GetString(*t, "hostname", where, c.hostname));
  if (c.hostname.empty() || c.hostname.size() > 253 ||
      c.hostname.find_first_of(" \t\r\n") != std::string::npos) {
    return InvalidArgument("config key smtp.hostname must be a host name");
  }
  for (const char ch : c.hostname) {
    if (ch <= ' ' || ch >= 0x7f) return InvalidArgument("config key smtp.hostname must be ASCII");
  }
  SP_RETURN_IF_ERROR(GetString(*t, "tls_certificate", where, c.tls_certificate));
  SP_RETURN_IF_ERROR(GetString(*t, "tls_private_key", where, c.tls_private_key));
  if (c.tls_certificate.empty() != c.tls_private_key.empty()) {
    return InvalidArgument("smtp.tls_certificate and smtp.tls_private_key go together");
  }
  SP_RETURN_IF_ERROR(GetSeconds(*t, "command_timeout_seconds", where, c.command_timeout));
  SP_RETURN_IF_ERROR(GetSeconds(*t, "data_timeout_seconds", where, c.data_timeout));
  SP_RETURN_IF_ERROR(
      GetSeconds(*t, "tls_handshake_timeout_seconds", where, c.tls_handshake_timeout));
  SP_RETURN_IF_ERROR(GetInt(*t, "io_threads", where, c.io_threads, 1));
  SP_RETURN_IF_ERROR(GetInt(*t, "worker_threads", where, c.worker_threads, 1));
  if (c.io_threads > 64 || c.worker_threads > 256) {
    return InvalidArgument("smtp.io_threads must be at most 64, smtp.worker_threads 256");
  }
  std::set<std::pair<std::string, uint16_t>> bound;
  for (const auto& [name, l] : c.listeners) {
    if (!l.enabled || l.port == 0) continue;
    if (!bound.insert({l.address, l.port}).second) {
      return InvalidArgument(
          fmt::format("smtp.{}: {}:{} is used by another listener", name, l.address, l.port));
    }
  }
  return c;
}

}  // namespace sealpost::cmd
