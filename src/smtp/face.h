// The contract between the SMTP session (smtp/server.h: sockets, TLS, the protocol and its
// limits) and a face of the gateway (submission for mail programs, relay for the organisation's
// mail server, inbound MX): the server speaks SMTP, a face decides.
//
// The server parses and checks syntax before a face sees anything: a face gets one command at a
// time with its arguments already split, addresses already syntax-checked (RFC 5321 Mailbox,
// at most 254 bytes; the null reverse-path "<>" arrives as an empty string), and message bytes
// already dot-unstuffed, with every line end a CRLF (bare CR or LF is refused by the server,
// never passed on) and the size limit already enforced while streaming.
//
// Lifetime: Face::Open is called when a client connects, and again after a successful STARTTLS
// (RFC 3207 4.2: the session starts over, so the old Session is destroyed and nothing learnt
// before TLS survives). A Session serves one client at a time; its calls never overlap and run
// on a worker thread, so they may block (store transactions, argon2id-free lookups, DNS).
//
// SECURITY: everything a face receives comes from an untrusted network client, except Peer,
// which the server fills from the socket and the TLS handshake. Reply texts are the face's; the
// server replaces CR, LF and other control characters in them before sending.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "core/status.h"
#include "crypto/secret_string.h"

namespace sealpost::smtp {

// One SMTP reply. `enhanced` is the RFC 3463 status ("5.1.1"); empty, the server sends none for
// codes that have no class default (2xx → 2.0.0, 4xx → 4.0.0, 5xx → 5.0.0 are used).
struct Reply {
  int code = 250;
  std::string enhanced;
  std::string text;

  static Reply Ok(std::string text = "OK") { return {250, "2.0.0", std::move(text)}; }
  bool positive() const { return code >= 200 && code < 400; }
};

// What the server knows about the client, from the socket and the TLS handshake.
struct Peer {
  std::string address;  // the client's IP address, textual ("127.0.0.1", "::1")
  uint16_t port = 0;
  bool tls = false;  // the session runs inside TLS (implicit, or after STARTTLS)
  // The client certificate the TLS handshake verified against the face's client CA (relay face):
  // SHA-256 of its DER, lower-case hex; empty when none was asked for or none was sent.
  std::string client_certificate_sha256;
};

// ESMTP parameters of MAIL FROM that the server understood (RFC 1870, 6152, 6531, 3461).
struct MailParameters {
  std::optional<uint64_t> declared_size;  // SIZE=; the server already refused one over its limit
  bool eight_bit_mime = false;            // BODY=8BITMIME
  bool smtputf8 = false;                  // SMTPUTF8
};

// One message's bytes, streamed. Destroyed without a positive Commit(), nothing of it may remain
// (the client sees 451/552/554, or the connection was cut).
class MessageSink {
 public:
  virtual ~MessageSink() = default;
  // The next bytes of the message, in order (header and body as the client sent them after
  // dot-unstuffing). An error stops the transfer: the server discards the rest of the data and
  // answers `Commit`'s place with 451 4.3.0 (or 552 5.3.4 for TooLarge).
  virtual Status Append(std::string_view bytes) = 0;
  // Every byte has arrived. A 2xx reply promises the message is durable (or, for a face that
  // relays, that the next hop accepted it); anything else promises that nothing was kept.
  virtual Reply Commit() = 0;
};

class Session {
 public:
  virtual ~Session() = default;
  // AUTH (RFC 4954), offered only when the face's listener allows it and, unless configured
  // otherwise, only inside TLS. `mechanism` is "PLAIN" or "LOGIN" (decoded by the server);
  // `authorization_id` is PLAIN's optional authzid. 235 accepts; 535 5.7.8 refuses; 454 4.7.0
  // for a temporary failure. The face throttles repeated failures.
  virtual Reply Authenticate(std::string_view mechanism, std::string_view authorization_id,
                             std::string_view user, const crypto::SecretString& password) = 0;
  // MAIL FROM. `reverse_path` is empty for the null path "<>".
  virtual Reply MailFrom(std::string_view reverse_path, const MailParameters& parameters) = 0;
  // RCPT TO, once per recipient; the server enforces the recipient count limit first.
  virtual Reply RcptTo(std::string_view forward_path) = 0;
  // DATA or the first BDAT chunk, after at least one accepted recipient: the sink for the bytes,
  // or the reply that refuses the message (e.g. 554 5.7.1).
  virtual std::variant<std::unique_ptr<MessageSink>, Reply> BeginMessage() = 0;
  // RSET, a new EHLO/HELO, or the end of a message transaction (whatever its outcome): forget
  // the envelope. Authentication stays.
  virtual void Reset() = 0;
};

class Face {
 public:
  virtual ~Face() = default;
  // A new session for a connected client (and a fresh one after STARTTLS). Returning a reply
  // instead refuses the client with it (e.g. 554 5.7.1 for an address outside the relay's
  // client networks) and the server closes the connection after sending it.
  virtual std::variant<std::unique_ptr<Session>, Reply> Open(const Peer& peer) = 0;
};

}  // namespace sealpost::smtp
