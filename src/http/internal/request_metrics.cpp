#include "http/internal/request_metrics.h"

#include <string>

namespace sealpost::http::internal {
namespace {

RouteMetrics Make(telemetry::Family<telemetry::Counter>& requests,
                  telemetry::Family<telemetry::Histogram>& durations, const std::string& route,
                  const std::string& method) {
  RouteMetrics m;
  static constexpr const char* kClasses[] = {"1xx", "2xx", "3xx", "4xx", "5xx"};
  for (size_t i = 0; i < m.by_class.size(); ++i) {
    m.by_class[i] = &requests.With({route, method, kClasses[i]});
  }
  m.duration = &durations.With({route, method});
  return m;
}

}  // namespace

RequestMetrics::RequestMetrics(const Router& router, telemetry::Registry& registry) {
  auto& requests = registry.AddCounter("sealpost_http_requests_total",
                                       "HTTP requests answered, by route pattern, method and "
                                       "status class.",
                                       {"route", "method", "code"});
  auto& durations = registry.AddHistogram(
      "sealpost_http_request_duration_seconds",
      "Time from a request's first byte to the last byte of its answer, by route pattern and "
      "method.",
      {"route", "method"}, telemetry::LatencyBuckets());
  routes_.reserve(router.route_count());
  for (size_t i = 0; i < router.route_count(); ++i) {
    routes_.push_back(Make(requests, durations, router.RoutePattern(i), router.RouteMethod(i)));
  }
  fallback_ = Make(requests, durations, "(static)", "GET");
  unmatched_ = Make(requests, durations, "(unmatched)", "-");
  connections_ = &registry.AddGauge("sealpost_http_connections", "Open HTTPS connections.").With();
}

const RouteMetrics& RequestMetrics::For(const Router::Match& match) const {
  if (match.route >= 0 && static_cast<size_t>(match.route) < routes_.size()) {
    return routes_[static_cast<size_t>(match.route)];
  }
  return match.fallback ? fallback_ : unmatched_;
}

void RequestMetrics::Record(const RouteMetrics& route, int status,
                            std::chrono::steady_clock::duration d) {
  const int cls = status / 100;
  if (cls >= 1 && cls <= 5) route.by_class[static_cast<size_t>(cls - 1)]->Increment();
  route.duration->ObserveDuration(d);
}

}  // namespace sealpost::http::internal
