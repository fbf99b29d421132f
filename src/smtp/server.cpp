#include "smtp/server.h"

#include <atomic>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/connection_registry.h"
#include "smtp/internal/asio.h"
#include "smtp/internal/session.h"
#include "smtp/internal/tls_context.h"
#include "smtp/proto/reply.h"

namespace sealpost::smtp {

namespace asio = internal::asio;
namespace beast = internal::beast;
using internal::Connection;
namespace ssl = internal::ssl;
using internal::tcp;

namespace {

// One listener: its socket, TLS context and session counts.
struct Listener {
  explicit Listener(const ListenerOptions& o) : options(o) {}
  const ListenerOptions& options;
  ssl::context tls{ssl::context::tls_server};
  std::unique_ptr<tcp::acceptor> acceptor;
  std::atomic<uint16_t> port{0};
  std::unique_ptr<internal::SessionContext> context;
  // Guarded by Server::Impl::mu_.
  size_t sessions = 0;
  std::unordered_map<std::string, size_t> per_address;
};

}  // namespace

class Server::Impl {
 public:
  explicit Impl(ServerOptions options) : options_(std::move(options)), ioc_(options_.io_threads) {
    for (const ListenerOptions& l : options_.listeners) {
      listeners_.push_back(std::make_unique<Listener>(l));
    }
  }
  // The acceptors are I/O objects of ioc_'s socket service, which ioc_ (destroyed before
  // listeners_, see below) takes with it: they must go first, after the threads have stopped.
  ~Impl() {
    Stop();
    for (auto& listener : listeners_) listener->acceptor.reset();
  }

  Status LoadCredentials(const crypto::SecretString& private_key_pem);
  Status Start();
  void Stop();
  uint16_t port(size_t index) const {
    return index < listeners_.size() ? listeners_[index]->port.load() : 0;
  }

 private:
  asio::awaitable<void> AcceptLoop(Listener& listener);
  asio::awaitable<void> Serve(std::shared_ptr<Connection> connection, Listener& listener,
                              uint64_t id, std::optional<Reply> refusal);
  // Posts `fn(connection)` to the strand of every open connection.
  template <typename F>
  void ForEachConnection(F fn);

  const ServerOptions options_;
  std::vector<std::unique_ptr<Listener>> listeners_;

  std::mutex mu_;  // guards the listeners' session counts; orders accepting against Stop()
  ConnectionRegistry<Connection> connections_;
  std::atomic<bool> stopping_{false};
  bool started_ = false;
  bool stopped_ = false;

  // Destroyed before the members above: coroutine frames still queued refer to them.
  asio::io_context ioc_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  std::unique_ptr<asio::thread_pool> workers_;
  std::vector<std::thread> io_threads_;
};

Status Server::Impl::LoadCredentials(const crypto::SecretString& private_key_pem) {
  for (auto& listener : listeners_) {
    SP_RETURN_IF_ERROR(
        internal::ConfigureServerTlsContext(listener->tls.native_handle(), options_.certificate_pem,
                                            private_key_pem, listener->options.client_ca_pem));
  }
  return Status::Ok();
}

Status Server::Impl::Start() {
  if (started_) return Conflict("SMTP server already started");
  workers_ = std::make_unique<asio::thread_pool>(options_.worker_threads);
  for (auto& listener : listeners_) {
    const ListenerOptions& o = listener->options;
    beast::error_code ec;
    const auto address = asio::ip::make_address(o.address, ec);
    if (ec) return InvalidArgument("not an IP address: " + o.address);
    const tcp::endpoint endpoint(address, o.port);
    auto acceptor = std::make_unique<tcp::acceptor>(asio::make_strand(ioc_));
    acceptor->open(endpoint.protocol(), ec);
    if (!ec) acceptor->set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor->bind(endpoint, ec);
    if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      return Unavailable(fmt::format("smtp {}: cannot listen on {}:{}: {}", o.name, o.address,
                                     o.port, ec.message()));
    }
    listener->port = acceptor->local_endpoint(ec).port();
    listener->acceptor = std::move(acceptor);
    listener->context = std::make_unique<internal::SessionContext>(
        internal::SessionContext{options_, o, *workers_});
  }
  started_ = true;
  work_.emplace(ioc_.get_executor());
  for (auto& listener : listeners_) {
    asio::co_spawn(listener->acceptor->get_executor(), AcceptLoop(*listener), asio::detached);
    spdlog::info("smtp: {} listening on {}:{}", listener->options.name, listener->options.address,
                 listener->port.load());
  }
  for (int i = 0; i < options_.io_threads; ++i) {
    io_threads_.emplace_back([this] {
      for (;;) {
        try {
          ioc_.run();
          return;
        } catch (const std::exception& e) {
          spdlog::error("smtp: exception escaped to an I/O thread: {}", e.what());
        }
      }
    });
  }
  return Status::Ok();
}

