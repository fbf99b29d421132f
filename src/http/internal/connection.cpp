#include "http/internal/connection.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <ctime>
#include <exception>
#include <optional>
#include <span>
#include <string_view>
#include <type_traits>
#include <vector>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "crypto/wiping_allocator.h"
#include "http/internal/ascii.h"
#include "http/internal/request_head.h"
#include "http/internal/worker_job.h"
#include "http/origin.h"
#include "http/problem.h"
#include "telemetry/request_context.h"

namespace sealpost::http::internal {
namespace {

using Clock = std::chrono::steady_clock;
// A buffered request body, in memory wiped when freed (it may hold a password or a MUC).
using WipedStringBody =
    bhttp::basic_string_body<char, std::char_traits<char>, crypto::WipingAllocator<char>>;

constexpr size_t kChunkBytes = 64 * 1024;  // read buffer beyond the request head
// Upload and download pieces handed to and from the worker pool. Each hand-over wakes threads,
// and on a VM a wake-up that finds the other core idle is slow: at 256 KiB about a fifth of a
// 1 GiB transfer's CPU time went idle between the steps. 1 MiB pieces made uploads ~18% and
// downloads ~10% faster; two of them per transfer, beside the blob file's own two 1 MiB buffers.
constexpr size_t kPieceBytes = 1024 * 1024;
constexpr size_t kFirstReadBytes = 4 * 1024;
constexpr std::chrono::seconds kTlsShutdownTimeout{1};
// Lingering close after an answer sent before the request body was read (see DiscardUnreadBody):
// at most this long in all, this long without a byte, and this many bytes.
constexpr std::chrono::seconds kLingerTime{10};
constexpr std::chrono::seconds kLingerIdle{2};
constexpr uint64_t kLingerBytes = 64 * 1024 * 1024;

// Runs `f` on the worker pool and resumes the calling coroutine on its own executor (the
// connection's strand) with the result. `f` must not throw.
template <typename F>
auto RunOnWorker(asio::thread_pool& workers, F f) {
  using R = std::invoke_result_t<F&>;
  return asio::async_initiate<const asio::use_awaitable_t<>&, void(R)>(
      [&workers](auto handler, F fn) {
        asio::post(workers, [handler = std::move(handler), fn = std::move(fn)]() mutable {
          R result = fn();
          auto executor = asio::get_associated_executor(handler);
          asio::dispatch(executor,
                         [handler = std::move(handler), result = std::move(result)]() mutable {
                           std::move(handler)(std::move(result));
                         });
        });
      },
      asio::use_awaitable, std::move(f));
}

// Fills `out` from `source` (sources may return less than asked, e.g. one blob chunk a call);
// short only at the end of the body.
Result<size_t> ReadFull(BodySource& source, std::span<uint8_t> out) {
  size_t filled = 0;
  while (filled < out.size()) {
    SP_ASSIGN_OR_RETURN(const size_t n, source.Read(out.subspan(filled)));
    if (n > out.size() - filled) return Internal("source returned more than it was asked for");
    if (n == 0) break;
    filled += n;
  }
  return filled;
}

// Calls application code, turning an escaping exception into a 500 (convention 3).
template <typename F>
auto Guarded(F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const std::exception& e) {
    return ProblemFromStatus(Internal(std::string("handler threw: ") + e.what()));
  } catch (...) {
    return ProblemFromStatus(Internal("handler threw a non-standard exception"));
  }
}

std::string HttpDate() {
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  return fmt::format("{}, {:02} {} {} {:02}:{:02}:{:02} GMT", kDays[tm.tm_wday % 7], tm.tm_mday,
                     kMonths[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

// For log lines: printable, bounded.
std::string ForLog(std::string_view text) {
  std::string out;
  for (const char c : text.substr(0, 256)) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f || c == '"' || c == '\\') {
      out += fmt::format("\\x{:02x}", u);
    } else {
      out.push_back(c);
    }
  }
  if (text.size() > 256) out += "...";
  return out;
}

bool IsTokenChar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool IsValidHeader(std::string_view name, std::string_view value) {
  if (name.empty()) return false;
  for (const char c : name) {
    if (!IsTokenChar(c)) return false;
  }
  for (const char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u == 0x7f) return false;
  }
  return true;
}

// Headers the server owns; a handler's copy is dropped.
bool IsServerOwnedHeader(std::string_view name) {
  static constexpr std::string_view kOwned[] = {"content-length",
                                                "transfer-encoding",
                                                "connection",
                                                "keep-alive",
                                                "upgrade",
                                                "trailer",
                                                "date",
                                                "server",
                                                "x-content-type-options",
                                                "referrer-policy",
                                                "strict-transport-security",
                                                "x-request-id"};
  for (const std::string_view owned : kOwned) {
    if (EqualsIgnoreCase(name, owned)) return true;
  }
  return false;
}

bool IsHttpParseError(const beast::error_code& ec) {
  if (ec.category() != bhttp::make_error_code(bhttp::error::bad_method).category()) return false;
  return ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message &&
         ec != bhttp::error::need_more && ec != bhttp::error::need_buffer;
}

// The request-log fields of one exchange.
struct Exchange {
  Clock::time_point started = Clock::now();
  // Sent as X-Request-Id and named by every log line written for this request.
  std::string request_id = telemetry::NewRequestId();
  const RouteMetrics* metrics = nullptr;  // null: counted as "(unmatched)"
  std::string method;
  std::string path;  // never the query: it may carry secrets
  int status = 0;
  uint64_t bytes = 0;
};

// Owns an upload sink and makes sure it ends exactly once: Finish() claimed by the server, or
// Abort() — explicitly or when the coroutine frame goes away.
class SinkGuard final {
 public:
  explicit SinkGuard(std::unique_ptr<UploadSink> sink) : sink_(std::move(sink)) {}
  ~SinkGuard() { Abort(); }
  SinkGuard(const SinkGuard&) = delete;
  SinkGuard& operator=(const SinkGuard&) = delete;

