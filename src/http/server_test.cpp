// Real-socket tests: a Server on 127.0.0.1 (ephemeral port) and a small Beast + TLS client.
#include "http/server.h"

#include <utility>  // before Asio (g++ 12 + Boost 1.74)

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <atomic>
#include <chrono>
#include <cstring>
#include <functional>
#include <mutex>
#include <thread>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "http/problem.h"
#include "http/self_signed.h"
#include "testing/status_matchers.h"

namespace sealpost::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;
using ::testing::HasSubstr;

const PemPair& TestCertificate() {
  static const PemPair pair = [] {
    auto generated = GenerateSelfSignedCertificate("localhost", {"localhost"}, {"127.0.0.1"}, 1);
    if (!generated.ok()) std::abort();
    return std::move(generated).value();
  }();
  return pair;
}

// Deterministic test bytes.
std::string Pattern(size_t size, uint32_t seed) {
  std::string out(size, '\0');
  uint32_t x = seed * 2654435761u + 1;
  for (size_t i = 0; i < size; ++i) {
    x = x * 1664525u + 1013904223u;
    out[i] = static_cast<char>(x >> 24);
  }
  return out;
}

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

// A TLS client whose every operation runs its own io_context until done or `timeout`.
class Client {
 public:
  explicit Client(uint16_t port) : port_(port) {
    tls_.add_certificate_authority(asio::buffer(TestCertificate().certificate_pem));
    tls_.set_verify_mode(ssl::verify_peer);
  }

  ssl::context& tls() { return tls_; }
  asio::io_context& ioc() { return ioc_; }
  beast::ssl_stream<beast::tcp_stream>& stream() { return *stream_; }
  beast::tcp_stream& tcp_stream() { return beast::get_lowest_layer(*stream_); }

  beast::error_code Connect() {
    stream_ = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(ioc_, tls_);
    buffer_.clear();
    stream_->set_verify_callback(ssl::host_name_verification("127.0.0.1"));
    const tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), port_);
    beast::error_code ec =
        Run([&](auto handler) { tcp_stream().async_connect(endpoint, handler); });
    if (ec) return ec;
    return Run([&](auto handler) { stream_->async_handshake(ssl::stream_base::client, handler); });
  }

  beast::error_code Write(std::string_view bytes) {
    return Run([&](auto handler) { asio::async_write(*stream_, asio::buffer(bytes), handler); });
  }

  beast::error_code Read(bhttp::response_parser<bhttp::string_body>& parser) {
    return Run([&](auto handler) { bhttp::async_read(*stream_, buffer_, parser, handler); });
  }

  // One request, one response; fails the test on a transport error.
  bhttp::response<bhttp::string_body> Fetch(
      bhttp::verb method, std::string target, std::string body = {},
      std::vector<std::pair<std::string, std::string>> headers = {}) {
    bhttp::request<bhttp::string_body> request{method, target, 11};
    request.set(bhttp::field::host, "localhost");
    for (const auto& [name, value] : headers) request.set(name, value);
    request.body() = std::move(body);
    request.prepare_payload();
    beast::error_code ec =
        Run([&](auto handler) { bhttp::async_write(*stream_, request, handler); });
    EXPECT_FALSE(ec) << "write: " << ec.message();
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(64 << 20);
    parser.skip(method == bhttp::verb::head);
    ec = Read(parser);
    EXPECT_FALSE(ec) << "read: " << ec.message();
    return parser.release();
  }

  // Reads until the server closes the connection; false if it is still open after `timeout`.
  bool WaitForClose(std::chrono::seconds timeout) {
    const auto deadline = Clock::now() + timeout;
    char scratch[4096];
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::seconds>(deadline - Clock::now());
      if (left <= 0s) return false;
      const beast::error_code ec = Run(
          [&](auto handler) { stream_->async_read_some(asio::buffer(scratch), handler); }, left);
      if (ec == beast::error::timeout) return false;
      if (ec) return true;
    }
  }

  // Drops the TCP connection without a TLS close_notify.
  void Abandon() {
    beast::error_code ignored;
    tcp_stream().socket().close(ignored);
  }

 private:
  template <typename Start>
  beast::error_code Run(Start start, std::chrono::seconds timeout = 10s) {
    beast::error_code result = asio::error::would_block;
    tcp_stream().expires_after(timeout);
    start([&result](beast::error_code ec, auto&&...) { result = ec; });
    ioc_.restart();
    ioc_.run();
    return result;
  }

  uint16_t port_;
  asio::io_context ioc_;
  ssl::context tls_{ssl::context::tls_client};
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> stream_;
  beast::flat_buffer buffer_;
};

// What the upload sinks saw.
struct UploadLog {
  std::mutex mu;
  std::string received;
  size_t largest_chunk = 0;
  std::atomic<int> begins{0};
  std::atomic<int> writes{0};
  std::atomic<int> finishes{0};
  std::atomic<int> aborts{0};
};

