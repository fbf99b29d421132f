// Fuzz target: the pure request helpers of http/request.h on arbitrary bytes — bytes Beast lets
// through in a target or header value, and bytes it would not: PercentDecodePath,
// CheckDecodedPath, FormDecode, Request::QueryParam and Request::Cookie.
//
// Invariants checked: no crash or sanitizer report; a decoded path passes CheckDecodedPath (so
// it never holds "." or ".." segments, backslashes, NUL or other control characters) and is
// never longer than its encoding; FormDecode never yields NUL.
//
// SECURITY: request targets, query strings and Cookie headers are attacker-controlled.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "http/request.h"

namespace {

void Check(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  if (auto path = sealpost::http::PercentDecodePath(text); path.ok()) {
    Check(sealpost::http::CheckDecodedPath(*path).ok());
    Check(path->size() <= text.size());
    Check(path->find('\0') == std::string::npos);
  }
  (void)sealpost::http::CheckDecodedPath(text);
  if (auto decoded = sealpost::http::FormDecode(text); decoded.ok()) {
    Check(decoded->find('\0') == std::string::npos);
    Check(decoded->size() <= text.size());
  }

  sealpost::http::Request request;
  request.query = std::string(text);
  request.headers.emplace_back("Cookie", text);
  request.headers.emplace_back("cookie", "b=2");
  // Names that seeds use; the fuzzer also finds others through the query's own keys.
  for (const std::string_view name : {"a", "limit", "before", ""}) {
    if (auto value = request.QueryParam(name)) Check(value->find('\0') == std::string::npos);
  }
  for (const std::string_view name : {"sealpost_session", "a", "b", ""}) {
    (void)request.Cookie(name);
  }
  return 0;
}
