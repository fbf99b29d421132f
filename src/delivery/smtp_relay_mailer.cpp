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
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "core/encoding.h"
#include "crypto/openssl_error.h"
#include "delivery/mailer.h"
#include "delivery/smtp_reply.h"

namespace sealpost::delivery {
namespace {

using SteadyClock = std::chrono::steady_clock;
using Deadline = SteadyClock::time_point;

constexpr size_t kMaxDataLineOctets = 998;  // RFC 5321 §4.5.3.1.6 without the CRLF
constexpr auto kQuitTimeout = std::chrono::seconds(5);

// ---------------------------------------------------------------------------------------------
// Small RAII wrappers.

struct SslCtxDeleter {
  void operator()(SSL_CTX* p) const { SSL_CTX_free(p); }
};
struct SslDeleter {
  void operator()(SSL* p) const { SSL_free(p); }
};
using SslCtxPtr = std::unique_ptr<SSL_CTX, SslCtxDeleter>;
using SslPtr = std::unique_ptr<SSL, SslDeleter>;

class Fd final {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&&) = delete;
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

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

// Blocks SIGPIPE for this thread while alive; a SIGPIPE raised meanwhile by a write to a closed
// socket (OpenSSL writes with write(2), which has no MSG_NOSIGNAL) is consumed before unblocking.
class SigpipeBlock final {
 public:
  SigpipeBlock() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    sigset_t pending;
    sigemptyset(&pending);
    sigpending(&pending);
    was_pending_ = sigismember(&pending, SIGPIPE) == 1;
    pthread_sigmask(SIG_BLOCK, &pipe_, &old_);
  }
  ~SigpipeBlock() {
    if (!was_pending_) {
      sigset_t pending;
      sigemptyset(&pending);
      sigpending(&pending);
      if (sigismember(&pending, SIGPIPE) == 1) {
        const timespec zero{};
        while (sigtimedwait(&pipe_, nullptr, &zero) < 0 && errno == EINTR) {
        }
      }
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  SigpipeBlock(const SigpipeBlock&) = delete;
  SigpipeBlock& operator=(const SigpipeBlock&) = delete;

 private:
  sigset_t pipe_;
  sigset_t old_;
  bool was_pending_ = false;
};

// ---------------------------------------------------------------------------------------------
// Text helpers.

bool IsIpLiteral(const std::string& host) {
  in6_addr addr6;
  in_addr addr4;
  return inet_pton(AF_INET, host.c_str(), &addr4) == 1 ||
         inet_pton(AF_INET6, host.c_str(), &addr6) == 1;
}

// A HELO/EHLO argument: a domain name or an address literal, nothing that could end the command.
bool IsValidHeloName(std::string_view s) {
  if (s.empty() || s.size() > 255) return false;
  if (s.front() == '[') {
    if (s.back() != ']' || s.size() < 3) return false;
    for (const char c : s.substr(1, s.size() - 2)) {
      const bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') ||
                      c == '.' || c == ':' || c == 'v' || c == 'V';
      if (!ok) return false;
    }
    return true;
  }
  for (const char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '.';
    if (!ok) return false;
  }
  return true;
}

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

// The DATA payload: CRLF line ends (a bare LF becomes CRLF, a stray CR is dropped), leading dots
// doubled (RFC 5321 §4.5.2), terminated by "." CRLF. Lines longer than SMTP allows are refused
// rather than silently broken.
Result<std::string> EncodeData(std::string_view message, bool* eight_bit) {
  std::string out;
  out.reserve(message.size() + message.size() / 64 + 8);
  std::string line;
  *eight_bit = false;
  auto flush = [&]() -> Status {
    if (line.size() > kMaxDataLineOctets) {
      return InvalidArgument(
          fmt::format("message has a line longer than {} octets", kMaxDataLineOctets));
    }
    if (!line.empty() && line.front() == '.') out += '.';
    out += line;
    out += "\r\n";
    line.clear();
    return Status::Ok();
  };
  for (const char c : message) {
    if (c == '\n') {
      SP_RETURN_IF_ERROR(flush());
    } else if (c == '\0') {
      return InvalidArgument("message contains a NUL character");
    } else if (c != '\r') {
      if (static_cast<unsigned char>(c) >= 0x80) *eight_bit = true;
      line += c;
    }
  }
  if (!line.empty()) SP_RETURN_IF_ERROR(flush());
  out += ".\r\n";
  return out;
}

// ---------------------------------------------------------------------------------------------
// The connection: a socket, later wrapped in TLS, with a bounded line reader.

class Connection final {
 public:
  Connection(Fd fd, std::chrono::seconds timeout) : fd_(std::move(fd)), timeout_(timeout) {}
  ~Connection() {
    if (ssl_ && !broken_) SSL_shutdown(ssl_.get());  // close_notify; no wait for the answer
  }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  bool tls() const { return ssl_ != nullptr; }
  bool broken() const { return broken_; }
  bool has_buffered_input() const { return replies_.has_buffered_input(); }
  // After a protocol violation: say nothing more (no QUIT, no TLS close_notify).
  void Abandon() { broken_ = true; }

  Status Write(std::string_view data) {
    const Deadline deadline = SteadyClock::now() + timeout_;
    while (!data.empty()) {
      SP_RETURN_IF_ERROR(ArmTimeout(SO_SNDTIMEO, deadline));
      size_t written = 0;
      if (ssl_) {
        ERR_clear_error();
        if (SSL_write_ex(ssl_.get(), data.data(), data.size(), &written) != 1) {
          const int err = SSL_get_error(ssl_.get(), 0);
          if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) continue;
          return Fail(Unavailable("mail relay: TLS write failed: " + crypto::DrainOpensslErrors()));
        }
      } else {
        const ssize_t n = ::send(fd_.get(), data.data(), data.size(), MSG_NOSIGNAL);
        if (n < 0) {
          if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) continue;
          return Fail(Unavailable(fmt::format("mail relay: write failed: {}", strerror(errno))));
        }
        written = static_cast<size_t>(n);
      }
      data.remove_prefix(written);
    }
    return Status::Ok();
  }

