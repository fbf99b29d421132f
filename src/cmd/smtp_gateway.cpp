#include "cmd/smtp_gateway.h"

#include <spdlog/spdlog.h>

#include "keys/secret_file.h"

namespace sealpost::cmd {
namespace {

constexpr size_t kMaxPemFile = 1 << 20;

smtp::TlsMode ModeOf(const SmtpListenerConfig& l) {
  if (l.tls == "implicit") return smtp::TlsMode::kImplicitTls;
  if (l.tls == "starttls") return smtp::TlsMode::kStartTls;
  return smtp::TlsMode::kPlain;  // "optional" offers STARTTLS, "none" does not
}

}  // namespace

Result<smtp::ServerOptions> SmtpServerOptions(const SmtpConfig& config, const SmtpFaces& faces,
                                              std::string certificate_pem,
                                              crypto::SecretString private_key_pem,
                                              platform::Filesystem& fs) {
  smtp::ServerOptions options;
  options.hostname = config.hostname;
  options.io_threads = config.io_threads;
  options.worker_threads = config.worker_threads;
  options.command_timeout = config.command_timeout;
  options.data_timeout = config.data_timeout;
  options.tls_handshake_timeout = config.tls_handshake_timeout;
  for (const auto& [name, l] : config.listeners) {
    if (!l.enabled) continue;
    const auto factory = faces.find(name);
    if (factory == faces.end()) {
      spdlog::info("smtp: listener {} is enabled but has no face in this build; not started", name);
      continue;
    }
    SP_ASSIGN_OR_RETURN(std::shared_ptr<smtp::Face> face, factory->second());
    if (!face) return Internal("smtp: the face factory of " + name + " returned nothing");
    smtp::ListenerOptions o;
    o.name = name;
    o.address = l.address;
    o.port = l.port;
    o.tls_mode = ModeOf(l);
    o.offer_starttls = l.tls != "none";
    o.offer_auth = l.auth;
    o.auth_requires_tls = l.auth_requires_tls;
    if (!l.client_ca_file.empty()) {
      SP_ASSIGN_OR_RETURN(o.client_ca_pem,
                          platform::ReadSmallFile(fs, l.client_ca_file, kMaxPemFile));
    }
    o.max_message_bytes = l.max_message_bytes;
    o.max_recipients = l.max_recipients;
    o.max_sessions = l.max_sessions;
    o.max_sessions_per_address = l.max_sessions_per_address;
    o.face = std::move(face);
    options.listeners.push_back(std::move(o));
  }
  if (!config.tls_certificate.empty()) {
    SP_ASSIGN_OR_RETURN(options.certificate_pem,
                        platform::ReadSmallFile(fs, config.tls_certificate, kMaxPemFile));
    SP_ASSIGN_OR_RETURN(options.private_key_pem,
                        keys::ReadSecretFile(fs, config.tls_private_key, kMaxPemFile));
  } else {
    options.certificate_pem = std::move(certificate_pem);
    options.private_key_pem = std::move(private_key_pem);
  }
  return options;
}

Result<std::unique_ptr<smtp::Server>> StartSmtpGateway(const SmtpConfig& config,
                                                       const SmtpFaces& faces,
                                                       std::string certificate_pem,
                                                       crypto::SecretString private_key_pem,
                                                       platform::Filesystem& fs) {
  SP_ASSIGN_OR_RETURN(
      smtp::ServerOptions options,
      SmtpServerOptions(config, faces, std::move(certificate_pem), std::move(private_key_pem), fs));
  if (options.listeners.empty()) return std::unique_ptr<smtp::Server>();
  SP_ASSIGN_OR_RETURN(std::unique_ptr<smtp::Server> server,
                      smtp::Server::Create(std::move(options)));
  SP_RETURN_IF_ERROR(server->Start());
  return server;
}

}  // namespace sealpost::cmd
