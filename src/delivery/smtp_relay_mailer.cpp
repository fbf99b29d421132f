// SmtpRelayMailer: hands system mail to a configured SMTP relay (RFC 5321), over STARTTLS
// (RFC 3207) with certificate and host-name verification, optionally authenticating with
// AUTH PLAIN (RFC 4954). A small blocking client: one TCP connection per Send or SendBatch (a
// batch is one session: TLS and AUTH once, then one transaction per mail), one command at a time
// (no PIPELINING), and a mail counts as sent only once the relay answered 250 to the end of its
// DATA, i.e. once the relay has taken responsibility for the message.
//
// Thread-safety: Send and SendBatch may be called from several threads at once; each call has
// its own connection and the object holds no mutable state.
//
// SECURITY: everything the relay sends is untrusted input. Reply lines are bounded (1000 octets,
// 100 lines per reply, one deadline per reply) and parsed strictly (smtp_reply.h); reply text only
// ever reaches a Status message after being reduced to printable ASCII and truncated, so it cannot
// forge log lines. Bytes the relay sends after its answer to STARTTLS (a plaintext injection, cf.
// CVE-2011-0411) abort the session. The TLS peer is verified against `ca_file` (or the system
// store) and the configured host name or IP address; TLS 1.2 is the minimum. Credentials are sent
// only over a verified TLS session, never after a failed or absent STARTTLS, and the AUTH line is
// wiped from memory after use; no Status message contains it. What we send is built only from
// validated values (EmailAddress, the checked HELO name) and a dot-stuffed, CRLF-normalised body,
// so neither mail content nor configuration can inject SMTP commands. SIGPIPE is blocked for the
// calling thread while a session runs, so a relay hanging up mid-write cannot kill the process.
#include <chrono>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <openssl/crypto.h>
#include <openssl/ssl.h>

#include "core/encoding.h"
#include "crypto/openssl_error.h"
#include "delivery/internal/smtp_session.h"
#include "delivery/mailer.h"
#include "delivery/smtp_reply.h"

namespace sealpost::delivery {
namespace {

using internal::EncodeData;
using internal::IsValidHeloName;
using internal::SigpipeBlock;
using internal::SmtpConnection;
using internal::SslCtxPtr;

// Wipes a string that held credentials before its memory is released.
class ScopedWipe final {
 public:
  explicit ScopedWipe(std::string& s) : s_(s) {}
  ~ScopedWipe() {
    if (!s_.empty()) OPENSSL_cleanse(s_.data(), s_.size());
  }
  ScopedWipe(const ScopedWipe&) = delete;
  ScopedWipe& operator=(const ScopedWipe&) = delete;

 private:
  std::string& s_;
};

// The addr-spec of "Display Name <addr>" or of a bare address.
Result<EmailAddress> EnvelopeSender(std::string_view from) {
  const size_t open = from.rfind('<');
  if (open != std::string_view::npos) {
    const size_t close = from.find('>', open);
    if (close == std::string_view::npos || from.find_first_not_of(' ', close + 1) != from.npos) {
      return InvalidArgument("mail relay: from_address has an unterminated <address>");
    }
    from = from.substr(open + 1, close - open - 1);
  } else {
    while (!from.empty() && from.front() == ' ') from.remove_prefix(1);
    while (!from.empty() && from.back() == ' ') from.remove_suffix(1);
  }
  Result<EmailAddress> address = EmailAddress::Parse(from);
  if (!address.ok()) {
    return InvalidArgument("mail relay: from_address: " + address.status().message());
  }
  return address;
}

// ---------------------------------------------------------------------------------------------
// The SMTP dialogue.

class SmtpRelayMailer final : public Mailer {
 public:
  SmtpRelayMailer(const platform::Clock& clock, platform::Rng& rng, SmtpRelayOptions options)
      : clock_(clock), rng_(rng), options_(std::move(options)) {}
  ~SmtpRelayMailer() override {
    if (!options_.password.empty()) {
      OPENSSL_cleanse(options_.password.data(), options_.password.size());
    }
  }
  SmtpRelayMailer(const SmtpRelayMailer&) = delete;
  SmtpRelayMailer& operator=(const SmtpRelayMailer&) = delete;

  Status Send(const OutgoingMail& mail) override {
    return SendBatch(std::span<const OutgoingMail>(&mail, 1)).front();
  }

