// See smtp_session.h. Moved here from smtp_relay_mailer.cpp so that the relay mailer and the
// direct TLS sender speak SMTP through one implementation.
#include "delivery/internal/smtp_session.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <utility>

#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "crypto/openssl_error.h"
#include "crypto/security_policy.h"

namespace sealpost::delivery::internal {
namespace {

using SteadyClock = std::chrono::steady_clock;
using Deadline = SteadyClock::time_point;

constexpr size_t kMaxDataLineOctets = 998;  // RFC 5321 §4.5.3.1.6 without the CRLF
constexpr auto kQuitTimeout = std::chrono::seconds(5);

class UniqueFd final {
 public:
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd() {
    if (fd_ >= 0) ::close(fd_);
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

}  // namespace

SigpipeBlock::SigpipeBlock() {
  sigemptyset(&pipe_);
  sigaddset(&pipe_, SIGPIPE);
  sigset_t pending;
  sigemptyset(&pending);
  sigpending(&pending);
  was_pending_ = sigismember(&pending, SIGPIPE) == 1;
  pthread_sigmask(SIG_BLOCK, &pipe_, &old_);
}

SigpipeBlock::~SigpipeBlock() {
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

bool IsIpLiteral(const std::string& host) {
  in6_addr addr6;
  in_addr addr4;
  return inet_pton(AF_INET, host.c_str(), &addr4) == 1 ||
         inet_pton(AF_INET6, host.c_str(), &addr6) == 1;
}

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

namespace {

// Appends one line of the body (without its LF) as the wire carries it: CRs dropped, a leading
// dot doubled, CRLF after it. Works on whole lines (memchr-based finds, one append) rather than
// octet by octet: a secure copy is ~100 KB, and the octet loop was 6 % of the server's CPU
// while it delivered them.
Status AppendDataLine(std::string_view line, std::string& out, bool& eight_bit) {
  if (line.find('\0') != std::string_view::npos) {
    return InvalidArgument("message contains a NUL character");
  }
  // A CRLF line's CR is its last octet: dropped without a copy. Only a stray CR elsewhere (rare)
  // costs a copy of the line.
  while (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  std::string without_cr;
  if (line.find('\r') != std::string_view::npos) {
    without_cr.reserve(line.size());
    for (const char c : line) {
      if (c != '\r') without_cr += c;
    }
    line = without_cr;
  }
  if (line.size() > kMaxDataLineOctets) {
    return InvalidArgument(
        fmt::format("message has a line longer than {} octets", kMaxDataLineOctets));
  }
  if (!eight_bit) {
    eight_bit = std::any_of(line.begin(), line.end(),
                            [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
  }
  if (!line.empty() && line.front() == '.') out += '.';
  out.append(line);
  out += "\r\n";
  return Status::Ok();
}

}  // namespace

Result<std::string> EncodeData(std::string_view message, bool* eight_bit) {
  std::string out;
  out.reserve(message.size() + message.size() / 64 + 8);
  bool high = false;
  while (!message.empty()) {
    const size_t lf = message.find('\n');
    const std::string_view line = message.substr(0, lf);
    message.remove_prefix(lf == std::string_view::npos ? message.size() : lf + 1);
    // A last line without LF ends the message; one of nothing but CRs adds no line.
    if (lf == std::string_view::npos && line.find_first_not_of('\r') == std::string_view::npos) {
      break;
    }
    SP_RETURN_IF_ERROR(AppendDataLine(line, out, high));
  }
  out += ".\r\n";
  *eight_bit = high;
  return out;
}

Result<SslCtxPtr> MakeClientTlsContext(const std::string& ca_file, bool verify_chain,
                                       std::string_view peer) {
  SslCtxPtr ctx(SSL_CTX_new(TLS_client_method()));
  if (!ctx) {
    return Internal(fmt::format("{}: SSL_CTX_new failed: {}", peer, crypto::DrainOpensslErrors()));
  }
  if (SSL_CTX_set_min_proto_version(ctx.get(), crypto::policy::kTls.min_version) != 1) {
    return Internal(fmt::format("{}: cannot set the minimum TLS version", peer));
  }
  const std::string ciphers(crypto::policy::kTls.tls12_cipher_list);
  if (SSL_CTX_set_cipher_list(ctx.get(), ciphers.c_str()) != 1) {
    return Internal(fmt::format("{}: cannot set the TLS 1.2 cipher list", peer));
  }
  SSL_CTX_set_verify(ctx.get(), verify_chain ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, nullptr);
  SSL_CTX_set_options(ctx.get(), SSL_OP_NO_RENEGOTIATION);
  if (!verify_chain) return ctx;
  const int loaded = ca_file.empty()
                         ? SSL_CTX_set_default_verify_paths(ctx.get())
                         : SSL_CTX_load_verify_locations(ctx.get(), ca_file.c_str(), nullptr);
  if (loaded != 1) {
    // A missing CA file is a configuration problem, but one that an operator fixes without the
    // message being at fault: report it as transient so the mail is retried, not bounced.
    return Unavailable(fmt::format("{}: cannot load CA certificates from '{}': {}", peer,
                                   ca_file.empty() ? "system default" : ca_file,
                                   crypto::DrainOpensslErrors()));
  }
  return ctx;
}

// ---------------------------------------------------------------------------------------------

Result<std::unique_ptr<SmtpConnection>> SmtpConnection::Connect(const std::string& host,
                                                                uint16_t port,
                                                                std::chrono::seconds timeout,
                                                                std::string peer) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  if (const int rc = getaddrinfo(host.c_str(), service.c_str(), &hints, &found); rc != 0) {
    return Unavailable(
        fmt::format("{}: cannot resolve {}: {}", peer, SmtpPrintable(host), gai_strerror(rc)));
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
    UniqueFd fd(::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol));
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
      // Without TCP_NODELAY, TLS stalls on Nagle's algorithm: OpenSSL writes each record of a
      // message with its own write(2), and a record written while the one before is unacknowledged
      // waits for the peer's delayed ACK (bench/README.md, "Secure copies end to end": 1,000
      // messages of 96 KB over STARTTLS into Postfix from four sessions, 220 msgs/s with Nagle,
      // 588 without). Every write here ends with something the peer must answer, so nothing is
      // gained by holding it back.
      const int one = 1;
      setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      return std::unique_ptr<SmtpConnection>(
          new SmtpConnection(fd.release(), timeout, std::move(peer)));
    }
    last_error = (errno == EINPROGRESS || errno == EAGAIN) ? "timed out" : strerror(errno);
  }
  return Unavailable(
      fmt::format("{}: cannot connect to {}:{}: {}", peer, SmtpPrintable(host), port, last_error));
}

SmtpConnection::SmtpConnection(int fd, std::chrono::seconds timeout, std::string peer)
    : fd_(fd), timeout_(timeout), peer_(std::move(peer)) {}

SmtpConnection::~SmtpConnection() {
  if (ssl_ && !broken_) SSL_shutdown(ssl_.get());  // close_notify; no wait for the answer
  ssl_.reset();
  if (fd_ >= 0) ::close(fd_);
}

Status SmtpConnection::Write(std::string_view data) {
  const Deadline deadline = SteadyClock::now() + timeout_;
  while (!data.empty()) {
    SP_RETURN_IF_ERROR(ArmTimeout(SO_SNDTIMEO, deadline));
    size_t written = 0;
    if (ssl_) {
      ERR_clear_error();
      if (SSL_write_ex(ssl_.get(), data.data(), data.size(), &written) != 1) {
        const int err = SSL_get_error(ssl_.get(), 0);
        if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) continue;
        return Fail(Unavailable(
            fmt::format("{}: TLS write failed: {}", peer_, crypto::DrainOpensslErrors())));
      }
    } else {
      const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) continue;
        return Fail(Unavailable(fmt::format("{}: write failed: {}", peer_, strerror(errno))));
      }
      written = static_cast<size_t>(n);
    }
    data.remove_prefix(written);
  }
  return Status::Ok();
}

Status SmtpConnection::WriteLine(std::string_view command) {
  return Write(std::string(command) + "\r\n");
}

Result<SmtpReply> SmtpConnection::ReadReply(std::chrono::seconds limit) {
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

Result<SmtpReply> SmtpConnection::ReadReply() { return ReadReply(timeout_); }

Status SmtpConnection::Expect(std::string_view after, int code) {
  SP_ASSIGN_OR_RETURN(const SmtpReply reply, ReadReply());
  if (reply.code != code) return SmtpReplyError(after, reply, peer_);
  return Status::Ok();
}

Result<SmtpExtensions> SmtpConnection::Ehlo(const std::string& helo_name) {
  SP_RETURN_IF_ERROR(WriteLine("EHLO " + helo_name));
  SP_ASSIGN_OR_RETURN(const SmtpReply reply, ReadReply());
  if (reply.code != 250) return SmtpReplyError("EHLO", reply, peer_);
  return ParseEhloReply(reply);
}

Result<SmtpExtensions> SmtpConnection::StartTls(SSL_CTX* ctx, const TlsPeerCheck& check,
                                                const std::string& helo_name) {
  SP_RETURN_IF_ERROR(WriteLine("STARTTLS"));
  SP_RETURN_IF_ERROR(Expect("STARTTLS", 220));
  if (has_buffered_input()) {
    Abandon();
    return Unavailable(
        fmt::format("{} sent data after its STARTTLS reply (possible injection)", peer_));
  }
  ssl_.reset(SSL_new(ctx));
  if (!ssl_ || SSL_set_fd(ssl_.get(), fd_) != 1) {
    return Fail(
        Internal(fmt::format("{}: SSL_new failed: {}", peer_, crypto::DrainOpensslErrors())));
  }
  SSL_set_hostflags(ssl_.get(), X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  if (!check.sni.empty() && SSL_set_tlsext_host_name(ssl_.get(), check.sni.c_str()) != 1) {
    return Fail(Internal(fmt::format("{}: cannot set the TLS server name", peer_)));
  }
  if (!check.verify_for.empty()) {
    if (IsIpLiteral(check.verify_for)) {
      // OpenSSL 3.0's SSL_set1_host only knows DNS names; an IP must match an IP SAN.
      if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_.get()), check.verify_for.c_str()) !=
          1) {
        return Fail(Internal(fmt::format("{}: cannot set the expected IP address", peer_)));
      }
    } else if (SSL_set1_host(ssl_.get(), check.verify_for.c_str()) != 1) {
      return Fail(Internal(fmt::format("{}: cannot set the expected host name", peer_)));
    }
  }
  const Deadline deadline = SteadyClock::now() + timeout_;
  for (;;) {
    SP_RETURN_IF_ERROR(ArmTimeout(SO_RCVTIMEO, deadline));
    SP_RETURN_IF_ERROR(ArmTimeout(SO_SNDTIMEO, deadline));
    ERR_clear_error();
    const int rc = SSL_connect(ssl_.get());
    if (rc == 1) break;
    const int err = SSL_get_error(ssl_.get(), rc);
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) continue;
    const long verify = SSL_get_verify_result(ssl_.get());  // NOLINT(google-runtime-int)
    if (verify != X509_V_OK) {
      return Fail(Unavailable(fmt::format("TLS certificate of {} not accepted: {}", peer_,
                                          X509_verify_cert_error_string(verify))));
    }
    return Fail(Unavailable(
        fmt::format("{}: TLS handshake failed: {}", peer_, crypto::DrainOpensslErrors())));
  }
  if (check.check_leaf) {
    if (Status s = check.check_leaf(SSL_get0_peer_certificate(ssl_.get())); !s.ok()) {
      Abandon();
      return s;
    }
  }
  // RFC 3207 §4.2: forget what was learnt before TLS and ask again.
  return Ehlo(helo_name);
}

