// MakeTlsDirectSender (tls_direct_sender.h): MX hosts in order, each address in order; on each,
// greeting, EHLO, STARTTLS with the partner's check, EHLO again, then one transaction per message
// (for all its recipients). A host that cannot be reached or fails any TLS requirement is skipped
// for the next (RFC 5321 §5.1; RFC 7672 §2.2 does the same for DANE failures); a host that
// completes TLS speaks for the domain, so its SMTP replies are final for the messages it took
// in this attempt.
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

// One message of a batch, ready for DATA.
struct PreparedMessage {
  size_t index;  // into the batch
  std::string data;
  bool eight_bit = false;
};

TlsDeliveryOutcome Classify(const Status& s) {
  return s.code() == ErrorCode::kUnavailable ? TlsDeliveryOutcome::kTransient
                                             : TlsDeliveryOutcome::kPermanent;
}

class TlsDirectSenderImpl final : public TlsDirectSender {
 public:
  TlsDirectSenderImpl(std::shared_ptr<const MxResolver> resolver, TlsDirectOptions options)
      : resolver_(std::move(resolver)), options_(std::move(options)) {}

  TlsDeliveryResult Deliver(const TlsPartnerPolicy& policy,
                            const TlsDirectMessage& message) const override {
    return DeliverBatch(policy, std::span<const TlsDirectMessage>(&message, 1)).front();
  }

  std::vector<TlsDeliveryResult> DeliverBatch(
      const TlsPartnerPolicy& policy, std::span<const TlsDirectMessage> messages) const override {
    std::vector<TlsDeliveryResult> results(messages.size());
    for (size_t i = 0; i < messages.size(); ++i) {
      results[i].recipients.resize(messages[i].recipients.size());
    }
    const auto fail = [&](size_t i, TlsDeliveryOutcome outcome, const std::string& reason) {
      TlsDeliveryResult& r = results[i];
      r.outcome = outcome;
      for (TlsRecipientResult& each : r.recipients) each = {outcome, reason};
      r.reason = reason;
    };
    // Every message not yet finished (`pending` from `next` on) gets `outcome`.
    std::vector<PreparedMessage> pending;
    size_t next = 0;
    const auto fail_pending = [&](TlsDeliveryOutcome outcome, const std::string& reason) {
      for (; next < pending.size(); ++next) fail(pending[next].index, outcome, reason);
      return results;
    };

    if (Status s = ValidateTlsPartnerPolicy(policy); !s.ok()) {
      for (size_t i = 0; i < messages.size(); ++i) {
        fail(i, TlsDeliveryOutcome::kPermanent, s.message());
      }
      return results;
    }
    if (messages.size() > kMaxTlsDirectBatch) {
      const std::string why = fmt::format("at most {} messages per session", kMaxTlsDirectBatch);
      for (size_t i = 0; i < messages.size(); ++i) fail(i, TlsDeliveryOutcome::kPermanent, why);
      return results;
    }
    for (size_t i = 0; i < messages.size(); ++i) {
      Result<PreparedMessage> p = Prepare(policy, messages[i], i);
      if (!p.ok()) {
        fail(i, TlsDeliveryOutcome::kPermanent, p.status().message());
      } else {
        pending.push_back(*std::move(p));
      }
    }
    if (pending.empty()) return results;

    // Where to go.
    std::vector<Target> targets;
    DnssecState dnssec = DnssecState::kInsecure;
    if (!policy.override_host.empty()) {
      targets.push_back({policy.override_host,
                         {policy.override_host},
                         policy.override_port != 0 ? policy.override_port : options_.mx_port});
    } else {
      if (!resolver_) {
        return fail_pending(TlsDeliveryOutcome::kPermanent,
                            Internal("no DNS resolver configured for MX lookups").message());
      }
      Result<MxLookup> mx = resolver_->Lookup(policy.domain);
      if (!mx.ok()) {
        return fail_pending(Classify(mx.status()), mx.status().message());
      }
      dnssec = mx->dnssec;
      for (MxHost& h : mx->hosts) {
        targets.push_back({std::move(h.name), std::move(h.addresses), options_.mx_port});
      }
    }
    for (TlsDeliveryResult& r : results) r.dnssec = dnssec;

    Result<internal::SslCtxPtr> ctx = internal::MakeClientTlsContext(
        options_.ca_file, /*verify_chain=*/policy.mode == TlsPartnerMode::kVerify, "TLS delivery");
    if (!ctx.ok()) return fail_pending(TlsDeliveryOutcome::kTransient, ctx.status().message());

    const internal::SigpipeBlock no_sigpipe;
    std::vector<std::string> host_failures;
    for (const Target& target : targets) {
      for (const std::string& address : target.connect) {
        if (next == pending.size()) return results;
        std::string failure;
        RunSession(policy, target, address, ctx->get(), messages, pending, next, results, &failure);
        if (!failure.empty()) host_failures.push_back(std::move(failure));
      }
    }
    if (next == pending.size()) return results;
    std::string reason;
    for (size_t i = 0; i < host_failures.size() && i < kMaxReasons; ++i) {
      if (i > 0) reason += "; ";
      reason += host_failures[i];
    }
    if (host_failures.size() > kMaxReasons) {
      reason += fmt::format("; and {} more", host_failures.size() - kMaxReasons);
    }
    return fail_pending(TlsDeliveryOutcome::kTransient, reason);
  }

