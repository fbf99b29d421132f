// http_send_load: a closed-loop HTTPS load driver for POST /api/v1/messages.
//
// What it measures: how many 4 KiB text messages per second a running Sealpost server accepts
// (201 Created) from N concurrent keep-alive clients, and the latency of each request as the
// client sees it (write of the request to the last byte of the response). Every 201 is a message
// the server has sealed, stored durably and logged in the audit trail, so this is the end-to-end
// cost of "send", TLS included. bench/run.sh compares it with sqlite_baseline, the rate at which
// the same disk accepts one durable SQLite transaction per 4 KiB row.
//
// How: one thread per client, each with its own blocking socket and OpenSSL connection (the
// server's certificate is verified against --ca and must name 127.0.0.1). Each client sends a
// request, reads the whole response (status line, headers, Content-Length body) and sends the
// next one; a 1 s warm-up (TLS handshakes, caches, SQLite pages) is excluded. Any status other
// than 201 is printed (the first few) and counted as an error.
//
// Exit status: 0 when every request was answered 201, 2 when some were not, 1 on a setup error
// (bad option, no connection, certificate not trusted). The last line of output is
// machine-readable ("RESULT key=value ...") for bench/run.sh.

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::string host = "127.0.0.1";
  uint16_t port = 0;
  std::string ca_file;
  std::string cookie;  // the whole Cookie header value, e.g. "__Host-sealpost_session=…"
  std::string csrf;
  std::string to = "bob@example.org";
  int clients = 8;
  double seconds = 10;
  double warmup_seconds = 1;
  size_t text_bytes = 4096;
};

void Usage() {
  std::fprintf(
      stderr,
      "usage: http_send_load --port PORT --ca CERT.pem --cookie 'NAME=VALUE' --csrf TOKEN\n"
      "                      [--host 127.0.0.1] [--to bob@example.org] [--clients 8]\n"
      "                      [--seconds 10] [--warmup 1] [--text-bytes 4096]\n");
}

std::optional<Options> ParseOptions(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string_view flag = argv[i];
    if (i + 1 >= argc) return std::nullopt;
    const char* value = argv[++i];
    if (flag == "--host") {
      o.host = value;
    } else if (flag == "--port") {
      o.port = static_cast<uint16_t>(std::strtoul(value, nullptr, 10));
    } else if (flag == "--ca") {
      o.ca_file = value;
    } else if (flag == "--cookie") {
      o.cookie = value;
    } else if (flag == "--csrf") {
      o.csrf = value;
    } else if (flag == "--to") {
      o.to = value;
    } else if (flag == "--clients") {
      o.clients = std::atoi(value);
    } else if (flag == "--seconds") {
      o.seconds = std::strtod(value, nullptr);
    } else if (flag == "--warmup") {
      o.warmup_seconds = std::strtod(value, nullptr);
    } else if (flag == "--text-bytes") {
      o.text_bytes = std::strtoul(value, nullptr, 10);
    } else {
      return std::nullopt;
    }
  }
  if (o.port == 0 || o.ca_file.empty() || o.cookie.empty() || o.csrf.empty() || o.clients < 1 ||
      o.seconds <= 0 || o.warmup_seconds < 0) {
    return std::nullopt;
  }
  return o;
}

struct SslCtxDeleter {
  void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
};
struct SslDeleter {
  void operator()(SSL* ssl) const { SSL_free(ssl); }
};
using SslCtxPtr = std::unique_ptr<SSL_CTX, SslCtxDeleter>;
using SslPtr = std::unique_ptr<SSL, SslDeleter>;