X509* SmtpConnection::peer_certificate() const {
  return ssl_ ? SSL_get0_peer_certificate(ssl_.get()) : nullptr;
}

std::string SmtpConnection::tls_version() const { return ssl_ ? SSL_get_version(ssl_.get()) : ""; }

void SmtpConnection::Quit() {
  if (!broken_ && WriteLine("QUIT").ok()) (void)ReadReply(kQuitTimeout);
}

Status SmtpConnection::Fail(Status s) {
  broken_ = true;
  return s;
}

// Sets SO_RCVTIMEO/SO_SNDTIMEO to what is left until `deadline` (never 0, which means forever).
Status SmtpConnection::ArmTimeout(int option, Deadline deadline) {
  const auto left =
      std::chrono::duration_cast<std::chrono::microseconds>(deadline - SteadyClock::now());
  if (left.count() <= 0) return Fail(Unavailable(fmt::format("{}: timed out", peer_)));
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(left.count() / 1000000);
  tv.tv_usec = static_cast<suseconds_t>(std::max<int64_t>(left.count() % 1000000, 1));
  if (setsockopt(fd_, SOL_SOCKET, option, &tv, sizeof tv) != 0) {
    return Fail(Internal(fmt::format("{}: setsockopt: {}", peer_, strerror(errno))));
  }
  return Status::Ok();
}

