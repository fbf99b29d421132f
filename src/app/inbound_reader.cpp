#include "app/inbound_reader.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "app/internal/contact_trust.h"
#include "app/internal/inbound_content.h"
#include "app/internal/seen_keys.h"
#include "keys/member_keys.h"
#include "mime/message_parser.h"
#include "pgp/encryptor.h"
#include "pgp/member_key.h"
#include "pgp/public_key.h"
#include "smime/certified_key.h"
#include "smime/smime_reader.h"

namespace sealpost::app {
namespace {

using State = SignatureCheck::State;

constexpr std::string_view kPgpArmor = "-----BEGIN PGP MESSAGE-----";

// The stored original (attachment 0 of a received message), authenticated, in zeroizing memory.
Result<crypto::SecretBytes> ReadOriginal(const Services& s, const AuthContext& ctx,
                                         std::string_view id, uint64_t size) {
  SP_ASSIGN_OR_RETURN(AttachmentDownload original, Mailbox(s).OpenAttachment(ctx, id, 0));
  crypto::SecretBytes out(static_cast<size_t>(size));
  size_t at = 0;
  for (;;) {
    std::span<uint8_t> rest = out.span().subspan(at);
    uint8_t extra[1];
    SP_ASSIGN_OR_RETURN(const size_t n, original.reader->Read(rest.empty() ? extra : rest));
    if (n == 0) break;
    if (rest.empty()) return Corruption("the original is longer than recorded");
    at += n;
  }
  if (at != out.size()) return Corruption("the original is shorter than recorded");
  return out;
}

// The armoured OpenPGP message of PGP/MIME (its application/octet-stream part) or of inline
// OpenPGP (the text body).
std::optional<std::string> PgpPayload(std::string_view original) {
  auto parsed = mime::ParseMessage(original);
  if (!parsed.ok()) return std::nullopt;
  for (const auto& a : parsed->attachments) {
    if (a.data.find(kPgpArmor) != std::string::npos) return a.data;
  }
  const size_t at = parsed->text_body.find(kPgpArmor);
  if (at != std::string::npos) return parsed->text_body.substr(at);
  return std::nullopt;
}

void ShowContent(MessageView& view, SignatureCheck& check, std::string_view original,
                 std::string_view payload, const Limits& limits) {
  check.content_shown = true;
  internal::InboundContent content = internal::ReadDecryptedContent(original, payload, limits);
  view.body = std::move(content.body);
  if (!content.subject.empty()) view.header.subject = content.subject;
  // The decrypted attachments are listed by name (index -1: they open only from the original,
  // original.eml, since they are stored nowhere in clear or apart).
  for (const auto& a : content.attachments) {
    view.attachments.push_back({-1, a.name, a.content_type, a.data.size()});
  }
}

}  // namespace

InboundReader::InboundReader(const Services& services, std::string ca_bundle_path)
    : s_(services),
      anchors_(std::make_shared<internal::ContactAnchors>(services, std::move(ca_bundle_path))) {}

Result<InboundView> InboundReader::Read(const AuthContext& ctx, std::string_view message_id) {
  SP_ASSIGN_OR_RETURN(MessageView view, Mailbox(s_).Read(ctx, message_id));
  InboundView out{std::move(view), std::nullopt};
  MessageView& v = out.message;
  if (v.header.seal_kind != SealKind::kInbound || !v.header.received ||
      v.header.received->protection.empty() || v.withheld != Withheld::kNone ||
      v.attachments.empty()) {
    return out;
  }
  const bool smime = v.header.received->protection == "smime";
  SignatureCheck& check = out.signature.emplace();
  check.method = smime ? "S/MIME" : "OpenPGP";
  SP_ASSIGN_OR_RETURN(const crypto::SecretBytes original,
                      ReadOriginal(s_, ctx, message_id, v.attachments[0].size));
  auto keys = s_.store.accounts().GetMemberKeys(ctx.user.id);
  if (!keys.ok()) {
    if (keys.status().code() != ErrorCode::kNotFound) return keys.status();
    check.detail = "You have no key to open this encrypted message.";
    return out;
  }
  auto sender = EmailAddress::Parse(v.header.from_email);
  if (!sender.ok()) {
    check.detail = "The message names no valid sender address, so its signature cannot be checked.";
    return out;
  }
  const TimePoint now = s_.clock.Now();

  if (smime) {
    SP_ASSIGN_OR_RETURN(const crypto::SecretBytes pkcs8,
                        keys::UnwrapCertifiedKey(ctx.umk, keys::CertifiedKeyKind::kSmime,
                                                 keys->smime_wrapped_key, ctx.user.id));
    SP_ASSIGN_OR_RETURN(smime::Certificate certificate,
                        smime::Certificate::FromDer(keys->smime_certificate));
    std::vector<smime::Certificate> chain;
    if (s_.pki != nullptr) chain = s_.pki->Chain();
    const std::string own_pem = certificate.ToPem();
    SP_ASSIGN_OR_RETURN(
        smime::CertifiedKey key,
        smime::CertifiedKey::Create(std::move(certificate), std::move(chain), pkcs8));
    SP_ASSIGN_OR_RETURN(std::optional<smime::TrustAnchors> anchors, anchors_->Current());
    if (!anchors) {
      // No anchor at all: nothing an outside signer has can chain; the member's own certificate
      // stands in so that the message still opens (its signer then shows as unknown).
      const std::string_view pems[] = {own_pem};
      SP_ASSIGN_OR_RETURN(anchors, smime::TrustAnchors::FromPem(pems));
    }
    auto opened = smime::ReadSmime(original.view(), key, *anchors, *sender, now);
    if (!opened.ok()) {
      spdlog::info("inbound: S/MIME message {} not opened: {}", message_id,
                   opened.status().ToString());
      check.state = State::kInvalid;
      check.detail =
          "This message was changed after it was signed, or was not encrypted for you: its "
          "content is not shown.";
      return out;
    }
    check.signer = sender->str();
    switch (opened->signer_validation.verdict) {
      case smime::Verdict::kTrusted:
        check.state = State::kValid;
        check.detail = fmt::format("Signed by {}; the certificate is trusted.", sender->str());
        break;
      case smime::Verdict::kDoesNotChain:
        check.state = State::kUnknownSigner;
        check.detail =
            fmt::format("Signed with a certificate for {} that no trusted authority vouches for.",
                        sender->str());
        break;
      case smime::Verdict::kRefused:
        check.state = State::kInvalid;
        check.detail =
            fmt::format("Signed with a certificate that is not acceptable ({}).",
                        smime::CertificateProblemSlug(opened->signer_validation.problem));
        break;
    }
    ShowContent(v, check, original.AsStringView(), opened->content.AsStringView(),
                s_.config.limits);
    // The signer's certificate, for the member's contacts (best effort; not twice).
    if (auto seen = internal::SeenSignerCertificate(opened->signer, *sender)) {
      internal::OfferSeenKeys(s_, ctx.user.id, {std::move(*seen)});
    }
    return out;
  }

  const auto payload = PgpPayload(original.AsStringView());
  if (!payload) {
    check.detail = "The OpenPGP message could not be found in this mail.";
    return out;
  }
  SP_ASSIGN_OR_RETURN(const crypto::SecretBytes secret,
                      keys::UnwrapCertifiedKey(ctx.umk, keys::CertifiedKeyKind::kOpenPgp,
                                               keys->openpgp_wrapped_key, ctx.user.id));
  SP_ASSIGN_OR_RETURN(const std::unique_ptr<pgp::MemberKey> member, pgp::MemberKey::Load(secret));
  SP_ASSIGN_OR_RETURN(const auto candidates,
                      s_.store.keys().FindContactKeys(ctx.user.id, sender->str()));
  bool known = false;
  for (const store::ContactKeyRecord& record : candidates) {
    if (record.kind != store::ContactKeyKind::kOpenPgp || record.revoked_at) continue;
    pgp::KeyImport imported = pgp::ImportPublicKey(record.material, *sender, now);
    if (!imported.ok()) continue;
    known = true;
    auto decrypted = pgp::DecryptAndVerify(AsBytes(*payload), *member, imported.key(), now);
    if (!decrypted.ok()) {
      spdlog::info("inbound: OpenPGP message {} not opened with key {}: {}", message_id,
                   record.fingerprint, decrypted.status().ToString());
      continue;
    }
    check.signer = decrypted->signer_fingerprint;
    if (record.source == store::ContactKeySource::kSeenInMail && !record.verified_by) {
      // The key came with earlier mail: it proves the same holder, not who they are.
      check.state = State::kUnknownSigner;
      check.detail = fmt::format(
          "Signed with the key {} seen in earlier mail from {}, which you have not verified.",
          decrypted->signer_fingerprint, sender->str());
    } else {
      check.state = State::kValid;
      check.detail = fmt::format("Signed by {} with the key {} from your contacts.", sender->str(),
                                 decrypted->signer_fingerprint);
    }
    ShowContent(v, check, original.AsStringView(), decrypted->plaintext.AsStringView(),
                s_.config.limits);
    return out;
  }
  if (!known) {
    check.state = State::kUnknownSigner;
    check.detail = fmt::format(
        "No OpenPGP key of {} is in your contacts, so this message's signature cannot be checked "
        "and it is not opened. Add their key, then open it again.",
        sender->str());
    return out;
  }
  check.state = State::kInvalid;
  check.detail =
      "This message was changed after it was signed, was signed by someone else, or was not "
      "encrypted for you: its content is not shown.";
  return out;
}

}  // namespace sealpost::app
