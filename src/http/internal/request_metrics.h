// The HTTP server's metrics (docs/operations.md): requests by route pattern, method and status
// class, their durations, open connections. Labels are the route's pattern
// ("/api/v1/messages/{id}"), never the requested path, so no id, address or token reaches a label;
// requests no route answers count under "(static)" (the fallback, the web UI's files) or
// "(unmatched)" (404, 405, refused before routing).
//
// Thread-safety: built once per server before it starts; For() and Record() from any thread,
// without locks (the children are looked up at construction).
#pragma once

#include <array>
#include <chrono>
#include <vector>

#include "http/router.h"
#include "telemetry/metrics.h"

namespace sealpost::http::internal {

struct RouteMetrics {
  std::array<telemetry::Counter*, 5> by_class{};  // 1xx … 5xx
  telemetry::Histogram* duration = nullptr;
};

class RequestMetrics final {
 public:
  RequestMetrics(const Router& router, telemetry::Registry& registry);

  const RouteMetrics& For(const Router::Match& match) const;
  const RouteMetrics& unmatched() const { return unmatched_; }
  telemetry::Gauge& connections() const { return *connections_; }

  static void Record(const RouteMetrics& route, int status, std::chrono::steady_clock::duration d);

 private:
  std::vector<RouteMetrics> routes_;
  RouteMetrics fallback_;
  RouteMetrics unmatched_;
  telemetry::Gauge* connections_;
};

}  // namespace sealpost::http::internal