  UploadSink& sink() { return *sink_; }
  void Abort() {
    if (sink_ && !ended_) {
      ended_ = true;
      sink_->Abort();
    }
  }
  // Marks the sink as committed to Finish(); call right before handing it to a worker.
  void ClaimForFinish() { ended_ = true; }

 private:
  std::unique_ptr<UploadSink> sink_;
  bool ended_ = false;
};

// One of ServerOptions::max_transfers, held while a body streams.
class TransferSlot final {
 public:
  TransferSlot(std::atomic<size_t>& in_use, size_t limit) : in_use_(in_use) {
    held_ = in_use_.fetch_add(1) < limit;
    if (!held_) in_use_.fetch_sub(1);
  }
  ~TransferSlot() {
    if (held_) in_use_.fetch_sub(1);
  }
  TransferSlot(const TransferSlot&) = delete;
  TransferSlot& operator=(const TransferSlot&) = delete;

  bool held() const { return held_; }

 private:
  std::atomic<size_t>& in_use_;
  bool held_ = false;
};

class Session final {
 public:
  Session(std::shared_ptr<Connection> connection, const ConnectionContext& context)
      : c_(std::move(connection)),
        options_(context.options),
        router_(context.router),
        workers_(context.workers),
        transfers_(context.transfers),
        metrics_(context.metrics),
        buffer_(context.options.max_header_bytes + kChunkBytes),
        public_origin_(CanonicalOrigin(context.options.public_url)) {}

  asio::awaitable<void> Run();

 private:
  auto Token() { return asio::redirect_error(asio::use_awaitable, ec_); }
  beast::tcp_stream& Tcp() { return beast::get_lowest_layer(c_->stream); }

  // Serves one request whose first bytes are in buffer_, under the head deadline Run() set.
  // True to keep the connection.
  asio::awaitable<bool> ServeOne();
  asio::awaitable<bool> ServeUpload(bhttp::request_parser<bhttp::empty_body>& head,
                                    const Request& request, const Router::Match& match,
                                    bool has_body, bool keep_alive, bool is_head,
                                    Exchange& exchange);
  // Sends `response`; false when the connection must close.
  asio::awaitable<bool> Send(Response response, bool is_head, bool keep_alive, Exchange& exchange);
  asio::awaitable<bool> SendContinueIfExpected(const Request& request);
  asio::awaitable<void> DiscardUnreadBody();
  void ApplyHeaders(bhttp::fields& fields, const Response& response, bool keep_alive,
                    const Exchange& exchange);
  void Log(const Exchange& exchange) const;
  void HardClose() {
    hard_closed_ = true;
    CloseNow(*c_);
  }

