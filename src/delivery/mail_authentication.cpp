// MakeMailAuthenticator (mail_authentication.h): libspf2 and libopendkim over libunbound.
#include "delivery/mail_authentication.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netdb.h>
#include <netinet/in.h>
#include <unbound.h>

extern "C" {
#include <spf2/spf.h>
}
// libopendkim's header spells C99's _Bool, which C++ lacks; its ABI is that of C++'s bool.
#define _Bool bool  // NOLINT
#include <dkim.h>
#undef _Bool

#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "delivery/internal/unbound_context.h"
#include "delivery/smtp_reply.h"

namespace sealpost::delivery {
namespace {

constexpr int kClassIn = 1;
constexpr size_t kMaxTxtBytes = 64 * 1024;

using internal::UbCtxPtr;
struct UbResultDeleter {
  void operator()(ub_result* p) const { ub_resolve_free(p); }
};
using UbResultPtr = std::unique_ptr<ub_result, UbResultDeleter>;
struct SpfServerDeleter {
  void operator()(SPF_server_t* p) const { SPF_server_free(p); }
};
struct SpfRequestDeleter {
  void operator()(SPF_request_t* p) const { SPF_request_free(p); }
};
struct SpfResponseDeleter {
  void operator()(SPF_response_t* p) const { SPF_response_free(p); }
};
struct DkimLibDeleter {
  void operator()(DKIM_LIB* p) const { dkim_close(p); }
};
struct DkimDeleter {
  void operator()(DKIM* p) const { dkim_free(p); }
};

// One DNS answer, as both libraries need it.
struct Answer {
  enum class Kind { kData, kNoData, kNxDomain, kTryAgain } kind = Kind::kTryAgain;
  std::vector<std::string> rdata;  // raw rdata of each record
  int ttl = 0;
};

// An uncompressed wire-format name (libunbound hands rdata names uncompressed) to text.
std::optional<std::string> WireName(const std::string& wire, size_t at) {
  std::string out;
  while (at < wire.size()) {
    const uint8_t n = static_cast<uint8_t>(wire[at++]);
    if (n == 0) {
      if (!out.empty()) out.pop_back();
      return out;
    }
    if (n > 63 || at + n > wire.size()) return std::nullopt;
    out.append(wire, at, n);
    out += '.';
    at += n;
  }
  return std::nullopt;
}

// The character-strings of a TXT record, joined (RFC 7208 3.3, RFC 6376 3.6.2.2).
std::string TxtText(const std::string& rdata) {
  std::string out;
  size_t at = 0;
  while (at < rdata.size()) {
    const size_t n = static_cast<uint8_t>(rdata[at++]);
    if (at + n > rdata.size()) break;
    out.append(rdata, at, n);
    at += n;
  }
  return out;
}

// Blocking queries on a shared context: libunbound's functions are thread-safe, and each
// ub_resolve works on its own worker state, sharing only the context's cache.
class Dns {
 public:
  explicit Dns(ub_ctx* ctx) : ctx_(ctx) {}
  Answer Query(const std::string& name, int type) {
    ub_result* raw = nullptr;
    Answer out;
    if (ub_resolve(ctx_, name.c_str(), type, kClassIn, &raw) != 0 || raw == nullptr) {
      return out;
    }
    UbResultPtr result(raw);
    if (result->bogus || result->rcode == 2 /* SERVFAIL */) return out;
    if (result->nxdomain) {
      out.kind = Answer::Kind::kNxDomain;
      return out;
    }
    if (!result->havedata) {
      out.kind = Answer::Kind::kNoData;
      return out;
    }
    out.kind = Answer::Kind::kData;
    out.ttl = result->ttl;
    size_t total = 0;
    for (int i = 0; result->data[i] != nullptr; ++i) {
      total += static_cast<size_t>(result->len[i]);
      if (total > kMaxTxtBytes) break;
      out.rdata.emplace_back(result->data[i], static_cast<size_t>(result->len[i]));
    }
    return out;
  }

