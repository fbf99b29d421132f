// Fuzz target: the SMTP reply reader of the relay client (delivery/smtp_reply.h), with what the
// client does with a reply: EHLO keywords, the Status of a refusal, the log summary.
//
// The input is what a relay sends. It is read twice: fed at once, and fed in small pieces of
// varying size (as a socket might deliver it); both must yield the same replies and the same
// error. Invariants: every reply has a code 200-559 and 1-100 lines of fewer than 1000 octets;
// summaries and error messages are printable ASCII and bounded.
//
// SECURITY: models a hostile or broken relay.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "delivery/smtp_reply.h"

namespace {

using sealpost::delivery::SmtpReply;
using sealpost::delivery::SmtpReplyReader;

void Check(bool condition) {
  if (!condition) std::abort();
}

void CheckPrintable(std::string_view text, size_t max) {
  Check(text.size() <= max);
  for (const char c : text) Check(c >= 0x20 && c < 0x7f);
}

struct Outcome {
  std::vector<SmtpReply> replies;
  std::optional<sealpost::Status> error;
};

// Drains the reader after each piece; `piece` 0 feeds everything at once.
Outcome Read(std::string_view bytes, size_t piece) {
  SmtpReplyReader reader;
  Outcome out;
  size_t step = piece;
  while (!bytes.empty()) {
    const size_t n = piece == 0 ? bytes.size() : std::min(bytes.size(), step);
    reader.Feed(bytes.substr(0, n));
    bytes.remove_prefix(n);
    step = step % 7 + 1;  // pieces of 1..7 octets in turn
    for (;;) {
      auto next = reader.Next();
      if (!next.ok()) {
        out.error = next.status();
        return out;
      }
      if (!*next) break;
      out.replies.push_back(**std::move(next));
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const Outcome whole = Read(bytes, 0);
  const Outcome pieces = Read(bytes, 3);

  Check(whole.replies.size() == pieces.replies.size());
  for (size_t i = 0; i < whole.replies.size(); ++i) {
    Check(whole.replies[i].code == pieces.replies[i].code);
    Check(whole.replies[i].lines == pieces.replies[i].lines);
  }
  Check(whole.error.has_value() == pieces.error.has_value());
  if (whole.error) {
    Check(whole.error->code() == sealpost::ErrorCode::kUnavailable);
    Check(whole.error->message() == pieces.error->message());
    CheckPrintable(whole.error->message(), 400);
  }

  for (const SmtpReply& reply : whole.replies) {
    Check(reply.code >= 200 && reply.code <= 559);
    Check(!reply.lines.empty() && reply.lines.size() <= sealpost::delivery::kMaxReplyLines);
    for (const std::string& line : reply.lines) {
      Check(line.size() < sealpost::delivery::kMaxReplyLineOctets);
    }
    CheckPrintable(reply.Summary(), sealpost::delivery::kMaxLoggedReply + 3);
    (void)sealpost::delivery::ParseEhloReply(reply);
    const sealpost::Status refusal = sealpost::delivery::SmtpReplyError("EHLO", reply);
    Check(!refusal.ok());
    CheckPrintable(refusal.message(), 500);
  }
  return 0;
}