class RecordingSink final : public UploadSink {
 public:
  explicit RecordingSink(UploadLog& log) : log_(log) {}
  Status Write(ByteView chunk) override {
    std::lock_guard lock(log_.mu);
    log_.received.append(AsChars(chunk));
    log_.largest_chunk = std::max(log_.largest_chunk, chunk.size());
    ++log_.writes;
    return Status::Ok();
  }
  Response Finish() override {
    ++log_.finishes;
    std::lock_guard lock(log_.mu);
    return Response::Json(201, nlohmann::json{{"bytes", log_.received.size()}}.dump());
  }
  void Abort() override { ++log_.aborts; }

 private:
  UploadLog& log_;
};

// Yields `data`, or fails after `fail_after` bytes.
class TestSource final : public BodySource {
 public:
  TestSource(std::string data, size_t fail_after)
      : data_(std::move(data)), fail_after_(fail_after) {}
  Result<size_t> Read(std::span<uint8_t> out) override {
    if (offset_ >= fail_after_ && offset_ < data_.size()) return Internal("disk on fire");
    const size_t n = std::min({out.size(), data_.size() - offset_, fail_after_ - offset_});
    std::memcpy(out.data(), data_.data() + offset_, n);
    offset_ += n;
    return n;
  }

 private:
  std::string data_;
  size_t fail_after_;
  size_t offset_ = 0;
};

constexpr size_t kDownloadBytes = 1 << 20;

struct Seen {
  std::mutex mu;
  Request last;
};

std::shared_ptr<Router> MakeRouter(UploadLog& uploads, Seen& seen) {
  auto router = std::make_shared<Router>();
  router->Add("POST", "/api/echo/{name}", [&seen](const Request& request, const PathParams& p) {
    {
      std::lock_guard lock(seen.mu);
      seen.last = request;
    }
    nlohmann::json body = nlohmann::json::parse(request.body);
    body["name"] = p.at("name");
    return Response::Json(200, body.dump());
  });
  router->Add("POST", "/small",
              [](const Request&, const PathParams&) { return Response::Json(200, "{}"); },
              {.max_body_bytes = 1024});
  router->Add("GET", "/slow", [](const Request&, const PathParams&) {
    // Long enough that timing bounds below keep a wide margin on a loaded CI machine.
    std::this_thread::sleep_for(1500ms);
    return Response::Json(200, R"({"slow":true})");
  });
  router->Add("GET", "/throw", [](const Request&, const PathParams&) -> Response {
    throw std::runtime_error("secret internals");
  });
  router->Add("GET", "/bad-header", [](const Request&, const PathParams&) {
    Response response = Response::Json(200, "{}");
    response.SetHeader("X-Injected", "a\r\nSet-Cookie: evil=1");
    return response;
  });
  router->Add("GET", "/cached", [](const Request&, const PathParams&) {
    Response response = Response::Json(200, "{}");
    response.SetHeader("Cache-Control", "max-age=60");
    return response;
  });
  router->Add("GET", "/download", [](const Request&, const PathParams&) {
    Response response;
    response.stream = std::make_unique<TestSource>(Pattern(kDownloadBytes, 7), kDownloadBytes);
    response.stream_length = kDownloadBytes;
    response.SetHeader("Content-Type", "application/octet-stream");
    return response;
  });
  router->Add("GET", "/download-chunked", [](const Request&, const PathParams&) {
    Response response;
    response.stream = std::make_unique<TestSource>(Pattern(kDownloadBytes, 8), kDownloadBytes);
    return response;
  });
  router->Add("GET", "/download-broken", [](const Request&, const PathParams&) {
    Response response;
    response.stream = std::make_unique<TestSource>(Pattern(kDownloadBytes, 9), 256 * 1024);
    response.stream_length = kDownloadBytes;
    return response;
  });
  router->Add("GET", "/download-short", [](const Request&, const PathParams&) {
    Response response;  // claims more than it has
    response.stream = std::make_unique<TestSource>(Pattern(1000, 9), 1000);
    response.stream_length = 5000;
    return response;
  });
  const auto begin = [&uploads](const Request& request,
                                const PathParams& p) -> Result<std::unique_ptr<UploadSink>> {
    ++uploads.begins;
    if (!request.body.empty()) return Internal("begin saw a body");
    if (p.at("name") == "forbidden") {
      return PermissionDenied("no uploads for you").ShownToClient();
    }
    if (p.at("name") == "disk") return StorageFull("write /srv/blobs/ab: No space left on device");
    return std::unique_ptr<UploadSink>(std::make_unique<RecordingSink>(uploads));
  };
  router->AddUpload("PUT", "/upload/{name}", begin, {.max_body_bytes = 16 << 20});
  router->AddUpload("PUT", "/upload-small/{name}", begin, {.max_body_bytes = 1024});
  return router;
}

