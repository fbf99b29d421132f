#include "app/contacts.h"

#include <algorithm>
#include <cctype>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "app/internal/audit_event.h"
#include "app/internal/contact_trust.h"
#include "crypto/secret_bytes.h"
#include "crypto/security_policy.h"
#include "mime/message_parser.h"
#include "pgp/public_key.h"
#include "platform/rng.h"
#include "smime/certificate.h"
#include "smime/certificate_capabilities.h"
#include "smime/certificate_validation.h"

namespace sealpost::app {
namespace {

using crypto::policy::kImport;
using crypto::policy::kKeyDirectory;
using internal::KeyStatus;

Status RequireAdmin(const AuthContext& ctx) {
  if (!ctx.user.is_admin) return PermissionDenied("administrators only");
  return Status::Ok();
}

// A mail starts with a header field: a name of printable characters without a colon, then ':'.
bool LooksLikeMail(std::string_view text) {
  const size_t colon = text.find(':');
  if (colon == 0 || colon == std::string_view::npos || colon > 76) return false;
  for (size_t i = 0; i < colon; ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c <= 32 || c >= 127) return false;
  }
  return true;
}

// What an upload declared as application/octet-stream (or nothing) most likely is. A wrong guess
// is harmless: the importer of the guessed kind refuses what it cannot read.
KeyFormat Sniff(ByteView bytes) {
  const std::string_view text = AsChars(bytes).substr(0, 8192);
  if (text.find("-----BEGIN PGP") != std::string_view::npos) return KeyFormat::kOpenPgp;
  if (text.find("-----BEGIN") != std::string_view::npos) return KeyFormat::kCertificate;
  if (bytes.empty()) return KeyFormat::kCertificate;
  if (bytes[0] == 0x30) return KeyFormat::kCertificate;    // DER SEQUENCE
  if ((bytes[0] & 0x80) != 0) return KeyFormat::kOpenPgp;  // an OpenPGP packet tag
  if (LooksLikeMail(text)) return KeyFormat::kSignedMail;
  return KeyFormat::kCertificate;
}

std::string AlgorithmOf(const smime::Certificate& cert) {
  const smime::PublicKeyInfo& k = cert.key();
  switch (k.type) {
    case smime::KeyType::kRsa:
      return fmt::format("RSA {}", k.bits);
    case smime::KeyType::kEc:
      return "EC " + k.curve;
    case smime::KeyType::kEd25519:
      return "Ed25519";
    case smime::KeyType::kEd448:
      return "Ed448";
    case smime::KeyType::kOther:
      break;
  }
  return "other";
}

std::string Refusal(std::string_view what, std::string_view slug, std::string_view detail) {
  return fmt::format("{} refused ({}): {}", what, slug, detail);
}

// The certificates a signed mail carries: its multipart/signed signature, or an opaque
// application/pkcs7-mime signed-data part.
// `capabilities`: what the signer's SignerInfo announced it decrypts (SMIMECapabilities).
Result<smime::CertificateChain> CertificatesOfSignedMail(
    ByteView bytes, std::optional<EmailAddress>* sender,
    std::optional<smime::RecipientCapabilities>* capabilities) {
  if (bytes.size() > kImport.max_signed_mail_bytes) {
    return TooLarge(Refusal("signed mail", "too-large",
                            fmt::format("{} bytes, more than the {} a signed mail may have",
                                        bytes.size(), kImport.max_signed_mail_bytes)))
        .ShownToClient();
  }
  auto parsed = mime::ParseMessage(AsChars(bytes));
  if (!parsed.ok()) {
    return InvalidArgument(
               Refusal("signed mail", "not-a-certificate", "the file is not a readable e-mail"))
        .ShownToClient();
  }
  if (!parsed->from.empty()) {
    auto from = EmailAddress::Parse(parsed->from.front().address);
    if (from.ok()) *sender = std::move(*from);
  }
  std::vector<std::string_view> candidates(parsed->signatures.begin(), parsed->signatures.end());
  for (const mime::ParsedAttachment& a : parsed->attachments) {
    if (a.content_type == "application/pkcs7-mime" ||
        a.content_type == "application/x-pkcs7-mime" ||
        a.content_type == "application/pkcs7-signature" ||
        a.content_type == "application/x-pkcs7-signature") {
      candidates.push_back(a.data);
    }
  }
  for (const std::string_view c : candidates) {
    smime::CertificateImport imported = smime::ImportCertificates(AsBytes(c));
    if (imported.ok()) {
      *capabilities = smime::CapabilitiesInSignedData(AsBytes(c), imported.certificates->leaf);
      return std::move(*imported.certificates);
    }
  }
  return InvalidArgument(Refusal("signed mail", "not-a-certificate",
                                 "the message carries no S/MIME signature with a certificate"))
      .ShownToClient();
}

// A refused upload: never stored; the status describes the upload only.
Result<store::ContactKeyRecord> CertificateRecord(const smime::CertificateChain& certs,
                                                  const std::optional<EmailAddress>& address) {
  store::ContactKeyRecord r;
  const smime::Certificate& leaf = certs.leaf;
  if (address) {
    r.address = address->str();
  } else if (leaf.email_addresses().size() == 1) {
    r.address = leaf.email_addresses().front().str();
  } else if (leaf.email_addresses().empty()) {
    return InvalidArgument(Refusal("certificate", "address-mismatch",
                                   "the certificate names no e-mail address"))
        .ShownToClient();
  } else {
    return InvalidArgument(
               "the certificate names several addresses: say which one it is imported for")
        .ShownToClient();
  }
  r.kind = store::ContactKeyKind::kSmime;
  r.material = leaf.der();
  for (const smime::Certificate& c : certs.chain) r.chain_pem += c.ToPem();
  r.fingerprint = leaf.FingerprintHex();
  r.algorithm = AlgorithmOf(leaf);
  r.not_before = leaf.not_before();
  r.not_after = leaf.not_after();
  return r;
}

// `revoked_fingerprint`: set when the key is refused because it carries a revocation.
Result<store::ContactKeyRecord> OpenPgpRecord(ByteView bytes,
                                              const std::optional<EmailAddress>& address,
                                              TimePoint now, std::string* revoked_fingerprint) {
  if (!address) {
    return InvalidArgument("an OpenPGP key needs the address it is imported for (address)")
        .ShownToClient();
  }
  pgp::KeyImport imported = pgp::ImportPublicKey(bytes, *address, now);
  if (!imported.ok()) {
    *revoked_fingerprint = imported.revoked_fingerprint();
    return imported.status();
  }
  pgp::ContactKey key = std::move(imported).TakeKey();
  store::ContactKeyRecord r;
  r.address = address->str();
  r.kind = store::ContactKeyKind::kOpenPgp;
  r.material = std::move(key.public_key);
  r.fingerprint = key.fingerprint;
  r.algorithm = key.algorithm == key.encryption_algorithm
                    ? key.algorithm
                    : key.algorithm + " / " + key.encryption_algorithm;
  r.not_before = key.created;
  r.not_after = key.expires;
  if (key.encryption_expires && (!r.not_after || *key.encryption_expires < *r.not_after)) {
    r.not_after = key.encryption_expires;
  }
  return r;
}

// Without colons and white space, lower-cased: "AB:CD ef\n" -> "abcdef".
std::string NormalisedFingerprint(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    if (c == ':' || std::isspace(static_cast<unsigned char>(c)) != 0) continue;
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

std::string StatusName(KeyStatus status) {
  switch (status) {
    case KeyStatus::kTrusted:
      return "trusted";
    case KeyStatus::kNeedsVerification:
      return "needs-verification";
    case KeyStatus::kRefused:
      break;
  }
  return "refused";
}

std::string EventDetails(const store::ContactKeyRecord& key) {
  nlohmann::json details = {
      {"kind", KindName(key.kind)}, {"address", key.address}, {"fingerprint", key.fingerprint}};
  if (key.owner) details["owner"] = key.owner->str();
  return details.dump();
}

}  // namespace

std::string_view KindName(store::ContactKeyKind kind) {
  return kind == store::ContactKeyKind::kOpenPgp ? "openpgp" : "smime";
}

std::string_view SourceName(store::ContactKeySource source) {
  if (source == store::ContactKeySource::kSeenInMail) return "seen-in-signed-mail";
  return source == store::ContactKeySource::kSignedMail ? "signed-mail" : "upload";
}

Contacts::Contacts(const Services& services, KeyDirectoryOptions options)
    : s_(services),
      anchors_(std::make_shared<internal::ContactAnchors>(services,
                                                          std::move(options.ca_bundle_path))) {}

Result<ContactKeyView> Contacts::ViewOf(const store::ContactKeyRecord& key) {
  SP_ASSIGN_OR_RETURN(const std::optional<smime::TrustAnchors> anchors, anchors_->Current());
  return ViewWith(key, anchors, s_.clock.Now());
}

ContactKeyView Contacts::ViewWith(const store::ContactKeyRecord& key,
                                  const std::optional<smime::TrustAnchors>& anchors,
                                  TimePoint now) const {
  return ViewFrom(key, internal::AssessContactKey(key, anchors, now));
}

ContactKeyView Contacts::ViewFrom(const store::ContactKeyRecord& key,
                                  const internal::KeyAssessment& a) const {
  ContactKeyView v;
  v.id = key.id.str();
  v.address = key.address;
  v.kind = key.kind;
  v.fingerprint = key.fingerprint;
  v.algorithm = key.algorithm;
  v.smime_capabilities = key.smime_capabilities;
  if (key.kind == store::ContactKeyKind::kSmime) {
    auto cert = smime::Certificate::FromDer(key.material);
    if (cert.ok()) {
      v.subject = cert->subject();
      v.issuer = cert->issuer();
    }
  }
  v.not_before = key.not_before;
  v.not_after = key.not_after;
  v.source = key.source;
  v.organisation = !key.owner.has_value();
  v.added_by = key.added_by.str();
  v.added_at = key.added_at;
  v.verified_at = key.verified_at;
  v.revoked_at = key.revoked_at;
  v.revoked_reason = key.revoked_reason;
  v.status = StatusName(a.status);
  v.problem = a.problem;
  return v;
}

Result<std::vector<ContactKeyView>> Contacts::ViewsOf(
    const std::vector<store::ContactKeyRecord>& keys) {
  // One set of anchors and one instant for the whole list.
  SP_ASSIGN_OR_RETURN(const std::optional<smime::TrustAnchors> anchors, anchors_->Current());
  const TimePoint now = s_.clock.Now();
  std::vector<ContactKeyView> out;
  out.reserve(keys.size());
  for (const auto& k : keys) out.push_back(ViewWith(k, anchors, now));
  return out;
}

Result<ContactKeyView> Contacts::ImportFor(const AuthContext& ctx,
                                           const std::optional<UserId>& owner, ByteView bytes,
                                           KeyFormat format, std::string_view address_text) {
  std::optional<EmailAddress> address;
  if (!address_text.empty()) {
    auto parsed = EmailAddress::Parse(address_text);
    if (!parsed.ok()) return parsed.status().ShownToClient(Reason::kInvalidEmail);
    address = std::move(*parsed);
  }
  if (format == KeyFormat::kAuto) format = Sniff(bytes);
  const TimePoint now = s_.clock.Now();
  store::ContactKeyRecord record;
  if (format == KeyFormat::kOpenPgp) {
    std::string revoked_fingerprint;
    auto parsed = OpenPgpRecord(bytes, address, now, &revoked_fingerprint);
    if (!parsed.ok() && !revoked_fingerprint.empty()) {
      // A revocation certificate for a key of this directory: revoke that entry.
      SP_ASSIGN_OR_RETURN(std::optional<ContactKeyView> revoked,
                          RevokeByCertificate(ctx, owner, *address, revoked_fingerprint));
      if (revoked) return std::move(*revoked);
    }
    SP_ASSIGN_OR_RETURN(record, std::move(parsed));
  } else {
    std::optional<smime::CertificateChain> certs;
    std::optional<smime::RecipientCapabilities> capabilities;
    if (format == KeyFormat::kSignedMail) {
      std::optional<EmailAddress> sender;
      SP_ASSIGN_OR_RETURN(certs, CertificatesOfSignedMail(bytes, &sender, &capabilities));
      // The signer's certificate is for the sender of the mail unless the member said otherwise.
      if (!address && sender) address = std::move(sender);
      record.source = store::ContactKeySource::kSignedMail;
    } else {
      smime::CertificateImport imported = smime::ImportCertificates(bytes);
      if (!imported.ok()) return imported.ToStatus();
      certs = std::move(imported.certificates);
      // A .p7s uploaded as it is: its signer's capabilities count as a signed mail's.
      capabilities = smime::CapabilitiesInSignedData(bytes, certs->leaf);
    }
    const store::ContactKeySource source = record.source;
    SP_ASSIGN_OR_RETURN(record, CertificateRecord(*certs, address));
    record.source = source;
    record.smime_capabilities = internal::CapabilitiesRecord(capabilities);
  }
  // The same judgement the list and routing make; a refusal keeps nothing. An OpenPGP key was
  // accepted by pgp::ImportPublicKey for this address at `now` above, which is that judgement's
  // parse: it is not parsed again, neither here nor for the answer (each parse checks every
  // user ID's self-signature: most of an import's time for a key with many).
  internal::KeyAssessment assessment;
  if (record.kind == store::ContactKeyKind::kOpenPgp) {
    assessment = internal::AssessAcceptedOpenPgpKey(record, now);
  } else {
    SP_ASSIGN_OR_RETURN(const std::optional<smime::TrustAnchors> anchors, anchors_->Current());
    assessment = internal::AssessContactKey(record, anchors, now);
  }
  if (assessment.status == KeyStatus::kRefused) {
    return InvalidArgument(
               Refusal(record.kind == store::ContactKeyKind::kSmime ? "certificate" : "OpenPGP key",
                       assessment.problem, assessment.detail))
        .ShownToClient();
  }
  record.id = platform::NewId<store::ContactKeyId>(s_.rng);
  record.owner = owner;
  record.added_by = ctx.user.id;
  record.added_at = now;
  const size_t limit =
      owner ? kKeyDirectory.max_keys_per_member : kKeyDirectory.max_organisation_keys;
  SP_RETURN_IF_ERROR(s_.store.Write([&](store::WriteTxn& tx) -> Status {
    SP_ASSIGN_OR_RETURN(const int64_t count, tx.keys().CountContactKeys(owner));
    if (count >= static_cast<int64_t>(limit)) {
      return Conflict(fmt::format("the key directory holds at most {} keys here", limit))
          .ShownToClient();
    }
    const Status added = tx.keys().AddContactKey(record);
    if (added.code() == ErrorCode::kConflict) {
      return Conflict("this key is in the directory for this address already").ShownToClient();
    }
    SP_RETURN_IF_ERROR(added);
    return RecordEvent(s_, tx, owner ? "contact_key_added" : "organisation_key_added",
                       ctx.user.id.str(), record.id.str(), EventDetails(record));
  }));
  return ViewFrom(record, assessment);
}

Result<ContactKeyView> Contacts::Import(const AuthContext& ctx, ByteView bytes, KeyFormat format,
                                        std::string_view address) {
  return ImportFor(ctx, ctx.user.id, bytes, format, address);
}

Result<std::vector<ContactKeyView>> Contacts::List(const AuthContext& ctx) {
  SP_ASSIGN_OR_RETURN(std::vector<store::ContactKeyRecord> keys,
                      s_.store.keys().ListContactKeys(ctx.user.id));
  SP_ASSIGN_OR_RETURN(const std::vector<store::ContactKeyRecord> org,
                      s_.store.keys().ListContactKeys(std::nullopt));
  keys.insert(keys.end(), org.begin(), org.end());
  return ViewsOf(keys);
}

Result<ContactKeyView> Contacts::Get(const AuthContext& ctx, std::string_view id_text) {
  auto id = store::ContactKeyId::Parse(id_text);
  if (!id.ok()) return NotFound("contact key not found");
  SP_ASSIGN_OR_RETURN(const store::ContactKeyRecord key, s_.store.keys().GetContactKey(*id));
  if (key.owner && *key.owner != ctx.user.id) return NotFound("contact key not found");
  return ViewOf(key);
}

Status Contacts::DeleteKey(const AuthContext& ctx, const std::optional<UserId>& owner,
                           std::string_view id_text) {
  auto id = store::ContactKeyId::Parse(id_text);
  if (!id.ok()) return NotFound("contact key not found");
  SP_ASSIGN_OR_RETURN(const store::ContactKeyRecord key, s_.store.keys().GetContactKey(*id));
  if (key.owner != owner) return NotFound("contact key not found");
  return s_.store.Write([&](store::WriteTxn& tx) -> Status {
    SP_RETURN_IF_ERROR(tx.keys().DeleteContactKey(key.id, s_.clock.Now()));
    return RecordEvent(s_, tx, owner ? "contact_key_deleted" : "organisation_key_deleted",
                       ctx.user.id.str(), key.id.str(), EventDetails(key));
  });
}

Status Contacts::Delete(const AuthContext& ctx, std::string_view id) {
  return DeleteKey(ctx, ctx.user.id, id);
}

Result<ContactKeyView> Contacts::Verify(const AuthContext& ctx, std::string_view id_text,
                                        std::string_view fingerprint) {
  auto id = store::ContactKeyId::Parse(id_text);
  if (!id.ok()) return NotFound("contact key not found");
  SP_ASSIGN_OR_RETURN(store::ContactKeyRecord key, s_.store.keys().GetContactKey(*id));
  if (key.owner != ctx.user.id) return NotFound("contact key not found");
  SP_ASSIGN_OR_RETURN(const ContactKeyView before, ViewOf(key));
  if (before.status == "refused") {
    return InvalidArgument(fmt::format("a refused key cannot be verified ({})", before.problem))
        .ShownToClient();
  }
  const std::string expected = NormalisedFingerprint(key.fingerprint);
  const std::string given = NormalisedFingerprint(fingerprint);
  if (!crypto::ConstantTimeEquals(AsBytes(expected), AsBytes(given))) {
    return InvalidArgument("the fingerprint does not match this key").ShownToClient();
  }
  const TimePoint now = s_.clock.Now();
  SP_RETURN_IF_ERROR(s_.store.Write([&](store::WriteTxn& tx) -> Status {
    SP_RETURN_IF_ERROR(tx.keys().MarkContactKeyVerified(key.id, ctx.user.id, now));
    return RecordEvent(s_, tx, "contact_key_verified", ctx.user.id.str(), key.id.str(),
                       EventDetails(key));
  }));
  key.verified_by = ctx.user.id;
  key.verified_at = now;
  return ViewOf(key);
}

namespace {

// 1..kMaxRevokeReasonBytes bytes, no control characters (it is shown in lists and the audit log).
Status CheckRevokeReason(std::string_view reason) {
  if (reason.empty() || reason.size() > kMaxRevokeReasonBytes) {
    return InvalidArgument(
               fmt::format("reason: say why, in 1 to {} characters", kMaxRevokeReasonBytes))
        .ShownToClient();
  }
  for (const char c : reason) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      return InvalidArgument("reason: control characters are not allowed").ShownToClient();
    }
  }
  return Status::Ok();
}

}  // namespace

