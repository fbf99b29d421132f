#include "smtp/proto/command.h"

#include <array>
#include <optional>
#include <utility>

namespace sealpost::smtp::proto {
namespace {

constexpr std::array<std::pair<std::string_view, Verb>, 13> kVerbs = {{
    {"EHLO", Verb::kEhlo},
    {"HELO", Verb::kHelo},
    {"MAIL", Verb::kMail},
    {"RCPT", Verb::kRcpt},
    {"DATA", Verb::kData},
    {"BDAT", Verb::kBdat},
    {"RSET", Verb::kRset},
    {"NOOP", Verb::kNoop},
    {"QUIT", Verb::kQuit},
    {"VRFY", Verb::kVrfy},
    {"HELP", Verb::kHelp},
    {"STARTTLS", Verb::kStartTls},
    {"AUTH", Verb::kAuth},
}};

char Upper(char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; }
bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsHex(char c) { return IsDigit(c) || (Upper(c) >= 'A' && Upper(c) <= 'F'); }

bool EqualsNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (Upper(a[i]) != Upper(b[i])) return false;
  }
  return true;
}

bool StartsWithNoCase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && EqualsNoCase(s.substr(0, prefix.size()), prefix);
}

std::string UpperCopy(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = Upper(c);
  return out;
}

Reply Syntax(std::string text = "Syntax error, command unrecognized") {
  return {500, "5.5.2", std::move(text)};
}
Reply BadArguments(std::string text) { return {501, "5.5.4", std::move(text)}; }

// Length of the well-formed UTF-8 sequence (non-ASCII, RFC 3629) at s[i], or 0.
size_t Utf8Sequence(std::string_view s, size_t i) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  size_t n = 0;
  uint32_t cp = 0;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    n = 2, cp = b0 & 0x1F;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    n = 3, cp = b0 & 0x0F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    n = 4, cp = b0 & 0x07;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b & 0x3F);
  }
  if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF))) return 0;
  if (cp >= 0xD800 && cp <= 0xDFFF) return 0;
  return n;
}

bool IsAtext(char c) {
  return IsAlpha(c) || IsDigit(c) ||
         std::string_view("!#$%&'*+-/=?^_`{|}~").find(c) != std::string_view::npos;
}

// Dot-string (RFC 5321 4.1.2, atext widened by RFC 6531 to UTF-8).
bool IsDotString(std::string_view s, bool* ascii) {
  if (s.empty() || s.front() == '.' || s.back() == '.') return false;
  char previous = 0;
  for (size_t i = 0; i < s.size();) {
    const char c = s[i];
    if (static_cast<unsigned char>(c) >= 0x80) {
      const size_t n = Utf8Sequence(s, i);
      if (n == 0) return false;
      *ascii = false;
      i += n;
      previous = 'x';
      continue;
    }
    if (c == '.') {
      if (previous == '.') return false;
    } else if (!IsAtext(c)) {
      return false;
    }
    previous = c;
    ++i;
  }
  return true;
}

// Quoted-string: DQUOTE *(qtextSMTP / quoted-pairSMTP) DQUOTE.
bool IsQuotedString(std::string_view s, bool* ascii) {
  if (s.size() < 2 || s.front() != '"' || s.back() != '"') return false;
  const std::string_view body = s.substr(1, s.size() - 2);
  for (size_t i = 0; i < body.size();) {
    const char c = body[i];
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x80) {
      const size_t n = Utf8Sequence(body, i);
      if (n == 0) return false;
      *ascii = false;
      i += n;
    } else if (c == '\\') {
      if (i + 1 >= body.size()) return false;
      const auto next = static_cast<unsigned char>(body[i + 1]);
      if (next < 32 || next > 126) return false;
      i += 2;
    } else if (u < 32 || u == 127 || c == '"') {
      return false;
    } else {
      ++i;
    }
  }
  return true;
}

// Domain: sub-domain *("." sub-domain), LDH labels (U-labels as UTF-8 under RFC 6531).
bool IsDomain(std::string_view s, bool* ascii) {
  if (s.empty() || s.size() > kMaxDomainBytes) return false;
  size_t label = 0;
  char previous = '.';
  for (size_t i = 0; i < s.size();) {
    const char c = s[i];
    if (static_cast<unsigned char>(c) >= 0x80) {
      const size_t n = Utf8Sequence(s, i);
      if (n == 0) return false;
      *ascii = false;
      i += n;
      label += n;
      previous = 'x';
    } else if (c == '.') {
      if (label == 0 || previous == '-') return false;
      label = 0;
      previous = c;
      ++i;
    } else if (IsAlpha(c) || IsDigit(c) || c == '-') {
      if (c == '-' && label == 0) return false;
      ++label;
      previous = c;
      ++i;
    } else {
      return false;
    }
    if (label > 63) return false;
  }
  return label > 0 && previous != '-';
}