ServerOptions TestOptions() {
  ServerOptions options;
  options.port = 0;
  options.certificate_pem = TestCertificate().certificate_pem;
  options.private_key_pem = crypto::SecretString::CopyOf(TestCertificate().private_key_pem.view());
  options.io_threads = 2;
  options.worker_threads = 4;
  options.header_timeout = 2s;
  options.body_idle_timeout = 1s;
  options.keep_alive_timeout = 60s;
  options.max_connections = 16;
  options.shutdown_grace = 3s;
  return options;
}

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    spdlog::set_level(spdlog::level::warn);
    StartServer(TestOptions());
  }

  void StartServer(ServerOptions options) {
    if (server_) server_->Stop();
    auto server = Server::Create(std::move(options), MakeRouter(uploads_, seen_));
    ASSERT_THAT(server.status(), IsOk());
    server_ = std::move(server).value();
    ASSERT_THAT(server_->Start(), IsOk());
    ASSERT_NE(server_->port(), 0);
  }

  std::unique_ptr<Client> Connected() {
    auto client = std::make_unique<Client>(server_->port());
    const beast::error_code ec = client->Connect();
    EXPECT_FALSE(ec) << ec.message();
    return client;
  }

  // Waits until `counter` reaches `expected` (other threads update it).
  static bool Eventually(const std::atomic<int>& counter, int expected) {
    const auto deadline = Clock::now() + 5s;
    while (counter.load() != expected && Clock::now() < deadline) std::this_thread::sleep_for(10ms);
    return counter.load() == expected;
  }

  UploadLog uploads_;
  Seen seen_;
  std::unique_ptr<Server> server_;
};

nlohmann::json Json(const bhttp::response<bhttp::string_body>& response) {
  return nlohmann::json::parse(response.body(), nullptr, false);
}

void ExpectProblem(const bhttp::response<bhttp::string_body>& response, int status,
                   const std::string& slug) {
  EXPECT_EQ(response.result_int(), static_cast<unsigned>(status));
  EXPECT_EQ(response[bhttp::field::content_type], "application/problem+json");
  const nlohmann::json body = Json(response);
  EXPECT_EQ(body["type"], "https://sealpost.dev/problems/" + slug) << response.body();
  EXPECT_EQ(body["status"], status);
}

TEST_F(ServerTest, JsonRoundTripWithKeepAlive) {
  auto client = Connected();
  for (int i = 0; i < 2; ++i) {  // two requests on one connection
    const auto response =
        client->Fetch(bhttp::verb::post, "/api/echo/J%C3%BCrg?a=1&token=x%20y",
                      nlohmann::json{{"i", i}}.dump(), {{"Content-Type", "application/json"}});
    ASSERT_EQ(response.result_int(), 200u);
    EXPECT_TRUE(response.keep_alive());
    EXPECT_EQ(response[bhttp::field::content_type], "application/json");
    const nlohmann::json body = Json(response);
    EXPECT_EQ(body["i"], i);
    EXPECT_EQ(body["name"], "J\xC3\xBCrg");
  }
  std::lock_guard lock(seen_.mu);
  EXPECT_EQ(seen_.last.method, "POST");
  EXPECT_EQ(seen_.last.target, "/api/echo/J%C3%BCrg?a=1&token=x%20y");
  EXPECT_EQ(seen_.last.path, "/api/echo/J\xC3\xBCrg");
  EXPECT_EQ(seen_.last.query, "a=1&token=x%20y");
  EXPECT_EQ(seen_.last.QueryParam("token"), "x y");
  EXPECT_EQ(seen_.last.remote_address, "127.0.0.1");
  EXPECT_EQ(seen_.last.content_length, 7u);
  EXPECT_EQ(seen_.last.Header("content-type"), "application/json");
}

TEST_F(ServerTest, SecurityHeadersOnEveryResponse) {
  auto client = Connected();
  for (const char* target : {"/api/echo/x", "/nothing-here"}) {
    const auto response = client->Fetch(bhttp::verb::post, target, "{}");
    EXPECT_EQ(response["X-Content-Type-Options"], "nosniff") << target;
    EXPECT_EQ(response[bhttp::field::strict_transport_security], "max-age=63072000") << target;
    EXPECT_EQ(response["Referrer-Policy"], "no-referrer") << target;
    EXPECT_EQ(response[bhttp::field::cache_control], "no-store") << target;
    EXPECT_EQ(response[bhttp::field::server], "sealpost") << target;
    EXPECT_FALSE(response[bhttp::field::date].empty()) << target;
  }
  // The 404 had an unread body, so that connection was closed; a handler's Cache-Control wins.
  const auto cached = Connected()->Fetch(bhttp::verb::get, "/cached");
  EXPECT_EQ(cached[bhttp::field::cache_control], "max-age=60");
}

TEST_F(ServerTest, UnknownRouteAndWrongMethodAreProblems) {
  auto client = Connected();
  ExpectProblem(client->Fetch(bhttp::verb::get, "/nothing"), 404, "unknown-route");
  const auto wrong = client->Fetch(bhttp::verb::delete_, "/small");
  ExpectProblem(wrong, 405, "method-not-allowed");
  EXPECT_EQ(wrong[bhttp::field::allow], "POST");
}

