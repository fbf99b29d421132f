#include "http/static_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <system_error>
#include <utility>

#include "http/internal/ascii.h"
#include "http/problem.h"

namespace sealpost::http {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kHtmlType = "text/html; charset=utf-8";

// Policy for the UI's HTML: scripts, styles and images only from this origin (images also as
// data: URIs, for the TOTP QR code); no inline script or style; no framing by other pages.
constexpr std::string_view kHtmlContentSecurityPolicy =
    "default-src 'self'; img-src 'self' data:; style-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

constexpr std::string_view kBuiltInPage =
    "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
    "<title>Sealpost</title></head><body><h1>Sealpost</h1>"
    "<p>The API is running at <code>/api/v1</code>. The web UI is not built: build "
    "<code>web/</code> and point the server at its output directory.</p></body></html>\n";

class FileSource final : public BodySource {
 public:
  explicit FileSource(int fd) : fd_(fd) {}
  ~FileSource() override { ::close(fd_); }
  FileSource(const FileSource&) = delete;
  FileSource& operator=(const FileSource&) = delete;

  Result<size_t> Read(std::span<uint8_t> out) override {
    for (;;) {
      const ssize_t n = ::read(fd_, out.data(), out.size());
      if (n >= 0) return static_cast<size_t>(n);
      if (errno != EINTR) return Internal(std::string("read: ") + std::strerror(errno));
    }
  }

 private:
  int fd_;
};

struct OpenFile {
  int fd = -1;
  uint64_t size = 0;
  std::string name;  // canonical path, for the extension
};

bool IsWithin(const fs::path& path, const fs::path& root) {
  auto p = path.begin();
  for (auto r = root.begin(); r != root.end(); ++r, ++p) {
    if (p == path.end() || *p != *r) return false;
  }
  return true;
}

// Resolves `relative` (no leading '/') below `root` and opens it when it is a regular file there
// (directories: their index.html). nullopt when missing, escaping or not a regular file.
std::optional<OpenFile> OpenBelow(const fs::path& root, std::string_view relative) {
  std::error_code ec;
  fs::path resolved = fs::canonical(root / fs::path(relative), ec);
  if (ec || !IsWithin(resolved, root)) return std::nullopt;
  if (fs::is_directory(resolved, ec)) {
    resolved = fs::canonical(resolved / "index.html", ec);
    if (ec || !IsWithin(resolved, root)) return std::nullopt;
  }
  const int fd = ::open(resolved.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return std::nullopt;
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return std::nullopt;
  }
  return OpenFile{fd, static_cast<uint64_t>(st.st_size), resolved.filename().string()};
}

Response ServeFile(OpenFile file, bool under_assets) {
  Response response;
  response.status = 200;
  const std::string_view type = ContentTypeForFile(file.name);
  response.SetHeader("Content-Type", type);
  if (under_assets && file.name != "index.html") {
    response.SetHeader("Cache-Control", "public, max-age=31536000, immutable");
  } else {
    response.SetHeader("Cache-Control", "no-cache");
  }
  if (type == kHtmlType) {
    response.SetHeader("Content-Security-Policy", kHtmlContentSecurityPolicy);
  }
  response.stream = std::make_unique<FileSource>(file.fd);
  response.stream_length = file.size;
  return response;
}

Response Serve(const std::string& root_dir, const Request& request) {
  if (request.method != "GET" && request.method != "HEAD") {
    return MethodNotAllowedProblem("GET, HEAD");
  }
  if (!CheckDecodedPath(request.path).ok()) {
    return MalformedRequest("The request path is not acceptable.");
  }
  const std::string_view path = request.path;
  const std::string_view relative = path.substr(1);
  // Hidden names (.git, .env, ...) are never served.
  for (size_t i = 0; i < path.size(); ++i) {
    if (path[i] == '/' && i + 1 < path.size() && path[i + 1] == '.') return NotFoundProblem();
  }

  std::error_code ec;
  const fs::path root = fs::canonical(root_dir, ec);
  const bool have_root = !ec && fs::is_directory(root, ec);
  std::optional<OpenFile> file;
  if (have_root && !relative.empty()) file = OpenBelow(root, relative);
  if (file) return ServeFile(std::move(*file), path.starts_with("/assets/"));

  // The root itself, a directory without index.html, or a missing file.
  const size_t last_slash = path.rfind('/');
  const std::string_view last_segment = path.substr(last_slash + 1);
  // Paths under /api/ belong to the API: an unknown one is a 404, never the UI's page.
  const bool spa_route =
      last_segment.find('.') == std::string_view::npos && !path.starts_with("/api/");
  if (!spa_route) return NotFoundProblem();
  if (have_root) file = OpenBelow(root, "index.html");
  if (file) return ServeFile(std::move(*file), false);
  if (path == "/") {
    Response response = Response::Text(200, std::string(kBuiltInPage), kHtmlType);
    response.SetHeader("Cache-Control", "no-cache");
    response.SetHeader("Content-Security-Policy", kHtmlContentSecurityPolicy);
    return response;
  }
  return NotFoundProblem();
}

}  // namespace

std::string_view ContentTypeForFile(std::string_view file_name) {
  static constexpr std::pair<std::string_view, std::string_view> kTypes[] = {
      {"html", kHtmlType},
      {"htm", kHtmlType},
      {"js", "text/javascript; charset=utf-8"},
      {"mjs", "text/javascript; charset=utf-8"},
      {"css", "text/css; charset=utf-8"},
      {"json", "application/json"},
      {"map", "application/json"},
      {"webmanifest", "application/manifest+json"},
      {"svg", "image/svg+xml"},
      {"png", "image/png"},
      {"jpg", "image/jpeg"},
      {"jpeg", "image/jpeg"},
      {"gif", "image/gif"},
      {"webp", "image/webp"},
      {"ico", "image/x-icon"},
      {"woff2", "font/woff2"},
      {"woff", "font/woff"},
      {"txt", "text/plain; charset=utf-8"},
      {"wasm", "application/wasm"},
  };
  const size_t dot = file_name.rfind('.');
  if (dot == std::string_view::npos) return "application/octet-stream";
  const std::string extension = internal::AsciiLowerCopy(file_name.substr(dot + 1));
  for (const auto& [ext, type] : kTypes) {
    if (ext == extension) return type;
  }
  return "application/octet-stream";
}

Handler MakeStaticFileHandler(std::string root_dir) {
  return [root_dir = std::move(root_dir)](const Request& request, const PathParams&) {
    return Serve(root_dir, request);
  };
}

}  // namespace sealpost::http
