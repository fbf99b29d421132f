// Fuzz target: e-mail messages through mime::ParseMessage, mime::StreamedMessage and
// mime::ParseDecrypted (what the SMTP gateway receives and what S/MIME / OpenPGP decryption
// yields), then the parsed fields through mime::BuildMessage, as a reply or a forward would use
// them.
//
// Invariants: a refusal is InvalidArgument or TooLarge; an accepted message has valid UTF-8
// everywhere, no control character in any header value, file name or id, at most
// kMimeParse.max_parts attachments, HP-Outer fields only when header protection was declared.
// Building from parsed fields succeeds or is InvalidArgument, and what it builds parses again
// with the same subject and as many attachments. mime::StreamedMessage reads the same bytes
// from a source to the same result (attachment bytes included), or refuses them alike.
//
// SECURITY: models any SMTP client and any sender of encrypted mail.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <span>
#include <string>
#include <string_view>

#include "core/text.h"
#include "crypto/security_policy.h"
#include "mime/message_builder.h"
#include "mime/message_parser.h"
#include "mime/streamed_message.h"

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

// The bytes as a spool hands them out: read at any offset, a few bytes at a time.
class BytesSource final : public sealpost::mime::MessageSource {
 public:
  explicit BytesSource(std::string_view bytes) : bytes_(bytes) {}
  uint64_t size() const override { return bytes_.size(); }
  sealpost::Result<size_t> ReadAt(uint64_t offset, std::span<uint8_t> out) override {
    const size_t n = std::min<size_t>({out.size(), bytes_.size() - offset, 7});
    std::memcpy(out.data(), bytes_.data() + offset, n);
    return n;
  }

 private:
  std::string_view bytes_;
};

// The streamed parse (the SMTP gateway's) reads what the in-memory one reads, attachments
// included, and refuses what it refuses.
void CompareStreamed(std::string_view bytes, const sealpost::Result<ParsedMessage>& whole) {
  BytesSource source(bytes);
  auto streamed = sealpost::mime::StreamedMessage::Parse(source);
  Check(streamed.ok() == whole.ok());
  if (!streamed.ok()) {
    Check(streamed.status().code() == whole.status().code());
    return;
  }
  const ParsedMessage& m = (*streamed)->message();
  Check(m.subject == whole->subject && m.text_body == whole->text_body);
  Check(m.html_body == whole->html_body);
  Check(m.attachments.size() == whole->attachments.size());
  for (size_t i = 0; i < m.attachments.size(); ++i) {
    Check(m.attachments[i].filename == whole->attachments[i].filename);
    Check(m.attachments[i].content_type == whole->attachments[i].content_type);
    std::string data;
    const sealpost::Status copied = (*streamed)->CopyAttachment(i, [&](sealpost::ByteView b) {
      data.append(sealpost::AsChars(b));
      return sealpost::Status::Ok();
    });
    Check(copied.ok() && data == whole->attachments[i].data);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const auto parsed = sealpost::mime::ParseMessage(bytes);
  CheckParsed(parsed);
  if (parsed.ok()) Rebuild(*parsed);
  CompareStreamed(bytes, parsed);
  // The same bytes split in two, as an outer message and a decrypted payload: the
  // header-protection path.
  const size_t half = size / 2;
  CheckParsed(sealpost::mime::ParseDecrypted(bytes.substr(0, half), bytes.substr(half)));
  return 0;
}
