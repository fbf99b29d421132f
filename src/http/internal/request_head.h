// The pure step between Beast's head parser and the router: how the server limits the head
// parser, copies a parsed head into a Request, and checks the framing and target of every request
// before routing. No I/O; used by the connection (connection.cpp) and the fuzz target
// tests/fuzz/http_head_fuzz.cpp. Internal to http/ (includes Boost).
//
// Thread-safety: pure functions.
//
// SECURITY: everything here is attacker-controlled request bytes, parsed by Beast within
// `max_header_bytes`. CheckRequestHead() refuses a Transfer-Encoding other than one plain
// "chunked" (anything else would leave the body unframed or encoded in ways handlers don't
// expect), a target that is not an absolute path, and a path PercentDecodePath() refuses, so
// handlers only ever see a decoded path without dot segments, backslashes or control characters.
#pragma once

// g++ 12 with Boost 1.74: <utility> must precede any Asio header (see beast.h).
#include <utility>

#include <cstddef>
#include <string>
#include <string_view>

#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>

#include "core/status.h"
#include "http/request.h"

namespace sealpost::http::internal {

namespace bhttp = boost::beast::http;
using HeadParser = bhttp::request_parser<bhttp::empty_body>;

// A parsed head before the checks.
struct RequestHead {
  Request request;          // method, target, query, headers, content_length; path still empty
  std::string raw_path;     // the target before '?', undecoded: for the log line (never the query)
  bool has_body = false;    // Content-Length > 0, or chunked
  bool keep_alive = false;  // what the client's head asks for
};

// The head's limit is `max_header_bytes` (capped to what Beast can count); the body is not
// limited here: route limits apply once the route is known.
void ConfigureHeadParser(HeadParser& parser, size_t max_header_bytes);

// Copies the head `parser` has parsed (is_header_done()). Never fails.
RequestHead ReadRequestHead(const HeadParser& parser, std::string remote_address);

// Framing and target checks before routing. Returns the decoded path for Request::path, or
// InvalidArgument whose message is the fixed detail of the 400 malformed-request answer.
Result<std::string> CheckRequestHead(const HeadParser& parser, std::string_view raw_path);

}  // namespace sealpost::http::internal