  Status WriteLine(std::string_view command) { return Write(std::string(command) + "\r\n"); }

  // The next reply, read under one deadline (`limit` from now); framing and limits are
  // SmtpReplyReader's.
  Result<SmtpReply> ReadReply(std::chrono::seconds limit) {
    const Deadline deadline = SteadyClock::now() + limit;
    for (;;) {
      Result<std::optional<SmtpReply>> reply = replies_.Next();
      if (!reply.ok()) return Fail(reply.status());
      if (*reply) return **std::move(reply);
      char buf[1024];
      SP_ASSIGN_OR_RETURN(const size_t n, ReadSome(buf, sizeof buf, deadline));
      replies_.Feed(std::string_view(buf, n));
    }
  }
  Result<SmtpReply> ReadReply() { return ReadReply(timeout_); }

  // RFC 3207 §4.2 handshake, verifying the certificate chain and `host` (DNS name or IP).
  Status StartTls(SSL_CTX* ctx, const std::string& host) {
    ssl_.reset(SSL_new(ctx));
    if (!ssl_ || SSL_set_fd(ssl_.get(), fd_.get()) != 1) {
      return Fail(Internal("mail relay: SSL_new failed: " + crypto::DrainOpensslErrors()));
    }
    SSL_set_hostflags(ssl_.get(), X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    if (IsIpLiteral(host)) {
      // OpenSSL 3.0's SSL_set1_host only knows DNS names; an IP must match an IP SAN.
      if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_.get()), host.c_str()) != 1) {
        return Fail(Internal("mail relay: cannot set the expected IP address"));
      }
    } else if (SSL_set_tlsext_host_name(ssl_.get(), host.c_str()) != 1 ||
               SSL_set1_host(ssl_.get(), host.c_str()) != 1) {
      return Fail(Internal("mail relay: cannot set the expected host name"));
    }
    const Deadline deadline = SteadyClock::now() + timeout_;
    for (;;) {
      SP_RETURN_IF_ERROR(ArmTimeout(SO_RCVTIMEO, deadline));
      SP_RETURN_IF_ERROR(ArmTimeout(SO_SNDTIMEO, deadline));
      ERR_clear_error();
      const int rc = SSL_connect(ssl_.get());
      if (rc == 1) return Status::Ok();
      const int err = SSL_get_error(ssl_.get(), rc);
      if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) continue;
      const long verify = SSL_get_verify_result(ssl_.get());  // NOLINT(google-runtime-int)
      if (verify != X509_V_OK) {
        return Fail(
            Unavailable(fmt::format("mail relay: TLS certificate of {} not accepted: {}",
                                    SmtpPrintable(host), X509_verify_cert_error_string(verify))));
      }
      return Fail(Unavailable("mail relay: TLS handshake failed: " + crypto::DrainOpensslErrors()));
    }
  }

 private:
  Status Fail(Status s) {
    broken_ = true;
    return s;
  }

  // Sets SO_RCVTIMEO/SO_SNDTIMEO to what is left until `deadline` (never 0, which means forever).
  Status ArmTimeout(int option, Deadline deadline) {
    const auto left =
        std::chrono::duration_cast<std::chrono::microseconds>(deadline - SteadyClock::now());
    if (left.count() <= 0) return Fail(Unavailable("mail relay: timed out"));
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(left.count() / 1000000);
    tv.tv_usec = static_cast<suseconds_t>(std::max<int64_t>(left.count() % 1000000, 1));
    if (setsockopt(fd_.get(), SOL_SOCKET, option, &tv, sizeof tv) != 0) {
      return Fail(Internal(fmt::format("mail relay: setsockopt: {}", strerror(errno))));
    }
    return Status::Ok();
  }

  Result<size_t> ReadSome(char* buf, size_t size, Deadline deadline) {
    for (;;) {
      SP_RETURN_IF_ERROR(ArmTimeout(SO_RCVTIMEO, deadline));
      if (ssl_) {
        size_t got = 0;
        ERR_clear_error();
        if (SSL_read_ex(ssl_.get(), buf, size, &got) == 1) return got;
        const int err = SSL_get_error(ssl_.get(), 0);
        if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) continue;
        if (err == SSL_ERROR_ZERO_RETURN) {
          return Fail(Unavailable("mail relay closed the connection"));
        }
        return Fail(Unavailable("mail relay: TLS read failed: " + crypto::DrainOpensslErrors()));
      }
      const ssize_t n = ::recv(fd_.get(), buf, size, 0);
      if (n > 0) return static_cast<size_t>(n);
      if (n == 0) return Fail(Unavailable("mail relay closed the connection"));
      if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) continue;
      return Fail(Unavailable(fmt::format("mail relay: read failed: {}", strerror(errno))));
    }
  }

  Fd fd_;
  SslPtr ssl_;  // declared after fd_: freed before the socket is closed
  SmtpReplyReader replies_;
  std::chrono::seconds timeout_;
  bool broken_ = false;
};