  std::shared_ptr<Connection> c_;
  const ServerOptions& options_;
  const Router& router_;
  asio::thread_pool& workers_;
  std::atomic<size_t>& transfers_;
  const RequestMetrics& metrics_;
  // Raw request bytes (cookies, bodies with passwords) are wiped when the buffer grows or goes.
  beast::basic_flat_buffer<crypto::WipingAllocator<char>> buffer_;
  beast::error_code ec_;
  unsigned version_ = 11;
  bool hard_closed_ = false;
  // The current request has a body not yet read to its end (the connection then closes).
  bool body_unread_ = false;
  const std::string public_origin_;
};

asio::awaitable<void> Session::Run() {
  // The first request's deadline runs from the accept: handshake and head together must fit in
  // header_timeout, so a silent or slow new connection cannot hold a slot for longer.
  Tcp().expires_after(options_.header_timeout);
  co_await c_->stream.async_handshake(ssl::stream_base::server, Token());
  if (ec_) {
    spdlog::debug("http: TLS handshake with {} failed: {}", c_->remote_address, ec_.message());
    CloseNow(*c_);
    co_return;
  }
  bool first = true;
  for (;;) {
    c_->idle = true;
    if (c_->draining) break;
    if (buffer_.size() == 0) {
      // Between requests: keep_alive_timeout for the first byte of the next one, whose head
      // then has header_timeout.
      if (!first) Tcp().expires_after(options_.keep_alive_timeout);
      const size_t n =
          co_await c_->stream.async_read_some(buffer_.prepare(kFirstReadBytes), Token());
      if (ec_) break;
      buffer_.commit(n);
    }
    c_->idle = false;
    if (!first) Tcp().expires_after(options_.header_timeout);
    first = false;
    if (!co_await ServeOne()) break;
  }
  if (body_unread_ && !hard_closed_ && Tcp().socket().is_open()) co_await DiscardUnreadBody();
  if (!hard_closed_ && Tcp().socket().is_open()) {
    Tcp().expires_after(kTlsShutdownTimeout);
    co_await c_->stream.async_shutdown(Token());
  }
  CloseNow(*c_);
}

asio::awaitable<bool> Session::ServeOne() {
  Exchange exchange;
  HeadParser head;
  ConfigureHeadParser(head, options_.max_header_bytes);
  co_await bhttp::async_read_header(c_->stream, buffer_, head, Token());
  if (ec_) {
    if (ec_ == bhttp::error::header_limit || ec_ == bhttp::error::buffer_overflow) {
      exchange.method = "-";
      co_await Send(ProblemFor(Reason::kHeaderTooLarge,
                               fmt::format("The request head exceeds the limit of {} bytes.",
                                           options_.max_header_bytes)),
                    false, false, exchange);
    } else if (IsHttpParseError(ec_)) {
      exchange.method = "-";
      co_await Send(MalformedRequest("The request could not be parsed."), false, false, exchange);
    } else {
      spdlog::debug("http: {} closed while reading a request head: {}", c_->remote_address,
                    ec_.message());
    }
    co_return false;
  }

  version_ = head.get().version();
  RequestHead parsed = ReadRequestHead(head, c_->remote_address);
  Request request = std::move(parsed.request);
  const bool has_body = parsed.has_body;
  body_unread_ = has_body;
  const bool keep_alive = parsed.keep_alive && !c_->draining;
  const bool is_head = request.method == "HEAD";
  exchange.method = request.method;
  exchange.path = parsed.raw_path;

  auto decoded = CheckRequestHead(head, parsed.raw_path);
  if (!decoded.ok()) {
    co_await Send(MalformedRequest(decoded.status().message()), is_head, false, exchange);
    co_return false;
  }
  request.path = std::move(decoded).value();

  if (!OriginAllowed(request, public_origin_)) {
    co_return co_await Send(ProblemFor(Reason::kOriginMismatch), is_head, keep_alive && !has_body,
                            exchange);
  }

  Router::Match match = router_.Find(request.method, request.path);
  exchange.metrics = &metrics_.For(match);
  switch (match.kind) {
    case Router::Match::Kind::kNotFound:
      co_return co_await Send(NotFoundProblem(), is_head, keep_alive && !has_body, exchange);
    case Router::Match::Kind::kMethodNotAllowed:
      co_return co_await Send(MethodNotAllowedProblem(match.allow), is_head,
                              keep_alive && !has_body, exchange);
    case Router::Match::Kind::kUpload:
      co_return co_await ServeUpload(head, request, match, has_body, keep_alive, is_head, exchange);
    case Router::Match::Kind::kHandler:
      break;
  }

  const size_t limit = match.options.max_body_bytes;
  if (request.content_length && *request.content_length > limit) {
    co_return co_await Send(PayloadTooLarge(limit), is_head, false, exchange);
  }
  if (has_body) {
    if (!co_await SendContinueIfExpected(request)) co_return false;
    bhttp::request_parser<WipedStringBody> parser(std::move(head));
    parser.body_limit(limit);
    while (!parser.is_done()) {
      Tcp().expires_after(options_.body_idle_timeout);
      co_await bhttp::async_read_some(c_->stream, buffer_, parser, Token());
      if (ec_) break;
    }
    if (ec_ == bhttp::error::body_limit) {
      co_return co_await Send(PayloadTooLarge(limit), is_head, false, exchange);
    }
    if (ec_ && IsHttpParseError(ec_)) {
      co_return co_await Send(MalformedRequest("The request body could not be parsed."), is_head,
                              false, exchange);
    }
    if (ec_) {
      const telemetry::ScopedRequestId scope(exchange.request_id);
      spdlog::info("http: {} {} abandoned while reading the body: {}", request.method,
                   ForLog(exchange.path), ec_.message());
      co_return false;
    }
    request.body = std::move(parser.get().body());
    body_unread_ = false;
  }

  const Handler& handler = *match.handler;
  const std::string& id = exchange.request_id;
  Response response = co_await RunOnWorker(workers_, [&handler, &request, &match, &id] {
    const telemetry::ScopedRequestId scope(id);
    return Guarded([&] { return handler(request, match.params); });
  });
  co_return co_await Send(std::move(response), is_head, keep_alive, exchange);
}

asio::awaitable<bool> Session::ServeUpload(bhttp::request_parser<bhttp::empty_body>& head,
                                           const Request& request, const Router::Match& match,
                                           bool has_body, bool keep_alive, bool is_head,
                                           Exchange& exchange) {
  const size_t limit = match.options.max_body_bytes;
  if (request.content_length && *request.content_length > limit) {
    co_return co_await Send(PayloadTooLarge(limit), is_head, false, exchange);
  }
  const UploadBegin& begin = *match.begin;
  Result<std::unique_ptr<UploadSink>> begun =
      co_await RunOnWorker(workers_, [&begin, &request, &match, &id = exchange.request_id] {
        const telemetry::ScopedRequestId scope(id);
        try {
          return begin(request, match.params);
        } catch (const std::exception& e) {
          return Result<std::unique_ptr<UploadSink>>(
              Internal(std::string("upload begin threw: ") + e.what()));
        } catch (...) {
          return Result<std::unique_ptr<UploadSink>>(Internal("upload begin threw"));
        }
      });
  if (!begun.ok()) {
    co_return co_await Send(ProblemFromStatus(begun.status()), is_head, keep_alive && !has_body,
                            exchange);
  }
  if (*begun == nullptr) {
    co_return co_await Send(ProblemFromStatus(Internal("upload begin returned no sink")), is_head,
                            keep_alive && !has_body, exchange);
  }
  SinkGuard guard(std::move(begun).value());
  // Counted once begin has accepted the upload (the caller is authenticated), so that requests
  // refused there cannot hold slots.
  const TransferSlot slot(transfers_, options_.max_transfers);
  if (!slot.held()) {
    guard.Abort();
    co_return co_await Send(TooManyTransfers(options_.max_transfers), is_head,
                            keep_alive && !has_body, exchange);
  }

  if (has_body) {
    if (!co_await SendContinueIfExpected(request)) co_return false;  // guard aborts
    bhttp::request_parser<bhttp::buffer_body> parser(std::move(head));
    parser.body_limit(limit);
    // Two chunks: the network fills one while a worker writes the other into the sink, so TLS
    // decryption here and hashing/encryption/disk there run at the same time.
    std::vector<uint8_t> chunks[2] = {std::vector<uint8_t>(kPieceBytes),
                                      std::vector<uint8_t>(kPieceBytes)};
    int current = 0;
    // The write in flight must end before anything else touches the sink (one thread at a
    // time) and before this frame's chunks go away: every path below awaits it first.
    WorkerJob<Status> writing;
    uint64_t total = 0;
    while (!parser.is_done()) {
      std::vector<uint8_t>& chunk = chunks[current];
      // Fill one chunk, each read bounded by the idle timeout.
      size_t filled = 0;
      while (filled < chunk.size() && !parser.is_done()) {
        parser.get().body().data = chunk.data() + filled;
        parser.get().body().size = chunk.size() - filled;
        Tcp().expires_after(options_.body_idle_timeout);
        co_await bhttp::async_read_some(c_->stream, buffer_, parser, Token());
        filled = chunk.size() - parser.get().body().size;
        if (ec_ == bhttp::error::need_buffer) ec_ = {};
        if (ec_) break;
      }
      const beast::error_code read_error = ec_;
      Status written = Status::Ok();
      if (writing.started()) written = co_await writing.Wait();
      if (read_error == bhttp::error::body_limit) {
        guard.Abort();
        co_return co_await Send(PayloadTooLarge(limit), is_head, false, exchange);
      }
      if (read_error && IsHttpParseError(read_error)) {
        guard.Abort();
        co_return co_await Send(MalformedRequest("The request body could not be parsed."), is_head,
                                false, exchange);
      }
      if (read_error) {
        const telemetry::ScopedRequestId scope(exchange.request_id);
        spdlog::info("http: {} {} upload abandoned after {} bytes: {}", request.method,
                     ForLog(exchange.path), total, read_error.message());
        guard.Abort();
        co_return false;
      }
      if (!written.ok()) {
        guard.Abort();
        co_return co_await Send(ProblemFromStatus(written), is_head, false, exchange);
      }
      total += filled;
      if (total > limit) {
        guard.Abort();
        co_return co_await Send(PayloadTooLarge(limit), is_head, false, exchange);
      }
      if (filled > 0) {
        UploadSink* sink = &guard.sink();
        writing = WorkerJob<Status>::Start(
            workers_,
            [sink, data = ByteView(chunk.data(), filled), &id = exchange.request_id] {
              const telemetry::ScopedRequestId scope(id);
              return sink->Write(data);
            },
            [](const char* what) { return Internal(std::string("upload sink threw: ") + what); });
        current ^= 1;
      }
    }
    body_unread_ = false;
    Status written = Status::Ok();
    if (writing.started()) written = co_await writing.Wait();
    if (!written.ok()) {
      guard.Abort();
      co_return co_await Send(ProblemFromStatus(written), is_head, false, exchange);
    }
  }

  guard.ClaimForFinish();
  UploadSink& sink = guard.sink();
  Response response = co_await RunOnWorker(workers_, [&sink, &id = exchange.request_id] {
    const telemetry::ScopedRequestId scope(id);
    return Guarded([&] { return sink.Finish(); });
  });
  co_return co_await Send(std::move(response), is_head, keep_alive, exchange);
}

asio::awaitable<bool> Session::SendContinueIfExpected(const Request& request) {
  const auto expect = request.Header("Expect");
  if (version_ != 11 || !expect || !EqualsIgnoreCase(*expect, "100-continue")) co_return true;
  bhttp::response<bhttp::empty_body> interim{bhttp::status::continue_, 11};
  Tcp().expires_after(options_.body_idle_timeout);
  co_await bhttp::async_write(c_->stream, interim, Token());
  co_return !ec_;
}

void Session::ApplyHeaders(bhttp::fields& fields, const Response& response, bool keep_alive,
                           const Exchange& exchange) {
  for (const auto& [name, value] : response.headers) {
    if (!IsServerOwnedHeader(name)) fields.insert(name, value);
  }
  fields.set(bhttp::field::server, "sealpost");
  fields.set(bhttp::field::date, HttpDate());
  fields.set("X-Content-Type-Options", "nosniff");
  fields.set(bhttp::field::strict_transport_security, "max-age=63072000");
  fields.set("Referrer-Policy", "no-referrer");
  fields.set("X-Request-Id", exchange.request_id);
  if (!response.Header("Cache-Control")) fields.set(bhttp::field::cache_control, "no-store");
  fields.set(bhttp::field::connection, keep_alive ? "keep-alive" : "close");
}

asio::awaitable<bool> Session::Send(Response response, bool is_head, bool keep_alive,
                                    Exchange& exchange) {
  keep_alive = keep_alive && !c_->draining;
  bool valid = response.status >= 200 && response.status <= 599;
  for (const auto& [name, value] : response.headers) {
    valid = valid && IsValidHeader(name, value);
  }
  if (!valid) {
    response = ProblemFromStatus(Internal(fmt::format(
        "handler produced an invalid response (status {} or a header)", response.status)));
  }
  bool no_body = is_head || response.status == 204 || response.status == 304;
  std::optional<TransferSlot> slot;  // held until the streamed body has gone out
  if (response.stream && !no_body) {
    slot.emplace(transfers_, options_.max_transfers);
    if (!slot->held()) {
      response = TooManyTransfers(options_.max_transfers);  // drops the stream unread
      no_body = is_head;
    }
  }
  exchange.status = response.status;
  const auto status = static_cast<unsigned>(response.status);

  if (response.stream && !no_body) {
    bhttp::response<bhttp::buffer_body> res;
    res.version(version_);
    res.result(status);
    ApplyHeaders(res, response, keep_alive, exchange);
    const std::optional<uint64_t> length = response.stream_length;
    if (length) {
      res.content_length(*length);
    } else {
      res.chunked(true);
    }
    res.body().data = nullptr;
    res.body().more = true;
    bhttp::response_serializer<bhttp::buffer_body> serializer{res};
    Tcp().expires_after(options_.body_idle_timeout);
    co_await bhttp::async_write_header(c_->stream, serializer, Token());
    if (ec_) {
      HardClose();
      Log(exchange);
      co_return false;
    }
    // Two chunks: a worker reads (and decrypts) the next one while this one is being sent.
    std::vector<uint8_t> chunks[2] = {std::vector<uint8_t>(kPieceBytes),
                                      std::vector<uint8_t>(kPieceBytes)};
    BodySource* source = response.stream.get();
    auto start_reading = [this, source, &id = exchange.request_id](std::vector<uint8_t>& into) {
      return WorkerJob<Result<size_t>>::Start(
          workers_,
          [source, out = std::span<uint8_t>(into), &id] {
            const telemetry::ScopedRequestId scope(id);
            return ReadFull(*source, out);
          },
          [](const char* what) {
            return Result<size_t>(Internal(std::string("body source threw: ") + what));
          });
    };
    int current = 0;
    WorkerJob<Result<size_t>> reading = start_reading(chunks[current]);
    for (;;) {
      Result<size_t> n = co_await reading.Wait();
      std::string failure;
      if (!n.ok()) {
        failure = n.status().ToString();
      } else if (length && exchange.bytes + *n > *length) {
        failure = "source is longer than its stream_length";
      } else if (length && *n == 0 && exchange.bytes != *length) {
        failure = "source ended before its stream_length";
      }
      if (!failure.empty()) {
        // Cut the connection: the client must see a truncated transfer, not a short body.
        const telemetry::ScopedRequestId scope(exchange.request_id);
        spdlog::error("http: {} {}: body source failed after {} bytes: {}", exchange.method,
                      ForLog(exchange.path), exchange.bytes, failure);
        HardClose();
        Log(exchange);
        co_return false;
      }
      if (*n == 0) {
        res.body().data = nullptr;
        res.body().size = 0;
        res.body().more = false;
      } else {
        res.body().data = chunks[current].data();
        res.body().size = *n;
        res.body().more = true;
        current ^= 1;
        reading = start_reading(chunks[current]);  // until it reports the end
      }
      Tcp().expires_after(options_.body_idle_timeout);
      co_await bhttp::async_write(c_->stream, serializer, Token());
      if (ec_ == bhttp::error::need_buffer) ec_ = {};
      if (ec_ && reading.started()) (void)co_await reading.Wait();  // it writes into chunks
      if (ec_) {
        HardClose();
        Log(exchange);
        co_return false;
      }
      exchange.bytes += *n;
      if (*n == 0) break;
    }
    Log(exchange);
    co_return keep_alive;
  }

  bhttp::response<bhttp::string_body> res;
  res.version(version_);
  res.result(status);
  ApplyHeaders(res, response, keep_alive, exchange);
  if (is_head) {
    // The length a GET would have had; nothing follows the head.
    if (response.stream) {
      if (response.stream_length) res.content_length(*response.stream_length);
    } else {
      res.content_length(response.body.size());
    }
  } else if (!no_body) {
    exchange.bytes = response.body.size();
    res.body() = std::move(response.body);
    res.prepare_payload();
  }
  response.stream.reset();
  Tcp().expires_after(options_.body_idle_timeout);
  co_await bhttp::async_write(c_->stream, res, Token());
  Log(exchange);
  if (ec_) {
    HardClose();
    co_return false;
  }
  co_return keep_alive;
}

// An answer sent before the body was read (413, 404, a refused upload) closes the connection.
// Closing at once would lose that answer for the many clients that send their whole body before
// reading (curl, Python, most HTTP libraries): the kernel answers bytes that arrive after the
// close with a reset, and the reset discards the answer still unread in the client's buffer.
// So, as RFC 9112 section 9.6 advises (nginx's lingering close), read and drop what the client
// still sends until it goes quiet or closes, within bounds of time and bytes, then close.
asio::awaitable<void> Session::DiscardUnreadBody() {
  if (c_->draining) co_return;
  c_->idle = true;  // a server stop may cut it at once
  const auto until = Clock::now() + kLingerTime;
  uint64_t discarded = buffer_.size();
  buffer_.consume(buffer_.size());
  while (discarded < kLingerBytes) {
    const auto left = until - Clock::now();
    if (left <= Clock::duration::zero()) break;
    Tcp().expires_after(std::min<Clock::duration>(kLingerIdle, left));
    const size_t n = co_await c_->stream.async_read_some(buffer_.prepare(kChunkBytes), Token());
    if (ec_) break;
    discarded += n;
  }
  buffer_.consume(buffer_.size());
}

void Session::Log(const Exchange& exchange) const {
  const Clock::duration took = Clock::now() - exchange.started;
  RequestMetrics::Record(exchange.metrics ? *exchange.metrics : metrics_.unmatched(),
                         exchange.status, took);
  const auto elapsed = std::chrono::duration<double, std::milli>(took).count();
  const telemetry::ScopedRequestId scope(exchange.request_id);
  spdlog::info("http {} {} {} {:.1f}ms {}B", exchange.method, ForLog(exchange.path),
               exchange.status, elapsed, exchange.bytes);
}

}  // namespace

void CloseNow(Connection& connection) {
  beast::error_code ignored;
  auto& socket = beast::get_lowest_layer(connection.stream).socket();
  if (socket.is_open()) socket.shutdown(tcp::socket::shutdown_both, ignored);
  beast::get_lowest_layer(connection.stream).close();
}

asio::awaitable<void> ServeConnection(std::shared_ptr<Connection> connection,
                                      const ConnectionContext& context) {
  try {
    Session session(std::move(connection), context);
    co_await session.Run();
  } catch (const std::exception& e) {
    spdlog::error("http: connection ended by an exception: {}", e.what());
  }
}

}  // namespace sealpost::http::internal