  // One session for the whole batch: connect, STARTTLS and AUTH once, then one transaction per
  // mail (MAIL FROM, RCPT TO, DATA); after a refused transaction RSET, then the next. Each mail
  // gets its own outcome, exactly as Send would give it. A connection lost before a mail's DATA
  // was sent costs that mail nothing: the rest go on over a new session (a few times per batch).
  // A mail whose DATA was sent but whose answer never came is Unavailable (retried later: the
  // relay may have it; it keeps its Message-ID) and is not sent again in this call.
  std::vector<Status> SendBatch(std::span<const OutgoingMail> mails) override {
    return Run(mails, nullptr);
  }

  // The same; each mail the relay took gets {host, its reply to the end of DATA}.
  std::vector<Status> SendBatchWithHandoffs(std::span<const OutgoingMail> mails,
                                            std::vector<MailHandoff>& handoffs) override {
    handoffs.assign(mails.size(), MailHandoff{});
    return Run(mails, &handoffs);
  }

 private:
  static constexpr int kMaxSessionsPerBatch = 3;

  std::vector<Status> Run(std::span<const OutgoingMail> mails, std::vector<MailHandoff>* handoffs) {
    std::vector<Status> results(mails.size(), Status::Ok());
    const auto fail_all = [&](const Status& s, size_t from_index = 0) {
      for (size_t i = from_index; i < results.size(); ++i) results[i] = s;
      return results;
    };
    if (Status s = ValidateSmtpRelayOptions(options_); !s.ok()) return fail_all(s);
    Result<EmailAddress> from = EnvelopeSender(options_.from_address);
    if (!from.ok()) return fail_all(from.status());

    struct Prepared {
      size_t index;
      std::string data;
      bool eight_bit = false;
      std::optional<EmailAddress> envelope_sender;  // the mail's own (a bounce address)
    };
    std::vector<Prepared> prepared;
    prepared.reserve(mails.size());
    for (size_t i = 0; i < mails.size(); ++i) {
      const OutgoingMail& mail = mails[i];
      const std::string id =
          mail.message_id.empty() ? platform::NewId<MessageId>(rng_).str() : mail.message_id;
      Result<std::string> message =
          RenderSignedMessage(mail, options_.from_address, id + "@" + std::string(from->domain()),
                              mail.written_at.value_or(clock_.Now()), options_.dkim.get());
      if (!message.ok()) {
        results[i] = message.status();
        continue;
      }
      Prepared p{i, {}, false, std::nullopt};
      if (!mail.envelope_sender.empty()) {
        Result<EmailAddress> sender = EmailAddress::Parse(mail.envelope_sender);
        if (!sender.ok()) {
          results[i] = InvalidArgument("the mail's envelope sender is not an address");
          continue;
        }
        p.envelope_sender = *std::move(sender);
      }
      Result<std::string> data = EncodeData(*message, &p.eight_bit);
      if (!data.ok()) {
        results[i] = data.status();
        continue;
      }
      p.data = *std::move(data);
      prepared.push_back(std::move(p));
    }

    const SigpipeBlock no_sigpipe;
    size_t next = 0;
    for (int session = 0; next < prepared.size(); ++session) {
      if (session == kMaxSessionsPerBatch) {
        const Status lost = Unavailable("mail relay: connection lost repeatedly; retrying later");
        for (; next < prepared.size(); ++next) results[prepared[next].index] = lost;
        break;
      }
      Result<std::unique_ptr<SmtpConnection>> conn =
          SmtpConnection::Connect(options_.host, options_.port, options_.timeout, "mail relay");
      if (!conn.ok()) {
        for (; next < prepared.size(); ++next) results[prepared[next].index] = conn.status();
        break;
      }
      SmtpConnection& c = **conn;
      Result<SmtpExtensions> ext = OpenSession(c);
      if (!ext.ok()) {
        for (; next < prepared.size(); ++next) results[prepared[next].index] = ext.status();
        c.Quit();
        break;
      }
      while (next < prepared.size()) {
        const Prepared& p = prepared[next];
        bool data_sent = false;
        std::string reply;
        const Status st =
            MailTransaction(c, *ext, p.envelope_sender ? *p.envelope_sender : *from,
                            mails[p.index].to, p.data, p.eight_bit, &data_sent, &reply);
        if (c.broken() && !data_sent) break;  // nothing of this mail was taken: a new session
        results[p.index] = st;
        if (st.ok() && handoffs != nullptr) {
          // Summary(): printable ASCII, bounded (the relay's text is untrusted).
          (*handoffs)[p.index] = {SmtpPrintable(options_.host), std::move(reply)};
        }
        ++next;
        if (c.broken()) break;
        if (!st.ok() && next < prepared.size()) {
          // The session lives on after a refusal: clear the transaction for the next mail. A
          // relay that closes (421) or will not reset is left for a new session.
          if (!c.WriteLine("RSET").ok() || !c.Expect("RSET", 250).ok()) {
            c.Abandon();
            break;
          }
        }
      }
      c.Quit();
    }
    return results;
  }

