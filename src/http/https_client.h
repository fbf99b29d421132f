// A minimal HTTPS client for the command-line tools (the log monitor, `sealpost verify log`) and
// for asking an external RFC 3161 time-stamping authority (a POST): one request per connection,
// TLS 1.2+ with the certificate checked against the system trust store or a given CA file and
// against the URL's host name or IP address, one deadline for the whole exchange and a limit on the
// response body. Boost.Asio/Beast stay inside its .cpp, next to the server's (http/ is the one
// folder that holds Beast).
//
// SECURITY: the server's answer is untrusted. The head is capped by Beast's parser (8 KiB), the
// body by max_body_bytes (Unavailable beyond it, nothing partial returned); a server that stalls
// hits the deadline. Redirects are not followed. Callers must still authenticate what they
// fetch (the monitor checks signatures and proofs, not the TLS channel alone).
//
// Thread-safety: an HttpsClient may be used from several threads; each Get runs on its own
// io_context.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"

namespace sealpost::http {

struct HttpsClientOptions {
  std::string ca_file;  // PEM certificates to trust; empty: the system's default trust store
  std::chrono::milliseconds timeout{15'000};  // per request: resolve, connect, TLS, send, receive
  size_t max_body_bytes = 1 << 20;
  std::string user_agent = "sealpost";
};

struct HttpsResponse {
  int status = 0;
  std::string content_type;
  std::string body;
};

class HttpsClient {
 public:
  virtual ~HttpsClient() = default;
  // GET `url` ("https://host[:port]/path[?query]"; host a name, an IPv4 address or a bracketed
  // IPv6 one). InvalidArgument for another URL; Unavailable for a network, TLS or certificate
  // failure, a timeout, or a body over the limit. Any HTTP status is a response, not an error.
  virtual Result<HttpsResponse> Get(std::string_view url) = 0;
  // POST `body` with `content_type` to `url`; the rest as Get.
  virtual Result<HttpsResponse> Post(std::string_view url, std::string_view content_type,
                                     std::string_view body) = 0;

  // InvalidArgument if the CA file cannot be loaded.
  static Result<std::unique_ptr<HttpsClient>> Create(HttpsClientOptions options);
};

}  // namespace sealpost::http
