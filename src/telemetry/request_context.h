// The request id of the work a thread is doing, so that every log line written on behalf of an
// HTTP request names it (the JSON log's "request_id"; docs/operations.md). The HTTP server sets it
// around each piece of a request that runs on a thread (the handler on a worker, the access-log
// line on an I/O thread); code below needs no parameter for it.
//
// Thread-safety: the id is per thread. ScopedRequestId must begin and end on one thread and never
// span a coroutine suspension (another connection's code would run under it).
#pragma once

#include <string>
#include <string_view>

namespace sealpost::telemetry {

// A new id: 24 lowercase hex digits, unique within the process (a random per-process prefix and a
// counter). Not a secret and not a capability: it only ties log lines together.
std::string NewRequestId();

// The id set on this thread, or "" outside any request.
std::string_view CurrentRequestId();

class ScopedRequestId final {
 public:
  // `id` must outlive the scope.
  explicit ScopedRequestId(const std::string& id);
  ~ScopedRequestId();
  ScopedRequestId(const ScopedRequestId&) = delete;
  ScopedRequestId& operator=(const ScopedRequestId&) = delete;

 private:
  const std::string* previous_;
};

}  // namespace sealpost::telemetry