  // Greeting, EHLO, STARTTLS (+ EHLO again) and AUTH: what every mail of a session shares.
  Result<SmtpExtensions> OpenSession(SmtpConnection& conn) {
    SP_RETURN_IF_ERROR(conn.Expect("the connection", 220));
    SP_ASSIGN_OR_RETURN(SmtpExtensions ext, conn.Ehlo(options_.helo_name));

    const bool tls_required =
        options_.tls == SmtpRelayOptions::Tls::kRequired || !options_.username.empty();
    if (ext.starttls) {
      SP_ASSIGN_OR_RETURN(
          const SslCtxPtr ctx,
          internal::MakeClientTlsContext(options_.ca_file, /*verify_chain=*/true, "mail relay"));
      const bool ip = internal::IsIpLiteral(options_.host);
      SP_ASSIGN_OR_RETURN(
          ext,
          conn.StartTls(ctx.get(), {.sni = ip ? "" : options_.host, .verify_for = options_.host},
                        options_.helo_name));
    } else if (tls_required) {
      return Unavailable(
          options_.username.empty()
              ? "relay does not offer STARTTLS"
              : "relay does not offer STARTTLS; credentials are never sent in clear");
    }

    if (!options_.username.empty()) {
      if (!conn.tls()) return Internal("mail relay: refusing to authenticate without TLS");
      if (!ext.auth_plain) return Unavailable("mail relay does not offer AUTH PLAIN");
      std::string credentials;
      const ScopedWipe wipe_credentials(credentials);
      credentials.reserve(options_.username.size() + options_.password.size() + 2);
      credentials += '\0';
      credentials += options_.username;
      credentials += '\0';
      credentials += options_.password;
      std::string encoded = Base64Encode(AsBytes(credentials));
      const ScopedWipe wipe_encoded(encoded);
      std::string command;
      const ScopedWipe wipe_command(command);
      command.reserve(encoded.size() + 16);  // no reallocation: no unwiped copy left behind
      command += "AUTH PLAIN ";
      command += encoded;
      command += "\r\n";
      SP_RETURN_IF_ERROR(conn.Write(command));
      SP_RETURN_IF_ERROR(conn.Expect("AUTH", 235));
    }
    return ext;
  }

  // One mail: MAIL FROM, RCPT TO, DATA. `*data_sent` tells whether the message went out (after
  // that, a lost connection leaves it unknown whether the relay took it); `*final_reply` gets
  // the relay's answer to the end of DATA.
  static Status MailTransaction(SmtpConnection& conn, const SmtpExtensions& ext,
                                const EmailAddress& from, const EmailAddress& to,
                                const std::string& data, bool eight_bit, bool* data_sent,
                                std::string* final_reply) {
    Status rcpt = Status::Ok();
    const Status st = internal::MailTransaction(conn, ext, from, std::span(&to, 1), data, eight_bit,
                                                std::span(&rcpt, 1), data_sent, final_reply);
    return rcpt.ok() ? st : rcpt;
  }

  const platform::Clock& clock_;
  platform::Rng& rng_;
  SmtpRelayOptions options_;  // not modified after construction (the password is wiped at the end)
};

}  // namespace

Status ValidateSmtpRelayOptions(const SmtpRelayOptions& options) {
  const auto bad = [](std::string_view what) {
    return InvalidArgument(fmt::format("mail relay: {}", what));
  };
  if (options.host.empty() || options.host.size() > 253) return bad("host must be 1 to 253 bytes");
  for (const char c : options.host) {
    if (c <= 0x20 || c >= 0x7f) return bad("host contains a space or control character");
  }
  if (options.port == 0) return bad("port must not be 0");
  if (!IsValidHeloName(options.helo_name)) {
    return bad("helo_name must be a domain name or an address literal");
  }
  if (options.timeout.count() <= 0) return bad("timeout must be positive");
  if (options.username.find('\0') != std::string::npos ||
      options.password.find('\0') != std::string::npos) {
    return bad("username and password must not contain NUL");
  }
  if (options.username.empty() && !options.password.empty()) {
    return bad("a password is set without a username");
  }
  for (const char c : options.from_address) {
    if (c == '\r' || c == '\n' || c == '\0') return bad("from_address contains a line break");
  }
  return EnvelopeSender(options.from_address).status();
}

std::unique_ptr<Mailer> MakeSmtpRelayMailer(const platform::Clock& clock, platform::Rng& rng,
                                            SmtpRelayOptions options) {
  return std::make_unique<SmtpRelayMailer>(clock, rng, std::move(options));
}

}  // namespace sealpost::delivery
