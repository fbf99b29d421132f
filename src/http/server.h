// The HTTPS server: TLS (policy in internal/tls_policy.cpp), HTTP/1.1 with keep-alive, routing
// through a Router, limits and deadlines on every read.
//
// Threads: `io_threads` run all socket I/O; each connection lives on its own strand, so its steps
// never run concurrently. Handlers, UploadBegin and UploadSink::Finish run on a separate pool of
// `worker_threads` and may block. UploadSink::Write and BodySource::Read run on the workers too,
// one call at a time per transfer, overlapped with the network I/O of the neighbouring chunk
// (double buffering); UploadSink::Abort runs on the I/O threads. Every response gets
// X-Content-Type-Options: nosniff, Strict-Transport-Security, Referrer-Policy: no-referrer, Server:
// sealpost, and Cache-Control: no-store unless the handler set one. Every request gets a new id,
// sent back as X-Request-Id (one from the client is ignored) and named by every log line written
// for it (telemetry/request_context.h). One log line per request: method, path (never the
// query), status, duration, bytes; and the request metrics (internal/request_metrics.h).
//
// SECURITY: faces the network. Bounded everywhere: the request head must arrive within
// `header_timeout` of its first byte (slowloris), is at most `max_header_bytes` (else 431), each
// body read must progress within `body_idle_timeout`, bodies obey the route's max_body_bytes
// (413), idle keep-alive connections close after `keep_alive_timeout`, at most
// `max_connections` are open (more are closed at once), and at most `max_transfers` bodies
// stream at once (more get 503). Malformed requests, Transfer-Encoding
// other than chunked, and Content-Length with chunked get 400 and the connection is closed.
// A state-changing request (not GET, HEAD or OPTIONS) whose Origin header names another origin
// than `public_url`'s or https://<Host> gets 403 origin-mismatch before routing (http/origin.h
// says why both); one without Origin passes.
//
// Thread-safety: Start() and Stop() from one controlling thread; port() from any.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "core/status.h"
#include "crypto/secret_string.h"
#include "http/router.h"

namespace sealpost::http {

struct ServerOptions {
  std::string address = "127.0.0.1";
  uint16_t port = 8443;                  // 0 = ephemeral; see Server::port()
  std::string certificate_pem;           // leaf first, then any intermediates
  crypto::SecretString private_key_pem;  // kept in zeroizing memory until the TLS context has it
  // The URL browsers use for this server (scheme://host[:port], a path is ignored): an unsafe
  // request from this origin passes the Origin check (http/origin.h). Empty: only the Host rule.
  std::string public_url;
  int io_threads = 2;
  int worker_threads = 8;
  // The whole request head must arrive within this time of its first byte (slowloris defence);
  // also bounds the TLS handshake.
  std::chrono::seconds header_timeout{10};
  std::chrono::seconds body_idle_timeout{30};   // per read of a body, and per write of a response
  std::chrono::seconds keep_alive_timeout{60};  // idle time between requests
  size_t max_header_bytes = 16 * 1024;
  size_t max_connections = 1024;
  // Streamed uploads and downloads in progress at once; each holds about 4 MiB of buffers. One
  // more is answered 503 too-many-transfers with Retry-After.
  size_t max_transfers = 256;
  // Stop(): how long in-flight requests may take to finish before connections are cut.
  std::chrono::seconds shutdown_grace{5};
};

class Server final {
 public:
  // Checks the options and loads the certificate and key (InvalidArgument when they are unusable
  // or do not match). Does not bind yet.
  static Result<std::unique_ptr<Server>> Create(ServerOptions options,
                                                std::shared_ptr<const Router> router);
  ~Server();  // Stop()s
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds, listens and starts the threads. Unavailable when the address cannot be bound.
  Status Start();
  // The bound port (useful with port 0); 0 before Start().
  uint16_t port() const;
  // Stops accepting, closes idle connections, lets in-flight requests finish for up to
  // `shutdown_grace`, then cuts the rest and joins all threads. Idempotent. Handlers still
  // running are waited for: they must end on their own.
  void Stop();

 private:
  class Impl;
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace sealpost::http