Result<std::unique_ptr<Connection>> Connect(const std::string& host, uint16_t port,
                                            std::chrono::seconds timeout) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  if (const int rc = getaddrinfo(host.c_str(), service.c_str(), &hints, &found); rc != 0) {
    return Unavailable(
        fmt::format("mail relay: cannot resolve {}: {}", SmtpPrintable(host), gai_strerror(rc)));
  }
  const std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> addresses(found, &freeaddrinfo);
  const Deadline deadline = SteadyClock::now() + timeout;
  std::string last_error = "no address";
  for (const addrinfo* ai = addresses.get(); ai != nullptr; ai = ai->ai_next) {
    const auto left =
        std::chrono::duration_cast<std::chrono::microseconds>(deadline - SteadyClock::now());
    if (left.count() <= 0) {
      last_error = "timed out";
      break;
    }
    Fd fd(::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol));
    if (fd.get() < 0) {
      last_error = strerror(errno);
      continue;
    }
    // Linux applies SO_SNDTIMEO to connect(2): it fails with EINPROGRESS when the time is up.
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(left.count() / 1000000);
    tv.tv_usec = static_cast<suseconds_t>(std::max<int64_t>(left.count() % 1000000, 1));
    setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (::connect(fd.get(), ai->ai_addr, ai->ai_addrlen) == 0) {
      return std::make_unique<Connection>(std::move(fd), timeout);
    }
    last_error = (errno == EINPROGRESS || errno == EAGAIN) ? "timed out" : strerror(errno);
  }
  return Unavailable(fmt::format("mail relay: cannot connect to {}:{}: {}", SmtpPrintable(host),
                                 port, last_error));
}

