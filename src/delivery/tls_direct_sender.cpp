// MakeTlsDirectSender (tls_direct_sender.h): MX hosts in order, each address in order; on each,
// greeting, EHLO, STARTTLS with the partner's check, EHLO again, then one transaction for all
// recipients. A host that cannot be reached or fails any TLS requirement is skipped for the next
// (RFC 5321 §5.1; RFC 7672 §2.2 does the same for DANE failures); the first host that completes
// TLS speaks for the domain, so its SMTP replies are final for this attempt.
#include "delivery/tls_direct_sender.h"

#include <algorithm>
#include <utility>

#include <fmt/format.h>
#include <openssl/crypto.h>
#include <openssl/x509.h>

#include "core/encoding.h"
#include "crypto/hash.h"
#include "delivery/internal/smtp_session.h"
#include "delivery/smtp_reply.h"

namespace sealpost::delivery {
namespace {

using internal::SmtpConnection;

constexpr size_t kMaxReasons = 3;  // host failures quoted in a reason

// The SHA-256 of the certificate's DER SubjectPublicKeyInfo (the pin input of RFC 7469 §2.4 and
// of DANE selector 1 matching type 1).
Result<SpkiSha256> SpkiHash(X509* cert) {
  unsigned char* der = nullptr;
  const int len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &der);
  if (len <= 0) return Internal("cannot encode the peer's public key");
  const std::unique_ptr<unsigned char, void (*)(unsigned char*)> owned(
      der, [](unsigned char* p) { OPENSSL_free(p); });
  return crypto::Sha256(ByteView(der, static_cast<size_t>(len)));
}

struct Target {
  std::string name;                  // host name (or IP) the certificate is checked for
  std::vector<std::string> connect;  // what to connect to: IP literals, or the name itself
  uint16_t port = 25;
};

// How one host attempt ended.
enum class HostOutcome { kTryNext, kFinal };

class TlsDirectSenderImpl final : public TlsDirectSender {
 public:
  TlsDirectSenderImpl(std::shared_ptr<const MxResolver> resolver, TlsDirectOptions options)
      : resolver_(std::move(resolver)), options_(std::move(options)) {}

  TlsDeliveryResult Deliver(const TlsPartnerPolicy& policy,
                            const TlsDirectMessage& message) const override {
    TlsDeliveryResult result;
    result.recipients.resize(message.recipients.size());
    const auto fail_all = [&](TlsDeliveryOutcome outcome, std::string reason) {
      result.outcome = outcome;
      for (TlsRecipientResult& r : result.recipients) r = {outcome, reason};
      result.reason = std::move(reason);
      return result;
    };
    const auto permanent = [&](const Status& s) {
      return fail_all(TlsDeliveryOutcome::kPermanent, s.message());
    };

    if (Status s = ValidateTlsPartnerPolicy(policy); !s.ok()) return permanent(s);
    if (message.recipients.empty() || message.recipients.size() > kMaxTlsDirectRecipients) {
      return permanent(InvalidArgument(
          fmt::format("a message needs 1 to {} recipients", kMaxTlsDirectRecipients)));
    }
    for (const EmailAddress& to : message.recipients) {
      Result<std::string> d = NormalizeDomainName(to.domain());
      if (!d.ok() || *d != policy.domain) {
        return permanent(InvalidArgument(fmt::format("recipient {} is not in the partner domain {}",
                                                     SmtpPrintable(to.str(), 100), policy.domain)));
      }
    }
    if (message.raw.size() > kMaxTlsDirectMessageBytes) {
      return permanent(InvalidArgument(
          fmt::format("message is larger than {} bytes", kMaxTlsDirectMessageBytes)));
    }
    bool eight_bit = false;
    Result<std::string> data = internal::EncodeData(message.raw, &eight_bit);
    if (!data.ok()) return permanent(data.status());

    // Where to go.
    std::vector<Target> targets;
    if (!policy.override_host.empty()) {
      targets.push_back({policy.override_host,
                         {policy.override_host},
                         policy.override_port != 0 ? policy.override_port : options_.mx_port});
    } else {
      if (!resolver_) return permanent(Internal("no DNS resolver configured for MX lookups"));
      Result<MxLookup> mx = resolver_->Lookup(policy.domain);
      if (!mx.ok()) {
        return fail_all(mx.status().code() == ErrorCode::kUnavailable
                            ? TlsDeliveryOutcome::kTransient
                            : TlsDeliveryOutcome::kPermanent,
                        mx.status().message());
      }
      result.dnssec = mx->dnssec;
      for (MxHost& h : mx->hosts) {
        targets.push_back({std::move(h.name), std::move(h.addresses), options_.mx_port});
      }
    }

    Result<internal::SslCtxPtr> ctx = internal::MakeClientTlsContext(
        options_.ca_file, /*verify_chain=*/policy.mode == TlsPartnerMode::kVerify, "TLS delivery");
    if (!ctx.ok()) return fail_all(TlsDeliveryOutcome::kTransient, ctx.status().message());

    const internal::SigpipeBlock no_sigpipe;
    std::vector<std::string> host_failures;
    for (const Target& target : targets) {
      for (const std::string& address : target.connect) {
        std::string failure;
        const HostOutcome how = TryHost(policy, target, address, ctx->get(), message, *data,
                                        eight_bit, result, &failure);
        if (how == HostOutcome::kFinal) return result;
        host_failures.push_back(std::move(failure));
      }
    }
    std::string reason;
    for (size_t i = 0; i < host_failures.size() && i < kMaxReasons; ++i) {
      if (i > 0) reason += "; ";
      reason += host_failures[i];
    }
    if (host_failures.size() > kMaxReasons) {
      reason += fmt::format("; and {} more", host_failures.size() - kMaxReasons);
    }
    return fail_all(TlsDeliveryOutcome::kTransient, reason);
  }