 private:
  ub_ctx* ctx_;
};

// --- libspf2: a DNS layer whose lookups go to libunbound. ---------------------------------

SPF_dns_rr_t* SpfLookup(SPF_dns_server_t* server, const char* domain, ns_type type, int) {
  Dns& dns = *static_cast<Dns*>(server->hook);
  const Answer answer = dns.Query(domain, static_cast<int>(type));
  const int herrno = answer.kind == Answer::Kind::kData       ? NETDB_SUCCESS
                     : answer.kind == Answer::Kind::kNoData   ? NO_DATA
                     : answer.kind == Answer::Kind::kNxDomain ? HOST_NOT_FOUND
                                                              : TRY_AGAIN;
  SPF_dns_rr_t* rr = SPF_dns_rr_new_init(server, domain, type, answer.ttl, herrno);
  if (rr == nullptr || answer.kind != Answer::Kind::kData) return rr;
  int n = 0;
  for (const std::string& data : answer.rdata) {
    switch (type) {
      case ns_t_a:
        if (data.size() != 4 || SPF_dns_rr_buf_realloc(rr, n, sizeof(in_addr)) != SPF_E_SUCCESS) {
          continue;
        }
        std::memcpy(&rr->rr[n]->a, data.data(), 4);
        break;
      case ns_t_aaaa:
        if (data.size() != 16 || SPF_dns_rr_buf_realloc(rr, n, sizeof(in6_addr)) != SPF_E_SUCCESS) {
          continue;
        }
        std::memcpy(&rr->rr[n]->aaaa, data.data(), 16);
        break;
      case ns_t_txt:
      case ns_t_spf: {
        const std::string text = TxtText(data);
        if (SPF_dns_rr_buf_realloc(rr, n, text.size() + 1) != SPF_E_SUCCESS) continue;
        std::memcpy(rr->rr[n]->txt, text.c_str(), text.size() + 1);
        break;
      }
      case ns_t_mx:
      case ns_t_ptr: {
        const auto name = WireName(data, type == ns_t_mx ? 2 : 0);
        if (!name || SPF_dns_rr_buf_realloc(rr, n, name->size() + 1) != SPF_E_SUCCESS) continue;
        std::memcpy(rr->rr[n]->ptr, name->c_str(), name->size() + 1);
        break;
      }
      default:
        continue;
    }
    ++n;
  }
  rr->num_rr = n;
  return rr;
}

std::string SpfResultName(SPF_result_t result) {
  switch (result) {
    case SPF_RESULT_PASS:
      return "pass";
    case SPF_RESULT_FAIL:
      return "fail";
    case SPF_RESULT_SOFTFAIL:
      return "softfail";
    case SPF_RESULT_NEUTRAL:
      return "neutral";
    case SPF_RESULT_NONE:
      return "none";
    case SPF_RESULT_TEMPERROR:
      return "temperror";
    case SPF_RESULT_PERMERROR:
      return "permerror";
    default:
      return "permerror";
  }
}

void CheckSpf(Dns& dns, std::string_view client, std::string_view helo, std::string_view mail_from,
              MailAuthentication& out) {
  std::string from(mail_from);
  if (from.empty()) {
    if (helo.empty()) return;  // nothing to check: "none"
    from = "postmaster@" + std::string(helo);
  }
  const size_t at = from.rfind('@');
  out.spf_domain = at == std::string::npos ? from : from.substr(at + 1);
  // The layer lives on this stack frame; destroy = nullptr tells libspf2 not to free it.
  SPF_dns_server_t layer{};
  layer.lookup = &SpfLookup;
  layer.name = "unbound";
  layer.hook = &dns;
  std::unique_ptr<SPF_server_t, SpfServerDeleter> server(SPF_server_new_dns(&layer, 0));
  if (!server) {
    out.spf = "temperror";
    return;
  }
  std::unique_ptr<SPF_request_t, SpfRequestDeleter> request(SPF_request_new(server.get()));
  const std::string client_text(client);
  const bool v6 = client_text.find(':') != std::string::npos;
  const SPF_errcode_t ip = v6 ? SPF_request_set_ipv6_str(request.get(), client_text.c_str())
                              : SPF_request_set_ipv4_str(request.get(), client_text.c_str());
  if (ip != SPF_E_SUCCESS || SPF_request_set_env_from(request.get(), from.c_str()) != 0) {
    out.spf = "permerror";
    return;
  }
  if (!helo.empty()) (void)SPF_request_set_helo_dom(request.get(), std::string(helo).c_str());
  SPF_response_t* raw = nullptr;
  (void)SPF_request_query_mailfrom(request.get(), &raw);
  std::unique_ptr<SPF_response_t, SpfResponseDeleter> response(raw);
  out.spf = response ? SpfResultName(SPF_response_result(response.get())) : "temperror";
}

// --- libopendkim: keys fetched through libunbound. ----------------------------------------

DKIM_CBSTAT DkimKeyLookup(DKIM* dkim, DKIM_SIGINFO* sig, u_char* buf, size_t buflen) {
  Dns& dns = *static_cast<Dns*>(dkim_get_user_context(dkim));
  const char* selector = reinterpret_cast<const char*>(dkim_sig_getselector(sig));
  const char* domain = reinterpret_cast<const char*>(dkim_sig_getdomain(sig));
  if (selector == nullptr || domain == nullptr) return DKIM_CBSTAT_ERROR;
  const Answer answer = dns.Query(fmt::format("{}._domainkey.{}", selector, domain), ns_t_txt);
  if (answer.kind == Answer::Kind::kTryAgain) return DKIM_CBSTAT_TRYAGAIN;
  if (answer.kind != Answer::Kind::kData || answer.rdata.empty()) return DKIM_CBSTAT_NOTFOUND;
  const std::string text = TxtText(answer.rdata.front());
  if (text.size() + 1 > buflen) return DKIM_CBSTAT_ERROR;
  std::memcpy(buf, text.c_str(), text.size() + 1);
  return DKIM_CBSTAT_CONTINUE;
}

void CheckDkim(Dns& dns, std::string_view message, MailAuthentication& out) {
  std::unique_ptr<DKIM_LIB, DkimLibDeleter> lib(dkim_init(nullptr, nullptr));
  if (!lib || dkim_set_key_lookup(lib.get(), &DkimKeyLookup) != DKIM_STAT_OK) {
    out.dkim = "temperror";
    return;
  }
  DKIM_STAT status = DKIM_STAT_OK;
  std::unique_ptr<DKIM, DkimDeleter> dkim(
      dkim_verify(lib.get(), reinterpret_cast<const unsigned char*>("inbound"), nullptr, &status));
  if (!dkim || status != DKIM_STAT_OK) {
    out.dkim = "temperror";
    return;
  }
  (void)dkim_set_user_context(dkim.get(), &dns);
  // libopendkim takes a non-const buffer but does not write to it.
  std::string copy(message);
  status = dkim_chunk(dkim.get(), reinterpret_cast<u_char*>(copy.data()), copy.size());
  if (status == DKIM_STAT_OK) status = dkim_chunk(dkim.get(), nullptr, 0);
  if (status == DKIM_STAT_OK || status == DKIM_STAT_NOSIG) status = dkim_eom(dkim.get(), nullptr);
  DKIM_SIGINFO* sig = dkim_getsignature(dkim.get());
  if (sig != nullptr && dkim_sig_getdomain(sig) != nullptr) {
    out.dkim_domain = reinterpret_cast<const char*>(dkim_sig_getdomain(sig));
  }
  if (status == DKIM_STAT_NOSIG || sig == nullptr) {
    out.dkim = "none";
  } else if (status == DKIM_STAT_OK && DKIM_SIG_CHECK(sig)) {
    out.dkim = "pass";
  } else if (status == DKIM_STAT_CBTRYAGAIN || status == DKIM_STAT_KEYFAIL) {
    out.dkim = "temperror";
  } else {
    out.dkim = "fail";
  }
}

class UnboundMailAuthenticator final : public MailAuthenticator {
 public:
  explicit UnboundMailAuthenticator(Result<UbCtxPtr> ctx) : ctx_(std::move(ctx)) {}

