// An HTTP response as handlers build it: a status, headers, and a buffered or streamed body.
//
// The server adds the protocol and security headers itself (Content-Length or chunked framing,
// Date, Server, Connection, X-Content-Type-Options, Strict-Transport-Security, Referrer-Policy,
// and Cache-Control: no-store unless the handler set a Cache-Control). Header names and values
// must not contain CR, LF or NUL; the server answers 500 instead of sending such a response.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace sealpost::http {

// A body produced piece by piece (files, decrypted blobs), so a large download takes constant
// memory. Read() is called on a worker thread, one call at a time, while the previous piece is
// being sent (it may block on a file read and decryption; keep database queries out of it, the
// workers also serve handlers). If Read() fails, the server
// closes the connection at once: the client sees a truncated transfer, never a silently short
// body. A source that ends before its Response::stream_length is treated the same way.
class BodySource {
 public:
  virtual ~BodySource() = default;
  // Fills up to out.size() bytes; returns how many, 0 meaning the end of the body.
  virtual Result<size_t> Read(std::span<uint8_t> out) = 0;
};

struct Response {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::unique_ptr<BodySource> stream;     // when set, `body` is ignored
  std::optional<uint64_t> stream_length;  // Content-Length of `stream`; chunked when absent

  // `json_text` is sent as is with Content-Type: application/json.
  static Response Json(int status, std::string json_text);
  // 204: a change done, nothing to send back.
  static Response NoContent();
  // Sent with the given Content-Type.
  static Response Text(int status, std::string text,
                       std::string_view content_type = "text/plain; charset=utf-8");

  // Replaces every header named `name` (ASCII case-insensitive) with one `name: value`.
  void SetHeader(std::string_view name, std::string_view value);
  // Appends a header even if one of that name exists (e.g. several Set-Cookie).
  void AddHeader(std::string_view name, std::string_view value);
  // Value of the first header named `name`, if any.
  std::optional<std::string_view> Header(std::string_view name) const;
};

}  // namespace sealpost::http
