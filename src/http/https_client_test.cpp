// HttpsClient against the real Server on 127.0.0.1 with a self-signed certificate.
#include "http/https_client.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <string>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include "http/self_signed.h"
#include "http/server.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

namespace sealpost::http {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

class HttpsClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    spdlog::set_level(spdlog::level::warn);
    // Names only localhost and 127.0.0.1: "::1" is a host the certificate does not name.
    auto pair = GenerateSelfSignedCertificate("localhost", {"localhost"}, {"127.0.0.1"}, 1);
    ASSERT_THAT(pair.status(), IsOk());
    ca_file_ = dir_.path() + "/ca.pem";
    std::ofstream(ca_file_) << pair->certificate_pem;

    auto router = std::make_shared<Router>();
    router->Add("GET", "/hello", [](const Request& req, const PathParams&) {
      return Response::Text(200, "hello " + req.target, "text/plain; charset=utf-8");
    });
    router->Add("POST", "/echo", [](const Request& req, const PathParams&) {
      return Response::Text(200,
                            std::string(req.Header("Content-Type").value_or("none")) + "|" +
                                std::string(req.body.begin(), req.body.end()),
                            "application/octet-stream");
    });
    router->Add("GET", "/big", [](const Request&, const PathParams&) {
      return Response::Text(200, std::string(4096, 'b'), "application/octet-stream");
    });
    ServerOptions options;
    options.port = 0;
    options.certificate_pem = pair->certificate_pem;
    options.private_key_pem = std::move(pair->private_key_pem);
    options.io_threads = 1;
    options.worker_threads = 2;
    auto server = Server::Create(std::move(options), router);
    ASSERT_THAT(server.status(), IsOk());
    server_ = std::move(server).value();
    ASSERT_THAT(server_->Start(), IsOk());
  }
  void TearDown() override {
    if (server_) server_->Stop();
  }

  std::unique_ptr<HttpsClient> Client(size_t max_body = 1 << 20,
                                      std::chrono::milliseconds timeout = 5s) {
    auto client = HttpsClient::Create({ca_file_, timeout, max_body});
    EXPECT_THAT(client.status(), IsOk());
    return client.ok() ? std::move(client).value() : nullptr;
  }
  std::string Url(std::string_view host, std::string_view path) {
    return fmt::format("https://{}:{}{}", host, server_->port(), path);
  }

  testutil::TempDir dir_;
  std::string ca_file_;
  std::unique_ptr<Server> server_;
};

TEST_F(HttpsClientTest, FetchesOverVerifiedTls) {
  auto client = Client();
  for (const char* host : {"127.0.0.1", "localhost"}) {
    auto response = client->Get(Url(host, "/hello?x=1"));
    ASSERT_THAT(response.status(), IsOk()) << host;
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->body, "hello /hello?x=1");
    EXPECT_EQ(response->content_type, "text/plain; charset=utf-8");
  }
  auto missing = client->Get(Url("127.0.0.1", "/nothing"));
  ASSERT_THAT(missing.status(), IsOk());
  EXPECT_EQ(missing->status, 404);
}

TEST_F(HttpsClientTest, PostsABodyWithItsContentType) {
  auto client = Client();
  const std::string body("\x30\x00binary\xff", 9);
  auto response = client->Post(Url("127.0.0.1", "/echo"), "application/timestamp-query", body);
  ASSERT_THAT(response.status(), IsOk());
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "application/timestamp-query|" + body);
  // A route that only takes GET answers 405 (a response, not an error).
  auto wrong = client->Post(Url("127.0.0.1", "/hello"), "text/plain", "x");
  ASSERT_THAT(wrong.status(), IsOk());
  EXPECT_NE(wrong->status, 200);
  EXPECT_THAT(client->Post("http://127.0.0.1/echo", "text/plain", "x").status(),
              StatusIs(ErrorCode::kInvalidArgument));
}

TEST_F(HttpsClientTest, RefusesAnUntrustedOrMisnamedCertificate) {
  // The system trust store does not hold the self-signed certificate.
  auto system = HttpsClient::Create({});
  ASSERT_THAT(system.status(), IsOk());
  EXPECT_THAT((*system)->Get(Url("127.0.0.1", "/hello")).status(),
              StatusIs(ErrorCode::kUnavailable));
  // Trusted, but the certificate does not name the host connected to.
  auto other = GenerateSelfSignedCertificate("other", {"other.example"}, {}, 1);
  ASSERT_THAT(other.status(), IsOk());
  const std::string other_ca = dir_.path() + "/other.pem";
  std::ofstream(other_ca) << other->certificate_pem;
  auto wrong = HttpsClient::Create({other_ca});
  ASSERT_THAT(wrong.status(), IsOk());
  EXPECT_THAT((*wrong)->Get(Url("127.0.0.1", "/hello")).status(),
              StatusIs(ErrorCode::kUnavailable));
  EXPECT_THAT(HttpsClient::Create({dir_.path() + "/absent.pem"}).status(),
              StatusIs(ErrorCode::kInvalidArgument));
}

TEST_F(HttpsClientTest, BodyLimitAndBadUrls) {
  auto small = Client(1000);
  auto big = small->Get(Url("127.0.0.1", "/big"));
  EXPECT_THAT(big.status(), StatusIs(ErrorCode::kUnavailable))
      << (big.ok() ? big->body.size() : 0) << " " << (big.ok() ? big->content_type : "");
  auto fits = Client(4096)->Get(Url("127.0.0.1", "/big"));
  ASSERT_THAT(fits.status(), IsOk());
  EXPECT_EQ(fits->status, 200);
  EXPECT_EQ(fits->body, std::string(4096, 'b'));
  for (const char* bad : {"http://127.0.0.1/x", "https://", "https://:443/", "https://h:99999/",
                          "https://u@h/", "https://h/a b", "https://[::1/"}) {
    EXPECT_THAT(small->Get(bad).status(), StatusIs(ErrorCode::kInvalidArgument)) << bad;
  }
}

// A server that accepts the TCP connection (the kernel does, from the backlog) but never answers
// the TLS handshake: the deadline ends the request.
TEST_F(HttpsClientTest, StalledServerHitsTheDeadline) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(fd, 4), 0);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  auto client = Client(1 << 20, 300ms);
  const auto start = std::chrono::steady_clock::now();
  auto response = client->Get(fmt::format("https://127.0.0.1:{}/x", ntohs(addr.sin_port)));
  const auto took = std::chrono::steady_clock::now() - start;
  ::close(fd);
  EXPECT_THAT(response.status(), StatusIs(ErrorCode::kUnavailable));
  EXPECT_THAT(response.status().message(), HasSubstr("timed out"));
  EXPECT_LT(took, 3s);
}

}  // namespace
}  // namespace sealpost::http