  MailAuthentication Check(std::string_view client_address, std::string_view helo,
                           std::string_view mail_from, std::string_view message) const override {
    MailAuthentication out;
    if (!ctx_.ok()) {
      out.spf = "temperror";
      out.dkim = "temperror";
      return out;
    }
    Dns dns(ctx_->get());
    CheckSpf(dns, client_address, helo, mail_from, out);
    CheckDkim(dns, message, out);
    return out;
  }

 private:
  // As before the context was shared: one that cannot be set up (say /etc/resolv.conf is
  // unreadable) makes every check a temperror rather than stopping the server.
  const Result<UbCtxPtr> ctx_;
};

}  // namespace

Result<std::unique_ptr<MailAuthenticator>> MakeMailAuthenticator(DnsResolverOptions options) {
  // The same checks as the MX resolver's (a malformed address fails here, not at each message).
  SP_RETURN_IF_ERROR(MakeUnboundMxResolver(options).status());
  // libunbound's context, made once: setting one up costs about a millisecond (mostly hashing
  // the trust anchors), which per message was a large share of the check.
  return std::unique_ptr<MailAuthenticator>(std::make_unique<UnboundMailAuthenticator>(
      internal::NewUnboundContext(options, internal::UnboundMode::kBlocking)));
}

}  // namespace sealpost::delivery
