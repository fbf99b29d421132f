#include "delivery/secure_copy.h"

#include <algorithm>
#include <utility>

#include <fmt/format.h>

#include "crypto/secret_bytes.h"
#include "crypto/security_policy.h"
#include "mime/header_protection.h"
#include "pgp/encryptor.h"
#include "pgp/pgp_mime.h"
#include "smime/certificate_capabilities.h"
#include "telemetry/metrics.h"

namespace sealpost::delivery {
namespace {

namespace policy = crypto::policy;

// docs/operations.md, "Metrics": payloads built against copies made. A message's copies share one
// payload, so the first grows by one per message however many recipients it has.
telemetry::Counter& PayloadsBuilt() {
  static telemetry::Counter& counter =
      telemetry::DefaultRegistry()
          .AddCounter("sealpost_secure_copy_payloads_built_total",
                      "Protected payloads built for S/MIME and OpenPGP copies (one per message).")
          .With();
  return counter;
}

telemetry::Counter& CopiesBuilt() {
  static telemetry::Counter& counter =
      telemetry::DefaultRegistry()
          .AddCounter("sealpost_secure_copies_built_total",
                      "S/MIME and OpenPGP copies signed and encrypted (one per recipient).")
          .With();
  return counter;
}

bool Lists(const std::vector<mime::Mailbox>& boxes, const EmailAddress& address) {
  return std::any_of(boxes.begin(), boxes.end(),
                     [&](const mime::Mailbox& box) { return box.address == address; });
}

Status CheckRecipient(const mime::OutgoingMessage& message, const EmailAddress& recipient) {
  if (message.bcc_self && message.bcc_self->address != recipient) {
    return InvalidArgument("a copy may name only its own recipient as Bcc");
  }
  if (!message.bcc_self && !Lists(message.to, recipient) && !Lists(message.cc, recipient)) {
    return InvalidArgument("the recipient is neither in To or Cc nor this copy's Bcc");
  }
  return Status::Ok();
}

// Counts and sizes before anything is encoded, so an oversized message costs nothing.
Status CheckLimits(const mime::OutgoingMessage& message) {
  if (message.attachments.size() > policy::kSecureCopy.max_attachments) {
    return TooLarge(fmt::format("more than {} attachments", policy::kSecureCopy.max_attachments));
  }
  size_t raw = message.text_body.size() + (message.html_body ? message.html_body->size() : 0);
  for (const mime::Attachment& a : message.attachments) raw += a.data.size();
  // Base64 makes attachments 4/3 as large: the payload's size is at least this.
  if (raw > policy::kSecureCopy.max_payload_bytes / 4 * 3) {
    return TooLarge("the message is too large for a secure copy");
  }
  return Status::Ok();
}

// The address part of an OpenPGP user ID: "addr" or "Name <addr>".
Result<EmailAddress> UserIdAddress(std::string_view user_id) {
  const size_t open = user_id.rfind('<');
  const size_t close = user_id.rfind('>');
  if (open != std::string_view::npos && close != std::string_view::npos && open < close) {
    return EmailAddress::Parse(user_id.substr(open + 1, close - open - 1));
  }
  return EmailAddress::Parse(user_id);
}

bool CertificateNames(const smime::Certificate& certificate, const EmailAddress& address) {
  const std::vector<EmailAddress>& names = certificate.email_addresses();
  return std::find(names.begin(), names.end(), address) != names.end();
}

struct Encrypted {
  std::string part;  // one MIME entity: Content-* headers, empty line, body
  SecureMethod method;
};

Result<Encrypted> EncryptSmime(std::string_view payload, const mime::OutgoingMessage& message,
                               const EmailAddress& recipient, const SenderKeys& sender,
                               const smime::SmimeRecipient& key, TimePoint now) {
  if (!CertificateNames(key.certificate, recipient)) {
    return InvalidArgument("the recipient's certificate is not for the recipient's address");
  }
  if (sender.smime == nullptr) return InvalidArgument("no S/MIME signing key for the sender");
  if (!CertificateNames(sender.smime->certificate(), message.from.address)) {
    return InvalidArgument("the sender's certificate is not for the From address");
  }
  const smime::Envelope envelope = DecideEnvelope(key.certificate, key.capabilities);
  // SignAndEncrypt chooses from the capabilities it is given: give it what DecideEnvelope read.
  smime::SmimeRecipient effective = key;
  effective.capabilities = smime::RecipientCapabilities{
      .aes256_gcm = envelope == smime::Envelope::kAuthEnvelopedAes256Gcm, .aes256_cbc = true};
  SP_ASSIGN_OR_RETURN(smime::SmimeMessage written,
                      smime::SignAndEncrypt(AsBytes(payload), *sender.smime, effective, now));
  if (written.envelope != envelope) return Internal("S/MIME envelope differs from the choice");
  return Encrypted{std::string(AsChars(written.mime_part)),
                   envelope == smime::Envelope::kAuthEnvelopedAes256Gcm
                       ? SecureMethod::kSmimeAuthEnvelopedAes256Gcm
                       : SecureMethod::kSmimeEnvelopedAes256Cbc};
}

Result<Encrypted> EncryptOpenPgp(std::string_view payload, const mime::OutgoingMessage& message,
                                 const EmailAddress& recipient, const SenderKeys& sender,
                                 const pgp::ContactKey& key, TimePoint now) {
  const Result<EmailAddress> key_address = UserIdAddress(key.user_id);
  if (!key_address.ok() || *key_address != recipient) {
    return InvalidArgument("the recipient's OpenPGP key is not for the recipient's address");
  }
  if (sender.openpgp == nullptr) return InvalidArgument("no OpenPGP signing key for the sender");
  const Result<EmailAddress> signer_address = UserIdAddress(sender.openpgp->user_id());
  if (!signer_address.ok() || *signer_address != message.from.address) {
    return InvalidArgument("the sender's OpenPGP key is not for the From address");
  }
  SP_ASSIGN_OR_RETURN(std::string armored,
                      pgp::EncryptAndSign(AsBytes(payload), key, *sender.openpgp, now));
  return Encrypted{pgp::WrapPgpMime(armored).ToEntity(), SecureMethod::kPgpMime};
}

}  // namespace

std::string_view SecureMethodSlug(SecureMethod method) {
  switch (method) {
    case SecureMethod::kSmimeAuthEnvelopedAes256Gcm:
      return "smime-authenveloped-aes256gcm";
    case SecureMethod::kSmimeEnvelopedAes256Cbc:
      return "smime-enveloped-aes256cbc";
    case SecureMethod::kPgpMime:
      return "pgp-mime";
  }
  return "";
}

smime::Envelope DecideEnvelope(const smime::Certificate& certificate,
                               const std::optional<smime::RecipientCapabilities>& recorded) {
  if (recorded) return smime::ChooseEnvelope(recorded);
  return smime::ChooseEnvelope(smime::CapabilitiesInCertificate(certificate));
}

uint64_t SecureCopyPayloadsBuilt() { return PayloadsBuilt().value(); }
uint64_t SecureCopiesBuilt() { return CopiesBuilt().value(); }

ProtectedMessage::~ProtectedMessage() { crypto::WipeString(payload_); }

Result<ProtectedMessage> ProtectedMessage::Build(const mime::OutgoingMessage& message) {
  SP_RETURN_IF_ERROR(CheckLimits(message));
  ProtectedMessage out;
  out.message_ = &message;
  // The outer header section is built with the payload (which records it as HP-Outer).
  SP_ASSIGN_OR_RETURN(mime::ProtectedCopy built, mime::BuildProtected(message));
  out.payload_ = std::move(built.payload);
  out.outer_headers_ = std::move(built.outer_headers);
  if (out.payload_.size() > policy::kSecureCopy.max_payload_bytes) {
    return TooLarge("the message is too large for a secure copy");
  }
  out.digest_ = crypto::Sha256(AsBytes(out.payload_));
  PayloadsBuilt().Increment();
  return out;
}

Result<SecureCopy> BuildSecureCopy(const mime::OutgoingMessage& message,
                                   const EmailAddress& recipient, const SenderKeys& sender,
                                   const RecipientKey& key, TimePoint now) {
  SP_RETURN_IF_ERROR(CheckRecipient(message, recipient));
  SP_ASSIGN_OR_RETURN(const ProtectedMessage built, ProtectedMessage::Build(message));
  return BuildSecureCopy(built, recipient, sender, key, now);
}

Result<SecureCopy> BuildSecureCopy(const ProtectedMessage& built, const EmailAddress& recipient,
                                   const SenderKeys& sender, const RecipientKey& key,
                                   TimePoint now) {
  const mime::OutgoingMessage& message = built.message();
  SP_RETURN_IF_ERROR(CheckRecipient(message, recipient));
  Result<Encrypted> encrypted = std::holds_alternative<smime::SmimeRecipient>(key)
                                    ? EncryptSmime(built.payload(), message, recipient, sender,
                                                   std::get<smime::SmimeRecipient>(key), now)
                                    : EncryptOpenPgp(built.payload(), message, recipient, sender,
                                                     std::get<pgp::ContactKey>(key), now);
  if (!encrypted.ok()) return encrypted.status();

  SP_ASSIGN_OR_RETURN(std::string copy,
                      mime::WrapEncryptedWithHeaders(built.outer_headers(), encrypted->part));
  if (copy.size() > policy::kSecureCopy.max_message_bytes) {
    return TooLarge("the secure copy is too large to send");
  }
  CopiesBuilt().Increment();
  return SecureCopy{std::move(copy), encrypted->method, built.digest()};
}

}  // namespace sealpost::delivery
