// GET /metrics: the process's metrics in the Prometheus text format 0.0.4 (telemetry/metrics.h;
// the list and its meaning: docs/operations.md).
//
// Access: a scrape is answered when it comes from a loopback address (127.0.0.0/8, ::1, and
// IPv4-mapped loopback) and `allow_loopback` is set, or when it carries "Authorization: Bearer
// <bearer_token>" and a token is configured; anything else gets 403 problem+json. Behind a reverse
// proxy on the same host every request comes from loopback: switch allow_loopback off there and
// give the scraper a token.
//
// SECURITY: faces the network. Reads only the peer address and the Authorization header; the
// token is compared in constant time. The exposition holds counts, durations and sizes labelled
// with route patterns and fixed words — no address, id, secret or content (the registry's
// callers keep to that).
//
// Thread-safety: the handler may run on several workers at once.
#pragma once

#include "crypto/secret_string.h"
#include "http/router.h"
#include "telemetry/metrics.h"

namespace sealpost::http {

struct MetricsAccess {
  bool allow_loopback = true;
  crypto::SecretString bearer_token;  // empty: no token opens it
};

// True for 127.0.0.0/8, ::1 and ::ffff:127.x.y.z, as Request::remote_address spells them.
bool IsLoopbackAddress(std::string_view address);

Handler MakeMetricsHandler(MetricsAccess access, const telemetry::Registry& registry);

}  // namespace sealpost::http