// An unsafe request from a page of another site is refused before any handler runs; the
// server's own origin (public URL, or the Host it was asked for) and no Origin at all pass.
TEST_F(ServerTest, CrossOriginUnsafeRequestsAreRefused) {
  ServerOptions options = TestOptions();
  options.public_url = "https://mail.example.org/";
  StartServer(std::move(options));
  const std::string local = fmt::format("localhost:{}", server_->port());
  const std::string json = R"({"i":1})";
  for (const std::string& origin : {std::string("https://evil.example"), std::string("null"),
                                    "http://" + local, "https://" + local + ".evil"}) {
    const auto refused = Connected()->Fetch(bhttp::verb::post, "/api/echo/x", json,
                                            {{"Host", local}, {"Origin", origin}});
    ExpectProblem(refused, 403, "origin-mismatch");
    const auto upload = Connected()->Fetch(bhttp::verb::put, "/upload/x", "data",
                                           {{"Host", local}, {"Origin", origin}});
    ExpectProblem(upload, 403, "origin-mismatch");
  }
  {
    std::lock_guard lock(seen_.mu);
    EXPECT_TRUE(seen_.last.method.empty()) << "a handler ran";
  }
  EXPECT_EQ(uploads_.begins.load(), 0);

  auto client = Connected();
  for (const auto& headers : std::vector<std::vector<std::pair<std::string, std::string>>>{
           {{"Host", local}},                                          // no Origin: an API client
           {{"Host", local}, {"Origin", "https://" + local}},          // the Host it came to
           {{"Host", local}, {"Origin", "https://MAIL.example.org"}},  // the public URL
       }) {
    EXPECT_EQ(client->Fetch(bhttp::verb::post, "/api/echo/x", json, headers).result_int(), 200u);
  }
  // Safe methods are not checked.
  EXPECT_EQ(client->Fetch(bhttp::verb::get, "/cached", "", {{"Origin", "https://evil.example"}})
                .result_int(),
            200u);
}

TEST_F(ServerTest, MalformedRequestsAre400) {
  for (const char* raw :
       {"GET /a/%2e%2e/b HTTP/1.1\r\nHost: x\r\n\r\n", "GET /a%00 HTTP/1.1\r\nHost: x\r\n\r\n",
        "GET http://evil/ HTTP/1.1\r\nHost: x\r\n\r\n", "GARBAGE\r\n\r\n",
        "POST /small HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n",
        "POST /small HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n"}) {
    auto client = Connected();
    ASSERT_FALSE(client->Write(raw));
    bhttp::response_parser<bhttp::string_body> parser;
    ASSERT_FALSE(client->Read(parser)) << raw;
    ExpectProblem(parser.get(), 400, "malformed-request");
    EXPECT_FALSE(parser.get().keep_alive());
  }
}

TEST_F(ServerTest, HandlerFailuresAre500WithoutDetails) {
  auto client = Connected();
  const auto thrown = client->Fetch(bhttp::verb::get, "/throw");
  ExpectProblem(thrown, 500, "internal");
  EXPECT_THAT(thrown.body(), ::testing::Not(HasSubstr("secret")));
  const auto injected = client->Fetch(bhttp::verb::get, "/bad-header");
  ExpectProblem(injected, 500, "internal");
  EXPECT_EQ(injected.count(bhttp::field::set_cookie), 0u);
  // The connection survives both.
  EXPECT_EQ(client->Fetch(bhttp::verb::get, "/cached").result_int(), 200u);
}

TEST_F(ServerTest, PayloadTooLargeByContentLength) {
  auto client = Connected();
  // Only the head: the server must answer without waiting for the body.
  ASSERT_FALSE(client->Write("POST /small HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n"));
  bhttp::response_parser<bhttp::string_body> parser;
  ASSERT_FALSE(client->Read(parser));
  ExpectProblem(parser.get(), 413, "payload-too-large");
  EXPECT_THAT(Json(parser.get())["detail"].get<std::string>(), HasSubstr("1024 bytes"));
  EXPECT_FALSE(parser.get().keep_alive());
  // The body never comes: the server stops waiting for it after its lingering idle time (2 s).
  EXPECT_TRUE(client->WaitForClose(5s));
}