Result<SslCtxPtr> MakeTlsContext(const std::string& ca_file) {
  SslCtxPtr ctx(SSL_CTX_new(TLS_client_method()));
  if (!ctx) return Internal("mail relay: SSL_CTX_new failed: " + crypto::DrainOpensslErrors());
  if (SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION) != 1) {
    return Internal("mail relay: cannot set the minimum TLS version");
  }
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  SSL_CTX_set_options(ctx.get(), SSL_OP_NO_RENEGOTIATION);
  const int loaded = ca_file.empty()
                         ? SSL_CTX_set_default_verify_paths(ctx.get())
                         : SSL_CTX_load_verify_locations(ctx.get(), ca_file.c_str(), nullptr);
  if (loaded != 1) {
    // A missing CA file is a configuration problem, but one that an operator fixes without the
    // message being at fault: report it as transient so the mail is retried, not bounced.
    return Unavailable(fmt::format("mail relay: cannot load CA certificates from '{}': {}",
                                   ca_file.empty() ? "system default" : ca_file,
                                   crypto::DrainOpensslErrors()));
  }
  return ctx;
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
      Prepared p{i, {}, false};
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
      Result<std::unique_ptr<Connection>> conn =
          Connect(options_.host, options_.port, options_.timeout);
      if (!conn.ok()) {
        for (; next < prepared.size(); ++next) results[prepared[next].index] = conn.status();
        break;
      }
      Connection& c = **conn;
      Result<SmtpExtensions> ext = OpenSession(c);
      if (!ext.ok()) {
        for (; next < prepared.size(); ++next) results[prepared[next].index] = ext.status();
        Quit(c);
        break;
      }
      while (next < prepared.size()) {
        const Prepared& p = prepared[next];
        bool data_sent = false;
        const Status st =
            MailTransaction(c, *ext, *from, mails[p.index].to, p.data, p.eight_bit, &data_sent);
        if (c.broken() && !data_sent) break;  // nothing of this mail was taken: a new session
        results[p.index] = st;
        ++next;
        if (c.broken()) break;
        if (!st.ok() && next < prepared.size()) {
          // The session lives on after a refusal: clear the transaction for the next mail. A
          // relay that closes (421) or will not reset is left for a new session.
          if (!c.WriteLine("RSET").ok() || !Expect(c, "RSET", 250).ok()) {
            c.Abandon();
            break;
          }
        }
      }
      Quit(c);
    }
    return results;
  }

 private:
  static constexpr int kMaxSessionsPerBatch = 3;

  // The message is already accepted (or refused): QUIT is a courtesy, its outcome ignored.
  static void Quit(Connection& conn) {
    if (!conn.broken() && conn.WriteLine("QUIT").ok()) (void)conn.ReadReply(kQuitTimeout);
  }

  Status Expect(Connection& conn, std::string_view after, int code) {
    SP_ASSIGN_OR_RETURN(const SmtpReply reply, conn.ReadReply());
    if (reply.code != code) return SmtpReplyError(after, reply);
    return Status::Ok();
  }

  Result<SmtpExtensions> Ehlo(Connection& conn) {
    SP_RETURN_IF_ERROR(conn.WriteLine("EHLO " + options_.helo_name));
    SP_ASSIGN_OR_RETURN(const SmtpReply reply, conn.ReadReply());
    if (reply.code != 250) return SmtpReplyError("EHLO", reply);
    return ParseEhloReply(reply);
  }

  // Greeting, EHLO, STARTTLS (+ EHLO again) and AUTH: what every mail of a session shares.
  Result<SmtpExtensions> OpenSession(Connection& conn) {
    SP_RETURN_IF_ERROR(Expect(conn, "the connection", 220));
    SP_ASSIGN_OR_RETURN(SmtpExtensions ext, Ehlo(conn));

    const bool tls_required =
        options_.tls == SmtpRelayOptions::Tls::kRequired || !options_.username.empty();
    if (ext.starttls) {
      SP_RETURN_IF_ERROR(conn.WriteLine("STARTTLS"));
      SP_RETURN_IF_ERROR(Expect(conn, "STARTTLS", 220));
      if (conn.has_buffered_input()) {
        conn.Abandon();
        return Unavailable("mail relay sent data after its STARTTLS reply (possible injection)");
      }
      SP_ASSIGN_OR_RETURN(const SslCtxPtr ctx, MakeTlsContext(options_.ca_file));
      SP_RETURN_IF_ERROR(conn.StartTls(ctx.get(), options_.host));
      // RFC 3207 §4.2: forget what was learnt before TLS and ask again.
      SP_ASSIGN_OR_RETURN(ext, Ehlo(conn));
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
      SP_RETURN_IF_ERROR(Expect(conn, "AUTH", 235));
    }
    return ext;
  }

  // One mail: MAIL FROM, RCPT TO, DATA. `*data_sent` tells whether the message went out (after
  // that, a lost connection leaves it unknown whether the relay took it).
  Status MailTransaction(Connection& conn, const SmtpExtensions& ext, const EmailAddress& from,
                         const EmailAddress& to, const std::string& data, bool eight_bit,
                         bool* data_sent) {
    std::string mail_from = "MAIL FROM:<" + from.str() + ">";
    if (eight_bit && ext.eight_bit_mime) mail_from += " BODY=8BITMIME";
    // Without 8BITMIME the 8-bit body is sent as is; every relay in practice accepts it.
    if (ext.size) mail_from += fmt::format(" SIZE={}", data.size());
    SP_RETURN_IF_ERROR(conn.WriteLine(mail_from));
    SP_RETURN_IF_ERROR(Expect(conn, "MAIL FROM", 250));

    SP_RETURN_IF_ERROR(conn.WriteLine("RCPT TO:<" + to.str() + ">"));
    {
      SP_ASSIGN_OR_RETURN(const SmtpReply reply, conn.ReadReply());
      if (reply.code != 250 && reply.code != 251) return SmtpReplyError("RCPT TO", reply);
    }

    SP_RETURN_IF_ERROR(conn.WriteLine("DATA"));
    SP_RETURN_IF_ERROR(Expect(conn, "DATA", 354));
    *data_sent = true;  // from the first byte on: a partial body may still be taken as a message
    SP_RETURN_IF_ERROR(conn.Write(data));
    return Expect(conn, "the end of DATA", 250);
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