// address-literal: "[" (IPv4 / "IPv6:" IPv6 / tag ":" dcontent) "]", checked for its alphabet.
bool IsAddressLiteral(std::string_view s) {
  if (s.size() < 3 || s.front() != '[' || s.back() != ']') return false;
  std::string_view body = s.substr(1, s.size() - 2);
  if (StartsWithNoCase(body, "IPv6:")) {
    body.remove_prefix(5);
    if (body.empty()) return false;
    for (const char c : body) {
      if (!IsHex(c) && c != ':' && c != '.') return false;
    }
    return true;
  }
  int dots = 0;
  size_t digits = 0;
  int value = 0;
  for (const char c : body) {
    if (c == '.') {
      if (digits == 0) return false;
      ++dots;
      digits = 0;
      value = 0;
    } else if (IsDigit(c)) {
      value = value * 10 + (c - '0');
      if (++digits > 3 || value > 255) return false;
    } else {
      return false;
    }
  }
  return dots == 3 && digits > 0;
}

// The path's mailbox between "<" and ">", with any (obsolete) source route dropped.
std::optional<std::string_view> PathMailbox(std::string_view path) {
  if (path.size() < 2 || path.front() != '<' || path.back() != '>') return std::nullopt;
  std::string_view inner = path.substr(1, path.size() - 2);
  if (!inner.empty() && inner.front() == '@') {
    // A-d-l ":" (RFC 5321 4.1.2: accepted, ignored). A quoted local part cannot start with '@'.
    const size_t colon = inner.find(':');
    if (colon == std::string_view::npos) return std::nullopt;
    inner.remove_prefix(colon + 1);
  }
  return inner;
}

// Splits "<path> params" after "FROM:" or "TO:". The path may contain spaces only inside a
// quoted local part, so the closing '>' is found by walking the quotes.
bool SplitPathAndParams(std::string_view rest, std::string_view* path, std::string_view* params) {
  if (rest.empty() || rest.front() != '<') return false;
  bool quoted = false;
  for (size_t i = 1; i < rest.size(); ++i) {
    const char c = rest[i];
    if (quoted && c == '\\') {
      ++i;
      continue;
    }
    if (c == '"') quoted = !quoted;
    if (c == '>' && !quoted) {
      *path = rest.substr(0, i + 1);
      *params = rest.substr(i + 1);
      if (!params->empty() && params->front() != ' ') return false;
      while (!params->empty() && params->front() == ' ') params->remove_prefix(1);
      return true;
    }
  }
  return false;
}

bool ParseDecimal(std::string_view s, uint64_t* out) {
  if (s.empty() || s.size() > 19) return false;
  uint64_t v = 0;
  for (const char c : s) {
    if (!IsDigit(c)) return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  *out = v;
  return true;
}

std::optional<Reply> ParseMailParams(std::string_view params, Command* cmd) {
  bool seen_size = false, seen_body = false, seen_utf8 = false, seen_auth = false;
  while (!params.empty()) {
    const size_t sp = params.find(' ');
    const std::string_view param = params.substr(0, sp);
    params = sp == std::string_view::npos ? std::string_view() : params.substr(sp + 1);
    if (param.empty()) continue;
    const size_t eq = param.find('=');
    const std::string_view key = param.substr(0, eq);
    const std::string_view value =
        eq == std::string_view::npos ? std::string_view() : param.substr(eq + 1);
    const bool has_value = eq != std::string_view::npos;
    if (EqualsNoCase(key, "SIZE")) {
      uint64_t size = 0;
      if (seen_size || !ParseDecimal(value, &size)) return BadArguments("Bad SIZE parameter");
      cmd->mail.declared_size = size;
      seen_size = true;
    } else if (EqualsNoCase(key, "BODY")) {
      if (seen_body) return BadArguments("Bad BODY parameter");
      if (EqualsNoCase(value, "8BITMIME")) {
        cmd->mail.eight_bit_mime = true;
      } else if (EqualsNoCase(value, "7BIT")) {
        cmd->body_7bit_declared = true;
      } else {
        return Reply{555, "5.5.4", "Unsupported BODY type"};
      }
      seen_body = true;
    } else if (EqualsNoCase(key, "SMTPUTF8")) {
      if (seen_utf8 || has_value) return BadArguments("Bad SMTPUTF8 parameter");
      cmd->mail.smtputf8 = true;
      seen_utf8 = true;
    } else if (EqualsNoCase(key, "AUTH")) {
      // RFC 4954 5: accepted whenever AUTH is offered; the face knows who authenticated.
      if (seen_auth || !has_value || value.empty()) return BadArguments("Bad AUTH parameter");
      seen_auth = true;
    } else {
      return Reply{555, "5.5.4", "Unsupported MAIL parameter"};
    }
  }
  return std::nullopt;
}

std::variant<Command, Reply> ParseMailOrRcpt(Command cmd, std::string_view args) {
  const bool mail = cmd.verb == Verb::kMail;
  const std::string_view keyword = mail ? "FROM:" : "TO:";
  if (!StartsWithNoCase(args, keyword)) {
    return BadArguments(mail ? "Syntax: MAIL FROM:<address>" : "Syntax: RCPT TO:<address>");
  }
  args.remove_prefix(keyword.size());
  if (!args.empty() && args.front() == ' ') args.remove_prefix(1);  // common, tolerated
  const Reply bad_address = mail ? Reply{501, "5.1.7", "Bad sender address syntax"}
                                 : Reply{501, "5.1.3", "Bad recipient address syntax"};
  std::string_view path, params;
  if (!SplitPathAndParams(args, &path, &params)) return bad_address;
  if (path.size() > kMaxAddressBytes + 2) {
    return mail ? Reply{501, "5.1.7", "Sender address too long"}
                : Reply{501, "5.1.3", "Recipient address too long"};
  }
  if (mail && path == "<>") {
    cmd.path.clear();
  } else if (!mail && EqualsNoCase(path, "<Postmaster>")) {
    cmd.path = "Postmaster";
  } else {
    const auto mailbox = PathMailbox(path);
    bool ascii = true;
    if (!mailbox || !IsValidMailbox(*mailbox, &ascii)) return bad_address;
    cmd.path = std::string(*mailbox);
    cmd.path_is_ascii = ascii;
  }
  if (mail) {
    if (auto refusal = ParseMailParams(params, &cmd)) return *refusal;
  } else if (!params.empty()) {
    // No RCPT parameter is offered (no DSN: RFC 3461's NOTIFY/ORCPT).
    return Reply{555, "5.5.4", "Unsupported RCPT parameter"};
  }
  return cmd;
}

}  // namespace

