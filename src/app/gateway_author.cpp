#include "app/gateway_author.h"

#include "app/internal/attachment_streams.h"
#include "app/internal/platform_seal_key.h"
#include "crypto/ad_labels.h"

namespace sealpost::app {
namespace {

// The platform_keys row name is also the master-key purpose (crypto/ad_labels.h).
constexpr std::string_view kGatewaySealKeyName = crypto::kMasterPurposeGatewaySeal;

std::string UploadAd(const UploadId& id) {
  return crypto::BindAd(crypto::kAdGatewayUpload, {id.str()});
}

Result<store::UserRecord> ActiveMember(const Services& s, std::string_view email) {
  auto address = EmailAddress::Parse(email);
  if (!address.ok()) return NotFound("not a member");
  auto user = s.store.accounts().GetUserByEmail(address->str());
  if (!user.ok()) return user.status();
  if (user->state != store::UserState::kActive || user->disabled) return NotFound("not a member");
  return user;
}

}  // namespace

Result<crypto::SigningKey> LoadOrCreateGatewaySealKey(const Services& s) {
  return internal::LoadOrCreatePlatformSealKey(s, kGatewaySealKeyName);
}

Result<Bytes> GatewaySealVerifyKey(const Services& s) {
  SP_ASSIGN_OR_RETURN(const store::PlatformKeyRecord record,
                      s.store.platform().GetPlatformKey(std::string(kGatewaySealKeyName)));
  return record.public_key;
}

Result<bool> IsGatewaySender(const Services& s, std::string_view email) {
  auto member = ActiveMember(s, email);
  if (member.ok()) return true;
  if (member.status().code() == ErrorCode::kNotFound) return false;
  return member.status();
}

// Lives only in memory: the key blobs of this sender's uploads are sealed under it.
struct GatewaySender::UploadKey {
  crypto::Kek key = crypto::Kek::Generate();
};

GatewaySender::GatewaySender(const Services& s, store::UserRecord member, crypto::SigningKey key)
    : s_(s),
      member_(std::move(member)),
      gateway_key_(std::move(key)),
      upload_key_(std::make_unique<UploadKey>()) {}

GatewaySender::~GatewaySender() = default;

Result<std::unique_ptr<GatewaySender>> GatewaySender::For(const Services& s,
                                                          std::string_view envelope_from) {
  auto member = ActiveMember(s, envelope_from);
  if (!member.ok()) {
    if (member.status().code() != ErrorCode::kNotFound) return member.status();
    return PermissionDenied("the sender is not a member").ShownToClient();
  }
  SP_ASSIGN_OR_RETURN(crypto::SigningKey gateway_key, LoadOrCreateGatewaySealKey(s));
  return std::unique_ptr<GatewaySender>(
      new GatewaySender(s, std::move(*member), std::move(gateway_key)));
}

Result<std::unique_ptr<UploadSession>> GatewaySender::BeginUpload(
    std::optional<uint64_t> declared_size) {
  internal::UploadOwner owner{
      member_.id, member_.id.str(),
      [key = &upload_key_->key](const UploadId& id,
                                const crypto::SecretBytes& key_blob) -> Result<Bytes> {
        return crypto::AeadSeal(key->aead(), key_blob.view(), AsBytes(UploadAd(id)));
      }};
  return internal::BeginBlobUpload(s_, std::move(owner), declared_size);
}

Result<MessageId> GatewaySender::Send(const SendRequest& request, SendOutcome* outcome) {
  Author author;
  author.sender_id = member_.id;
  author.email = member_.email;
  author.name = member_.display_name;
  author.actor = member_.id.str();
  author.signing_key = &gateway_key_;
  author.gateway_on_behalf = true;
  SP_ASSIGN_OR_RETURN(author.share_copy_to,
                      crypto::BoxPublicKey::FromBytes(member_.box_public_key));
  author.open_upload = [this](const store::UploadRecord& upload) -> Result<crypto::SecretBytes> {
    // Only uploads begun by this sender open: AEAD under its key, bound to the upload's id.
    auto blob =
        crypto::AeadOpen(upload_key_->key.aead(), upload.sealed_key, AsBytes(UploadAd(upload.id)));
    if (upload.owner_id != member_.id || !blob.ok()) return NotFound("not an upload of this send");
    return std::move(*blob);
  };
  if (auto address = EmailAddress::Parse(member_.email); address.ok()) {
    author.report_failures_to = std::move(*address);
  }
  return Mailbox(s_).SendAs(author, request, "", outcome);
}

}  // namespace sealpost::app