asio::awaitable<void> Server::Impl::AcceptLoop(Listener& listener) {
  const ListenerOptions& o = listener.options;
  beast::error_code ec;
  for (;;) {
    tcp::socket socket(asio::make_strand(ioc_));
    co_await listener.acceptor->async_accept(socket, asio::redirect_error(asio::use_awaitable, ec));
    if (stopping_) co_return;
    if (ec) {
      if (ec == asio::error::operation_aborted || !listener.acceptor->is_open()) co_return;
      spdlog::warn("smtp: {}: accept failed: {}", o.name, ec.message());
      asio::steady_timer pause(listener.acceptor->get_executor(), std::chrono::milliseconds(100));
      co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    socket.set_option(tcp::no_delay(true), ec);
    const auto remote = socket.remote_endpoint(ec);
    Peer peer;
    peer.address = ec ? std::string("?") : remote.address().to_string();
    peer.port = ec ? 0 : remote.port();

    std::shared_ptr<Connection> connection;
    std::optional<Reply> refusal;
    uint64_t id = 0;
    {
      std::lock_guard lock(mu_);
      if (stopping_) co_return;
      // Over a limit: the client still gets a 421 (RFC 5321 3.8), then the connection closes.
      if (listener.sessions >= o.max_sessions) {
        refusal = Reply{421, "4.3.2", "Too many connections, try again later"};
      } else if (listener.per_address[peer.address] >= o.max_sessions_per_address) {
        refusal = Reply{421, "4.7.0", "Too many connections from your address"};
      } else {
        ++listener.sessions;
        ++listener.per_address[peer.address];
      }
      connection = std::make_shared<Connection>(std::move(socket), listener.tls);
      connection->peer = peer;
      id = connections_.Add(connection);
    }
    asio::co_spawn(connection->stream.get_executor(), Serve(connection, listener, id, refusal),
                   asio::detached);
  }
}

asio::awaitable<void> Server::Impl::Serve(std::shared_ptr<Connection> connection,
                                          Listener& listener, uint64_t id,
                                          std::optional<Reply> refusal) {
  // Counts the session out however the coroutine ends, including destruction of its frame.
  struct Unregister {
    Impl* impl;
    Listener& listener;
    uint64_t id;
    std::string address;
    bool counted;
    ~Unregister() {
      if (counted) {
        std::lock_guard lock(impl->mu_);
        --listener.sessions;
        auto it = listener.per_address.find(address);
        if (it != listener.per_address.end() && --it->second == 0) listener.per_address.erase(it);
      }
      impl->connections_.Remove(id);
    }
  } unregister{this, listener, id, connection->peer.address, !refusal.has_value()};

  if (refusal) {
    spdlog::info("smtp: {} session from {} refused: {}", listener.options.name,
                 connection->peer.address, refusal->text);
    const std::string text = proto::FormatReply(*refusal);
    beast::error_code ec;
    connection->stream.expires_after(std::chrono::seconds(5));
    co_await asio::async_write(connection->stream, asio::buffer(text),
                               asio::redirect_error(asio::use_awaitable, ec));
    internal::CloseNow(*connection);
    co_return;
  }
  co_await internal::ServeSession(std::move(connection), *listener.context);
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
  for (auto& listener : listeners_) {
    Listener* l = listener.get();
    asio::post(l->acceptor->get_executor(), [l] {
      beast::error_code ignored;
      l->acceptor->close(ignored);
    });
  }
  // Sessions waiting for a command end now; those inside a message finish it first.
  ForEachConnection([](Connection& connection) {
    connection.draining = true;
    if (connection.idle) internal::CloseNow(connection);
  });
  if (!connections_.WaitUntilEmpty(options_.shutdown_grace)) {
    spdlog::warn("smtp: cutting sessions still busy after {}s", options_.shutdown_grace.count());
    ForEachConnection([](Connection& connection) { internal::CloseNow(connection); });
  }
  if (!connections_.WaitUntilEmpty(std::chrono::seconds(2))) {
    spdlog::warn("smtp: sessions left at shutdown are dropped");
  }
  workers_->join();
  work_.reset();
  ioc_.stop();
  for (std::thread& thread : io_threads_) thread.join();
  io_threads_.clear();
  spdlog::info("smtp: stopped");
}

Result<std::unique_ptr<Server>> Server::Create(ServerOptions options) {
  if (options.io_threads < 1 || options.worker_threads < 1) {
    return InvalidArgument("io_threads and worker_threads must be at least 1");
  }
  if (options.listeners.empty()) return InvalidArgument("no SMTP listener");
  for (const ListenerOptions& l : options.listeners) {
    if (!l.face) return InvalidArgument("SMTP listener " + l.name + " has no face");
    if (l.max_sessions < 1 || l.max_sessions_per_address < 1 || l.max_recipients < 1 ||
        l.max_message_bytes < 1024) {
      return InvalidArgument("SMTP listener " + l.name + ": limits too small");
    }
  }
  using std::chrono::milliseconds;
  if (options.command_timeout < milliseconds(100) || options.data_timeout < milliseconds(100) ||
      options.tls_handshake_timeout < milliseconds(100)) {
    return InvalidArgument("SMTP timeouts must be at least 100 ms");
  }
  if (options.max_bad_commands < 1 || options.max_auth_failures < 1) {
    return InvalidArgument("SMTP error limits must be at least 1");
  }
  if (options.certificate_pem.empty() || options.private_key_pem.empty()) {
    return InvalidArgument("a TLS certificate and private key are required");
  }
  for (const char c : options.hostname) {
    if (c <= ' ' || c >= 0x7f) return InvalidArgument("SMTP hostname has a space or control");
  }
  const crypto::SecretString key = std::move(options.private_key_pem);
  auto impl = std::make_unique<Impl>(std::move(options));
  SP_RETURN_IF_ERROR(impl->LoadCredentials(key));
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Server::~Server() { Stop(); }
Status Server::Start() { return impl_->Start(); }
uint16_t Server::port(size_t index) const { return impl_->port(index); }
void Server::Stop() { impl_->Stop(); }

}  // namespace sealpost::smtp
