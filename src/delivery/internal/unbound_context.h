// libunbound resolver contexts set up from DnsResolverOptions: the same forwarder, stub zones and
// trust anchors for the MX lookups of outgoing mail and the SPF/DKIM lookups of incoming mail.
#pragma once

#include <unbound.h>

#include <memory>

#include "core/status.h"
#include "delivery/mx_resolver.h"

namespace sealpost::delivery::internal {

struct UbCtxDeleter {
  void operator()(ub_ctx* p) const { ub_ctx_delete(p); }
};
using UbCtxPtr = std::unique_ptr<ub_ctx, UbCtxDeleter>;

enum class UnboundMode { kBlocking, kAsync };

// A finalised context; Unavailable naming the setting libunbound refused.
Result<UbCtxPtr> NewUnboundContext(const DnsResolverOptions& options, UnboundMode mode);

}  // namespace sealpost::delivery::internal
