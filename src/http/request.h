// An HTTP request as handlers see it, and the pure helpers that read its parts.
//
// SECURITY: every field is attacker-controlled. The server fills `path` only after
// PercentDecodePath() accepted the target, so handlers never see `..`, backslashes, NUL or other
// control characters in it; `target`, `query`, header values and `body` are raw and unvalidated.
// Never log `query`, `body`, cookies or the Authorization header: they may carry secrets, which is
// also why header values and the body live in memory that is wiped when freed (WipedString).
//
// Thread-safety: plain data; the helpers are const and safe to call concurrently.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"
#include "crypto/wiping_allocator.h"

namespace sealpost::http {

struct Request {
  std::string method;  // as sent, e.g. "GET" (methods are case-sensitive)
  std::string target;  // raw request target, e.g. "/api/v1/x%20y?a=b"
  std::string path;    // percent-decoded path without the query, e.g. "/api/v1/x y"
  std::string query;   // raw query string without '?', e.g. "a=b"
  // In arrival order, names as sent.
  std::vector<std::pair<std::string, crypto::WipedString>> headers;
  crypto::WipedString body;    // buffered body; empty for streaming (upload) routes and for begin()
  std::string remote_address;  // peer IP address, e.g. "127.0.0.1" or "::1"
  std::optional<uint64_t> content_length;  // absent for chunked bodies and bodiless requests

  // Value of the first header named `name` (ASCII case-insensitive), if any.
  std::optional<std::string_view> Header(std::string_view name) const;
  // Value of the first query parameter named `name`, decoded as
  // application/x-www-form-urlencoded ('+' is a space, %XX escapes). Absent when the parameter is
  // missing or its encoding is malformed or decodes to NUL.
  std::optional<std::string> QueryParam(std::string_view name) const;
  // Value of the cookie `name` from the Cookie header(s) (RFC 6265 §5.4), surrounding quotes
  // removed. Absent when there is no such cookie.
  std::optional<std::string> Cookie(std::string_view name) const;
};

// Decodes the path part of a request target (no query). Refuses (InvalidArgument): a path not
// starting with '/', malformed or NUL escapes, an encoded '/' (%2F, it would move a segment
// boundary), backslashes in any form, control characters, invalid UTF-8, and "." or ".."
// segments. The result is safe to split on '/' and to use as a relative file name.
Result<std::string> PercentDecodePath(std::string_view raw_path);

// The checks PercentDecodePath() applies after decoding, for a path that is already decoded:
// leading '/', no backslash, no control character, valid UTF-8, no "." or ".." segment.
Status CheckDecodedPath(std::string_view path);

// Decodes one application/x-www-form-urlencoded component ('+' → space, %XX). Refuses malformed
// escapes and NUL.
Result<std::string> FormDecode(std::string_view text);

}  // namespace sealpost::http
