#include "http/internal/request_metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace sealpost::http::internal {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

Response Ok(const Request&, const PathParams&) { return Response::Text(200, "ok"); }

TEST(RequestMetricsTest, LabelsArePatternsNeverPaths) {
  Router router;
  router.Add("GET", "/api/v1/messages/{id}", Ok);
  router.Add("POST", "/api/v1/messages", Ok);
  router.SetFallback(Ok);
  telemetry::Registry registry;
  const RequestMetrics metrics(router, registry);

  const Router::Match message = router.Find("GET", "/api/v1/messages/m-secret-id-42");
  const Router::Match send = router.Find("POST", "/api/v1/messages");
  const Router::Match head = router.Find("HEAD", "/api/v1/messages/m-other");
  const Router::Match file = router.Find("GET", "/index.html");
  const Router::Match missing = router.Find("GET", "/api/v1/nothing");
  const Router::Match wrong_method = router.Find("DELETE", "/api/v1/messages");
  EXPECT_EQ(&metrics.For(message), &metrics.For(head));  // HEAD counts under its GET route
  EXPECT_NE(&metrics.For(message), &metrics.For(send));
  EXPECT_EQ(&metrics.For(missing), &metrics.unmatched());
  EXPECT_EQ(&metrics.For(wrong_method), &metrics.unmatched());
  EXPECT_NE(&metrics.For(file), &metrics.unmatched());

  RequestMetrics::Record(metrics.For(message), 200, std::chrono::milliseconds(3));
  RequestMetrics::Record(metrics.For(message), 404, std::chrono::milliseconds(1));
  RequestMetrics::Record(metrics.For(send), 503, std::chrono::seconds(2));
  RequestMetrics::Record(metrics.For(file), 304, std::chrono::milliseconds(1));
  RequestMetrics::Record(metrics.unmatched(), 400, std::chrono::milliseconds(1));
  RequestMetrics::Record(metrics.unmatched(), 0, std::chrono::milliseconds(1));  // no status
  const std::string text = registry.Render();
  EXPECT_THAT(text, HasSubstr("sealpost_http_requests_total{route=\"/api/v1/messages/{id}\","
                              "method=\"GET\",code=\"2xx\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("sealpost_http_requests_total{route=\"/api/v1/messages/{id}\","
                              "method=\"GET\",code=\"4xx\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("sealpost_http_requests_total{route=\"/api/v1/messages\","
                              "method=\"POST\",code=\"5xx\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("sealpost_http_requests_total{route=\"(static)\",method=\"GET\","
                              "code=\"3xx\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("sealpost_http_requests_total{route=\"(unmatched)\",method=\"-\","
                              "code=\"4xx\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("sealpost_http_request_duration_seconds_count{route=\"(unmatched)\","
                              "method=\"-\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("sealpost_http_request_duration_seconds_bucket{route=\"/api/v1/"
                              "messages\",method=\"POST\",le=\"1\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("sealpost_http_request_duration_seconds_bucket{route=\"/api/v1/"
                              "messages\",method=\"POST\",le=\"2.5\"} 1\n"));
  EXPECT_THAT(text, Not(HasSubstr("secret-id")));
  EXPECT_THAT(text, Not(HasSubstr("index.html")));
}

}  // namespace
}  // namespace sealpost::http::internal
