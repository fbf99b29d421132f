// MakeTimeStamper: the [receipts] keys, and the external TSA over real HTTPS — an in-test
// http::Server whose POST /tsa is answered by a TimeStampAuthority, beside routes that answer
// wrongly (garbage, another content type, an HTTP error, too late, too much).
#include "cmd/time_stamper.h"

#include <chrono>
#include <thread>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include "crypto/hash.h"
#include "http/self_signed.h"
#include "http/server.h"
#include "testing/run_tool.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

namespace sealpost::cmd {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

constexpr char kReply[] = "application/timestamp-reply";

TEST(TimeStamperConfigTest, ReceiptsKeys) {
  auto defaults = ParseConfig("", "test.toml");
  ASSERT_THAT(defaults.status(), IsOk());
  EXPECT_EQ(defaults->receipts_tsa_url, "");
  EXPECT_EQ(defaults->receipts_tsa_timeout_ms, 10'000);
  auto set = ParseConfig(
      "[receipts]\ntsa_url = \"https://tsa.example/tsr\"\ntsa_ca_file = \"/etc/tsa.pem\"\n"
      "tsa_tls_ca_file = \"/etc/tls.pem\"\ntsa_timeout_ms = 2500\n",
      "test.toml");
  ASSERT_THAT(set.status(), IsOk());
  EXPECT_EQ(set->receipts_tsa_url, "https://tsa.example/tsr");
  EXPECT_EQ(set->receipts_tsa_ca_file, "/etc/tsa.pem");
  EXPECT_EQ(set->receipts_tsa_tls_ca_file, "/etc/tls.pem");
  EXPECT_EQ(set->receipts_tsa_timeout_ms, 2500);
  for (const char* text : {
           "[receipts]\ntsa_url = \"https://tsa.example/\"\n",  // no CA file
           "[receipts]\ntsa_url = \"http://tsa.example/\"\ntsa_ca_file = \"a.pem\"\n",
           "[receipts]\ntsa_timeout_ms = 99\n",
           "[receipts]\ntsa_timeout_ms = 120001\n",
           "[receipts]\ntsa = \"x\"\n",
       }) {
    EXPECT_THAT(ParseConfig(text, "test.toml").status(), StatusIs(ErrorCode::kInvalidArgument))
        << text;
  }
}

class ExternalTsaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    spdlog::set_level(spdlog::level::warn);
    const smime::CaNames names;
    auto root = smime::CreateRootCa(names, now_);
    ASSERT_THAT(root.status(), IsOk());
    auto issuing = smime::CreateIssuingCa(*root, names, now_);
    ASSERT_THAT(issuing.status(), IsOk());
    auto tsa_key = smime::IssueLeafWithNewKey(
        *issuing, names, {smime::LeafProfile::kTimeStamping, "Remote TSA", std::nullopt}, now_);
    ASSERT_THAT(tsa_key.status(), IsOk());
    auto tsa = receipts::TimeStampAuthority::Create(*tsa_key, {issuing->certificate}, clock_, {});
    ASSERT_THAT(tsa.status(), IsOk());
    tsa_ = std::move(*tsa);
    root_pem_ = dir_.path() + "/tsa-root.pem";
    testutil::WriteFileBytes(root_pem_, root->certificate.ToPem());

    auto tls = http::GenerateSelfSignedCertificate("localhost", {"localhost"}, {"127.0.0.1"}, 1);
    ASSERT_THAT(tls.status(), IsOk());
    tls_pem_ = dir_.path() + "/tls.pem";
    testutil::WriteFileBytes(tls_pem_, tls->certificate_pem);

    auto router = std::make_shared<http::Router>();
    router->Add("POST", "/tsa", [this](const http::Request& req, const http::PathParams&) {
      const ByteView query = AsBytes(std::string_view(req.body.data(), req.body.size()));
      seen_type_ = std::string(req.Header("Content-Type").value_or(""));
      auto answer = tsa_->Respond(query);
      return http::Response::Text(200, answer.ok() ? std::string(AsChars(*answer)) : "", kReply);
    });
    router->Add("POST", "/garbage", [](const http::Request&, const http::PathParams&) {
      return http::Response::Text(200, "\x30\x03garbage", kReply);
    });
    router->Add("POST", "/html", [](const http::Request&, const http::PathParams&) {
      return http::Response::Text(200, "<html></html>", "text/html");
    });
    router->Add("POST", "/error", [](const http::Request&, const http::PathParams&) {
      return http::Response::Text(503, "busy", "text/plain");
    });
    router->Add("POST", "/slow", [](const http::Request&, const http::PathParams&) {
      std::this_thread::sleep_for(1500ms);
      return http::Response::Text(200, "late", kReply);
    });
    router->Add("POST", "/huge", [](const http::Request&, const http::PathParams&) {
      return http::Response::Text(200, std::string(kMaxTsaResponseBytes + 1, 'x'), kReply);
    });
    http::ServerOptions options;
    options.port = 0;
    options.certificate_pem = tls->certificate_pem;
    options.private_key_pem = std::move(tls->private_key_pem);
    options.io_threads = 1;
    options.worker_threads = 2;
    auto server = http::Server::Create(std::move(options), router);
    ASSERT_THAT(server.status(), IsOk());
    server_ = std::move(server).value();
    ASSERT_THAT(server_->Start(), IsOk());
  }
  void TearDown() override {
    if (server_) server_->Stop();
  }

