// The plaintext forms of a sealed message and its seal (byte layouts: docs/formats/message.md).
//
// A message has a *summary* (subject, parties, attachment list with per-attachment keys and
// digests, body digest, seal) and a *body* (text and HTML). Both are JSON, encrypted under the
// message data key with associated data naming the message and its sender. The seal is the
// sender's Ed25519 signature over the canonical summary without the seal itself, so it covers
// the exact content (through the digests), the recipients and the time. Pure; thread-safe.
//
// Secrets: the summary holds each attachment's blob key. In memory it is a crypto::BlobKey; in the
// summary JSON it stays a base64 string (the stored format, and the seal covers those bytes). The
// encoded summary and seal statement are returned in SecretBytes; they are written without a
// json tree (app/internal/json_text.h, byte for byte what nlohmann::json::dump() wrote, so that
// stored seals keep verifying) into a wiping buffer, and the base64 copies of the keys are wiped
// once used. What cannot be wiped: nlohmann::json's own intermediate buffers while it parses
// (its lexer's token buffer), which free their memory unwiped. The summary plaintext itself only
// lives in SecretBytes and wiped buffers.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/encoding.h"
#include "core/ids.h"
#include "core/status.h"
#include "crypto/key_roles.h"
#include "crypto/secret_bytes.h"
#include "crypto/signature.h"

namespace sealpost::app {

struct AttachmentMeta {
  std::string name;
  std::string content_type;
  uint64_t size = 0;
  std::string sha256_hex;
  crypto::BlobKey key;  // the attachment's blob key (inside the encrypted summary only)
};

// What the inbound gateway saw when it received a message from outside (app/inbound_mail.h),
// under the seal; absent for every other message. Texts are the gateway's own words.
struct ReceivedFromOutside {
  std::string envelope_from;   // MAIL FROM; empty for the null reverse path
  std::string client_address;  // the sending server's IP address
  std::string spf;             // "pass", "fail", "softfail", "neutral", "none", "temperror"…
  std::string spf_domain;      // the domain SPF checked (MAIL FROM's, else the HELO name)
  std::string dkim;            // "pass", "fail", "none"
  std::string dkim_domain;     // d= of the signature judged
  std::string protection;      // "", "smime", "openpgp": opened when the member reads it
};

struct MessageSummary {
  MessageId id;
  std::string from_email;
  std::string from_name;
  std::vector<std::string> to;
  // Cc: seen by every recipient like `to`. Bcc: only ever one address, alone on its message (no
  // `to`, no `cc`): each Bcc recipient gets a message of their own (app/mailbox.h). Both are in
  // the summary only when not empty, so that older summaries keep their seal statement.
  std::vector<std::string> cc;
  std::vector<std::string> bcc;
  int64_t created_ms = 0;
  std::string subject;
  std::string body_sha256_hex;
  std::vector<AttachmentMeta> attachments;
  // Threads: the message this one answers and the thread's first message. Both empty for a
  // message that starts a thread (its own id is then the thread id); under the seal when set.
  std::string in_reply_to;
  std::string thread_id;
  std::optional<ReceivedFromOutside> received;
  // Whose key made the seal, under the seal: empty — the sender's own (a member; a portal reply
  // is told by its sender row, app/portal_author.h); "gateway" — the platform's gateway key on
  // behalf of the member `from_email` names (mail the relay face took, app/gateway_author.h).
  std::string sealed_by;
  Bytes seal;  // Ed25519 signature
};

inline constexpr const char* kSealedByGateway = "gateway";

// The thread a message belongs to: its first message's id.
inline std::string ThreadOf(const MessageSummary& s) {
  return s.thread_id.empty() ? s.id.str() : s.thread_id;
}

struct MessageBody {
  std::string text;
  std::string html;
};

std::string SummaryAd(const MessageId& id, const UserId& sender);
std::string BodyAd(const MessageId& id, const UserId& sender);

// The statement the sender signs: everything in the summary except the seal. Secret (it holds the
// attachment keys).
crypto::SecretBytes SealStatement(const MessageSummary& summary);

// The summary's plaintext, to be sealed under the data key.
crypto::SecretBytes EncodeSummary(const MessageSummary& summary);
Result<MessageSummary> DecodeSummary(std::string_view json);
std::string EncodeBody(const MessageBody& body);
Result<MessageBody> DecodeBody(std::string_view json);

}  // namespace sealpost::app
