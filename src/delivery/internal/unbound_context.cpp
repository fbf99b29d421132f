#include "delivery/internal/unbound_context.h"

#include <string>
#include <string_view>

#include <fmt/format.h>

#include "delivery/smtp_reply.h"

namespace sealpost::delivery::internal {

Result<UbCtxPtr> NewUnboundContext(const DnsResolverOptions& options, UnboundMode mode) {
  UbCtxPtr ctx(ub_ctx_create());
  if (!ctx) return Internal("dns: ub_ctx_create failed");
  const auto check = [](int rc, std::string_view what) -> Status {
    if (rc == 0) return Status::Ok();
    return Unavailable(fmt::format("dns: {}: {}", what, ub_strerror(rc)));
  };
  if (mode == UnboundMode::kAsync) {
    SP_RETURN_IF_ERROR(check(ub_ctx_async(ctx.get(), 1), "async mode"));
  }
  if (options.resolver.empty()) {
    SP_RETURN_IF_ERROR(check(ub_ctx_resolvconf(ctx.get(), nullptr), "reading /etc/resolv.conf"));
  } else {
    // A resolver on loopback is the point of configuring one (and of the tests).
    SP_RETURN_IF_ERROR(
        check(ub_ctx_set_option(ctx.get(), "do-not-query-localhost:", "no"), "option"));
    if (options.stub_zones.empty()) {
      SP_RETURN_IF_ERROR(check(ub_ctx_set_fwd(ctx.get(), options.resolver.c_str()),
                               "resolver address " + SmtpPrintable(options.resolver, 60)));
    }
    for (const std::string& zone : options.stub_zones) {
      SP_RETURN_IF_ERROR(
          check(ub_ctx_set_stub(ctx.get(), zone.c_str(), options.resolver.c_str(), 0),
                "stub zone " + SmtpPrintable(zone, 60)));
    }
  }
  if (!options.trust_anchor_file.empty()) {
    SP_RETURN_IF_ERROR(check(ub_ctx_add_ta_file(ctx.get(), options.trust_anchor_file.c_str()),
                             "trust anchor file"));
  }
  // Unbound answers some special-use names itself (RFC 6761 "test", "invalid"...); a stub zone
  // must be asked of its server instead. (This finalises the context: it comes last. Removing
  // a zone that is not a local zone is not an error.)
  for (const std::string& zone : options.stub_zones) {
    (void)ub_ctx_zone_remove(ctx.get(), zone.c_str());
  }
  return ctx;
}

}  // namespace sealpost::delivery::internal
