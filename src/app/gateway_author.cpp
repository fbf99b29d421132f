#include "app/gateway_author.h"

#include "app/internal/platform_seal_key.h"
#include "app/mailbox.h"
#include "crypto/ad_labels.h"
#include "mime/message_parser.h"

namespace sealpost::app {
namespace {

// The platform_keys row name is also the master-key purpose (crypto/ad_labels.h).
constexpr std::string_view kGatewaySealKeyName = crypto::kMasterPurposeGatewaySeal;

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

Result<MessageId> SendThroughGateway(const Services& s, const GatewayMessage& message) {
  auto member = ActiveMember(s, message.envelope_from);
  if (!member.ok()) {
    if (member.status().code() != ErrorCode::kNotFound) return member.status();
    return PermissionDenied("the sender is not a member");
  }
  auto parsed = mime::ParseMessage(message.bytes);
  if (!parsed.ok()) {
    if (parsed.status().code() == ErrorCode::kTooLarge) return parsed.status();
    return InvalidArgument("the message cannot be read: " + parsed.status().message())
        .ShownToClient();
  }
  SP_ASSIGN_OR_RETURN(const crypto::SigningKey gateway_key, LoadOrCreateGatewaySealKey(s));

  Author author;
  author.sender_id = member->id;
  author.email = member->email;
  author.name = member->display_name;
  author.actor = member->id.str();
  author.signing_key = &gateway_key;
  author.gateway_on_behalf = true;
  SP_ASSIGN_OR_RETURN(author.share_copy_to,
                      crypto::BoxPublicKey::FromBytes(member->box_public_key));
  author.open_upload = [](const store::UploadRecord&) -> Result<crypto::SecretBytes> {
    return NotFound("no uploads through the gateway");
  };
  if (auto address = EmailAddress::Parse(member->email); address.ok()) {
    author.report_failures_to = std::move(*address);
  }

  SendRequest request;
  request.to = message.recipients;
  request.subject = parsed->subject;
  request.text = parsed->text_body;
  request.html = parsed->html_body.value_or("");
  return Mailbox(s).SendAs(author, request, "");
}

}  // namespace sealpost::app
