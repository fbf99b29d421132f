// Maps (method, path) to handlers. Patterns are literal segments and `{name}` parameters, e.g.
// "/api/v1/messages/{id}/attachments/{index}"; a parameter matches one whole non-empty segment.
//
// Matching: among the routes whose pattern fits the path and whose method equals the request's
// (HEAD also matches GET routes), the most specific wins — at the first segment where two
// patterns differ, a literal beats a parameter. A path that fits some pattern but no route of
// that method gets 405 with Allow; a path that fits none gets 404, or the fallback handler for
// GET/HEAD when one is set.
//
// Thread-safety: build the router completely (Add/AddUpload/SetFallback) before sharing it;
// afterwards Find() and Handle() are const and safe to call from any thread. Handlers and begin()
// are called concurrently from worker threads and must be thread-safe themselves.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/encoding.h"
#include "core/status.h"
#include "http/request.h"
#include "http/response.h"

namespace sealpost::http {

// Parameter values keyed by name, percent-decoded (they come from the decoded request path).
using PathParams = std::map<std::string, std::string>;

// May block (database, password hashing): the server calls it on a worker thread.
using Handler = std::function<Response(const Request&, const PathParams&)>;

struct RouteOptions {
  // Larger bodies get 413: checked against Content-Length before reading, and while reading.
  size_t max_body_bytes = 1 << 20;
  // Set by AddUpload(); ignored by Add().
  bool streaming_upload = false;
};

// Receives a request body as it arrives, so an upload takes constant memory. The server calls
// Write() for each piece (at most 1 MiB) in order, then either Finish() once — whose Response
// is sent — or Abort() once (client gone or too slow, body over the limit, malformed framing,
// server stopping, or a Write() error). Never both, and each at most once.
//
// Write() and Finish() run on a worker thread (Write() while the server receives the next piece)
// and may block; Abort() runs on an I/O thread and must not block for long. Calls never overlap.
// Nothing may remain stored after Abort(): committing is Finish()'s job alone.
class UploadSink {
 public:
  virtual ~UploadSink() = default;
  virtual Status Write(ByteView chunk) = 0;
  virtual Response Finish() = 0;
  virtual void Abort() = 0;
};

// Called (on a worker thread) once the request head has arrived; `request.body` is empty. An
// error Status is answered through ProblemFromStatus() and the body is not read.
using UploadBegin =
    std::function<Result<std::unique_ptr<UploadSink>>(const Request&, const PathParams&)>;

class Router final {
 public:
  // Registers a handler for a buffered body of at most opts.max_body_bytes. A malformed pattern
  // or a duplicate (method, pattern) is a programming error and aborts.
  void Add(std::string_view method, std::string_view pattern, Handler h, RouteOptions opts = {});
  // Registers a streaming upload; opts.streaming_upload is implied.
  void AddUpload(std::string_view method, std::string_view pattern, UploadBegin begin,
                 RouteOptions opts);
  // Handler for GET/HEAD of a path no pattern fits (static files, single-page-app routes), except
  // paths that start with one of `excluded_prefixes` (an unknown API path stays a 404).
  void SetFallback(Handler h, std::vector<std::string> excluded_prefixes = {"/api/"});

  struct Match {
    enum class Kind { kHandler, kUpload, kNotFound, kMethodNotAllowed };
    Kind kind = Kind::kNotFound;
    const Handler* handler = nullptr;    // kHandler: a route's or the fallback
    const UploadBegin* begin = nullptr;  // kUpload
    PathParams params;
    RouteOptions options;
    std::string allow;  // kMethodNotAllowed: e.g. "DELETE, GET, HEAD"
    // The matched route's index (RoutePattern(), for metrics labels: the pattern, never the
    // path); -1 for the fallback and when nothing matched.
    int route = -1;
    bool fallback = false;  // the fallback handler answers
  };
  // `path` is a decoded path as in Request::path. Pointers stay valid while the router lives.
  Match Find(std::string_view method, std::string_view path) const;

  // Find() plus the call, for buffered requests (tests, in-process callers): 404/405 become
  // problem+json; an upload route answers 500 since it needs the server's streaming.
  Response Handle(const Request& request) const;

  // The registered routes, by index (Match::route).
  size_t route_count() const { return routes_.size(); }
  const std::string& RouteMethod(size_t index) const { return routes_.at(index).method; }
  const std::string& RoutePattern(size_t index) const { return routes_.at(index).pattern; }

 private:
  struct Segment {
    bool is_param = false;
    std::string text;  // literal text, or the parameter name
  };
  struct Route {
    std::string method;
    std::string pattern;
    std::vector<Segment> segments;
    Handler handler;
    UploadBegin begin;
    RouteOptions options;
  };
  void AddRoute(Route route);

  std::vector<Route> routes_;
  Handler fallback_;
  std::vector<std::string> fallback_excluded_;
};

}  // namespace sealpost::http
