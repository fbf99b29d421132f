// The SMTP server: listeners, TLS (implicit or STARTTLS), the protocol of smtp/proto and its
// limits, and the faces (smtp/face.h) that decide what happens to commands and messages.
//
// Threads: `io_threads` run all socket I/O; each session lives on its own strand. Every Face,
// Session and MessageSink call (including their destruction) runs on a separate pool of
// `worker_threads` and may block; the I/O threads never wait for them.
//
// Protocol: ESMTP (RFC 5321) with PIPELINING (replies are flushed when the server needs more
// input), SIZE, 8BITMIME, SMTPUTF8, ENHANCEDSTATUSCODES, CHUNKING (BDAT), STARTTLS (RFC 3207:
// bytes pipelined behind it are discarded, the face's Session is replaced after the handshake),
// AUTH PLAIN and LOGIN (offered per listener, by default only inside TLS). A 250 after DATA or
// BDAT LAST comes only from MessageSink::Commit; a session cut mid-message destroys its sink
// without Commit. One log line per session (listener, peer, TLS, messages, how it ended; never
// content or credentials).
//
// SECURITY: faces the network. Bounded everywhere: a deadline on every read (command_timeout
// between commands and inside AUTH, data_timeout within DATA/BDAT, tls_handshake_timeout for
// the handshake), command lines of at most proto::kMaxCommandBytes (longer: 500 and the rest of
// the line discarded), message size counted while streaming (552 5.3.4), message lines of at most
// max_line_bytes, recipients per message, sessions in all and per client address (421), bad
// commands per session (after max_bad_commands: 421 and close), AUTH failures per session
// (after max_auth_failures: 421 and close; the face throttles across sessions). DATA ends only at
// CRLF.CRLF; a bare CR or LF, a NUL, or 8-bit data without BODY=8BITMIME refuses the message
// (smtp/proto/message_reader.h).
//
// Thread-safety: Start() and Stop() from one controlling thread; port() from any.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "crypto/secret_string.h"
#include "smtp/face.h"

namespace sealpost::smtp {

enum class TlsMode {
  kStartTls,     // STARTTLS offered and required before MAIL (submission, port 587)
  kImplicitTls,  // TLS from the first byte (submissions, port 465, RFC 8314)
  kPlain,        // TLS optional: STARTTLS offered when `offer_starttls` (inbound MX, relay)
};

struct ListenerOptions {
  std::string name = "smtp";  // for logs ("submission", "inbound"…)
  std::string address = "127.0.0.1";
  uint16_t port = 0;  // 0 = ephemeral; see Server::port()
  TlsMode tls_mode = TlsMode::kStartTls;
  bool offer_starttls = true;  // kPlain only
  bool offer_auth = false;
  bool auth_requires_tls = true;
  // PEM certificates of the CAs whose client certificates count (relay): the handshake asks for
  // one, and one that verifies fills Peer::client_certificate_sha256. A missing or unverifiable
  // certificate does not fail the handshake; the face decides.
  std::string client_ca_pem;
  uint64_t max_message_bytes = 50u * 1024 * 1024;
  size_t max_recipients = 100;
  size_t max_sessions = 100;
  size_t max_sessions_per_address = 10;
  std::shared_ptr<Face> face;
};

struct ServerOptions {
  std::string hostname = "localhost";  // in the greeting and the EHLO reply
  std::string certificate_pem;         // leaf first, then intermediates
  crypto::SecretString private_key_pem;
  std::vector<ListenerOptions> listeners;
  int io_threads = 1;
  int worker_threads = 4;
  // RFC 5321 4.5.3.2.7: 5 minutes for a command; 3 minutes for a DATA block (4.5.3.2.6).
  std::chrono::milliseconds command_timeout{std::chrono::minutes(5)};
  std::chrono::milliseconds data_timeout{std::chrono::minutes(3)};
  std::chrono::milliseconds tls_handshake_timeout{std::chrono::seconds(30)};
  size_t max_line_bytes = 998;  // message lines (RFC 5321 4.5.3.1.6); 0: no limit
  size_t max_bad_commands = 20;
  size_t max_auth_failures = 3;
  // Stop(): how long sessions inside a message may take to finish before they are cut.
  std::chrono::seconds shutdown_grace{5};
};

class Server final {
 public:
  // Checks the options and loads the certificate and key (InvalidArgument when they are unusable
  // or do not match, or a listener has no face). Does not bind yet.
  static Result<std::unique_ptr<Server>> Create(ServerOptions options);
  ~Server();  // Stop()s
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds every listener and starts the threads. Unavailable when an address cannot be bound.
  Status Start();
  // The bound port of listener `index` (in ServerOptions::listeners order); 0 before Start().
  uint16_t port(size_t index) const;
  // Stops accepting, closes sessions waiting for a command, lets sessions inside a message finish
  // for up to `shutdown_grace`, then cuts the rest and joins all threads. Idempotent.
  void Stop();

 private:
  class Impl;
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace sealpost::smtp