  Config ConfigFor(std::string_view path) {
    Config c;
    c.receipts_tsa_url = fmt::format("https://127.0.0.1:{}{}", server_->port(), path);
    c.receipts_tsa_ca_file = root_pem_;
    c.receipts_tsa_tls_ca_file = tls_pem_;
    c.receipts_tsa_timeout_ms = 500;
    return c;
  }
  Result<Bytes> Stamp(const Config& config) {
    auto stamper = MakeExternalTimeStamper(config);
    if (!stamper.ok()) return stamper.status();
    return (*stamper)->TimeStamp(imprint_);
  }

  const crypto::Digest256 imprint_ = crypto::Sha256(AsBytes("a receipt's signature value"));
  testutil::TempDir dir_;
  TimePoint now_ = std::chrono::system_clock::now();
  platform::FakeClock clock_{now_};
  std::unique_ptr<receipts::TimeStampAuthority> tsa_;
  std::string root_pem_;
  std::string tls_pem_;
  std::string seen_type_;
  std::unique_ptr<http::Server> server_;
};

TEST_F(ExternalTsaTest, TokenFromTheTsaVerifiesWithOpenssl) {
  auto token = Stamp(ConfigFor("/tsa"));
  ASSERT_THAT(token.status(), IsOk());
  EXPECT_EQ(seen_type_, "application/timestamp-query");
  testutil::WriteFileBytes(dir_.path() + "/token.der", AsChars(*token));
  const auto r = testutil::RunTool({"openssl", "ts", "-verify", "-token_in", "-in", "token.der",
                                    "-digest", HexEncode(imprint_), "-CAfile", "tsa-root.pem"},
                                   dir_.path());
  EXPECT_EQ(r.exit_code, 0) << r.output();
  EXPECT_THAT(r.output(), HasSubstr("Verification: OK"));
}

TEST_F(ExternalTsaTest, EmptyUrlMeansTheBuiltInTsa) {
  Config c;
  auto stamper = MakeTimeStamper(c, *tsa_);
  ASSERT_THAT(stamper.status(), IsOk());
  EXPECT_NE(dynamic_cast<receipts::InProcessTimeStamper*>(stamper->get()), nullptr);
  EXPECT_THAT((*stamper)->TimeStamp(imprint_).status(), IsOk());
  auto external = MakeTimeStamper(ConfigFor("/tsa"), *tsa_);
  ASSERT_THAT(external.status(), IsOk());
  EXPECT_EQ(dynamic_cast<receipts::InProcessTimeStamper*>(external->get()), nullptr);
}

TEST_F(ExternalTsaTest, EachWrongAnswerIsAClearError) {
  struct Case {
    const char* path;
    const char* error;
  };
  for (const Case& c :
       {Case{"/garbage", "not a TimeStampResp"}, Case{"/html", "content type \"text/html\""},
        Case{"/error", "answered HTTP 503"}, Case{"/slow", "timed out"},
        Case{"/huge", "body limit exceeded"}}) {
    const auto start = std::chrono::steady_clock::now();
    auto token = Stamp(ConfigFor(c.path));
    EXPECT_THAT(token.status(), StatusIs(ErrorCode::kUnavailable)) << c.path;
    EXPECT_THAT(token.status().message(), HasSubstr(c.error)) << c.path;
    EXPECT_LT(std::chrono::steady_clock::now() - start, 1400ms) << c.path;
  }
  // A TSA whose certificate does not chain to the configured CA.
  Config wrong = ConfigFor("/tsa");
  wrong.receipts_tsa_ca_file = tls_pem_;
  auto refused = Stamp(wrong);
  EXPECT_THAT(refused.status(), StatusIs(ErrorCode::kUnavailable));
  EXPECT_THAT(refused.status().message(), HasSubstr("does not verify against the configured CA"));
  // Nobody listens on the port any more.
  Config gone = ConfigFor("/tsa");
  server_->Stop();
  server_.reset();
  auto unreachable = Stamp(gone);
  EXPECT_THAT(unreachable.status(), StatusIs(ErrorCode::kUnavailable));
  EXPECT_THAT(unreachable.status().message(), HasSubstr("connecting"));
}

TEST_F(ExternalTsaTest, BadCaFilesAreConfigurationErrors) {
  Config missing = ConfigFor("/tsa");
  missing.receipts_tsa_ca_file = dir_.path() + "/absent.pem";
  EXPECT_THAT(MakeExternalTimeStamper(missing).status(), StatusIs(ErrorCode::kInvalidArgument));
  testutil::WriteFileBytes(dir_.path() + "/empty.pem", "no certificate here\n");
  Config empty = ConfigFor("/tsa");
  empty.receipts_tsa_ca_file = dir_.path() + "/empty.pem";
  EXPECT_THAT(MakeExternalTimeStamper(empty).status(), StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(MakeExternalTimeStamper(Config{}).status(), StatusIs(ErrorCode::kInvalidArgument));
}

}  // namespace
}  // namespace sealpost::cmd
