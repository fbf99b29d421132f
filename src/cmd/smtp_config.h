// The `[smtp]` section of the config file (docs/smtp-gateway.md, docs/sealpost.example.toml):
// the SMTP gateway's listeners and limits.
//
//   [smtp]
//   hostname = "mail.example.org"        # greeting and EHLO name
//   tls_certificate = ""                 # PEM paths; empty: the same as [http]
//   tls_private_key = ""
//   command_timeout_seconds = 300        # RFC 5321 4.5.3.2.7
//   data_timeout_seconds = 180
//   tls_handshake_timeout_seconds = 30
//   io_threads = 1
//   worker_threads = 32                  # mostly waiting for the disk: see the default below
//   [smtp.submission]                    # also submissions, relay, inbound
//   enabled = true
//   address = "127.0.0.1"
//   port = 10587
//   tls = "starttls"                     # "starttls", "implicit", "optional", "none"
//   auth = true
//   auth_requires_tls = true
//   client_ca_file = ""                  # PEM CAs of client certificates (relay)
//   max_message_bytes = 157286400        # submission, submissions, relay; inbound: 52428800
//   max_recipients = 100
//   max_sessions = 100
//   max_sessions_per_address = 10
//   client_networks = ["192.0.2.0/24"]   # relay only: who may relay (CIDR, IPv4/IPv6)
//   client_certificates = []             # relay only: SHA-256 of client certificates (hex)
//   domains = ["example.org"]            # inbound only: the mail domains Sealpost is MX of;
//                                        # empty or absent: every domain that has a member
//
// Unknown keys and listeners, wrong types and out-of-range values are errors naming the key.
//
// SECURITY: operator input parsed to the untrusted-input standard (config_fuzz feeds it).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <toml++/toml.h>

#include "core/status.h"

namespace sealpost::cmd {

// The default of the listeners whose mail is streamed (submission, submissions, relay): a
// 100 MiB attachment base64'd (x 1.37) fits.
inline constexpr uint64_t kSubmissionMaxMessageBytes = 150ull * 1024 * 1024;

struct SmtpListenerConfig {
  bool enabled = false;
  std::string address = "127.0.0.1";
  uint16_t port = 0;
  std::string tls = "starttls";  // "starttls", "implicit", "optional" (STARTTLS offered), "none"
  bool auth = false;
  bool auth_requires_tls = true;
  std::string client_ca_file;
  uint64_t max_message_bytes = 50u * 1024 * 1024;
  uint32_t max_recipients = 100;
  uint32_t max_sessions = 100;
  uint32_t max_sessions_per_address = 10;
  // relay only (smtp/relay_face.h): the organisation's mail servers, by network (CIDR) and/or
  // by the SHA-256 of their TLS client certificate (hex); checked when the face is made.
  std::vector<std::string> client_networks;
  std::vector<std::string> client_certificates;
  // inbound only (app/inbound_mail.h): the mail domains Sealpost is the MX of, validated and
  // lower-cased; empty = every domain that has at least one member.
  std::vector<std::string> domains;
};

struct SmtpConfig {
  std::string hostname = "localhost";
  std::string tls_certificate;  // empty: [http]'s certificate (or the generated one)
  std::string tls_private_key;
  std::chrono::seconds command_timeout{300};
  std::chrono::seconds data_timeout{180};
  std::chrono::seconds tls_handshake_timeout{30};
  int io_threads = 1;
  // Each message's Commit blocks a worker while its blob and its store row are flushed (two
  // disk waits of a few ms each, shared with the other messages flushed meanwhile): with fewer
  // workers than sessions sending, messages queue for a worker instead of joining the next
  // flush (bench/README.md, "SMTP intake": 8 workers against 24 and 48).
  int worker_threads = 32;
  // "submission", "submissions", "relay", "inbound", with their defaults (SmtpConfig()).
  std::map<std::string, SmtpListenerConfig> listeners = DefaultListeners();

  // submission: STARTTLS on 127.0.0.1:10587 with AUTH; submissions: implicit TLS on 10465 with
  // AUTH (both enabled: loopback, high ports, so `make run` needs no root); relay (10025) and
  // inbound (10025 + 1) with optional STARTTLS and no AUTH, disabled until configured.
  static std::map<std::string, SmtpListenerConfig> DefaultListeners();
};

// `node` is the value of [smtp] (a table).
Result<SmtpConfig> ParseSmtpConfig(const toml::node& node);

}  // namespace sealpost::cmd
