// SPF (RFC 7208, libspf2) and DKIM (RFC 6376, libopendkim) for mail received from outside
// (app/inbound_mail.h), with every DNS query asked through libunbound configured as the MX
// resolver is (DnsResolverOptions: a forwarder or stub zones, e.g. the tests' private NSD).
//
// Neither library is given its own resolver: libspf2 gets a DNS layer whose lookups go to
// libunbound (its SPF_dns_server_t hook), libopendkim a key-lookup callback
// (dkim_set_key_lookup) that fetches <selector>._domainkey.<domain> TXT through libunbound.
// So both see the same answers, whatever /etc/resolv.conf says.
//
// Results are words shown to the member: SPF "pass", "fail", "softfail", "neutral", "none",
// "temperror", "permerror"; DKIM "pass", "fail", "none" (no signature), "temperror" (the key
// could not be fetched). The DKIM domain is d= of the first signature that passed, else of the
// first one.
//
// Thread-safety: Check may run on several threads at once. They share one libunbound context,
// made by MakeMailAuthenticator (libunbound's functions are thread-safe), and so its cache of
// answers, kept for their TTLs; each call makes its own libspf2 server and libopendkim handle.
//
// SECURITY: the message, the HELO name and MAIL FROM are untrusted (any SMTP client), DNS
// answers too. libopendkim bounds what it parses itself; TXT answers are cut at 64 KiB; at most
// one libunbound query is in flight at a time, each bounded by libunbound's own retry limits.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"
#include "delivery/mx_resolver.h"

namespace sealpost::delivery {

struct MailAuthentication {
  std::string spf = "none";
  std::string spf_domain;
  std::string dkim = "none";
  std::string dkim_domain;
};

class MailAuthenticator {
 public:
  virtual ~MailAuthenticator() = default;
  // `client_address`: the SMTP client's IP (textual); `helo` may be empty; `mail_from` empty
  // for the null reverse path (then SPF checks postmaster@<helo>, or says "none"). `message`:
  // the whole message, CRLF line ends.
  virtual MailAuthentication Check(std::string_view client_address, std::string_view helo,
                                   std::string_view mail_from, std::string_view message) const = 0;
};

// Checks the options as MakeUnboundMxResolver does and sets up the libunbound context; if that
// fails (an unreadable trust anchor file or /etc/resolv.conf), every check says "temperror".
Result<std::unique_ptr<MailAuthenticator>> MakeMailAuthenticator(DnsResolverOptions options);

}  // namespace sealpost::delivery
