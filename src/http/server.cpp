#include "http/server.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <atomic>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/connection_registry.h"
#include "http/internal/beast.h"
#include "http/internal/connection.h"
#include "http/internal/tls_policy.h"
#include "http/origin.h"
#include "telemetry/metrics.h"

namespace sealpost::http {

namespace asio = internal::asio;
namespace beast = internal::beast;
namespace ssl = internal::ssl;
using internal::Connection;
using internal::tcp;

class Server::Impl {
 public:
  Impl(ServerOptions options, std::shared_ptr<const Router> router)
      : options_(std::move(options)), router_(std::move(router)), ioc_(options_.io_threads) {}

  Status LoadCredentials(const crypto::SecretString& private_key_pem);
  Status Start();
  void Stop();
  uint16_t port() const { return port_.load(); }

 private:
  asio::awaitable<void> AcceptLoop();
  asio::awaitable<void> Serve(std::shared_ptr<Connection> connection, uint64_t id);
  // Posts `fn(connection)` to the strand of every open connection.
  template <typename F>
  void ForEachConnection(F fn);

  const ServerOptions options_;
  const std::shared_ptr<const Router> router_;
  ssl::context tls_{ssl::context::tls_server};

  std::mutex mu_;  // orders accepting against Stop()
  ConnectionRegistry<Connection> connections_;
  std::atomic<bool> stopping_{false};
  std::atomic<uint16_t> port_{0};
  std::atomic<size_t> transfers_{0};  // streamed bodies in progress (ConnectionContext)
  // Before ioc_: a connection frame destroyed with it still counts itself out.
  std::unique_ptr<internal::RequestMetrics> metrics_;
  bool started_ = false;
  bool stopped_ = false;

  // Destroyed after the pool and before the members above: coroutine frames still queued in the
  // io_context are destroyed with it, and they refer to those members.
  asio::io_context ioc_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  std::unique_ptr<tcp::acceptor> acceptor_;
  // After ioc_, so destroyed before it: should a handler be left queued in a joined pool, its
  // coroutine frame is destroyed while the sockets' io_context still exists.
  std::unique_ptr<asio::thread_pool> workers_;
  std::unique_ptr<internal::ConnectionContext> context_;
  std::vector<std::thread> io_threads_;
};

Status Server::Impl::LoadCredentials(const crypto::SecretString& private_key_pem) {
  SP_RETURN_IF_ERROR(internal::ApplyServerTlsPolicy(tls_.native_handle()));
  beast::error_code ec;
  tls_.use_certificate_chain(asio::buffer(options_.certificate_pem), ec);
  if (ec) return InvalidArgument("TLS certificate unusable: " + ec.message());
  tls_.use_private_key(asio::buffer(private_key_pem.view().data(), private_key_pem.size()),
                       ssl::context::pem, ec);
  if (ec) return InvalidArgument("TLS private key unusable: " + ec.message());
  if (SSL_CTX_check_private_key(tls_.native_handle()) != 1) {
    ERR_clear_error();
    return InvalidArgument("TLS private key does not match the certificate");
  }
  return Status::Ok();
}

Status Server::Impl::Start() {
  if (started_) return Conflict("server already started");
  beast::error_code ec;
  const auto address = asio::ip::make_address(options_.address, ec);
  if (ec) return InvalidArgument("not an IP address: " + options_.address);
  const tcp::endpoint endpoint(address, options_.port);
  auto acceptor = std::make_unique<tcp::acceptor>(asio::make_strand(ioc_));
  acceptor->open(endpoint.protocol(), ec);
  if (!ec) acceptor->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor->bind(endpoint, ec);
  if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return Unavailable(
        fmt::format("cannot listen on {}:{}: {}", options_.address, options_.port, ec.message()));
  }
  port_ = acceptor->local_endpoint(ec).port();
  acceptor_ = std::move(acceptor);
  started_ = true;

  workers_ = std::make_unique<asio::thread_pool>(options_.worker_threads);
  metrics_ = std::make_unique<internal::RequestMetrics>(*router_, telemetry::DefaultRegistry());
  context_ = std::make_unique<internal::ConnectionContext>(
      internal::ConnectionContext{options_, *router_, *workers_, transfers_, *metrics_});
  work_.emplace(ioc_.get_executor());
  asio::co_spawn(acceptor_->get_executor(), AcceptLoop(), asio::detached);
  for (int i = 0; i < options_.io_threads; ++i) {
    io_threads_.emplace_back([this] {
      for (;;) {
        try {
          ioc_.run();
          return;
        } catch (const std::exception& e) {
          spdlog::error("http: exception escaped to an I/O thread: {}", e.what());
        }
      }
    });
  }
  spdlog::info("http: listening on {}:{}", options_.address, port_.load());
  return Status::Ok();
}

