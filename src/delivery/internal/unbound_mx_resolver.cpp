// MakeUnboundMxResolver (mx_resolver.h) over libunbound. Each Lookup builds its own ub_ctx
// (threaded async mode), sends its queries at once and waits on the context's file descriptor
// under one deadline, so that no lookup can outlive its time: libunbound's synchronous
// ub_resolve has no overall timeout. A context per lookup costs a few milliseconds and no cache;
// direct delivery is rare enough for that.
#include <arpa/inet.h>
#include <poll.h>
#include <unbound.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "delivery/internal/unbound_context.h"
#include "delivery/mx_resolver.h"
#include "delivery/smtp_reply.h"
#include "delivery/tls_partner_policy.h"

namespace sealpost::delivery {
namespace {

using SteadyClock = std::chrono::steady_clock;

constexpr int kTypeA = 1;
constexpr int kTypeMx = 15;
constexpr int kTypeAaaa = 28;
constexpr int kClassIn = 1;
constexpr int kRcodeServfail = 2;

using internal::UbCtxPtr;
struct UbResultDeleter {
  void operator()(ub_result* p) const { ub_resolve_free(p); }
};
using UbResultPtr = std::unique_ptr<ub_result, UbResultDeleter>;

struct Query {
  std::string name;
  int type = 0;
  int async_id = 0;
  bool done = false;
  int err = 0;
  UbResultPtr result;
};

void OnResult(void* data, int err, ub_result* result) {
  auto* q = static_cast<Query*>(data);
  q->done = true;
  q->err = err;
  q->result.reset(result);
}

// A domain name in uncompressed wire format (RFC 1035 §3.1), as the whole of `wire`, to text.
// Refuses compression pointers and extended label types (neither belongs in validated rdata).
Result<std::string> WireNameToText(const uint8_t* wire, size_t len) {
  std::string out;
  size_t i = 0;
  while (i < len) {
    const uint8_t n = wire[i++];
    if (n == 0) {
      if (i != len) break;
      if (out.empty()) return std::string(".");  // the root: a null MX
      out.pop_back();                            // the last '.'
      return NormalizeDomainName(out);
    }
    if (n > 63 || i + n > len) break;
    out.append(reinterpret_cast<const char*>(wire + i), n);
    out += '.';
    i += n;
  }
  return InvalidArgument("malformed domain name in an MX record");
}

class UnboundMxResolver final : public MxResolver {
 public:
  explicit UnboundMxResolver(DnsResolverOptions options) : options_(std::move(options)) {}

  Result<MxLookup> Lookup(std::string_view domain_text) const override {
    SP_ASSIGN_OR_RETURN(const std::string domain, NormalizeDomainName(domain_text));
    const auto deadline = SteadyClock::now() + options_.timeout;
    SP_ASSIGN_OR_RETURN(UbCtxPtr ctx, NewContext());

    // 1. The MX set.
    std::vector<std::unique_ptr<Query>> mx_query;
    mx_query.push_back(std::make_unique<Query>(Query{domain, kTypeMx}));
    SP_RETURN_IF_ERROR(Run(ctx.get(), mx_query, deadline));
    const ub_result& mx = *mx_query[0]->result;
    SP_RETURN_IF_ERROR(CheckAnswer(domain, "MX", mx));
    if (mx.nxdomain) {
      return NotFound(fmt::format("domain {} does not exist (NXDOMAIN)", domain));
    }
    MxLookup lookup;
    bool all_secure = mx.secure != 0;
    if (mx.havedata) {
      struct Record {
        uint16_t preference;
        std::string name;
      };
      std::vector<Record> records;
      for (int i = 0; mx.data[i] != nullptr; ++i) {
        const auto* rdata = reinterpret_cast<const uint8_t*>(mx.data[i]);
        const int len = mx.len[i];
        if (len < 3) return Unavailable(fmt::format("malformed MX record for {}", domain));
        Result<std::string> name = WireNameToText(rdata + 2, static_cast<size_t>(len - 2));
        if (!name.ok()) {
          return Unavailable(fmt::format("{}: {}", domain, name.status().message()));
        }
        records.push_back({static_cast<uint16_t>((rdata[0] << 8) | rdata[1]), *std::move(name)});
      }
      if (records.size() == 1 && records[0].name == ".") {
        return InvalidArgument(
            fmt::format("domain {} accepts no mail (null MX, RFC 7505)", domain));
      }
      std::stable_sort(records.begin(), records.end(), [](const Record& a, const Record& b) {
        return a.preference < b.preference;
      });
      for (Record& r : records) {
        if (r.name == ".") continue;  // a null MX among others: ignore it
        if (lookup.hosts.size() == kMaxMxHosts) break;
        lookup.hosts.push_back(MxHost{std::move(r.name), r.preference, {}});
      }
      if (lookup.hosts.empty()) {
        return NotFound(fmt::format("domain {} has no usable MX host", domain));
      }
    } else {
      lookup.implicit_mx = true;
      lookup.hosts.push_back(MxHost{domain, 0, {}});
    }

    // 2. The addresses of every host, all queries at once.
    std::vector<std::unique_ptr<Query>> addr;
    for (const MxHost& host : lookup.hosts) {
      addr.push_back(std::make_unique<Query>(Query{host.name, kTypeA}));
      addr.push_back(std::make_unique<Query>(Query{host.name, kTypeAaaa}));
    }
    SP_RETURN_IF_ERROR(Run(ctx.get(), addr, deadline));
    for (size_t h = 0; h < lookup.hosts.size(); ++h) {
      MxHost& host = lookup.hosts[h];
      for (size_t k = 0; k < 2; ++k) {
        const ub_result& r = *addr[2 * h + k]->result;
        if (r.bogus) return Bogus(host.name, r);
        if (!r.havedata) continue;
        all_secure = all_secure && r.secure != 0;
        for (int i = 0; r.data[i] != nullptr; ++i) {
          if (host.addresses.size() == kMaxAddressesPerMxHost) break;
          const int family = k == 0 ? AF_INET : AF_INET6;
          if (r.len[i] != (k == 0 ? 4 : 16)) continue;
          char text[INET6_ADDRSTRLEN] = {};
          if (inet_ntop(family, r.data[i], text, sizeof text) != nullptr) {
            host.addresses.emplace_back(text);
          }
        }
      }
    }
    std::erase_if(lookup.hosts, [](const MxHost& h) { return h.addresses.empty(); });
    if (lookup.hosts.empty()) {
      if (lookup.implicit_mx) {
        return NotFound(fmt::format("domain {} has neither MX nor address records", domain));
      }
      return Unavailable(fmt::format("no MX host of {} has an address", domain));
    }
    lookup.dnssec = all_secure ? DnssecState::kSecure : DnssecState::kInsecure;
    return lookup;
  }

