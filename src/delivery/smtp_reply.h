// SMTP replies (RFC 5321 §4.2) as the relay client reads them: framing of the byte stream into
// lines and replies, the EHLO keywords it uses, and the Status a refusal maps to. Pure: no
// sockets, no clocks; the relay connection (smtp_relay_mailer.cpp) feeds it what it receives and
// keeps the deadlines.
//
// Thread-safety: SmtpReplyReader is a plain value used by one connection at a time; the free
// functions are pure.
//
// SECURITY: everything here is untrusted relay output. A line is at most kMaxReplyLineOctets
// octets including its line end, a reply at most kMaxReplyLines lines, so a relay cannot make the
// client buffer without bound; a line must start with a reply code 200–559 followed by ' ' or
// '-', and every line of a reply must carry the same code. Reply text reaches Status messages
// only through Summary()/SmtpPrintable(): printable ASCII, truncated, so it cannot forge log
// lines.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace sealpost::delivery {

inline constexpr size_t kMaxReplyLineOctets = 1000;  // RFC 5321 §4.5.3.1.5 asks for 512
inline constexpr size_t kMaxReplyLines = 100;
inline constexpr size_t kMaxLoggedReply = 300;  // characters of relay text kept in a message

// Untrusted text reduced to printable ASCII (anything else becomes '?') and cut after `max`
// characters (then "..." is appended), for a log line or Status message.
std::string SmtpPrintable(std::string_view text, size_t max = kMaxLoggedReply);

struct SmtpReply {
  int code = 0;
  std::vector<std::string> lines;  // the text after "NNN-" / "NNN ", as received (untrusted)

  // "554 5.7.1 <x@y>: Recipient address rejected" — printable, bounded, for logs.
  std::string Summary() const;
};

// Splits received bytes into replies. Feed() what arrives, then call Next() until it yields
// nothing; a line ends at LF (a CR before it is dropped; a bare LF is accepted).
class SmtpReplyReader final {
 public:
  void Feed(std::string_view bytes) { in_.append(bytes); }

  // The next complete reply, or nullopt when more bytes are needed. Unavailable ("mail relay:
  // ...") for a line longer than kMaxReplyLineOctets (refused as soon as that many octets are
  // buffered without a line end), a reply of more than kMaxReplyLines lines, a malformed line or
  // lines with different codes; after an error the reader's state is unspecified (the connection
  // is given up).
  Result<std::optional<SmtpReply>> Next();

  // Bytes received beyond the last complete line (e.g. injected after a STARTTLS reply).
  bool has_buffered_input() const { return !in_.empty(); }

 private:
  std::string in_;
  SmtpReply partial_;  // lines of the reply being read
};

// What an EHLO reply offers that the client uses (keywords are case-insensitive).
struct SmtpExtensions {
  bool starttls = false;
  bool auth_plain = false;
  bool eight_bit_mime = false;
  bool size = false;
  bool pipelining = false;  // RFC 2920
};
SmtpExtensions ParseEhloReply(const SmtpReply& reply);

// The Status for a reply that was not the expected one, `after` naming the command. 4xx:
// Unavailable (transient). 5xx: PermissionDenied for a security/policy refusal (enhanced code
// 5.7.x, or 530/535 without one), InvalidArgument otherwise. Any other code: Unavailable. `peer`
// names the server in the message ("mail relay", or an MX host name already made printable).
Status SmtpReplyError(std::string_view after, const SmtpReply& reply,
                      std::string_view peer = "mail relay");

}  // namespace sealpost::delivery
