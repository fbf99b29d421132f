// The SMTP command parser (RFC 5321 4.1, with RFC 1870 SIZE, 6152 8BITMIME, 6531 SMTPUTF8,
// 3030 BDAT, 3207 STARTTLS, 4954 AUTH). Pure: one command line in, a Command or the reply that
// refuses it out. It checks syntax only; whether a command is allowed now is SessionState's.
//
// SECURITY: the line comes from an untrusted network client. Every path is checked against the
// RFC 5321 Mailbox grammar (Dot-string or Quoted-string local part of at most 64 octets, a domain
// of LDH labels of at most 63 octets or an address literal, at most kMaxAddressBytes in all);
// non-ASCII is accepted only as well-formed UTF-8 and flagged (SMTPUTF8 decides later). No
// control character is accepted anywhere in a line.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "smtp/face.h"

namespace sealpost::smtp::proto {

// A command line without its CRLF: 512 octets (RFC 5321 4.5.3.1.4) plus room for the ESMTP
// parameters of the extensions we offer and an AUTH PLAIN initial response.
inline constexpr size_t kMaxCommandBytes = 1024;
// RFC 5321 4.5.3.1.1/.2 with the 256-octet path limit less its angle brackets (RFC 3696 errata).
inline constexpr size_t kMaxAddressBytes = 254;
inline constexpr size_t kMaxLocalPartBytes = 64;
inline constexpr size_t kMaxDomainBytes = 253;

enum class Verb {
  kEhlo,
  kHelo,
  kMail,
  kRcpt,
  kData,
  kBdat,
  kRset,
  kNoop,
  kQuit,
  kVrfy,
  kHelp,
  kStartTls,
  kAuth,
};

std::string_view VerbName(Verb verb);

struct Command {
  Verb verb = Verb::kNoop;
  std::string domain;  // EHLO/HELO: the client's name as given (a domain or an address literal)
  // MAIL: the reverse-path ("" for "<>"); RCPT: the forward-path (the special "Postmaster"
  // without a domain is returned as "Postmaster").
  std::string path;
  bool path_is_ascii = true;  // false: the path has UTF-8 (needs SMTPUTF8)
  MailParameters mail;        // MAIL's ESMTP parameters
  bool body_7bit_declared = false;
  uint64_t chunk_size = 0;  // BDAT
  bool last_chunk = false;  // BDAT ... LAST
  std::string mechanism;    // AUTH, upper-cased
  // AUTH's initial response (base64, "=" for an empty one), when the client sent one.
  std::string initial_response;
  bool has_initial_response = false;
};

// Parses one command line (without CRLF; the caller enforces kMaxCommandBytes). Refusals: 500
// 5.5.2 for an unknown or malformed command, 501 5.5.4 for bad arguments, 501 5.1.7 / 501 5.1.3
// for a bad sender / recipient address, 555 5.5.4 for an unknown MAIL or RCPT parameter.
std::variant<Command, Reply> ParseCommand(std::string_view line);

// Checks an RFC 5321 Mailbox (without angle brackets). `ascii` receives whether it is ASCII.
bool IsValidMailbox(std::string_view mailbox, bool* ascii);

}  // namespace sealpost::smtp::proto
