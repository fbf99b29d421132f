// One SMTP session over one TCP connection: TLS, the protocol loop of smtp/proto, the face's
// Session and MessageSink on the worker pool. Internal to smtp/ (the server's translation units).
//
// Thread-safety: a Connection is used on its strand only, except `idle`, which Stop() reads on
// that strand too (posted there).
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "smtp/face.h"
#include "smtp/internal/asio.h"
#include "smtp/server.h"

namespace sealpost::smtp::internal {

struct Connection {
  Connection(tcp::socket socket, ssl::context& tls_context)
      : stream(std::move(socket)), tls_context(tls_context) {}
  beast::tcp_stream stream;
  ssl::context& tls_context;
  std::optional<ssl::stream<beast::tcp_stream&>> tls;
  Peer peer;
  bool idle = false;      // waiting for a command line
  bool draining = false;  // Stop() was called: close at the next wait for a command
};

// What a session needs from its server; outlives every session.
struct SessionContext {
  const ServerOptions& options;
  const ListenerOptions& listener;
  asio::thread_pool& workers;
};

// Serves the connection until QUIT, an error, a timeout or Stop(); logs one line at the end.
asio::awaitable<void> ServeSession(std::shared_ptr<Connection> connection,
                                   const SessionContext& context);

// Closes the socket now (Stop()); call on the connection's strand.
void CloseNow(Connection& connection);

}  // namespace sealpost::smtp::internal