asio::awaitable<void> Server::Impl::AcceptLoop() {
  beast::error_code ec;
  for (;;) {
    tcp::socket socket(asio::make_strand(ioc_));
    co_await acceptor_->async_accept(socket, asio::redirect_error(asio::use_awaitable, ec));
    if (stopping_) co_return;
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor_->is_open()) co_return;
      // E.g. out of file descriptors: back off instead of spinning.
      spdlog::warn("http: accept failed: {}", ec.message());
      asio::steady_timer pause(acceptor_->get_executor(), std::chrono::milliseconds(100));
      co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    socket.set_option(tcp::no_delay(true), ec);
    const auto peer = socket.remote_endpoint(ec);
    std::string remote = ec ? std::string("?") : peer.address().to_string();

    std::shared_ptr<Connection> connection;
    uint64_t id = 0;
    {
      std::lock_guard lock(mu_);
      if (stopping_) {
        socket.close(ec);
        co_return;
      }
      if (connections_.size() >= options_.max_connections) {
        spdlog::warn("http: refusing a connection from {}: {} connections open", remote,
                     connections_.size());
        socket.close(ec);
        continue;
      }
      connection = std::make_shared<Connection>(std::move(socket), tls_);
      connection->remote_address = std::move(remote);
      id = connections_.Add(connection);
      metrics_->connections().Add(1);
    }
    asio::co_spawn(connection->stream.get_executor(), Serve(connection, id), asio::detached);
  }
}

asio::awaitable<void> Server::Impl::Serve(std::shared_ptr<Connection> connection, uint64_t id) {
  // Unregisters however the coroutine ends, including destruction of a suspended frame.
  struct Unregister {
    Impl* impl;
    uint64_t id;
    ~Unregister() {
      impl->metrics_->connections().Add(-1);
      impl->connections_.Remove(id);
    }
  } unregister{this, id};
  co_await internal::ServeConnection(std::move(connection), *context_);
}

template <typename F>
void Server::Impl::ForEachConnection(F fn) {
  for (auto& connection : connections_.Open()) {
    auto executor = connection->stream.get_executor();
    asio::post(executor, [connection = std::move(connection), fn] { fn(*connection); });
  }
}

void Server::Impl::Stop() {
  if (!started_ || stopped_) return;
  stopped_ = true;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  asio::post(acceptor_->get_executor(), [this] {
    beast::error_code ignored;
    acceptor_->close(ignored);
  });
  // Idle connections close now; busy ones finish their request (with Connection: close).
  ForEachConnection([](Connection& connection) {
    connection.draining = true;
    if (connection.idle) internal::CloseNow(connection);
  });
  if (!connections_.WaitUntilEmpty(options_.shutdown_grace)) {
    spdlog::warn("http: cutting connections still busy after {}s", options_.shutdown_grace.count());
    ForEachConnection([](Connection& connection) { internal::CloseNow(connection); });
  }
  // Handlers still running finish; their connections then see closed sockets and end.
  workers_->join();
  if (!connections_.WaitUntilEmpty(std::chrono::seconds(2))) {
    spdlog::warn("http: connections left at shutdown are dropped");
  }
  work_.reset();
  ioc_.stop();
  for (std::thread& thread : io_threads_) thread.join();
  io_threads_.clear();
  spdlog::info("http: stopped");
}

Result<std::unique_ptr<Server>> Server::Create(ServerOptions options,
                                               std::shared_ptr<const Router> router) {
  if (!router) return InvalidArgument("no router");
  if (options.io_threads < 1 || options.worker_threads < 1) {
    return InvalidArgument("io_threads and worker_threads must be at least 1");
  }
  if (options.max_connections < 1) return InvalidArgument("max_connections must be at least 1");
  if (options.max_transfers < 1) return InvalidArgument("max_transfers must be at least 1");
  if (options.max_header_bytes < 1024) return InvalidArgument("max_header_bytes below 1024");
  if (!options.public_url.empty() && CanonicalOrigin(options.public_url).empty()) {
    return InvalidArgument("public_url is not an http(s) URL");
  }
  using std::chrono::seconds;
  if (options.header_timeout < seconds(1) || options.body_idle_timeout < seconds(1) ||
      options.keep_alive_timeout < seconds(1) || options.shutdown_grace < seconds(0)) {
    return InvalidArgument("timeouts must be at least one second");
  }
  if (options.certificate_pem.empty() || options.private_key_pem.empty()) {
    return InvalidArgument("a TLS certificate and private key are required");
  }
  // Out of the options before they are kept: the key then lives in the TLS context only, and its
  // text (in zeroizing memory all the way from cmd/) is wiped when `key` goes.
  const crypto::SecretString key = std::move(options.private_key_pem);
  auto impl = std::make_unique<Impl>(std::move(options), std::move(router));
  SP_RETURN_IF_ERROR(impl->LoadCredentials(key));
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Server::~Server() { Stop(); }
Status Server::Start() { return impl_->Start(); }
uint16_t Server::port() const { return impl_->port(); }
void Server::Stop() { impl_->Stop(); }

}  // namespace sealpost::http