std::string_view VerbName(Verb verb) {
  for (const auto& [name, v] : kVerbs) {
    if (v == verb) return name;
  }
  return "?";
}

bool IsValidMailbox(std::string_view mailbox, bool* ascii) {
  *ascii = true;
  if (mailbox.empty() || mailbox.size() > kMaxAddressBytes) return false;
  const size_t at = mailbox.rfind('@');
  if (at == std::string_view::npos || at == 0) return false;
  const std::string_view local = mailbox.substr(0, at);
  const std::string_view domain = mailbox.substr(at + 1);
  if (local.size() > kMaxLocalPartBytes) return false;
  const bool local_ok =
      local.front() == '"' ? IsQuotedString(local, ascii) : IsDotString(local, ascii);
  if (!local_ok) return false;
  if (!domain.empty() && domain.front() == '[') return IsAddressLiteral(domain);
  return IsDomain(domain, ascii);
}

std::variant<Command, Reply> ParseCommand(std::string_view line) {
  if (line.size() > kMaxCommandBytes) return Syntax("Line too long");
  for (const char c : line) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) return Syntax("Control character in command");
  }
  const size_t sp = line.find(' ');
  const std::string_view word = line.substr(0, sp);
  std::string_view args = sp == std::string_view::npos ? std::string_view() : line.substr(sp + 1);
  std::optional<Verb> verb;
  for (const auto& [name, v] : kVerbs) {
    if (EqualsNoCase(word, name)) verb = v;
  }
  if (!verb) return Syntax();
  // Trailing spaces are common and harmless.
  while (!args.empty() && args.back() == ' ') args.remove_suffix(1);

  Command cmd;
  cmd.verb = *verb;
  switch (*verb) {
    case Verb::kEhlo:
    case Verb::kHelo: {
      bool ascii = true;
      if (args.empty() || args.find(' ') != std::string_view::npos ||
          !(IsDomain(args, &ascii) || IsAddressLiteral(args))) {
        return BadArguments("Syntax: EHLO domain or address literal");
      }
      cmd.domain = std::string(args);
      return cmd;
    }
    case Verb::kMail:
    case Verb::kRcpt:
      return ParseMailOrRcpt(std::move(cmd), args);
    case Verb::kData:
    case Verb::kRset:
    case Verb::kQuit:
    case Verb::kStartTls:
      if (!args.empty()) return BadArguments("No arguments allowed");
      return cmd;
    case Verb::kNoop:
    case Verb::kHelp:
    case Verb::kVrfy:
      return cmd;  // arguments ignored (VRFY is never answered with data)
    case Verb::kBdat: {
      const size_t space = args.find(' ');
      if (!ParseDecimal(args.substr(0, space), &cmd.chunk_size)) {
        return BadArguments("Syntax: BDAT size [LAST]");
      }
      if (space != std::string_view::npos) {
        if (!EqualsNoCase(args.substr(space + 1), "LAST")) {
          return BadArguments("Syntax: BDAT size [LAST]");
        }
        cmd.last_chunk = true;
      }
      return cmd;
    }
    case Verb::kAuth: {
      const size_t space = args.find(' ');
      const std::string_view mechanism = args.substr(0, space);
      if (mechanism.empty()) return BadArguments("Syntax: AUTH mechanism [initial-response]");
      cmd.mechanism = UpperCopy(mechanism);
      if (space != std::string_view::npos) {
        const std::string_view initial = args.substr(space + 1);
        if (initial.empty() || initial.find(' ') != std::string_view::npos) {
          return BadArguments("Syntax: AUTH mechanism [initial-response]");
        }
        cmd.initial_response = std::string(initial);
        cmd.has_initial_response = true;
      }
      return cmd;
    }
  }
  return Syntax();
}

}  // namespace sealpost::smtp::proto