// Most HTTP clients send the whole body before reading. The early answer must still reach them:
// the server reads and drops the rest of the body before closing, instead of resetting the
// connection (which loses the answer) while they write.
TEST_F(ServerTest, EarlyAnswerReachesAClientThatSendsItsWholeBodyFirst) {
  const std::string body = Pattern(4 << 20, 7);
  const std::string chunked_body = [&] {
    std::string out;
    for (size_t at = 0; at < body.size(); at += 4096) {
      out += "1000\r\n" + body.substr(at, 4096) + "\r\n";
    }
    return out + "0\r\n\r\n";
  }();
  const struct {
    std::string request;
    unsigned status;
  } cases[] = {
      // Refused by Content-Length before a byte of the body is read.
      {"POST /small HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(body.size()) +
           "\r\n\r\n" + body,
       413},
      // Refused while reading, at the limit.
      {"POST /small HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked_body, 413},
      {"PUT /upload-small/x HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(body.size()) +
           "\r\n\r\n" + body,
       413},
      {"PUT /upload-small/x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" +
           chunked_body,
       413},
      // No such route: answered from the head alone.
      {"POST /nowhere HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(body.size()) +
           "\r\n\r\n" + body,
       404},
  };
  bool first = true;
  for (const auto& c : cases) {
    SCOPED_TRACE(c.request.substr(0, c.request.find('\r')));
    auto client = Connected();
    ASSERT_FALSE(client->Write(c.request));
    bhttp::response_parser<bhttp::string_body> parser;
    ASSERT_FALSE(client->Read(parser));
    EXPECT_EQ(parser.get().result_int(), c.status);
    EXPECT_FALSE(parser.get().keep_alive());
    // Having sent everything, the client waits; the server then closes within its idle time.
    if (std::exchange(first, false)) {
      EXPECT_TRUE(client->WaitForClose(5s));
    }
  }
}

TEST_F(ServerTest, PayloadTooLargeChunked) {
  auto client = Connected();
  const std::string chunk = Pattern(4096, 1);
  ASSERT_FALSE(
      client->Write("POST /small HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" +
                    std::string("1000\r\n") + chunk + "\r\n0\r\n\r\n"));
  bhttp::response_parser<bhttp::string_body> parser;
  ASSERT_FALSE(client->Read(parser));
  ExpectProblem(parser.get(), 413, "payload-too-large");
  EXPECT_THAT(Json(parser.get())["detail"].get<std::string>(), HasSubstr("1024 bytes"));
}

TEST_F(ServerTest, HeaderTooLarge) {
  auto client = Connected();
  ASSERT_FALSE(client->Write(
      "GET /cached HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(20 * 1024, 'a') + "\r\n\r\n"));
  bhttp::response_parser<bhttp::string_body> parser;
  ASSERT_FALSE(client->Read(parser));
  ExpectProblem(parser.get(), 431, "header-too-large");
}

TEST_F(ServerTest, StreamingUploadReachesTheSinkInOrder) {
  const std::string data = Pattern(8 << 20, 3);
  auto client = Connected();
  ASSERT_FALSE(client->Write("PUT /upload/big HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                             std::to_string(data.size()) + "\r\n\r\n"));
  for (size_t offset = 0; offset < data.size(); offset += 300000) {
    ASSERT_FALSE(client->Write(std::string_view(data).substr(offset, 300000)));
  }
  bhttp::response_parser<bhttp::string_body> parser;
  ASSERT_FALSE(client->Read(parser));
  EXPECT_EQ(parser.get().result_int(), 201u);
  EXPECT_EQ(Json(parser.get())["bytes"], data.size());
  EXPECT_EQ(uploads_.begins, 1);
  EXPECT_EQ(uploads_.finishes, 1);
  EXPECT_EQ(uploads_.aborts, 0);
  std::lock_guard lock(uploads_.mu);
  EXPECT_TRUE(uploads_.received == data) << "received " << uploads_.received.size() << " bytes";
  EXPECT_LE(uploads_.largest_chunk, 1024u * 1024);
}

// At most max_transfers bodies stream at once: while an upload holds the only slot, another
// upload (begun, then aborted unread) and a streamed download get 503 too-many-transfers; once
// it is done, both work again. An upload refused by begin never takes a slot.
TEST_F(ServerTest, TransfersBeyondTheLimitAreRefusedUntilOneEnds) {
  ServerOptions options = TestOptions();
  options.max_transfers = 1;
  options.body_idle_timeout = 10s;  // the held upload waits while the other requests run
  StartServer(std::move(options));
  const std::string data = Pattern(3 << 19, 5);  // 1.5 MiB: one full piece, then the rest
  const size_t first_part = (1 << 20) + 1000;
  auto uploading = Connected();
  ASSERT_FALSE(uploading->Write("PUT /upload/held HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                                std::to_string(data.size()) + "\r\n\r\n"));
  ASSERT_FALSE(uploading->Write(std::string_view(data).substr(0, first_part)));
  ASSERT_TRUE(Eventually(uploads_.begins, 1));
  ASSERT_TRUE(Eventually(uploads_.writes, 1));  // past begin: the upload holds the slot

  auto other = Connected();
  const auto refused_upload = other->Fetch(bhttp::verb::put, "/upload/second", "hello");
  ExpectProblem(refused_upload, 503, "too-many-transfers");
  EXPECT_EQ(refused_upload[bhttp::field::retry_after], "1");
  EXPECT_EQ(uploads_.begins.load(), 2);
  EXPECT_TRUE(Eventually(uploads_.aborts, 1));
  other = Connected();
  ExpectProblem(other->Fetch(bhttp::verb::put, "/upload/forbidden", "x"), 403, "forbidden");
  other = Connected();  // the refused uploads' bodies were not read: those connections closed
  ExpectProblem(other->Fetch(bhttp::verb::get, "/download"), 503, "too-many-transfers");
  // Answers without a streamed body are not transfers.
  EXPECT_EQ(other->Fetch(bhttp::verb::get, "/cached").result_int(), 200u);

  ASSERT_FALSE(uploading->Write(std::string_view(data).substr(first_part)));
  bhttp::response_parser<bhttp::string_body> parser;
  ASSERT_FALSE(uploading->Read(parser));
  EXPECT_EQ(parser.get().result_int(), 201u);
  // The slot is released once the upload's response is written, which may be just after the
  // client has read it: a 503 here only means "a moment later", as its Retry-After says.
  auto download = other->Fetch(bhttp::verb::get, "/download");
  for (const auto deadline = Clock::now() + 5s;
       download.result_int() == 503 && Clock::now() < deadline;) {
    std::this_thread::sleep_for(10ms);
    other = Connected();
    download = other->Fetch(bhttp::verb::get, "/download");
  }
  EXPECT_EQ(download.result_int(), 200u);
  EXPECT_EQ(download.body(), Pattern(kDownloadBytes, 7));
  EXPECT_EQ(uploading->Fetch(bhttp::verb::put, "/upload/again", "hello").result_int(), 201u);
}

TEST_F(ServerTest, ChunkedUploadWithExpectContinue) {
  const std::string data = Pattern(200000, 4);
  auto client = Connected();
  ASSERT_FALSE(
      client->Write("PUT /upload/c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                    "Expect: 100-continue\r\n\r\n"));
  bhttp::response_parser<bhttp::string_body> interim;
  ASSERT_FALSE(client->Read(interim));
  EXPECT_EQ(interim.get().result_int(), 100u);
  std::string body;
  for (size_t offset = 0; offset < data.size(); offset += 70000) {
    const std::string_view piece = std::string_view(data).substr(offset, 70000);
    body += fmt::format("{:x}\r\n", piece.size());
    body += piece;
    body += "\r\n";
  }
  body += "0\r\n\r\n";
  ASSERT_FALSE(client->Write(body));
  bhttp::response_parser<bhttp::string_body> parser;
  ASSERT_FALSE(client->Read(parser));
  EXPECT_EQ(parser.get().result_int(), 201u);
  EXPECT_EQ(uploads_.finishes, 1);
  std::lock_guard lock(uploads_.mu);
  EXPECT_TRUE(uploads_.received == data);
}

TEST_F(ServerTest, UploadCutOffMidwayAbortsOnce) {
  const std::string data = Pattern(1 << 20, 5);
  auto client = Connected();
  ASSERT_FALSE(
      client->Write("PUT /upload/cut HTTP/1.1\r\nHost: x\r\nContent-Length: 8388608\r\n\r\n"));
  ASSERT_FALSE(client->Write(data));
  client->Abandon();
  EXPECT_TRUE(Eventually(uploads_.aborts, 1));
  std::this_thread::sleep_for(200ms);
  server_->Stop();
  EXPECT_EQ(uploads_.aborts, 1);
  EXPECT_EQ(uploads_.finishes, 0);
}

TEST_F(ServerTest, UploadIdleBodyTimesOutAndAborts) {
  auto client = Connected();
  ASSERT_FALSE(
      client->Write("PUT /upload/idle HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n"
                    "0123456789"));
  const auto start = Clock::now();
  EXPECT_TRUE(client->WaitForClose(5s));
  EXPECT_LT(Seconds(Clock::now() - start), 1.0 + 2.0);  // body_idle_timeout + 2 s
  EXPECT_TRUE(Eventually(uploads_.aborts, 1));
  EXPECT_EQ(uploads_.finishes, 0);
}

TEST_F(ServerTest, UploadOverLimitWhileCounting) {
  auto client = Connected();
  const std::string chunk = Pattern(4096, 6);
  ASSERT_FALSE(client->Write(
      "PUT /upload-small/x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1000\r\n" +
      chunk + "\r\n0\r\n\r\n"));
  bhttp::response_parser<bhttp::string_body> parser;
  ASSERT_FALSE(client->Read(parser));
  ExpectProblem(parser.get(), 413, "payload-too-large");
  EXPECT_TRUE(Eventually(uploads_.aborts, 1));
  EXPECT_EQ(uploads_.finishes, 0);
}

TEST_F(ServerTest, UploadOverLimitByContentLengthNeverBegins) {
  auto client = Connected();
  ASSERT_FALSE(
      client->Write("PUT /upload-small/x HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n"));
  bhttp::response_parser<bhttp::string_body> parser;
  ASSERT_FALSE(client->Read(parser));
  ExpectProblem(parser.get(), 413, "payload-too-large");
  EXPECT_EQ(uploads_.begins, 0);
  EXPECT_EQ(uploads_.aborts, 0);
}

TEST_F(ServerTest, UploadBeginErrorIsAProblem) {
  auto client = Connected();
  const auto response = client->Fetch(bhttp::verb::put, "/upload/forbidden", "abc");
  ExpectProblem(response, 403, "forbidden");
  EXPECT_EQ(Json(response)["detail"], "no uploads for you");
  EXPECT_EQ(uploads_.aborts, 0);
  EXPECT_EQ(uploads_.finishes, 0);
}

// A full disk is the server's trouble, not the client's: 507 with a generic text, never the
// path of the file that could not be written.
TEST_F(ServerTest, AFullDiskIsInsufficientStorageWithoutServerDetail) {
  auto client = Connected();
  const auto response = client->Fetch(bhttp::verb::put, "/upload/disk", "abc");
  ExpectProblem(response, 507, "storage-full");
  EXPECT_EQ(response.body().find("/srv/blobs"), std::string::npos) << response.body();
}

TEST_F(ServerTest, SlowlorisHeadIsCutAfterHeaderTimeout) {
  auto client = Connected();
  ASSERT_FALSE(client->Write("GET /cached HTTP/1.1\r\nHost: x\r\nX-Slow: "));
  const auto start = Clock::now();
  bool closed = false;
  Clock::time_point closed_at;
  int bytes_sent = 0;
  auto& stream = client->stream();
  client->tcp_stream().expires_never();
  // Reader: any completion means the server closed (it sends nothing for a timed-out head).
  char scratch[256];
  stream.async_read_some(asio::buffer(scratch), [&](beast::error_code, size_t) {
    closed = true;
    closed_at = Clock::now();
  });
  // Writer: one byte per second until the connection closes.
  asio::steady_timer timer(client->ioc());
  std::function<void()> tick = [&] {
    timer.expires_after(1s);
    timer.async_wait([&](beast::error_code ec) {
      if (ec || closed) return;
      asio::async_write(stream, asio::buffer("a", 1), [&](beast::error_code write_ec, size_t) {
        if (write_ec || closed) return;
        ++bytes_sent;
        if (Clock::now() - start < 8s) tick();
      });
    });
  };
  tick();
  client->ioc().restart();
  while (!closed && Clock::now() - start < 8s) client->ioc().run_for(100ms);
  timer.cancel();
  client->Abandon();
  client->ioc().restart();
  client->ioc().run_for(1s);
  ASSERT_TRUE(closed);
  const double elapsed = Seconds(closed_at - start);
  EXPECT_GE(bytes_sent, 1);
  EXPECT_GT(elapsed, 1.0);
  EXPECT_LT(elapsed, 2.0 + 2.0);  // header_timeout + 2 s
}

TEST_F(ServerTest, StreamingDownloadWithContentLength) {
  auto client = Connected();
  const auto response = client->Fetch(bhttp::verb::get, "/download");
  EXPECT_EQ(response.result_int(), 200u);
  EXPECT_EQ(response[bhttp::field::content_length], std::to_string(kDownloadBytes));
  EXPECT_FALSE(response.chunked());
  EXPECT_TRUE(response.body() == Pattern(kDownloadBytes, 7));
  // HEAD: same length, no body; the connection stays usable.
  const auto head = client->Fetch(bhttp::verb::head, "/download");
  EXPECT_EQ(head[bhttp::field::content_length], std::to_string(kDownloadBytes));
  EXPECT_TRUE(head.body().empty());
  EXPECT_EQ(client->Fetch(bhttp::verb::get, "/cached").result_int(), 200u);
}

TEST_F(ServerTest, StreamingDownloadChunked) {
  auto client = Connected();
  const auto response = client->Fetch(bhttp::verb::get, "/download-chunked");
  EXPECT_EQ(response.result_int(), 200u);
  EXPECT_TRUE(response.chunked());
  EXPECT_TRUE(response.body() == Pattern(kDownloadBytes, 8));
}

TEST_F(ServerTest, FailingBodySourceCutsTheConnection) {
  for (const char* target : {"/download-broken", "/download-short"}) {
    auto client = Connected();
    ASSERT_FALSE(client->Write(std::string("GET ") + target + " HTTP/1.1\r\nHost: x\r\n\r\n"));
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(64 << 20);
    const beast::error_code ec = client->Read(parser);
    EXPECT_TRUE(ec) << target;  // truncated, never a complete message
    EXPECT_TRUE(parser.is_header_done()) << target;
    EXPECT_FALSE(parser.is_done()) << target;
    EXPECT_LT(parser.get().body().size(), *parser.content_length()) << target;
  }
}

TEST_F(ServerTest, HandlersDoNotBlockIoThreads) {
  ServerOptions options = TestOptions();
  options.io_threads = 1;
  StartServer(std::move(options));
  std::thread slow([port = server_->port()] {
    Client client(port);
    ASSERT_FALSE(client.Connect());
    EXPECT_EQ(client.Fetch(bhttp::verb::get, "/slow").result_int(), 200u);
  });
  std::this_thread::sleep_for(150ms);  // the slow handler is running now
  auto client = Connected();
  const auto start = Clock::now();
  EXPECT_EQ(client->Fetch(bhttp::verb::get, "/cached").result_int(), 200u);
  EXPECT_LT(Seconds(Clock::now() - start), 1.0);  // the slow handler takes 1.5 s
  slow.join();
}

TEST_F(ServerTest, StopWithIdleKeepAliveConnectionsIsPrompt) {
  ServerOptions options = TestOptions();
  options.shutdown_grace = 30s;  // idle connections must not wait for it
  StartServer(std::move(options));
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < 3; ++i) {
    clients.push_back(Connected());
    EXPECT_EQ(clients.back()->Fetch(bhttp::verb::get, "/cached").result_int(), 200u);
  }
  const auto start = Clock::now();
  server_->Stop();
  EXPECT_LT(Seconds(Clock::now() - start), 10.0);
  for (auto& client : clients) EXPECT_TRUE(client->WaitForClose(2s));
  server_->Stop();  // idempotent
}

TEST_F(ServerTest, StopLetsInFlightRequestsFinish) {
  std::thread slow([port = server_->port()] {
    Client client(port);
    ASSERT_FALSE(client.Connect());
    const auto response = client.Fetch(bhttp::verb::get, "/slow");
    EXPECT_EQ(response.result_int(), 200u);
    EXPECT_FALSE(response.keep_alive());
    EXPECT_EQ(Json(response)["slow"], true);
  });
  std::this_thread::sleep_for(200ms);
  const auto start = Clock::now();
  server_->Stop();
  EXPECT_LT(Seconds(Clock::now() - start), 3.0);  // the handler's 1.5 s, within the 3 s grace
  slow.join();
}

TEST_F(ServerTest, MaxConnections) {
  ServerOptions options = TestOptions();
  options.max_connections = 2;
  StartServer(std::move(options));
  auto first = Connected();
  auto second = Connected();
  EXPECT_EQ(first->Fetch(bhttp::verb::get, "/cached").result_int(), 200u);
  EXPECT_EQ(second->Fetch(bhttp::verb::get, "/cached").result_int(), 200u);
  Client third(server_->port());
  EXPECT_TRUE(third.Connect());  // accepted and closed at once: no handshake
  first.reset();                 // frees a slot once the server notices
  bool connected = false;
  for (int attempt = 0; attempt < 50 && !connected; ++attempt) {
    Client fourth(server_->port());
    connected = !fourth.Connect();
    if (!connected) std::this_thread::sleep_for(50ms);
  }
  EXPECT_TRUE(connected);
}

// TLS policy (internal/tls_policy.cpp) as a client sees it.
class TlsPolicyTest : public ServerTest {
 protected:
  beast::error_code Handshake(const std::function<void(SSL_CTX*)>& configure, Client& client) {
    configure(client.tls().native_handle());
    return client.Connect();
  }
};

TEST_F(TlsPolicyTest, PrefersTls13AndAlpnHttp11) {
  Client client(server_->port());
  SSL_CTX_set_alpn_protos(client.tls().native_handle(),
                          reinterpret_cast<const unsigned char*>("\x02h2\x08http/1.1"), 12);
  ASSERT_FALSE(client.Connect());
  SSL* ssl = client.stream().native_handle();
  EXPECT_EQ(SSL_version(ssl), TLS1_3_VERSION);
  const unsigned char* alpn = nullptr;
  unsigned int alpn_len = 0;
  SSL_get0_alpn_selected(ssl, &alpn, &alpn_len);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(alpn), alpn_len), "http/1.1");
}

TEST_F(TlsPolicyTest, Tls12OnlyWithAeadSuites) {
  Client gcm(server_->port());
  EXPECT_FALSE(Handshake(
      [](SSL_CTX* ctx) {
        SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION);
        SSL_CTX_set_cipher_list(ctx, "ECDHE-ECDSA-AES128-GCM-SHA256");
      },
      gcm));
  EXPECT_EQ(SSL_version(gcm.stream().native_handle()), TLS1_2_VERSION);

  Client cbc(server_->port());
  EXPECT_TRUE(Handshake(
      [](SSL_CTX* ctx) {
        SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION);
        SSL_CTX_set_cipher_list(ctx, "ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA384");
      },
      cbc));
}

TEST_F(TlsPolicyTest, RefusesTls11) {
  Client old(server_->port());
  EXPECT_TRUE(Handshake(
      [](SSL_CTX* ctx) {
        SSL_CTX_set_security_level(ctx, 0);  // so it is the server that refuses
        SSL_CTX_set_cipher_list(ctx, "DEFAULT:@SECLEVEL=0");
        SSL_CTX_set_min_proto_version(ctx, TLS1_VERSION);
        SSL_CTX_set_max_proto_version(ctx, TLS1_1_VERSION);
      },
      old));
}

TEST(ServerCreateTest, RefusesBadOptions) {
  auto router = std::make_shared<Router>();
  ServerOptions options = TestOptions();
  options.private_key_pem = crypto::SecretString::CopyOf("not a key");
  EXPECT_THAT(Server::Create(std::move(options), router).status(),
              StatusIs(ErrorCode::kInvalidArgument));
  options = TestOptions();
  auto other = GenerateSelfSignedCertificate("other", {}, {}, 1);
  ASSERT_THAT(other.status(), IsOk());
  options.private_key_pem = std::move(other->private_key_pem);  // does not match the certificate
  EXPECT_THAT(Server::Create(std::move(options), router).status(),
              StatusIs(ErrorCode::kInvalidArgument));
  options = TestOptions();
  options.io_threads = 0;
  EXPECT_THAT(Server::Create(std::move(options), router).status(),
              StatusIs(ErrorCode::kInvalidArgument));
  options = TestOptions();
  options.public_url = "mail.example.org";
  EXPECT_THAT(Server::Create(std::move(options), router).status(),
              StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(Server::Create(TestOptions(), nullptr).status(),
              StatusIs(ErrorCode::kInvalidArgument));
}

TEST(ServerCreateTest, PortInUseIsUnavailable) {
  auto router = std::make_shared<Router>();
  auto first = Server::Create(TestOptions(), router);
  ASSERT_THAT(first.status(), IsOk());
  ASSERT_THAT((*first)->Start(), IsOk());
  ServerOptions options = TestOptions();
  options.port = (*first)->port();
  auto second = Server::Create(std::move(options), router);
  ASSERT_THAT(second.status(), IsOk());
  EXPECT_THAT((*second)->Start(), StatusIs(ErrorCode::kUnavailable));
}

}  // namespace
}  // namespace sealpost::http
