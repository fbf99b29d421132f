// Fuzz target: the SMTP server's command side (smtp/proto): the line reader, the command parser,
// the session-state checks, reply formatting and AUTH decoding.
//
// The input is what a client sends between messages. It is split into lines twice, at once and
// in pieces of 1-7 octets (as a socket might deliver it); both must give the same lines.
// Invariants: every accepted command's path is a valid mailbox of at most 254 octets; every
// refusal is a 5xx reply; every formatted reply is one line ending in CRLF with no other CR, LF
// or control character and at most 512 octets.
//
// SECURITY: models a hostile SMTP client.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "smtp/proto/auth.h"
#include "smtp/proto/command.h"
#include "smtp/proto/line_reader.h"
#include "smtp/proto/reply.h"
#include "smtp/proto/session_state.h"

namespace {

namespace proto = sealpost::smtp::proto;

void Check(bool condition) {
  if (!condition) std::abort();
}

void CheckFormatted(const std::string& line) {
  Check(line.size() <= 512 && line.size() >= 5);
  Check(line.substr(line.size() - 2) == "\r\n");
  for (size_t i = 0; i + 2 < line.size(); ++i) {
    const auto u = static_cast<unsigned char>(line[i]);
    Check(u >= 0x20 && u < 0x7f);
  }
}

std::vector<proto::LineReader::Next> Lines(std::string_view bytes, size_t piece) {
  proto::LineReader reader(proto::kMaxCommandBytes);
  std::vector<proto::LineReader::Next> out;
  size_t step = piece;
  while (!bytes.empty()) {
    const size_t n = piece == 0 ? bytes.size() : std::min(bytes.size(), step);
    reader.Append(bytes.substr(0, n));
    bytes.remove_prefix(n);
    step = step % 7 + 1;
    for (;;) {
      auto next = reader.Take();
      if (next.kind == proto::LineReader::Kind::kNeedMore) break;
      Check(next.line.size() <= proto::kMaxCommandBytes);
      out.push_back(std::move(next));
    }
    Check(reader.buffered().size() <= proto::kMaxCommandBytes + 2 + 7 || piece == 0);
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const auto whole = Lines(bytes, 0);
  const auto pieces = Lines(bytes, 3);
  Check(whole.size() == pieces.size());
  for (size_t i = 0; i < whole.size(); ++i) {
    Check(whole[i].kind == pieces[i].kind && whole[i].line == pieces[i].line);
  }

  proto::SessionPolicy policy;
  policy.starttls_offered = true;
  policy.auth_offered = true;
  policy.max_recipients = 5;
  proto::SessionState state(policy);
  for (const auto& next : whole) {
    if (next.kind != proto::LineReader::Kind::kLine) continue;
    auto parsed = proto::ParseCommand(next.line);
    if (auto* refusal = std::get_if<sealpost::smtp::Reply>(&parsed)) {
      Check(refusal->code >= 500 && refusal->code <= 555);
      CheckFormatted(proto::FormatReply(*refusal));
      continue;
    }
    const proto::Command& cmd = std::get<proto::Command>(parsed);
    if (cmd.verb == proto::Verb::kMail || cmd.verb == proto::Verb::kRcpt) {
      Check(cmd.path.size() <= proto::kMaxAddressBytes);
      bool ascii = true;
      if (!cmd.path.empty() && cmd.path != "Postmaster") {
        Check(proto::IsValidMailbox(cmd.path, &ascii));
        Check(ascii == cmd.path_is_ascii);
      }
    }
    if (cmd.verb == proto::Verb::kAuth && cmd.has_initial_response) {
      (void)proto::DecodePlain(cmd.initial_response);
      (void)proto::DecodeLoginLine(cmd.initial_response);
    }
    // Drive the state machine as a session would if every face call succeeded.
    if (auto refusal = state.Check(cmd)) {
      CheckFormatted(proto::FormatReply(*refusal));
      continue;
    }
    switch (cmd.verb) {
      case proto::Verb::kEhlo:
      case proto::Verb::kHelo:
        state.Greeted(cmd.verb == proto::Verb::kEhlo);
        CheckFormatted(proto::FormatReply({250, "", cmd.domain}));
        break;
      case proto::Verb::kMail:
        state.MailAccepted(cmd.mail);
        break;
      case proto::Verb::kRcpt:
        state.RecipientAccepted();
        Check(state.recipients() <= policy.max_recipients);
        break;
      case proto::Verb::kAuth:
        state.Authenticated();
        break;
      case proto::Verb::kData:
      case proto::Verb::kRset:
        state.TransactionEnded();
        break;
      case proto::Verb::kBdat:
        if (cmd.last_chunk) {
          state.TransactionEnded();
        } else {
          state.ChunkingStarted();
        }
        break;
      default:
        break;
    }
  }
  return 0;
}