 private:
  Result<UbCtxPtr> NewContext() const {
    return internal::NewUnboundContext(options_, internal::UnboundMode::kAsync);
  }

  // Sends every query, then processes answers until all are in or the deadline passes.
  Status Run(ub_ctx* ctx, std::vector<std::unique_ptr<Query>>& queries,
             SteadyClock::time_point deadline) const {
    for (auto& q : queries) {
      const int rc = ub_resolve_async(ctx, q->name.c_str(), q->type, kClassIn, q.get(), &OnResult,
                                      &q->async_id);
      if (rc != 0) return Unavailable(fmt::format("dns: cannot send a query: {}", ub_strerror(rc)));
    }
    const auto pending = [&] {
      return std::any_of(queries.begin(), queries.end(), [](const auto& q) { return !q->done; });
    };
    while (pending()) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
      if (left.count() <= 0) {
        for (auto& q : queries) {
          if (!q->done) ub_cancel(ctx, q->async_id);
        }
        return Unavailable(fmt::format("dns: no answer for {} within {} ms", queries[0]->name,
                                       options_.timeout.count()));
      }
      pollfd pfd{ub_fd(ctx), POLLIN, 0};
      const int n = ::poll(&pfd, 1, static_cast<int>(std::min<int64_t>(left.count(), 1000)));
      if (n < 0 && errno != EINTR) {
        return Internal(fmt::format("dns: poll: {}", strerror(errno)));
      }
      if (n > 0) {
        if (const int rc = ub_process(ctx); rc != 0) {
          return Unavailable(fmt::format("dns: {}", ub_strerror(rc)));
        }
      }
    }
    for (auto& q : queries) {
      if (q->err != 0 || !q->result) {
        return Unavailable(fmt::format("dns: lookup of {} failed: {}", SmtpPrintable(q->name, 80),
                                       ub_strerror(q->err)));
      }
    }
    return Status::Ok();
  }

  static Status Bogus(const std::string& name, const ub_result& r) {
    return Unavailable(fmt::format("dns: DNSSEC validation failed for {} (bogus): {}", name,
                                   SmtpPrintable(r.why_bogus ? r.why_bogus : "no reason", 200)));
  }

  static Status CheckAnswer(const std::string& domain, std::string_view type, const ub_result& r) {
    if (r.bogus) return Bogus(domain, r);
    if (r.rcode == kRcodeServfail || (r.rcode != 0 && !r.nxdomain)) {
      return Unavailable(
          fmt::format("dns: {} lookup for {} failed with rcode {}", type, domain, r.rcode));
    }
    return Status::Ok();
  }

  DnsResolverOptions options_;
};

}  // namespace

std::string_view DnssecStateName(DnssecState state) {
  switch (state) {
    case DnssecState::kSecure:
      return "secure";
    case DnssecState::kBogus:
      return "bogus";
    case DnssecState::kInsecure:
      break;
  }
  return "insecure";
}

Result<std::unique_ptr<MxResolver>> MakeUnboundMxResolver(DnsResolverOptions options) {
  if (options.timeout.count() <= 0) return InvalidArgument("dns: timeout must be positive");
  if (!options.resolver.empty()) {
    const std::string& r = options.resolver;
    const size_t at = r.find('@');
    const std::string ip = r.substr(0, at);
    in6_addr a6;
    in_addr a4;
    if (inet_pton(AF_INET, ip.c_str(), &a4) != 1 && inet_pton(AF_INET6, ip.c_str(), &a6) != 1) {
      return InvalidArgument("dns: resolver must be an IP address, optionally followed by @port");
    }
    if (at != std::string::npos) {
      const std::string port = r.substr(at + 1);
      if (port.empty() || port.size() > 5 ||
          port.find_first_not_of("0123456789") != std::string::npos || std::stoi(port) == 0 ||
          std::stoi(port) > 65535) {
        return InvalidArgument("dns: resolver port must be 1 to 65535");
      }
    }
  }
  if (!options.stub_zones.empty() && options.resolver.empty()) {
    return InvalidArgument("dns: stub zones need a resolver address");
  }
  for (std::string& zone : options.stub_zones) {
    SP_ASSIGN_OR_RETURN(zone, NormalizeDomainName(zone));
  }
  return std::unique_ptr<MxResolver>(std::make_unique<UnboundMxResolver>(std::move(options)));
}

}  // namespace sealpost::delivery
