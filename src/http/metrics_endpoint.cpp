#include "http/metrics_endpoint.h"

#include <memory>
#include <string>

#include "core/encoding.h"
#include "crypto/secret_bytes.h"
#include "http/internal/ascii.h"
#include "http/problem.h"

namespace sealpost::http {
namespace {

bool BearerMatches(const Request& request, const crypto::SecretString& token) {
  if (token.size() == 0) return false;
  const std::optional<std::string_view> header = request.Header("Authorization");
  if (!header) return false;
  constexpr std::string_view kScheme = "Bearer ";
  if (header->size() <= kScheme.size() ||
      !internal::EqualsIgnoreCase(header->substr(0, kScheme.size()), kScheme)) {
    return false;
  }
  return crypto::ConstantTimeEquals(AsBytes(header->substr(kScheme.size())), AsBytes(token.view()));
}

}  // namespace

bool IsLoopbackAddress(std::string_view address) {
  if (address == "::1") return true;
  if (address.starts_with("::ffff:")) address.remove_prefix(7);
  return address.starts_with("127.") &&
         address.find_first_not_of("0123456789.") == std::string::npos;
}

Handler MakeMetricsHandler(MetricsAccess access, const telemetry::Registry& registry) {
  auto shared = std::make_shared<const MetricsAccess>(std::move(access));
  return [shared, &registry](const Request& request, const PathParams&) {
    const bool allowed = (shared->allow_loopback && IsLoopbackAddress(request.remote_address)) ||
                         BearerMatches(request, shared->bearer_token);
    if (!allowed) return ProblemFromStatus(PermissionDenied("metrics scrape refused"));
    return Response::Text(200, registry.Render(), "text/plain; version=0.0.4; charset=utf-8");
  };
}

}  // namespace sealpost::http
