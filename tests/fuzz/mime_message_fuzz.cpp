// Fuzz target: e-mail messages through mime::ParseMessage and mime::ParseDecrypted (what the SMTP
// gateway receives and what S/MIME / OpenPGP decryption yields), then the parsed fields through
// mime::BuildMessage, as a reply or a forward would use them.
//
// Invariants: a refusal is InvalidArgument or TooLarge; an accepted message has valid UTF-8
// everywhere, no control character in any header value, file name or id, at most
// kMimeParse.max_parts attachments, HP-Outer fields only when header protection was declared.
// Building from parsed fields succeeds or is InvalidArgument, and what it builds parses again
// with the same subject and as many attachments.
//
// SECURITY: models any SMTP client and any sender of encrypted mail.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/text.h"
#include "crypto/security_policy.h"
#include "mime/message_builder.h"
#include "mime/message_parser.h"

namespace {

using sealpost::ErrorCode;
using sealpost::mime::HeaderProtection;
using sealpost::mime::ParsedMailbox;
using sealpost::mime::ParsedMessage;

void Check(bool condition) {
  if (!condition) std::abort();
}

void CheckHeaderValue(std::string_view text) {
  Check(sealpost::IsValidUtf8(text));
  Check(!sealpost::HasControlCharacters(text, /*allow_line_breaks=*/false));
}

void CheckMailboxes(const std::vector<ParsedMailbox>& list) {
  for (const ParsedMailbox& m : list) {
    CheckHeaderValue(m.display_name);
    CheckHeaderValue(m.address);
  }
}

void CheckParsed(const sealpost::Result<ParsedMessage>& parsed) {
  if (!parsed.ok()) {
    const ErrorCode code = parsed.status().code();
    Check(code == ErrorCode::kInvalidArgument || code == ErrorCode::kTooLarge);
    return;
  }
  const ParsedMessage& m = *parsed;
  CheckMailboxes(m.from);
  CheckMailboxes(m.to);
  CheckMailboxes(m.cc);
  CheckMailboxes(m.bcc);
  CheckMailboxes(m.reply_to);
  CheckHeaderValue(m.subject);
  CheckHeaderValue(m.message_id);
  CheckHeaderValue(m.in_reply_to);
  for (const std::string& id : m.references) CheckHeaderValue(id);
  Check(sealpost::IsValidUtf8(m.text_body));
  if (m.html_body) Check(sealpost::IsValidUtf8(*m.html_body));
  Check(m.attachments.size() <= sealpost::crypto::policy::kMimeParse.max_parts);
  for (const auto& a : m.attachments) {
    CheckHeaderValue(a.filename);
    CheckHeaderValue(a.content_type);
  }
  if (m.header_protection == HeaderProtection::kNone) Check(m.hp_outer.empty());
  for (const auto& [name, value] : m.hp_outer) {
    CheckHeaderValue(name);
    CheckHeaderValue(value);
  }
}

// A reply built from what was parsed: the builder refuses or builds something parseable.
void Rebuild(const ParsedMessage& m) {
  auto from = sealpost::EmailAddress::Parse("fuzz@sealpost.example");
  auto to = sealpost::EmailAddress::Parse("peer@partner.example");
  Check(from.ok() && to.ok());
  sealpost::mime::OutgoingMessage reply(
      sealpost::mime::Mailbox{m.from.empty() ? std::string() : m.from[0].display_name, *from});
  reply.to = {{m.to.empty() ? std::string() : m.to[0].display_name, *to}};
  reply.subject = m.subject;
  reply.message_id = "reply@sealpost.example";
  reply.in_reply_to = m.message_id;
  reply.text_body = m.text_body;
  reply.html_body = m.html_body;
  for (const auto& a : m.attachments) {
    reply.attachments.push_back({a.filename, a.content_type, a.data});
  }
  auto built = sealpost::mime::BuildMessage(reply);
  if (!built.ok()) {
    Check(built.status().code() == ErrorCode::kInvalidArgument);
    return;
  }
  auto again = sealpost::mime::ParseMessage(*built);
  Check(again.ok());
  // Parsed subjects are trimmed and free of control characters: they survive a round trip.
  Check(again->subject == m.subject);
  Check(again->attachments.size() == m.attachments.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const auto parsed = sealpost::mime::ParseMessage(bytes);
  CheckParsed(parsed);
  if (parsed.ok()) Rebuild(*parsed);
  // The same bytes split in two, as an outer message and a decrypted payload: the
  // header-protection path.
  const size_t half = size / 2;
  CheckParsed(sealpost::mime::ParseDecrypted(bytes.substr(0, half), bytes.substr(half)));
  return 0;
}
