#include "app/guests.h"

#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "app/internal/audit_event.h"
#include "app/outbound_mail.h"
#include "auth/bearer_secret.h"
#include "core/text.h"
#include "crypto/password_hash.h"

namespace sealpost::app {
namespace {

constexpr size_t kLookupHexChars = 64;  // BearerSecret::Lookup()

std::string TokenAd(std::string_view pickup_lookup) {
  return fmt::format("sealpost/pickup-token/v1|{}", pickup_lookup);
}

std::string Actor(const std::string& client_address) { return "ip:" + client_address; }

}  // namespace

std::string PickupKeyAd(const MessageId& id, std::string_view email) {
  return fmt::format("sealpost/pickup-key/v1|{}|{}", id.str(), email);
}

Status ValidateMuc(std::string_view muc) {
  const std::string rule = fmt::format("a message unlock code must be {} to {} characters of text",
                                       kMinMucChars, kMaxMucChars);
  if (muc.size() > kMaxMucChars * 4 || !IsValidUtf8(muc) || HasControlCharacters(muc, false)) {
    return InvalidArgument(rule);
  }
  size_t chars = 0;
  for (unsigned char c : muc) chars += (c & 0xC0) != 0x80;
  if (chars < kMinMucChars || chars > kMaxMucChars) return InvalidArgument(rule);
  return Status::Ok();
}

std::string GenerateMuc(platform::Rng& rng) {
  // RFC 4648 base32 without 0/1/8/9 confusion: letters A–Z and digits 2–7.
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  std::string out;
  uint8_t raw[10];
  rng.Fill(raw);
  for (int i = 0; i < 10; ++i) {
    if (i == 5) out += '-';
    out += kAlphabet[raw[i] & 31];  // 256 is a multiple of 32: no bias
  }
  return out;
}

Result<PickupView> Guests::Unlock(std::string_view link_text, std::string_view muc,
                                  const std::string& client_address, UnlockOutcome* outcome) {
  UnlockOutcome local;
  UnlockOutcome& out = outcome ? *outcome : local;
  out = {};
  const int limit = s_.config.max_muc_failures;
  auto fail = [&](UnlockFailure why, Status status) -> Status {
    out.failure = why;
    return status;
  };

  if (muc.size() > kMaxMucChars * 4) {
    return fail(UnlockFailure::kBadRequest,
                InvalidArgument(
                    fmt::format("a message unlock code has at most {} characters", kMaxMucChars)));
  }
  // A malformed link gets the same answer as an unknown one, and counts as a failure.
  auto link = auth::BearerSecret::Parse(link_text);
  const std::string lookup = link.ok() ? link->Lookup() : std::string(kLookupHexChars, '0');
  // Per client address only: each address's MUC has its own strict limit.
  if (Status throttled = s_.throttle.CheckAddress(client_address); !throttled.ok()) {
    return fail(UnlockFailure::kThrottled, throttled);
  }
  const auto not_found = [&](const char* reason) -> Status {
    (void)s_.store.Write([&](store::WriteTxn& tx) {
      SP_RETURN_IF_ERROR(s_.throttle.RecordAddressFailure(tx, client_address));
      return RecordEvent(s_, tx, "pickup.unlock_failed", Actor(client_address), "",
                         nlohmann::json{{"reason", reason}}.dump());
    });
    return fail(UnlockFailure::kNotFound, NotFound("no such pickup, or the link has expired"));
  };
  if (!link.ok()) return not_found("malformed");
  auto pickup = s_.store.GetPickup(lookup);
  if (!pickup.ok()) {
    if (pickup.status().code() != ErrorCode::kNotFound) return pickup.status();
    return not_found("unknown");
  }
  const TimePoint now = s_.clock.Now();
  if (pickup->state == store::PickupState::kRevoked) return not_found("revoked");
  if (pickup->expires_at <= now) return not_found("expired");
  SP_ASSIGN_OR_RETURN(const store::GuestAddressRecord guest,
                      s_.store.GetGuestAddress(pickup->email));

  // Count the attempt before checking, so parallel guesses cannot exceed the limit.
  int64_t attempt = 0;
  Status reserved = s_.store.Write([&](store::WriteTxn& tx) -> Status {
    SP_ASSIGN_OR_RETURN(attempt, tx.ReserveMucAttempt(pickup->email, limit, now));
    return Status::Ok();
  });
  if (reserved.code() == ErrorCode::kConflict) {
    (void)s_.store.Write([&](store::WriteTxn& tx) {
      SP_RETURN_IF_ERROR(s_.throttle.RecordAddressFailure(tx, client_address));
      return RecordEvent(s_, tx, "pickup.unlock_failed", Actor(client_address),
                         pickup->message_id.str(),
                         nlohmann::json{{"reason", "locked"}, {"recipient", pickup->email}}.dump());
    });
    return fail(UnlockFailure::kMucLocked,
                PermissionDenied("too many wrong unlock codes: the sender must issue a new one"));
  }
  SP_RETURN_IF_ERROR(reserved);

  if (ValidateMuc(muc).ok() && crypto::VerifyStoredPasswordHash(guest.muc_hash, muc)) {
    auto raw_key = crypto::AeadOpen(link->WrappingKey(), pickup->wrapped_key,
                                    AsBytes(PickupKeyAd(pickup->message_id, pickup->email)));
    if (!raw_key.ok()) return Corruption("the pickup failed its integrity check");
    SP_ASSIGN_OR_RETURN(const crypto::AeadKey data_key,
                        crypto::AeadKey::FromSecret(std::move(*raw_key)));
    SP_ASSIGN_OR_RETURN(const store::MessageRecord message,
                        s_.store.GetMessage(pickup->message_id));
    SP_ASSIGN_OR_RETURN(MessageView view, mailbox_.ReadWithKey(message, data_key));

    const auth::BearerSecret token = auth::BearerSecret::Generate();
    Bytes payload(pickup->lookup.begin(), pickup->lookup.end());
    const Bytes sealed = crypto::AeadSeal(token.WrappingKey(), data_key.ExposeSecret().view(),
                                          AsBytes(TokenAd(pickup->lookup)));
    payload.insert(payload.end(), sealed.begin(), sealed.end());
    const TimePoint token_expires = now + s_.config.pickup_token_ttl;
    const Status opened = s_.store.Write([&](store::WriteTxn& tx) -> Status {
      // NotFound when recalled or expired since it was read.
      SP_RETURN_IF_ERROR(tx.MarkPickupOpened(pickup->lookup, now));
      SP_RETURN_IF_ERROR(tx.ResetMucFailures(pickup->email));
      SP_RETURN_IF_ERROR(tx.CreateToken(
          {token.Lookup(), store::TokenPurpose::kPickup, std::nullopt, payload, token_expires}));
      return RecordEvent(s_, tx, "pickup.unlock", Actor(client_address), pickup->message_id.str(),
                         nlohmann::json{{"recipient", pickup->email}}.dump());
    });
    if (opened.code() == ErrorCode::kNotFound) return not_found("revoked");
    SP_RETURN_IF_ERROR(opened);
    return PickupView{std::move(view), pickup->email, token.Encode(), token_expires};
  }

  // Wrong MUC. At the limit: locked; every sender with a message waiting for it is told.
  const bool locked = attempt >= limit;
  std::set<std::string> senders;
  if (locked) {
    SP_ASSIGN_OR_RETURN(const auto waiting, s_.store.ListPickupsOfAddress(pickup->email, 1000));
    for (const auto& p : waiting) {
      if (p.state != store::PickupState::kRevoked && p.expires_at > now) {
        senders.insert(p.sender_id.str());
      }
    }
  }
  std::vector<EmailAddress> tell;
  for (const std::string& sender_id : senders) {
    auto user = s_.store.GetUser(UserId::FromTrusted(sender_id));
    if (!user.ok()) continue;
    auto address = EmailAddress::Parse(user->email);
    if (address.ok()) tell.push_back(std::move(*address));
  }
  SP_RETURN_IF_ERROR(s_.store.Write([&](store::WriteTxn& tx) -> Status {
    SP_RETURN_IF_ERROR(s_.throttle.RecordAddressFailure(tx, client_address));
    SP_RETURN_IF_ERROR(RecordEvent(
        s_, tx, "pickup.unlock_failed", Actor(client_address), pickup->message_id.str(),
        nlohmann::json{{"reason", "muc_wrong"}, {"recipient", pickup->email}, {"attempt", attempt}}
            .dump()));
    if (!locked) return Status::Ok();
    SP_RETURN_IF_ERROR(RecordEvent(s_, tx, "guest.muc_locked", Actor(client_address), pickup->email,
                                   nlohmann::json{{"senders_told", tell.size()}}.dump()));
    for (const EmailAddress& to : tell) {
      SP_RETURN_IF_ERROR(QueueMail(
          s_, tx,
          {to, s_.config.product_name + ": message unlock code locked",
           "Someone entered a wrong Message Unlock Code (MUC) " + std::to_string(limit) +
               " times for " + pickup->email +
               ", so the secure messages waiting for that address are locked.\n"
               "If the recipient needs the code again, log in to " +
               s_.config.public_url +
               " and issue a new MUC for that recipient, then pass it on by phone, SMS or "
               "letter.\n"}));
    }
    return Status::Ok();
  }));
  if (locked) {
    return fail(UnlockFailure::kMucLocked,
                PermissionDenied("too many wrong unlock codes: the sender must issue a new one"));
  }
  out.remaining_tries = static_cast<int>(limit - attempt);
  return fail(UnlockFailure::kMucWrong,
              PermissionDenied(
                  fmt::format("wrong message unlock code; {} tries left", out.remaining_tries)));
}

Result<AttachmentDownload> Guests::OpenAttachment(std::string_view token_text, int index,
                                                  const std::string& client_address) {
  const Status not_found = NotFound("no such attachment, or the pickup token has expired");
  auto token = auth::BearerSecret::Parse(token_text);
  if (!token.ok()) return not_found;
  auto record = s_.store.GetToken(token->Lookup(), store::TokenPurpose::kPickup, s_.clock.Now());
  if (!record.ok()) return not_found;
  if (record->payload.size() <= kLookupHexChars) return not_found;
  const std::string pickup_lookup(record->payload.begin(),
                                  record->payload.begin() + kLookupHexChars);
  auto pickup = s_.store.GetPickup(pickup_lookup);
  if (!pickup.ok() || pickup->state == store::PickupState::kRevoked ||
      pickup->expires_at <= s_.clock.Now()) {
    return not_found;
  }
  auto raw_key =
      crypto::AeadOpen(token->WrappingKey(), ByteView(record->payload).subspan(kLookupHexChars),
                       AsBytes(TokenAd(pickup_lookup)));
  if (!raw_key.ok()) return not_found;
  SP_ASSIGN_OR_RETURN(const crypto::AeadKey data_key,
                      crypto::AeadKey::FromSecret(std::move(*raw_key)));
  SP_ASSIGN_OR_RETURN(const store::MessageRecord message, s_.store.GetMessage(pickup->message_id));
  return mailbox_.OpenAttachmentWithKey(message, data_key, index, Actor(client_address));
}

Result<std::string> Guests::IssueMuc(const AuthContext& ctx, std::string_view message_id,
                                     std::string_view address_text, const std::string& muc,
                                     bool generate) {
  SP_ASSIGN_OR_RETURN(const MessageId id, MessageId::Parse(message_id));
  auto address = EmailAddress::Parse(address_text);
  if (!address.ok()) return NotFound("no such guest recipient of this message");
  SP_ASSIGN_OR_RETURN(const auto pickups, s_.store.ListPickupsOfMessage(id));
  const bool mine = std::any_of(pickups.begin(), pickups.end(), [&](const auto& p) {
    return p.sender_id == ctx.user.id && p.email == address->str();
  });
  if (!mine) return NotFound("no such guest recipient of this message");
  std::string code = muc;
  std::string generated;
  if (code.empty()) {
    if (!generate) return InvalidArgument("give a muc, or set generate");
    code = generated = GenerateMuc(s_.rng);
  }
  SP_RETURN_IF_ERROR(ValidateMuc(code));
  SP_ASSIGN_OR_RETURN(std::string hash,
                      crypto::HashPasswordForStorage(code, s_.config.password_hash));
  const TimePoint now = s_.clock.Now();
  auto existing = s_.store.GetGuestAddress(address->str());
  const store::GuestAddressRecord record{address->str(), std::move(hash), 0,
                                         existing.ok() ? existing->created_at : now, now};
  SP_RETURN_IF_ERROR(s_.store.Write([&](store::WriteTxn& tx) -> Status {
    SP_RETURN_IF_ERROR(tx.PutGuestAddress(record));
    return RecordEvent(
        s_, tx, "guest.muc_set", ctx.user.id.str(), record.email,
        nlohmann::json{{"message", id.str()}, {"generated", !generated.empty()}}.dump());
  }));
  return generated;
}

}  // namespace sealpost::app