Result<ContactKeyView> Contacts::RevokeKey(const AuthContext& ctx,
                                           const std::optional<UserId>& owner,
                                           std::string_view id_text, std::string_view reason) {
  auto id = store::ContactKeyId::Parse(id_text);
  if (!id.ok()) return NotFound("contact key not found");
  SP_ASSIGN_OR_RETURN(store::ContactKeyRecord key, s_.store.keys().GetContactKey(*id));
  if (key.owner != owner) return NotFound("contact key not found");
  SP_RETURN_IF_ERROR(CheckRevokeReason(reason));
  const TimePoint now = s_.clock.Now();
  const std::string why(reason);
  SP_RETURN_IF_ERROR(s_.store.Write([&](store::WriteTxn& tx) -> Status {
    const Status s = tx.keys().MarkContactKeyRevoked(key.id, now, why);
    if (s.code() == ErrorCode::kConflict) {
      return Conflict("this key is revoked already").ShownToClient();
    }
    SP_RETURN_IF_ERROR(s);
    nlohmann::json details = nlohmann::json::parse(EventDetails(key));
    details["reason"] = why;
    return RecordEvent(s_, tx, owner ? "contact_key_revoked" : "organisation_key_revoked",
                       ctx.user.id.str(), key.id.str(), details.dump());
  }));
  key.revoked_at = now;
  key.revoked_reason = why;
  return ViewOf(key);
}