 private:
  // One host address. kTryNext with `*failure` set when the host could not be used (unreachable,
  // no STARTTLS, TLS not good enough, refused the session); kFinal once a transaction ran
  // (whatever its outcome, `result` is filled in).
  HostOutcome TryHost(const TlsPartnerPolicy& policy, const Target& target,
                      const std::string& address, SSL_CTX* ctx, const TlsDirectMessage& message,
                      const std::string& data, bool eight_bit, TlsDeliveryResult& result,
                      std::string* failure) const {
    const std::string peer = SmtpPrintable(target.name, 100);
    result.host = peer;
    Result<std::unique_ptr<SmtpConnection>> conn =
        SmtpConnection::Connect(address, target.port, options_.timeout, peer);
    if (!conn.ok()) {
      *failure = conn.status().message();
      return HostOutcome::kTryNext;
    }
    SmtpConnection& c = **conn;
    const auto skip = [&](std::string why) {
      *failure = std::move(why);
      c.Quit();
      return HostOutcome::kTryNext;
    };
    if (Status s = c.Expect("the connection", 220); !s.ok()) return skip(s.message());
    Result<SmtpExtensions> ext = c.Ehlo(options_.helo_name);
    if (!ext.ok()) return skip(ext.status().message());
    if (!ext->starttls) return skip(fmt::format("TLS required: {} offered no STARTTLS", peer));

    internal::TlsPeerCheck check;
    check.sni = internal::IsIpLiteral(target.name) ? "" : target.name;
    if (policy.mode == TlsPartnerMode::kVerify) {
      check.verify_for = target.name;
    } else {
      check.check_leaf = [&](X509* leaf) -> Status {
        if (leaf == nullptr) return Unavailable(fmt::format("{} sent no certificate", peer));
        SP_ASSIGN_OR_RETURN(const SpkiSha256 got, SpkiHash(leaf));
        for (const SpkiSha256& pin : policy.pins) {
          if (CRYPTO_memcmp(pin.data(), got.data(), got.size()) == 0) return Status::Ok();
        }
        return Unavailable(
            fmt::format("the key of {} matches none of the {} configured pins (its SPKI SHA-256 "
                        "is {})",
                        peer, policy.pins.size(), Base64Encode(ByteView(got.data(), got.size()))));
      };
    }
    Result<SmtpExtensions> tls_ext = c.StartTls(ctx, check, options_.helo_name);
    if (!tls_ext.ok()) return skip("TLS required: " + tls_ext.status().message());
    result.tls_version = c.tls_version();

    std::vector<Status> rcpt(message.recipients.size(), Status::Ok());
    bool data_sent = false;
    std::string final_reply;
    const Status st =
        internal::MailTransaction(c, *tls_ext, message.envelope_from, message.recipients, data,
                                  eight_bit, rcpt, &data_sent, &final_reply);
    if (c.broken() && !data_sent) {
      *failure = st.message();  // lost before the body went out: nothing was taken
      return HostOutcome::kTryNext;
    }
    c.Quit();

    const auto classify = [](const Status& s) {
      return s.code() == ErrorCode::kUnavailable ? TlsDeliveryOutcome::kTransient
                                                 : TlsDeliveryOutcome::kPermanent;
    };
    bool any_transient = false;
    bool all_delivered = true;
    for (size_t i = 0; i < rcpt.size(); ++i) {
      TlsRecipientResult& r = result.recipients[i];
      if (!rcpt[i].ok()) {
        r = {classify(rcpt[i]), rcpt[i].message()};
      } else if (!st.ok()) {
        // A connection lost after the body went out: the server may have it. Transient (the
        // queue retries; the receiver may see it twice).
        r = {data_sent && c.broken() ? TlsDeliveryOutcome::kTransient : classify(st), st.message()};
      } else {
        r = {TlsDeliveryOutcome::kDelivered, ""};
      }
      all_delivered = all_delivered && r.outcome == TlsDeliveryOutcome::kDelivered;
      any_transient = any_transient || r.outcome == TlsDeliveryOutcome::kTransient;
    }
    if (all_delivered) {
      result.outcome = TlsDeliveryOutcome::kDelivered;
      result.reply = final_reply;
    } else {
      result.outcome =
          any_transient ? TlsDeliveryOutcome::kTransient : TlsDeliveryOutcome::kPermanent;
      result.reason = !st.ok() ? st.message() : "some recipients were refused";
      if (st.ok()) result.reply = final_reply;
    }
    return HostOutcome::kFinal;
  }

  std::shared_ptr<const MxResolver> resolver_;
  TlsDirectOptions options_;
};

}  // namespace

std::string_view TlsDeliveryOutcomeName(TlsDeliveryOutcome outcome) {
  switch (outcome) {
    case TlsDeliveryOutcome::kDelivered:
      return "delivered";
    case TlsDeliveryOutcome::kPermanent:
      return "permanent failure";
    case TlsDeliveryOutcome::kTransient:
      break;
  }
  return "transient failure";
}

Result<std::unique_ptr<TlsDirectSender>> MakeTlsDirectSender(
    std::shared_ptr<const MxResolver> resolver, TlsDirectOptions options) {
  if (!internal::IsValidHeloName(options.helo_name)) {
    return InvalidArgument("tls delivery: helo_name must be a domain name or an address literal");
  }
  if (options.timeout.count() <= 0)
    return InvalidArgument("tls delivery: timeout must be positive");
  if (options.mx_port == 0) return InvalidArgument("tls delivery: port must not be 0");
  return std::unique_ptr<TlsDirectSender>(
      std::make_unique<TlsDirectSenderImpl>(std::move(resolver), std::move(options)));
}

}  // namespace sealpost::delivery
