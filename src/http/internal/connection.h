// One HTTPS connection: TLS handshake, then requests one after another until the peer goes,
// a deadline passes, or the server stops. Internal to http/ (includes Boost).
//
// Threads: the connection's coroutine runs on its own strand (the socket's executor); handler
// calls go to the worker pool and come back to that strand.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <string>

#include "http/internal/beast.h"
#include "http/internal/request_metrics.h"
#include "http/router.h"
#include "http/server.h"

namespace sealpost::http::internal {

struct Connection {
  Connection(tcp::socket socket, ssl::context& tls) : stream(std::move(socket), tls) {}

  TlsStream stream;
  std::string remote_address;
  // Touched only on the connection's strand:
  bool idle = true;       // no request in progress: Stop() may close it at once
  bool draining = false;  // Stop(): finish the request in progress, then close
};

// Closes the socket at once (cancels pending operations); call on the connection's strand.
void CloseNow(Connection& connection);

// What connections share; outlives all of them.
struct ConnectionContext {
  const ServerOptions& options;
  const Router& router;
  asio::thread_pool& workers;
  std::atomic<size_t>& transfers;  // bodies streaming now, at most options.max_transfers
  const RequestMetrics& metrics;
};

// Serves `connection` until it closes. Never throws.
asio::awaitable<void> ServeConnection(std::shared_ptr<Connection> connection,
                                      const ConnectionContext& context);

}  // namespace sealpost::http::internal