Result<std::optional<ContactKeyView>> Contacts::RevokeByCertificate(
    const AuthContext& ctx, const std::optional<UserId>& owner, const EmailAddress& address,
    const std::string& fingerprint) {
  SP_ASSIGN_OR_RETURN(const std::vector<store::ContactKeyRecord> keys,
                      s_.store.keys().ListContactKeys(owner));
  const auto it = std::find_if(keys.begin(), keys.end(), [&](const store::ContactKeyRecord& k) {
    return k.kind == store::ContactKeyKind::kOpenPgp && k.address == address.str() &&
           k.fingerprint == fingerprint;
  });
  if (it == keys.end()) return std::optional<ContactKeyView>();
  store::ContactKeyRecord key = *it;
  if (!key.revoked_at) {
    const TimePoint now = s_.clock.Now();
    const std::string why = kRevocationCertificateReason;
    SP_RETURN_IF_ERROR(s_.store.Write([&](store::WriteTxn& tx) -> Status {
      SP_RETURN_IF_ERROR(tx.keys().MarkContactKeyRevoked(key.id, now, why));
      nlohmann::json details = nlohmann::json::parse(EventDetails(key));
      details["reason"] = why;
      return RecordEvent(s_, tx, owner ? "contact_key_revoked" : "organisation_key_revoked",
                         ctx.user.id.str(), key.id.str(), details.dump());
    }));
    key.revoked_at = now;
    key.revoked_reason = why;
  }
  SP_ASSIGN_OR_RETURN(ContactKeyView view, ViewOf(key));
  return std::optional<ContactKeyView>(std::move(view));
}