 private:
  // What the sender refuses before connecting (permanent), else the DATA payload.
  static Result<PreparedMessage> Prepare(const TlsPartnerPolicy& policy,
                                         const TlsDirectMessage& message, size_t index) {
    if (message.recipients.empty() || message.recipients.size() > kMaxTlsDirectRecipients) {
      return InvalidArgument(
          fmt::format("a message needs 1 to {} recipients", kMaxTlsDirectRecipients));
    }
    for (const EmailAddress& to : message.recipients) {
      Result<std::string> d = NormalizeDomainName(to.domain());
      if (!d.ok() || *d != policy.domain) {
        return InvalidArgument(fmt::format("recipient {} is not in the partner domain {}",
                                           SmtpPrintable(to.str(), 100), policy.domain));
      }
    }
    if (message.raw.size() > kMaxTlsDirectMessageBytes) {
      return InvalidArgument(
          fmt::format("message is larger than {} bytes", kMaxTlsDirectMessageBytes));
    }
    PreparedMessage p{index, {}, false};
    SP_ASSIGN_OR_RETURN(p.data, internal::EncodeData(message.raw, &p.eight_bit));
    return p;
  }

  // One session with one host address: greeting, EHLO, STARTTLS with the partner's check, EHLO
  // again, then one transaction per pending message from `next` on, each finishing its message
  // (whatever its outcome, its result is filled in). Returns with `*failure` set when the host
  // could not be used (unreachable, no STARTTLS, TLS not good enough, refused the session) or the
  // session was lost before a message's body went out: the messages from `next` on are left to
  // the next host.
  void RunSession(const TlsPartnerPolicy& policy, const Target& target, const std::string& address,
                  SSL_CTX* ctx, std::span<const TlsDirectMessage> messages,
                  const std::vector<PreparedMessage>& pending, size_t& next,
                  std::vector<TlsDeliveryResult>& results, std::string* failure) const {
    const std::string peer = SmtpPrintable(target.name, 100);
    for (size_t k = next; k < pending.size(); ++k) results[pending[k].index].host = peer;
    Result<std::unique_ptr<SmtpConnection>> conn =
        SmtpConnection::Connect(address, target.port, options_.timeout, peer);
    if (!conn.ok()) {
      *failure = conn.status().message();
      return;
    }
    SmtpConnection& c = **conn;
    const auto skip = [&](std::string why) {
      *failure = std::move(why);
      c.Quit();
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
    const std::string tls_version = c.tls_version();

    while (next < pending.size()) {
      const PreparedMessage& p = pending[next];
      const TlsDirectMessage& message = messages[p.index];
      std::vector<Status> rcpt(message.recipients.size(), Status::Ok());
      bool data_sent = false;
      std::string final_reply;
      const Status st =
          internal::MailTransaction(c, *tls_ext, message.envelope_from, message.recipients, p.data,
                                    p.eight_bit, rcpt, &data_sent, &final_reply);
      if (c.broken() && !data_sent) {
        *failure = st.message();  // lost before the body went out: nothing of it was taken
        return;
      }
      TlsDeliveryResult& result = results[p.index];
      result.tls_version = tls_version;
      bool any_transient = false;
      bool all_delivered = true;
      for (size_t i = 0; i < rcpt.size(); ++i) {
        TlsRecipientResult& r = result.recipients[i];
        if (!rcpt[i].ok()) {
          r = {Classify(rcpt[i]), rcpt[i].message()};
        } else if (!st.ok()) {
          // A connection lost after the body went out: the server may have it. Transient (the
          // queue retries; the receiver may see it twice).
          r = {data_sent && c.broken() ? TlsDeliveryOutcome::kTransient : Classify(st),
               st.message()};
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
      ++next;
      if (c.broken()) {
        *failure = st.message();
        return;
      }
      if (!all_delivered && next < pending.size()) {
        // The session lives on after a refusal: clear the transaction for the next message. A
        // server that closes (421) or will not reset is left for the next host.
        if (!c.WriteLine("RSET").ok() || !c.Expect("RSET", 250).ok()) {
          c.Abandon();
          *failure = fmt::format("{} did not accept RSET", peer);
          return;
        }
      }
    }
    c.Quit();
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
