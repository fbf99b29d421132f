// Fuzz target: what the HTTPS server does with request bytes before a handler runs
// (http/internal/request_head.h, as connection.cpp uses it): Beast's head parser limited like
// the server's, the copy into a Request, the framing and target checks, then Beast's body parser
// under a route's body limit, and the Request helpers handlers call.
//
// The input is the plaintext of one TLS connection, delivered in reads of at most 4 KiB (the
// server's first read) into a buffer bounded like the server's.
//
// Invariants checked: no crash or sanitizer report; a request that passes the checks has a
// decoded path that CheckDecodedPath() accepts, no Transfer-Encoding other than "chunked", and a
// body no longer than the limit.
//
// SECURITY: models a hostile client.
#include <utility>  // first, for Asio (see http/internal/beast.h)

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>

#include "http/internal/request_head.h"
#include "http/request.h"

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using sealpost::http::internal::HeadParser;

constexpr size_t kMaxHeaderBytes = 16 * 1024;  // ServerOptions' default
constexpr size_t kChunkBytes = 64 * 1024;      // the connection's buffer beyond the head
constexpr size_t kReadBytes = 4 * 1024;
constexpr size_t kBodyLimit = 64 * 1024;

void Check(bool condition) {
  if (!condition) std::abort();
}

// A SyncReadStream over the input, handing out at most kReadBytes per read.
class MemoryStream final {
 public:
  explicit MemoryStream(std::string_view data) : data_(data) {}

  template <typename MutableBuffers>
  size_t read_some(const MutableBuffers& buffers, beast::error_code& ec) {
    if (data_.empty()) {
      ec = asio::error::eof;
      return 0;
    }
    ec = {};
    const size_t n =
        asio::buffer_copy(buffers, asio::buffer(data_.data(), std::min(data_.size(), kReadBytes)));
    data_.remove_prefix(n);
    return n;
  }
  template <typename MutableBuffers>
  size_t read_some(const MutableBuffers& buffers) {
    beast::error_code ec;
    const size_t n = read_some(buffers, ec);
    if (ec) throw beast::system_error(ec);
    return n;
  }

 private:
  std::string_view data_;
};

void UseRequest(const sealpost::http::Request& request) {
  (void)request.Header("Content-Type");
  (void)request.Header("X-CSRF-Token");
  (void)request.Cookie("sealpost_session");
  (void)request.QueryParam("limit");
  (void)request.QueryParam("before");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  MemoryStream stream(std::string_view(reinterpret_cast<const char*>(data), size));
  beast::flat_buffer buffer(kMaxHeaderBytes + kChunkBytes);
  HeadParser head;
  sealpost::http::internal::ConfigureHeadParser(head, kMaxHeaderBytes);
  beast::error_code ec;
  bhttp::read_header(stream, buffer, head, ec);
  if (ec) return 0;  // answered 431 or 400, or the connection ended

  sealpost::http::internal::RequestHead parsed =
      sealpost::http::internal::ReadRequestHead(head, "192.0.2.1");
  sealpost::http::Request request = std::move(parsed.request);
  auto path = sealpost::http::internal::CheckRequestHead(head, parsed.raw_path);
  if (!path.ok()) {
    Check(path.status().code() == sealpost::ErrorCode::kInvalidArgument);
    return 0;
  }
  Check(sealpost::http::CheckDecodedPath(*path).ok());
  Check(request.target.compare(0, parsed.raw_path.size(), parsed.raw_path) == 0);
  request.path = std::move(path).value();
  const auto te = request.Header("Transfer-Encoding");
  Check(!te || te->size() == 7);

  if (request.content_length && *request.content_length > kBodyLimit) return 0;  // 413
  if (parsed.has_body) {
    bhttp::request_parser<bhttp::string_body> body(std::move(head));
    body.body_limit(kBodyLimit);
    bhttp::read(stream, buffer, body, ec);
    if (ec) return 0;  // 413, 400, or abandoned
    request.body = std::move(body.get().body());
    Check(request.body.size() <= kBodyLimit);
    if (request.content_length) Check(request.body.size() == *request.content_length);
  }
  UseRequest(request);
  return 0;
}