Result<ContactKeyView> Contacts::Revoke(const AuthContext& ctx, std::string_view id,
                                        std::string_view reason) {
  return RevokeKey(ctx, ctx.user.id, id, reason);
}

Result<ContactKeyView> Contacts::RevokeOrganisationKey(const AuthContext& ctx, std::string_view id,
                                                       std::string_view reason) {
  SP_RETURN_IF_ERROR(RequireAdmin(ctx));
  return RevokeKey(ctx, std::nullopt, id, reason);
}

Result<ContactKeyView> Contacts::ImportOrganisationKey(const AuthContext& ctx, ByteView bytes,
                                                       KeyFormat format, std::string_view address) {
  SP_RETURN_IF_ERROR(RequireAdmin(ctx));
  return ImportFor(ctx, std::nullopt, bytes, format, address);
}

Result<std::vector<ContactKeyView>> Contacts::ListOrganisationKeys(const AuthContext& ctx) {
  SP_RETURN_IF_ERROR(RequireAdmin(ctx));
  SP_ASSIGN_OR_RETURN(const std::vector<store::ContactKeyRecord> keys,
                      s_.store.keys().ListContactKeys(std::nullopt));
  return ViewsOf(keys);
}

Status Contacts::DeleteOrganisationKey(const AuthContext& ctx, std::string_view id) {
  SP_RETURN_IF_ERROR(RequireAdmin(ctx));
  return DeleteKey(ctx, std::nullopt, id);
}

