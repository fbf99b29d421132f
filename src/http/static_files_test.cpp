#include "http/static_files.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "testing/temp_dir.h"

namespace sealpost::http {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

void WriteFile(const fs::path& path, std::string_view content) {
  fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary);
  out << content;
}

// Drains a response's streamed body.
std::string BodyOf(Response& response) {
  if (!response.stream) return response.body;
  std::string out;
  uint8_t buffer[7];  // small on purpose: several reads
  for (;;) {
    auto n = response.stream->Read(buffer);
    EXPECT_TRUE(n.ok());
    if (!n.ok() || *n == 0) break;
    out.append(reinterpret_cast<const char*>(buffer), *n);
  }
  return out;
}

class StaticFilesTest : public ::testing::Test {
 protected:
  StaticFilesTest() {
    root_ = fs::path(dir_.path()) / "dist";
    WriteFile(root_ / "index.html", "<html>app</html>");
    WriteFile(root_ / "assets/app-1a2b.js", "console.log(1)");
    WriteFile(root_ / "assets/app-1a2b.css", "body{}");
    WriteFile(root_ / "logo.svg", "<svg/>");
    WriteFile(root_ / "img/a.png", "PNG");
    WriteFile(root_ / "manifest.json", "{}");
    WriteFile(root_ / "fonts/x.woff2", "wOF2");
    WriteFile(root_ / "favicon.ico", "ICO");
    WriteFile(root_ / "docs/index.html", "<html>docs</html>");
    WriteFile(root_ / ".env", "SECRET=1");
    WriteFile(fs::path(dir_.path()) / "secret.txt", "outside");
    handler_ = MakeStaticFileHandler(root_.string());
  }

  Response Fetch(std::string path, std::string method = "GET") {
    Request request;
    request.method = std::move(method);
    request.path = std::move(path);
    return handler_(request, {});
  }

  testutil::TempDir dir_;
  fs::path root_;
  Handler handler_;
};

TEST_F(StaticFilesTest, ServesIndexForRoot) {
  Response response = Fetch("/");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.Header("Content-Type"), "text/html; charset=utf-8");
  EXPECT_EQ(response.Header("Cache-Control"), "no-cache");
  const auto csp = response.Header("Content-Security-Policy");
  ASSERT_TRUE(csp.has_value());
  EXPECT_NE(csp->find("default-src 'self'"), std::string::npos);
  EXPECT_NE(csp->find("frame-ancestors 'none'"), std::string::npos);
  EXPECT_EQ(csp->find("unsafe-inline"), std::string::npos);
  EXPECT_EQ(csp->find("unsafe-eval"), std::string::npos);
  ASSERT_TRUE(response.stream != nullptr);
  EXPECT_EQ(response.stream_length, 16u);
  EXPECT_EQ(BodyOf(response), "<html>app</html>");
}

TEST_F(StaticFilesTest, ContentTypes) {
  const std::pair<const char*, const char*> cases[] = {
      {"/assets/app-1a2b.js", "text/javascript; charset=utf-8"},
      {"/assets/app-1a2b.css", "text/css; charset=utf-8"},
      {"/logo.svg", "image/svg+xml"},
      {"/img/a.png", "image/png"},
      {"/manifest.json", "application/json"},
      {"/fonts/x.woff2", "font/woff2"},
      {"/favicon.ico", "image/x-icon"},
  };
  for (const auto& [path, type] : cases) {
    Response response = Fetch(path);
    EXPECT_EQ(response.status, 200) << path;
    EXPECT_EQ(response.Header("Content-Type"), type) << path;
  }
  EXPECT_EQ(ContentTypeForFile("X.HTML"), "text/html; charset=utf-8");
  EXPECT_EQ(ContentTypeForFile("blob.bin"), "application/octet-stream");
  EXPECT_EQ(ContentTypeForFile("README"), "application/octet-stream");
}

TEST_F(StaticFilesTest, StreamsFileContent) {
  Response response = Fetch("/assets/app-1a2b.js");
  EXPECT_EQ(response.Header("Cache-Control"), "public, max-age=31536000, immutable");
  EXPECT_EQ(response.stream_length, 14u);
  EXPECT_EQ(BodyOf(response), "console.log(1)");
  EXPECT_EQ(Fetch("/logo.svg").Header("Cache-Control"), "no-cache");
}

TEST_F(StaticFilesTest, HeadGetsTheSameHeaders) {
  Response response = Fetch("/logo.svg", "HEAD");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.stream_length, 6u);
}