Result<size_t> SmtpConnection::ReadSome(char* buf, size_t size, Deadline deadline) {
  for (;;) {
    SP_RETURN_IF_ERROR(ArmTimeout(SO_RCVTIMEO, deadline));
    if (ssl_) {
      size_t got = 0;
      ERR_clear_error();
      if (SSL_read_ex(ssl_.get(), buf, size, &got) == 1) return got;
      const int err = SSL_get_error(ssl_.get(), 0);
      if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) continue;
      if (err == SSL_ERROR_ZERO_RETURN) {
        return Fail(Unavailable(fmt::format("{} closed the connection", peer_)));
      }
      return Fail(
          Unavailable(fmt::format("{}: TLS read failed: {}", peer_, crypto::DrainOpensslErrors())));
    }
    const ssize_t n = ::recv(fd_, buf, size, 0);
    if (n > 0) return static_cast<size_t>(n);
    if (n == 0) return Fail(Unavailable(fmt::format("{} closed the connection", peer_)));
    if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) continue;
    return Fail(Unavailable(fmt::format("{}: read failed: {}", peer_, strerror(errno))));
  }
}

// ---------------------------------------------------------------------------------------------

Status MailTransaction(SmtpConnection& conn, const SmtpExtensions& ext, const EmailAddress& from,
                       std::span<const EmailAddress> to, const std::string& data, bool eight_bit,
                       std::span<Status> rcpt_status, bool* data_sent, std::string* final_reply) {
  std::string mail_from = "MAIL FROM:<" + from.str() + ">";
  if (eight_bit && ext.eight_bit_mime) mail_from += " BODY=8BITMIME";
  // Without 8BITMIME the 8-bit body is sent as is; every server in practice accepts it.
  if (ext.size) mail_from += fmt::format(" SIZE={}", data.size());
  const auto rcpt_to = [&](size_t i) { return "RCPT TO:<" + to[i].str() + ">"; };

  // With PIPELINING (RFC 2920) MAIL, every RCPT and DATA go out in one write and their replies
  // are read in order afterwards: one round trip per envelope instead of two plus one per
  // recipient. Every reply is read even after a refusal, so the session stays in step.
  const bool pipelined = ext.pipelining;
  if (pipelined) {
    std::string group = mail_from + "\r\n";
    for (size_t i = 0; i < to.size(); ++i) group += rcpt_to(i) + "\r\n";
    group += "DATA\r\n";
    SP_RETURN_IF_ERROR(conn.Write(group));
  } else {
    SP_RETURN_IF_ERROR(conn.WriteLine(mail_from));
  }
  SP_ASSIGN_OR_RETURN(const SmtpReply mail_reply, conn.ReadReply());
  const Status mail_status =
      mail_reply.code == 250 ? Status::Ok() : SmtpReplyError("MAIL FROM", mail_reply, conn.peer());
  if (!pipelined && !mail_status.ok()) return mail_status;

  size_t accepted = 0;
  Status last_refusal = mail_status;
  for (size_t i = 0; i < to.size(); ++i) {
    if (!pipelined) SP_RETURN_IF_ERROR(conn.WriteLine(rcpt_to(i)));
    SP_ASSIGN_OR_RETURN(const SmtpReply reply, conn.ReadReply());
    if (!mail_status.ok()) {
      rcpt_status[i] = mail_status;  // the RCPT's own reply ("need MAIL") would hide the cause
    } else if (reply.code == 250 || reply.code == 251) {
      rcpt_status[i] = Status::Ok();
      ++accepted;
    } else {
      rcpt_status[i] = SmtpReplyError("RCPT TO", reply, conn.peer());
      last_refusal = rcpt_status[i];
    }
  }

  if (pipelined) {
    SP_ASSIGN_OR_RETURN(const SmtpReply data_reply, conn.ReadReply());
    if (accepted == 0) {
      // A server may still answer 354 to a DATA without recipients (RFC 2920 section 3.1); it
      // then waits for a message, and an empty one ends the transaction.
      if (data_reply.code == 354) {
        SP_RETURN_IF_ERROR(conn.WriteLine("."));
        SP_RETURN_IF_ERROR(conn.ReadReply().status());
      }
      return last_refusal;
    }
    if (data_reply.code != 354) return SmtpReplyError("DATA", data_reply, conn.peer());
  } else {
    if (accepted == 0) return last_refusal;
    SP_RETURN_IF_ERROR(conn.WriteLine("DATA"));
    SP_RETURN_IF_ERROR(conn.Expect("DATA", 354));
  }
  *data_sent = true;  // from the first byte on: a partial body may still be taken as a message
  SP_RETURN_IF_ERROR(conn.Write(data));
  SP_ASSIGN_OR_RETURN(const SmtpReply reply, conn.ReadReply());
  if (final_reply != nullptr) *final_reply = reply.Summary();
  if (reply.code != 250) return SmtpReplyError("the end of DATA", reply, conn.peer());
  return Status::Ok();
}

}  // namespace sealpost::delivery::internal