namespace {

Result<TrustAnchorView> AnchorView(const store::TrustAnchorRecord& a) {
  SP_ASSIGN_OR_RETURN(const smime::Certificate cert, smime::Certificate::FromDer(a.der));
  return TrustAnchorView{a.id.str(),       a.subject,        a.fingerprint,
                         cert.not_after(), a.added_by.str(), a.added_at};
}

}  // namespace

Result<TrustAnchorView> Contacts::AddTrustAnchor(const AuthContext& ctx, ByteView bytes) {
  SP_RETURN_IF_ERROR(RequireAdmin(ctx));
  smime::CertificateImport imported = smime::ImportCertificates(bytes);
  if (!imported.ok()) return imported.ToStatus();
  if (!imported.certificates->chain.empty()) {
    return InvalidArgument("a trust anchor is one certificate: upload them one at a time")
        .ShownToClient();
  }
  const smime::Certificate& cert = imported.certificates->leaf;
  if (!cert.is_ca()) {
    return InvalidArgument(Refusal("trust anchor", "not-a-ca",
                                   "the certificate is not a CA certificate (basicConstraints)"))
        .ShownToClient();
  }
  const TimePoint now = s_.clock.Now();
  std::string detail;
  const smime::CertificateProblem problem = smime::CheckCertificatePolicy(cert, now, &detail);
  if (problem != smime::CertificateProblem::kNone) {
    return InvalidArgument(Refusal("trust anchor", smime::CertificateProblemSlug(problem), detail))
        .ShownToClient();
  }
  const store::TrustAnchorRecord record{platform::NewId<store::TrustAnchorId>(s_.rng),
                                        cert.der(),
                                        cert.subject(),
                                        cert.FingerprintHex(),
                                        ctx.user.id,
                                        now};
  SP_ASSIGN_OR_RETURN(const std::vector<store::TrustAnchorRecord> existing,
                      s_.store.keys().ListTrustAnchors());
  if (existing.size() >= kKeyDirectory.max_trust_anchors) {
    return Conflict(fmt::format("at most {} trust anchors", kKeyDirectory.max_trust_anchors))
        .ShownToClient();
  }
  SP_RETURN_IF_ERROR(s_.store.Write([&](store::WriteTxn& tx) -> Status {
    const Status added = tx.keys().AddTrustAnchor(record);
    if (added.code() == ErrorCode::kConflict) {
      return Conflict("this certificate is a trust anchor already").ShownToClient();
    }
    SP_RETURN_IF_ERROR(added);
    return RecordEvent(
        s_, tx, "trust_anchor_added", ctx.user.id.str(), record.id.str(),
        nlohmann::json{{"subject", record.subject}, {"fingerprint", record.fingerprint}}.dump());
  }));
  return AnchorView(record);
}