TEST_F(StaticFilesTest, DirectoriesServeTheirIndex) {
  Response response = Fetch("/docs/");
  EXPECT_EQ(BodyOf(response), "<html>docs</html>");
  Response without_slash = Fetch("/docs");
  EXPECT_EQ(BodyOf(without_slash), "<html>docs</html>");
}

TEST_F(StaticFilesTest, SinglePageAppRoutesGetIndex) {
  for (const char* path : {"/inbox", "/inbox/42", "/settings/keys/"}) {
    Response response = Fetch(path);
    EXPECT_EQ(response.status, 200) << path;
    EXPECT_EQ(response.Header("Cache-Control"), "no-cache") << path;
    EXPECT_EQ(BodyOf(response), "<html>app</html>") << path;
  }
  // Unknown API paths are not the UI's.
  for (const char* path : {"/api/v1/nothing", "/api/v2"}) {
    EXPECT_EQ(Fetch(path).status, 404) << path;
  }
  // A missing file with an extension is a real 404.
  Response missing = Fetch("/assets/gone-123.js");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.Header("Content-Type"), "application/problem+json");
}

TEST_F(StaticFilesTest, RefusesTraversal) {
  // The server refuses encoded forms (%2e%2e, %2f, %5c, %00) before routing, in
  // PercentDecodePath; the handler re-checks the decoded path whatever its caller did.
  for (const char* path : {"/../secret.txt", "/assets/../../secret.txt", "/..", "/a/./b",
                           "/..\\secret.txt", "/assets\\..\\..\\secret.txt", "relative"}) {
    Response response = Fetch(path);
    EXPECT_THAT(response.status, ::testing::AnyOf(400, 404)) << path;
    EXPECT_EQ(response.stream, nullptr) << path;
    EXPECT_THAT(response.body, ::testing::Not(HasSubstr("outside"))) << path;
  }
  Response nul = Fetch(std::string("/index.html\0.png", 16));
  EXPECT_EQ(nul.status, 400);
  // Encoded dots reach the handler only as literal names: no such file.
  EXPECT_EQ(Fetch("/%2e%2e/secret.txt").status, 404);
}

TEST_F(StaticFilesTest, RefusesHiddenFiles) {
  EXPECT_EQ(Fetch("/.env").status, 404);
  EXPECT_EQ(Fetch("/.git/config").status, 404);
}

TEST_F(StaticFilesTest, RefusesSymlinksEscapingTheRoot) {
  fs::create_symlink(fs::path(dir_.path()) / "secret.txt", root_ / "leak.txt");
  fs::create_directory_symlink(fs::path(dir_.path()), root_ / "up");
  fs::create_symlink(root_ / "logo.svg", root_ / "alias.svg");  // inside: fine
  for (const char* path : {"/leak.txt", "/up/secret.txt"}) {
    Response response = Fetch(path);
    EXPECT_EQ(response.status, 404) << path;
    EXPECT_EQ(response.stream, nullptr) << path;
  }
  Response inside = Fetch("/alias.svg");
  EXPECT_EQ(inside.status, 200);
  EXPECT_EQ(BodyOf(inside), "<svg/>");
}

TEST_F(StaticFilesTest, RootThatIsASymlinkStillWorks) {
  const fs::path link = fs::path(dir_.path()) / "current";
  fs::create_directory_symlink(root_, link);
  Handler handler = MakeStaticFileHandler(link.string());
  Request request;
  request.method = "GET";
  request.path = "/logo.svg";
  Response response = handler(request, {});
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(BodyOf(response), "<svg/>");
}

TEST_F(StaticFilesTest, OnlyGetAndHead) {
  const Response response = Fetch("/index.html", "POST");
  EXPECT_EQ(response.status, 405);
  EXPECT_EQ(response.Header("Allow"), "GET, HEAD");
}

TEST(StaticFilesBuiltInPageTest, WhenTheUiIsNotBuilt) {
  testutil::TempDir dir;
  for (const std::string& root : {dir.path(), dir.path() + "/does-not-exist"}) {
    Handler handler = MakeStaticFileHandler(root);
    Request request;
    request.method = "GET";
    request.path = "/";
    const Response response = handler(request, {});
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.Header("Content-Type"), "text/html; charset=utf-8");
    EXPECT_THAT(response.body, HasSubstr("API is running"));
    EXPECT_THAT(response.body, HasSubstr("not built"));
    request.path = "/inbox";
    EXPECT_EQ(handler(request, {}).status, 404);
  }
}

}  // namespace
}  // namespace sealpost::http