std::string OpenSslErrors() {
  std::string out;
  while (const unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out.empty() ? "(no OpenSSL error)" : out;
}

// Client context: TLS 1.2+, peer verified against the CA file. SSL_CTX is safe to share between
// threads once configured; each connection gets its own SSL.
SslCtxPtr MakeContext(const Options& o) {
  SslCtxPtr ctx(SSL_CTX_new(TLS_client_method()));
  if (!ctx) return nullptr;
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  if (SSL_CTX_load_verify_locations(ctx.get(), o.ca_file.c_str(), nullptr) != 1) {
    std::fprintf(stderr, "cannot load CA file %s: %s\n", o.ca_file.c_str(),
                 OpenSslErrors().c_str());
    return nullptr;
  }
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  return ctx;
}

// One keep-alive HTTPS connection with blocking I/O.
class Connection final {
 public:
  Connection() = default;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection() { Close(); }

  // Connects and completes the handshake; on failure returns a description.
  std::optional<std::string> Open(SSL_CTX* ctx, const Options& o) {
    Close();
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd_ < 0) return std::string("socket: ") + std::strerror(errno);
    const int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(o.port);
    if (::inet_pton(AF_INET, o.host.c_str(), &addr.sin_addr) != 1) {
      return "--host must be an IPv4 address";
    }
    if (::connect(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
      return std::string("connect: ") + std::strerror(errno);
    }
    ssl_.reset(SSL_new(ctx));
    if (!ssl_) return "SSL_new: " + OpenSslErrors();
    // The server's self-signed certificate carries 127.0.0.1 as an IP address SAN.
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl_.get());
    if (X509_VERIFY_PARAM_set1_ip_asc(param, o.host.c_str()) != 1) {
      return "cannot set the expected IP address";
    }
    SSL_set_fd(ssl_.get(), fd_);
    if (SSL_connect(ssl_.get()) != 1) {
      const long verify = SSL_get_verify_result(ssl_.get());
      return "TLS handshake: " + OpenSslErrors() +
             (verify != X509_V_OK
                  ? std::string(" (certificate: ") + X509_verify_cert_error_string(verify) + ")"
                  : std::string());
    }
    buffer_.clear();
    return std::nullopt;
  }

  void Close() {
    if (ssl_) {
      SSL_shutdown(ssl_.get());
      ssl_.reset();
    }
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  bool WriteAll(std::string_view data) {
    while (!data.empty()) {
      size_t written = 0;
      if (SSL_write_ex(ssl_.get(), data.data(), data.size(), &written) != 1) return false;
      data.remove_prefix(written);
    }
    return true;
  }

  struct Response {
    int status = 0;
    bool close = false;
    std::string body;
  };

  // Reads one response: status line, headers up to the blank line, then exactly Content-Length
  // bytes of body. Bytes beyond the body stay buffered (the server does not pipeline, but a
  // reader should not lose them). nullopt on a transport or framing error.
  std::optional<Response> ReadResponse() {
    size_t header_end;
    while ((header_end = buffer_.find("\r\n\r\n")) == std::string::npos) {
      if (buffer_.size() > 64 * 1024 || !Fill()) return std::nullopt;
    }
    const std::string_view head(buffer_.data(), header_end);
    Response r;
    // "HTTP/1.1 201 Created"
    if (head.size() < 12 || head.substr(0, 5) != "HTTP/") return std::nullopt;
    const size_t space = head.find(' ');
    if (space == std::string_view::npos) return std::nullopt;
    r.status = std::atoi(std::string(head.substr(space + 1, 3)).c_str());
    std::optional<size_t> content_length;
    size_t pos = head.find("\r\n");
    while (pos != std::string_view::npos && pos < head.size()) {
      const size_t start = pos + 2;
      size_t end = head.find("\r\n", start);
      if (end == std::string_view::npos) end = head.size();
      const std::string_view line = head.substr(start, end - start);
      const size_t colon = line.find(':');
      if (colon != std::string_view::npos) {
        std::string name(line.substr(0, colon));
        std::transform(name.begin(), name.end(), name.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        std::string_view value = line.substr(colon + 1);
        while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
        if (name == "content-length") {
          content_length = std::strtoull(std::string(value).c_str(), nullptr, 10);
        } else if (name == "connection" && (value == "close" || value == "Close")) {
          r.close = true;
        } else if (name == "transfer-encoding") {
          return std::nullopt;  // the API answers with Content-Length; chunked is unexpected
        }
      }
      pos = end;
    }
    if (!content_length) return std::nullopt;
    const size_t body_start = header_end + 4;
    while (buffer_.size() - body_start < *content_length) {
      if (!Fill()) return std::nullopt;
    }
    r.body = buffer_.substr(body_start, *content_length);
    buffer_.erase(0, body_start + *content_length);
    return r;
  }

 private:
  bool Fill() {
    char chunk[16 * 1024];
    size_t n = 0;
    if (SSL_read_ex(ssl_.get(), chunk, sizeof chunk, &n) != 1) return false;
    buffer_.append(chunk, n);
    return true;
  }

  int fd_ = -1;
  SslPtr ssl_;
  std::string buffer_;
};

std::string BuildRequest(const Options& o, int client) {
  // 4 KiB of printable text (no JSON escaping needed), different per client so identical bodies
  // cannot be deduplicated anywhere along the way.
  std::string text(o.text_bytes, 'x');
  for (size_t i = 0; i < text.size(); ++i) {
    text[i] = static_cast<char>('a' + (i * 7 + static_cast<size_t>(client) * 13) % 26);
  }
  const std::string body = "{\"to\":[\"" + o.to + "\"],\"subject\":\"load test from client " +
                           std::to_string(client) + "\",\"text\":\"" + text + "\"}";
  return "POST /api/v1/messages HTTP/1.1\r\n"
         "Host: " +
         o.host + ":" + std::to_string(o.port) +
         "\r\n"
         "Content-Type: application/json\r\n"
         "Cookie: " +
         o.cookie +
         "\r\n"
         "X-CSRF-Token: " +
         o.csrf +
         "\r\n"
         "Content-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body;
}

struct ClientResult {
  uint64_t ok = 0;      // 201s completed inside the measured window
  uint64_t errors = 0;  // non-201 answers and transport failures, warm-up included
  std::vector<double> latencies_ms;
  std::optional<std::string> fatal;  // could not connect at all
};

// Errors are printed as they happen, but only the first few: a misconfigured run would otherwise
// flood the terminal.
std::atomic<int> printed_errors{0};
constexpr int kMaxPrintedErrors = 10;

void ReportError(int client, const std::string& what) {
  if (printed_errors.fetch_add(1) < kMaxPrintedErrors) {
    std::fprintf(stderr, "client %d: %s\n", client, what.c_str());
  }
}

void RunClient(SSL_CTX* ctx, const Options& o, int client, Clock::time_point measure_from,
               Clock::time_point stop_at, ClientResult& result) {
  const std::string request = BuildRequest(o, client);
  Connection conn;
  if (auto err = conn.Open(ctx, o)) {
    result.fatal = *err;
    return;
  }
  result.latencies_ms.reserve(4096);
  while (Clock::now() < stop_at) {
    const Clock::time_point start = Clock::now();
    std::optional<Connection::Response> r;
    if (conn.WriteAll(request)) r = conn.ReadResponse();
    const Clock::time_point end = Clock::now();
    if (!r) {
      ++result.errors;
      ReportError(client, "transport error (" + OpenSslErrors() + "), reconnecting");
      if (auto err = conn.Open(ctx, o)) {
        result.fatal = *err;
        return;
      }
      continue;
    }
    if (r->status != 201) {
      ++result.errors;
      ReportError(client, "HTTP " + std::to_string(r->status) + ": " + r->body.substr(0, 300));
    } else if (start >= measure_from && end <= stop_at) {
      ++result.ok;
      result.latencies_ms.push_back(std::chrono::duration<double, std::milli>(end - start).count());
    }
    if (r->close) {
      if (auto err = conn.Open(ctx, o)) {
        result.fatal = *err;
        return;
      }
    }
  }
}

double Percentile(std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  const size_t index = static_cast<size_t>(p * static_cast<double>(sorted.size() - 1) + 0.5);
  return sorted[std::min(index, sorted.size() - 1)];
}

}  // namespace

int main(int argc, char** argv) {
  const std::optional<Options> options = ParseOptions(argc, argv);
  if (!options) {
    Usage();
    return 1;
  }
  const Options& o = *options;
  SslCtxPtr ctx = MakeContext(o);
  if (!ctx) return 1;

  const auto warmup =
      std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.warmup_seconds));
  const auto measure =
      std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.seconds));
  // Handshakes happen inside the warm-up; the measured window starts at the same instant for all.
  const Clock::time_point measure_from = Clock::now() + warmup;
  const Clock::time_point stop_at = measure_from + measure;

  std::vector<ClientResult> results(static_cast<size_t>(o.clients));
  std::vector<std::thread> threads;
  for (int i = 0; i < o.clients; ++i) {
    threads.emplace_back(RunClient, ctx.get(), std::cref(o), i, measure_from, stop_at,
                         std::ref(results[static_cast<size_t>(i)]));
  }
  for (auto& t : threads) t.join();

  uint64_t ok = 0;
  uint64_t errors = 0;
  std::vector<double> latencies;
  for (const auto& r : results) {
    if (r.fatal) {
      std::fprintf(stderr, "error: %s\n", r.fatal->c_str());
      return 1;
    }
    ok += r.ok;
    errors += r.errors;
    latencies.insert(latencies.end(), r.latencies_ms.begin(), r.latencies_ms.end());
  }
  std::sort(latencies.begin(), latencies.end());
  const double rate = static_cast<double>(ok) / o.seconds;
  const double p50 = Percentile(latencies, 0.50);
  const double p99 = Percentile(latencies, 0.99);
  const double max = latencies.empty() ? 0 : latencies.back();

  std::printf("http_send_load: %d clients, %.0f s measured after %.0f s warm-up, %zu-byte text\n",
              o.clients, o.seconds, o.warmup_seconds, o.text_bytes);
  std::printf("  messages sent (201): %llu   errors: %llu\n", static_cast<unsigned long long>(ok),
              static_cast<unsigned long long>(errors));
  std::printf("  throughput: %.1f messages/s\n", rate);
  std::printf("  latency: p50 %.2f ms, p99 %.2f ms, max %.2f ms\n", p50, p99, max);
  std::printf("RESULT messages_per_s=%.1f p50_ms=%.2f p99_ms=%.2f errors=%llu sent=%llu\n", rate,
              p50, p99, static_cast<unsigned long long>(errors),
              static_cast<unsigned long long>(ok));
  if (ok == 0) return 1;
  return errors == 0 ? 0 : 2;
}