Result<std::vector<TrustAnchorView>> Contacts::ListTrustAnchors(const AuthContext& ctx) {
  SP_RETURN_IF_ERROR(RequireAdmin(ctx));
  SP_ASSIGN_OR_RETURN(const std::vector<store::TrustAnchorRecord> anchors,
                      s_.store.keys().ListTrustAnchors());
  std::vector<TrustAnchorView> out;
  for (const auto& a : anchors) {
    SP_ASSIGN_OR_RETURN(TrustAnchorView v, AnchorView(a));
    out.push_back(std::move(v));
  }
  return out;
}

Status Contacts::DeleteTrustAnchor(const AuthContext& ctx, std::string_view id_text) {
  SP_RETURN_IF_ERROR(RequireAdmin(ctx));
  auto id = store::TrustAnchorId::Parse(id_text);
  if (!id.ok()) return NotFound("trust anchor not found");
  SP_ASSIGN_OR_RETURN(const std::vector<store::TrustAnchorRecord> anchors,
                      s_.store.keys().ListTrustAnchors());
  const auto it = std::find_if(anchors.begin(), anchors.end(),
                               [&](const store::TrustAnchorRecord& a) { return a.id == *id; });
  if (it == anchors.end()) return NotFound("trust anchor not found");
  return s_.store.Write([&](store::WriteTxn& tx) -> Status {
    SP_RETURN_IF_ERROR(tx.keys().DeleteTrustAnchor(*id));
    return RecordEvent(
        s_, tx, "trust_anchor_deleted", ctx.user.id.str(), id->str(),
        nlohmann::json{{"subject", it->subject}, {"fingerprint", it->fingerprint}}.dump());
  });
}

}  // namespace sealpost::app
