#include "app/internal/secure_copies.h"

#include <algorithm>
#include <memory>

#include <fmt/format.h>

#include "app/internal/contact_trust.h"
#include "crypto/ad_labels.h"
#include "crypto/security_policy.h"
#include "delivery/secure_copy.h"
#include "delivery/tls_direct_sender.h"
#include "keys/member_keys.h"
#include "mime/message_builder.h"
#include "pgp/member_key.h"
#include "pgp/public_key.h"
#include "smime/certified_key.h"

namespace sealpost::app::internal {
namespace {

using crypto::policy::kSecureCopy;

// The sender's signing keys, unwrapped with the UMK for this send only.
struct SenderSigningKeys {
  std::optional<smime::CertifiedKey> smime;
  std::unique_ptr<pgp::MemberKey> openpgp;
};

Result<SenderSigningKeys> LoadSenderKeys(const Services& s, const UserId& sender,
                                         const crypto::Umk& umk) {
  SP_ASSIGN_OR_RETURN(const store::MemberKeysRecord record,
                      s.store.accounts().GetMemberKeys(sender));
  SenderSigningKeys out;
  SP_ASSIGN_OR_RETURN(const crypto::SecretBytes pkcs8,
                      keys::UnwrapCertifiedKey(umk, keys::CertifiedKeyKind::kSmime,
                                               record.smime_wrapped_key, sender));
  SP_ASSIGN_OR_RETURN(smime::Certificate certificate,
                      smime::Certificate::FromDer(record.smime_certificate));
  std::vector<smime::Certificate> chain;
  if (s.pki != nullptr) chain = s.pki->Chain();
  SP_ASSIGN_OR_RETURN(smime::CertifiedKey certified,
                      smime::CertifiedKey::Create(std::move(certificate), std::move(chain), pkcs8));
  out.smime.emplace(std::move(certified));
  SP_ASSIGN_OR_RETURN(const crypto::SecretBytes secret,
                      keys::UnwrapCertifiedKey(umk, keys::CertifiedKeyKind::kOpenPgp,
                                               record.openpgp_wrapped_key, sender));
  SP_ASSIGN_OR_RETURN(out.openpgp, pgp::MemberKey::Load(secret));
  return out;
}

// Reads a whole attachment (authenticated: a truncated or altered blob is an error).
Result<std::string> ReadAttachment(const Services& s, const CopyAttachment& a) {
  SP_ASSIGN_OR_RETURN(std::unique_ptr<blob::BlobReader> reader, s.blobs.Open(a.blob_id, *a.key));
  std::string data;
  data.reserve(static_cast<size_t>(a.size));
  std::vector<uint8_t> buffer(64 * 1024);
  for (;;) {
    SP_ASSIGN_OR_RETURN(const size_t n, reader->Read(buffer));
    if (n == 0) break;
    if (data.size() + n > a.size) return Corruption("an attachment is longer than recorded");
    data.append(reinterpret_cast<const char*>(buffer.data()), n);
  }
  if (data.size() != a.size) return Corruption("an attachment is shorter than recorded");
  return data;
}

Status TooLargeFor(std::string_view what, size_t limit) {
  return TooLarge(fmt::format("the message is too large for {} (at most {} MiB with its "
                              "attachments); send it by secure pickup instead",
                              what, limit >> 20))
      .ShownToClient();
}

// The bytes a copy carries before transfer encoding: the text, the HTML and the attachments.
uint64_t ContentBytes(const CopyContent& c) {
  uint64_t total = c.text.size() + c.html.size();
  for (const CopyAttachment& a : c.attachments) total += a.size;
  return total;
}

Result<mime::OutgoingMessage> BuildMime(const Services& s, const CopyContent& c) {
  SP_ASSIGN_OR_RETURN(EmailAddress from, EmailAddress::Parse(c.from_email));
  std::string message_id = CopyMessageId(c.id, from);
  mime::OutgoingMessage m({c.from_name, std::move(from)});
  for (const std::string& to : c.to) {
    SP_ASSIGN_OR_RETURN(EmailAddress address, EmailAddress::Parse(to));
    m.to.push_back({"", std::move(address)});
  }
  m.subject = c.subject;
  m.date = c.date;
  m.message_id = std::move(message_id);
  m.in_reply_to = c.in_reply_to;
  m.references = c.references;
  m.text_body = c.text;
  if (!c.html.empty()) m.html_body = c.html;
  for (const CopyAttachment& a : c.attachments) {
    SP_ASSIGN_OR_RETURN(std::string data, ReadAttachment(s, a));
    m.attachments.push_back({a.name, a.content_type, std::move(data)});
  }
  return m;
}

Result<delivery::RecipientKey> RecipientKeyOf(const Route& route, TimePoint now) {
  const store::ContactKeyRecord& key = *route.key;
  if (route.method == RouteMethod::kSmime) {
    SP_ASSIGN_OR_RETURN(smime::Certificate certificate, smime::Certificate::FromDer(key.material));
    // The capabilities recorded from the contact's signed mail, if any: DecideEnvelope weighs
    // them against the certificate's own extension.
    return delivery::RecipientKey(smime::SmimeRecipient{
        std::move(certificate), RecordedCapabilities(key.smime_capabilities)});
  }
  // Parsed and checked by routing moments ago: not parsed again.
  if (route.openpgp_key) return delivery::RecipientKey(*route.openpgp_key);
  pgp::KeyImport imported = pgp::ImportPublicKey(key.material, route.address, now);
  SP_RETURN_IF_ERROR(imported.status());
  return delivery::RecipientKey(std::move(imported).TakeKey());
}

}  // namespace

std::string CopyMessageId(const MessageId& id, const EmailAddress& sender) {
  return id.str() + "@" + std::string(sender.domain());
}

std::string SecureCopyPurpose(const SecureCopyId& id) {
  return std::string(crypto::kMasterPurposeSecureCopy) + id.str();
}

std::string_view RouteSlugOfCopyMethod(std::string_view copy_method) {
  if (copy_method == "tls") return "tls";
  if (copy_method.substr(0, 6) == "smime-") return "smime";
  return "openpgp";
}

Result<std::vector<store::SecureCopyRecord>> PrepareSecureCopies(const Services& s,
                                                                 const CopyContent& content,
                                                                 const std::vector<Route>& routes,
                                                                 const crypto::Umk* umk) {
  std::vector<store::SecureCopyRecord> out;
  if (routes.empty()) return out;
  const bool needs_keys = std::any_of(routes.begin(), routes.end(), [](const Route& r) {
    return r.method == RouteMethod::kSmime || r.method == RouteMethod::kOpenPgp;
  });
  const bool needs_tls = std::any_of(routes.begin(), routes.end(),
                                     [](const Route& r) { return r.method == RouteMethod::kTls; });
  // Checked before any attachment is read. Base64 makes 4 bytes of 3; a TLS copy is one layer.
  const uint64_t bytes = ContentBytes(content);
  if (needs_keys && bytes > kSecureCopy.max_payload_bytes * 3 / 4) {
    return TooLargeFor("an S/MIME or OpenPGP copy", kSecureCopy.max_payload_bytes * 3 / 4);
  }
  if (needs_tls && bytes > delivery::kMaxTlsDirectMessageBytes * 3 / 4) {
    return TooLargeFor("delivery over TLS", delivery::kMaxTlsDirectMessageBytes * 3 / 4);
  }
  SenderSigningKeys sender;
  if (needs_keys) {
    if (umk == nullptr) return Internal("secure copies need the sender's UMK");
    SP_ASSIGN_OR_RETURN(sender, LoadSenderKeys(s, content.sender_id, *umk));
  }
  SP_ASSIGN_OR_RETURN(const mime::OutgoingMessage message, BuildMime(s, content));
  // The protected payload and outer fields are the same in every signed and encrypted copy: built
  // once, so that a copy costs its signature and encryption only, however long the To field is.
  std::optional<delivery::ProtectedMessage> protected_message;
  if (needs_keys) {
    auto built = delivery::ProtectedMessage::Build(message);
    if (!built.ok()) {
      if (built.status().code() == ErrorCode::kTooLarge) {
        return TooLargeFor("an S/MIME or OpenPGP copy", kSecureCopy.max_payload_bytes * 3 / 4);
      }
      return built.status();
    }
    protected_message.emplace(std::move(*built));
  }
  std::optional<std::string> tls_copy;  // the same bytes for every TLS recipient
  const TimePoint now = content.date;
  for (const Route& route : routes) {
    store::SecureCopyRecord record;
    record.id = platform::NewId<SecureCopyId>(s.rng);
    record.message_id = content.id;
    record.sender_id = content.sender_id;
    record.recipient = route.address.str();
    record.state = store::SecureCopyState::kQueued;
    record.created_at = now;
    record.next_attempt_at = now;
    std::string raw;
    if (route.method == RouteMethod::kTls) {
      if (!tls_copy) {
        SP_ASSIGN_OR_RETURN(tls_copy, mime::BuildMessage(message));
        if (tls_copy->size() > delivery::kMaxTlsDirectMessageBytes) {
          return TooLargeFor("delivery over TLS", delivery::kMaxTlsDirectMessageBytes * 3 / 4);
        }
      }
      raw = *tls_copy;
      record.method = "tls";
    } else if ((route.method == RouteMethod::kSmime || route.method == RouteMethod::kOpenPgp) &&
               route.key) {
      SP_ASSIGN_OR_RETURN(const delivery::RecipientKey key, RecipientKeyOf(route, now));
      const delivery::SenderKeys keys{sender.smime ? &*sender.smime : nullptr,
                                      sender.openpgp.get()};
      auto copy = delivery::BuildSecureCopy(*protected_message, route.address, keys, key, now);
      if (!copy.ok()) {
        if (copy.status().code() == ErrorCode::kTooLarge) {
          return TooLargeFor("an S/MIME or OpenPGP copy", kSecureCopy.max_payload_bytes * 3 / 4);
        }
        return copy.status();
      }
      raw = std::move(copy->message);
      record.method = std::string(delivery::SecureMethodSlug(copy->method));
    } else {
      return Internal("a secure copy was asked for a recipient routed otherwise");
    }
    record.sealed_copy = s.master.Wrap(AsBytes(raw), SecureCopyPurpose(record.id));
    std::fill(raw.begin(), raw.end(), '\0');  // a TLS copy is the message in clear
    out.push_back(std::move(record));
  }
  if (tls_copy) std::fill(tls_copy->begin(), tls_copy->end(), '\0');
  return out;
}

}  // namespace sealpost::app::internal
