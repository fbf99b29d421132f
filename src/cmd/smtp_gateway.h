// Starts the SMTP gateway (smtp/server.h) for `sealpost serve`: one smtp::Server with a listener
// for each enabled [smtp] listener that has a face. Faces come with their parts of the gateway
// (submission, relay, inbound); serve registers them by listener name in an SmtpFaces map, so a
// listener without a face yet is reported and skipped, never started half-wired.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "cmd/smtp_config.h"
#include "core/status.h"
#include "crypto/secret_string.h"
#include "platform/filesystem.h"
#include "smtp/face.h"
#include "smtp/server.h"

namespace sealpost::cmd {

// Listener name ("submission", "submissions", "relay", "inbound") → makes its face.
using SmtpFaceFactory = std::function<Result<std::shared_ptr<smtp::Face>>()>;
using SmtpFaces = std::map<std::string, SmtpFaceFactory>;

// The server options for the enabled listeners that have a face (in listener-name order);
// client CA files are read through `fs`. `certificate_pem`/`private_key_pem` are used when
// config.tls_certificate is empty. No listener: an options value with none (the caller skips).
Result<smtp::ServerOptions> SmtpServerOptions(const SmtpConfig& config, const SmtpFaces& faces,
                                              std::string certificate_pem,
                                              crypto::SecretString private_key_pem,
                                              platform::Filesystem& fs);

// Builds and starts the server; nullptr when no listener is enabled with a face.
Result<std::unique_ptr<smtp::Server>> StartSmtpGateway(const SmtpConfig& config,
                                                       const SmtpFaces& faces,
                                                       std::string certificate_pem,
                                                       crypto::SecretString private_key_pem,
                                                       platform::Filesystem& fs);

}  // namespace sealpost::cmd
