// The client side of one SMTP session (RFC 5321) with STARTTLS (RFC 3207), shared by the relay
// mailer (smtp_relay_mailer.cpp) and the direct TLS sender (tls_direct_sender.cpp): a blocking
// socket with a deadline on every write and every reply, a bounded reply reader, the TLS
// upgrade, and the few commands both clients speak. What each client requires of the TLS peer
// (a verified name, or a pinned key) and what it does on failure stays with that client.
//
// Thread-safety: an SmtpConnection is used by one thread at a time; the free functions are pure
// or create fresh objects.
//
// SECURITY: everything the server sends is untrusted. Replies are framed and bounded by
// SmtpReplyReader (smtp_reply.h) under one deadline each; their text reaches Status messages only
// through SmtpPrintable. Commands are built only from validated values (HELO name checked by
// IsValidHeloName, EmailAddress) and a dot-stuffed body from EncodeData, so neither content nor
// configuration can inject commands. Bytes received after a STARTTLS 220 (CVE-2011-0411 style
// injection) abort the session in StartTls.
#pragma once

#include <signal.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include <openssl/ssl.h>

#include "core/address.h"
#include "core/status.h"
#include "delivery/smtp_reply.h"

namespace sealpost::delivery::internal {

struct SslCtxDeleter {
  void operator()(SSL_CTX* p) const { SSL_CTX_free(p); }
};
struct SslDeleter {
  void operator()(SSL* p) const { SSL_free(p); }
};
using SslCtxPtr = std::unique_ptr<SSL_CTX, SslCtxDeleter>;
using SslPtr = std::unique_ptr<SSL, SslDeleter>;

// Blocks SIGPIPE for this thread while alive; a SIGPIPE raised meanwhile by a write to a closed
// socket (OpenSSL writes with write(2), which has no MSG_NOSIGNAL) is consumed before unblocking.
class SigpipeBlock final {
 public:
  SigpipeBlock();
  ~SigpipeBlock();
  SigpipeBlock(const SigpipeBlock&) = delete;
  SigpipeBlock& operator=(const SigpipeBlock&) = delete;

 private:
  sigset_t pipe_;
  sigset_t old_;
  bool was_pending_ = false;
};

bool IsIpLiteral(const std::string& host);

// A HELO/EHLO argument: a domain name or an address literal, nothing that could end the command.
bool IsValidHeloName(std::string_view s);

// The DATA payload: CRLF line ends (a bare LF becomes CRLF, a stray CR is dropped), leading dots
// doubled (RFC 5321 §4.5.2), terminated by "." CRLF. Lines longer than 998 octets and NUL are
// refused (InvalidArgument) rather than silently changed. `*eight_bit` tells whether any octet
// is >= 0x80.
Result<std::string> EncodeData(std::string_view message, bool* eight_bit);

// A client TLS context: TLS >= crypto::policy::kTls.min_version, its TLS 1.2 cipher list, no
// renegotiation, SSL_VERIFY_PEER against `ca_file` (PEM bundle) or, when empty, the system
// store. Unavailable when the CA file cannot be loaded (an operator fixes that; the mail is not
// at fault). With `verify_chain` false the handshake does not check the chain (pin mode checks
// the key itself after the handshake).
Result<SslCtxPtr> MakeClientTlsContext(const std::string& ca_file, bool verify_chain,
                                       std::string_view peer);

// What StartTls checks during the handshake.
struct TlsPeerCheck {
  std::string sni;         // server name sent (SNI); empty for an IP literal
  std::string verify_for;  // DNS name or IP the certificate must match; empty = no name check
  // Called with the peer's leaf certificate (nullptr when none was sent) right after the
  // handshake, before anything is sent over TLS; a failure ends the session (Abandon).
  std::function<Status(X509* leaf)> check_leaf;
};

class SmtpConnection final {
 public:
  // Connects to `host` (a name resolved with getaddrinfo, or an IP literal) within `timeout`;
  // `timeout` then also bounds each write and each reply. `peer` names the server in messages
  // ("mail relay", "mx.partner.example").
  static Result<std::unique_ptr<SmtpConnection>> Connect(const std::string& host, uint16_t port,
                                                         std::chrono::seconds timeout,
                                                         std::string peer);
  ~SmtpConnection();
  SmtpConnection(const SmtpConnection&) = delete;
  SmtpConnection& operator=(const SmtpConnection&) = delete;

  const std::string& peer() const { return peer_; }
  bool tls() const { return ssl_ != nullptr; }
  bool broken() const { return broken_; }
  bool has_buffered_input() const { return replies_.has_buffered_input(); }
  // After a protocol violation: say nothing more (no QUIT, no TLS close_notify).
  void Abandon() { broken_ = true; }

  Status Write(std::string_view data);
  Status WriteLine(std::string_view command);

  // The next reply, read under one deadline (`limit` from now, default the session timeout).
  Result<SmtpReply> ReadReply(std::chrono::seconds limit);
  Result<SmtpReply> ReadReply();

  // The next reply must have `code`; otherwise SmtpReplyError(after, reply, peer()).
  Status Expect(std::string_view after, int code);

  // EHLO `helo_name` (checked by the caller with IsValidHeloName) and what the answer offers.
  Result<SmtpExtensions> Ehlo(const std::string& helo_name);

  // STARTTLS, its 220 (refusing bytes sent after it), the handshake under `ctx` with `check`,
  // and EHLO again (RFC 3207 §4.2). Unavailable on any failure; a certificate the chain or name
  // check refused is reported as "TLS certificate of <peer> not accepted: <reason>".
  Result<SmtpExtensions> StartTls(SSL_CTX* ctx, const TlsPeerCheck& check,
                                  const std::string& helo_name);

  // The peer's leaf certificate after StartTls (owned by the connection), or nullptr.
  X509* peer_certificate() const;
  // "TLSv1.3", or "" before TLS.
  std::string tls_version() const;

  // QUIT and its reply, outcome ignored (the mail is already accepted or refused).
  void Quit();

 private:
  SmtpConnection(int fd, std::chrono::seconds timeout, std::string peer);
  Status Fail(Status s);
  Status ArmTimeout(int option, std::chrono::steady_clock::time_point deadline);
  Result<size_t> ReadSome(char* buf, size_t size, std::chrono::steady_clock::time_point deadline);

  int fd_;
  SslPtr ssl_;  // freed before the socket is closed (in the destructor)
  SmtpReplyReader replies_;
  std::chrono::seconds timeout_;
  std::string peer_;
  bool broken_ = false;
};

// MAIL FROM (with BODY=8BITMIME / SIZE when offered), then RCPT TO for each recipient, then DATA
// when at least one was accepted; all three in one write when the server offers PIPELINING.
// `rcpt_status[i]` receives recipient i's RCPT outcome (OK or SmtpReplyError; MAIL FROM's error
// when that was refused in a pipelined group); the returned Status is the transaction's (MAIL FROM,
// DATA, end of DATA), OK only when the server answered 250 to the end of DATA. `*data_sent` tells
// whether the body went out (after that, a lost connection leaves it unknown whether the server
// took it).
// `*final_reply` receives the summary of the server's answer to the end of DATA.
Status MailTransaction(SmtpConnection& conn, const SmtpExtensions& ext, const EmailAddress& from,
                       std::span<const EmailAddress> to, const std::string& data, bool eight_bit,
                       std::span<Status> rcpt_status, bool* data_sent, std::string* final_reply);

}  // namespace sealpost::delivery::internal
