#include "app/guests.h"

#include <memory>
#include <set>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "app/internal/address_keys.h"
#include "app/internal/attachment_streams.h"
#include "app/internal/audit_event.h"
#include "app/internal/fail_closed.h"
#include "app/outbound_mail.h"
#include "app/portal_author.h"
#include "app/system_mail.h"
#include "auth/bearer_secret.h"
#include "core/text.h"
#include "crypto/ad_labels.h"
#include "crypto/password_hash.h"
#include "crypto/sealed_box.h"
#include "keys/data_key.h"
#include "keys/member_keys.h"
#include "keys/pickup_keys.h"

namespace sealpost::app {
namespace {

constexpr size_t kLookupHexChars = 64;  // BearerSecret::Lookup()

std::string TokenAd(std::string_view pickup_lookup) {
  return crypto::BindAd(crypto::kAdPickupToken, {pickup_lookup});
}

std::string TokenAddressAd(std::string_view pickup_lookup) {
  return crypto::BindAd(crypto::kAdPickupTokenAddressKey, {pickup_lookup});
}

// A 32-byte key AEAD-wrapped (keys/data_key.h, keys/pickup_keys.h).
constexpr size_t kWrappedKeyBytes = crypto::kAeadKeyBytes + crypto::kAeadOverhead;

std::string UploadAd(const UploadId& id, std::string_view pickup_lookup) {
  return crypto::BindAd(crypto::kAdPickupUpload, {id.str(), pickup_lookup});
}

std::string Actor(const std::string& client_address) { return "ip:" + client_address; }

// Everyone else on `message` whom a reply-all from `guest` reaches: the sender first.
std::vector<std::string> ReplyAllOf(const MessageHeader& message, const std::string& guest) {
  std::vector<std::string> out{message.from_email};
  for (const auto* list : {&message.to, &message.cc}) {
    for (const std::string& to : *list) {
      if (to != guest && to != message.from_email) out.push_back(to);
    }
  }
  return out;
}

std::string ReplySubject(const std::string& subject, size_t max_bytes) {
  const bool has_prefix = subject.size() >= 3 && (subject[0] == 'R' || subject[0] == 'r') &&
                          (subject[1] == 'E' || subject[1] == 'e') && subject[2] == ':';
  if (has_prefix || subject.size() + 4 > max_bytes) return subject;
  return "Re: " + subject;
}

}  // namespace

std::string PickupKeyAd(const MessageId& id, std::string_view email) {
  return crypto::BindAd(crypto::kAdPickupKey, {id.str(), email});
}

Status ValidateMuc(std::string_view muc) {
  const std::string rule = fmt::format("a message unlock code must be {} to {} characters of text",
                                       kMinMucChars, kMaxMucChars);
  if (muc.size() > kMaxMucChars * 4 || !IsValidUtf8(muc) || HasControlCharacters(muc, false)) {
    return InvalidArgument(rule).ShownToClient(Reason::kInvalidMuc);
  }
  size_t chars = 0;
  for (unsigned char c : muc) chars += (c & 0xC0) != 0x80;
  if (chars < kMinMucChars || chars > kMaxMucChars) {
    return InvalidArgument(rule).ShownToClient(Reason::kInvalidMuc);
  }
  return Status::Ok();
}

crypto::SecretString GenerateMuc(platform::Rng& rng) {
  // RFC 4648 base32 without 0/1/8/9 confusion: letters A–Z and digits 2–7.
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  crypto::SecretBytes out(11);
  crypto::SecretBytes raw(10);
  rng.Fill(raw.span());
  size_t n = 0;
  for (size_t i = 0; i < raw.size(); ++i) {
    if (i == 5) out.data()[n++] = '-';
    out.data()[n++] = static_cast<uint8_t>(kAlphabet[raw.data()[i] & 31]);  // no bias: 256 = 8·32
  }
  return crypto::SecretString(std::move(out));
}

struct Guests::MucCheck {
  crypto::BoxKeyPair address_key;
  // A legacy row (MUC hash, no key pair): the row with its new key pair, to store on success.
  std::optional<store::GuestAddressRecord> upgraded;
};

Result<Guests::MucCheck> Guests::CheckMuc(const store::PickupRecord& pickup,
                                          const store::GuestAddressRecord& guest,
                                          std::string_view muc, const std::string& client_address,
                                          UnlockOutcome& out) {
  const int limit = s_.config.max_muc_failures;
  const TimePoint now = s_.clock.Now();
  const auto locked_status = [&] {
    out.failure = UnlockFailure::kMucLocked;
    return PermissionDenied("too many wrong unlock codes: the sender must issue a new one")
        .As(Reason::kMucLocked);
  };
  // Count the attempt before checking, so parallel guesses cannot exceed the limit.
  int64_t attempt = 0;
  Status reserved = s_.store.Write([&](store::WriteTxn& tx) -> Status {
    SP_ASSIGN_OR_RETURN(attempt, tx.guests().ReserveMucAttempt(pickup.email, limit, now));
    return Status::Ok();
  });
  if (reserved.code() == ErrorCode::kConflict) {
    SP_RETURN_IF_ERROR(FailClosed(s_.store.Write([&](store::WriteTxn& tx) {
      SP_RETURN_IF_ERROR(s_.throttle.RecordAddressFailure(tx.platform(), client_address));
      return RecordEvent(s_, tx, "pickup.unlock_failed", Actor(client_address),
                         pickup.message_id.str(),
                         nlohmann::json{{"reason", "locked"}, {"recipient", pickup.email}}.dump());
    })));
    return locked_status();
  }
  SP_RETURN_IF_ERROR(reserved);

  if (ValidateMuc(muc).ok()) {
    if (internal::HasAddressKey(guest)) {
      // Unwrapping the address's secret key is the MUC check.
      auto opened = internal::OpenAddressKey(guest, muc);
      if (opened.ok()) return MucCheck{std::move(*opened), std::nullopt};
      if (opened.status().code() != ErrorCode::kUnauthenticated) return opened.status();
    } else if (crypto::VerifyStoredPasswordHash(guest.muc_hash, muc)) {
      // A legacy address gets its key pair on its first right MUC; later pickups use it.
      crypto::BoxKeyPair pair = crypto::BoxKeyPair::Generate();
      SP_ASSIGN_OR_RETURN(
          store::GuestAddressRecord upgraded,
          internal::NewAddressRecord(s_, guest.email, muc, pair, guest.created_at, now));
      return MucCheck{std::move(pair), std::move(upgraded)};
    }
  }

  // Wrong MUC. At the limit: locked; every sender with a message waiting for it is told.
  const bool locked = attempt >= limit;
  std::set<std::string> senders;
  if (locked) {
    SP_ASSIGN_OR_RETURN(const auto waiting,
                        s_.store.guests().ListPickupsOfAddress(pickup.email, 1000));
    for (const auto& p : waiting) {
      if (p.state != store::PickupState::kRevoked && p.expires_at > now) {
        senders.insert(p.sender_id.str());
      }
    }
  }
  std::vector<EmailAddress> tell;
  for (const std::string& sender_id : senders) {
    auto user = s_.store.accounts().GetUser(UserId::FromTrusted(sender_id));
    if (!user.ok()) continue;
    auto address = EmailAddress::Parse(user->email);
    if (address.ok()) tell.push_back(std::move(*address));
  }
  SP_RETURN_IF_ERROR(s_.store.Write([&](store::WriteTxn& tx) -> Status {
    SP_RETURN_IF_ERROR(s_.throttle.RecordAddressFailure(tx.platform(), client_address));
    SP_RETURN_IF_ERROR(RecordEvent(
        s_, tx, "pickup.unlock_failed", Actor(client_address), pickup.message_id.str(),
        nlohmann::json{{"reason", "muc_wrong"}, {"recipient", pickup.email}, {"attempt", attempt}}
            .dump()));
    if (!locked) return Status::Ok();
    SP_RETURN_IF_ERROR(RecordEvent(s_, tx, "guest.muc_locked", Actor(client_address), pickup.email,
                                   nlohmann::json{{"senders_told", tell.size()}}.dump()));
    for (const EmailAddress& to : tell) {
      SP_RETURN_IF_ERROR(
          QueueMail(s_, tx.outbox(), MucLockedMail(s_.config, to, pickup.email, limit)));
    }
    return Status::Ok();
  }));
  if (locked) return locked_status();
  out.failure = UnlockFailure::kMucWrong;
  out.remaining_tries = static_cast<int>(limit - attempt);
  return PermissionDenied(
             fmt::format("wrong message unlock code; {} tries left", out.remaining_tries))
      .ShownToClient(Reason::kMucWrong);
}

Result<PickupView> Guests::Unlock(std::string_view link_text, std::string_view muc,
                                  const std::string& client_address, UnlockOutcome* outcome) {
  UnlockOutcome local;
  UnlockOutcome& out = outcome ? *outcome : local;
  out = {};
  auto fail = [&](UnlockFailure why, Status status) -> Status {
    out.failure = why;
    return status;
  };

  if (muc.size() > kMaxMucChars * 4) {
    return fail(UnlockFailure::kBadRequest,
                InvalidArgument(
                    fmt::format("a message unlock code has at most {} characters", kMaxMucChars))
                    .ShownToClient(Reason::kInvalidMuc));
  }
  // A malformed link gets the same answer as an unknown one, and counts as a failure.
  auto link = auth::BearerSecret::Parse(link_text);
  const std::string lookup = link.ok() ? link->Lookup() : std::string(kLookupHexChars, '0');
  // Per client address only: each address's MUC has its own strict limit.
  if (Status throttled = s_.throttle.CheckAddress(client_address); !throttled.ok()) {
    return fail(UnlockFailure::kThrottled, std::move(throttled).As(Reason::kPickupThrottled));
  }
  // A failure that is not counted against the client and audited does not happen: the request
  // fails instead (fail closed), so a broken store never gives unlimited, unlogged guesses.
  const auto not_found = [&](const char* reason) -> Status {
    SP_RETURN_IF_ERROR(FailClosed(s_.store.Write([&](store::WriteTxn& tx) {
      SP_RETURN_IF_ERROR(s_.throttle.RecordAddressFailure(tx.platform(), client_address));
      return RecordEvent(s_, tx, "pickup.unlock_failed", Actor(client_address), "",
                         nlohmann::json{{"reason", reason}}.dump());
    })));
    return fail(UnlockFailure::kNotFound,
                NotFound("no such pickup, or the link has expired").As(Reason::kPickupNotFound));
  };
  if (!link.ok()) return not_found("malformed");
  auto pickup = s_.store.guests().GetPickup(lookup);
  if (!pickup.ok()) {
    if (pickup.status().code() != ErrorCode::kNotFound) return pickup.status();
    return not_found("unknown");
  }
  const TimePoint now = s_.clock.Now();
  if (pickup->state == store::PickupState::kRevoked) return not_found("revoked");
  if (pickup->state == store::PickupState::kExpired) return not_found("expired");
  if (pickup->state == store::PickupState::kClaimed) return not_found("claimed");
  if (pickup->expires_at <= now) return not_found("expired");
  auto guest = s_.store.guests().GetGuestAddress(pickup->email);
  // The address enrolled since (its row is gone, or holds the member's key and no MUC): the
  // member logs in to claim the message.
  const bool enrolled = guest.ok() ? internal::IsEnrolledAddress(*guest)
                                   : guest.status().code() == ErrorCode::kNotFound;
  if (enrolled) {
    auto member = s_.store.accounts().GetUserByEmail(pickup->email);
    if (member.ok() && member->state == store::UserState::kActive) {
      return fail(UnlockFailure::kEnrolled,
                  Conflict("this message now waits in the Sealpost mailbox of " + pickup->email +
                           ": log in to read it")
                      .As(Reason::kPickupEnrolled));
    }
    if (guest.ok()) return not_found("enrolled");
  }
  SP_RETURN_IF_ERROR(guest.status());
  // Sealed to a key pair a new MUC has replaced: the MUC cannot open it, so none is counted.
  if (internal::ShareIsStale(*pickup, *guest)) {
    return fail(UnlockFailure::kWaitsForSender,
                Conflict("this message waits for its sender to confirm the new unlock code")
                    .As(Reason::kPickupWaitsForSender));
  }

  SP_ASSIGN_OR_RETURN(MucCheck check, CheckMuc(*pickup, *guest, muc, client_address, out));
  auto data_key = internal::OpenPickupDataKey(*pickup, link->WrappingKey(), &check.address_key,
                                              PickupKeyAd(pickup->message_id, pickup->email));
  if (!data_key.ok()) return Corruption("the pickup failed its integrity check");
  SP_ASSIGN_OR_RETURN(const store::MessageRecord message,
                      s_.store.messages().GetMessage(pickup->message_id));
  SP_ASSIGN_OR_RETURN(MessageView view, mailbox_.ReadWithKey(message, *data_key, pickup->email));
  // Registered mail not yet accepted shows its notice only: no handover (the acceptance is).
  const bool hands_over =
      pickup->state != store::PickupState::kOpened && view.withheld != Withheld::kNotAccepted;

  // The token's payload: the pickup, the data key and the address key (for enrolment), each
  // under the token's key.
  const auth::BearerSecret token = auth::BearerSecret::Generate();
  const crypto::Kek token_key = token.WrappingKey();
  Bytes payload(pickup->lookup.begin(), pickup->lookup.end());
  const Bytes sealed = keys::WrapDataKey(token_key, *data_key, TokenAd(pickup->lookup));
  payload.insert(payload.end(), sealed.begin(), sealed.end());
  const Bytes sealed_address =
      keys::WrapAddressKey(token_key, check.address_key, TokenAddressAd(pickup->lookup));
  payload.insert(payload.end(), sealed_address.begin(), sealed_address.end());
  const TimePoint token_expires = now + s_.config.pickup_token_ttl;
  const Status opened = s_.store.Write([&](store::WriteTxn& tx) -> Status {
    // NotFound when recalled or expired since it was read.
    SP_RETURN_IF_ERROR(tx.guests().MarkPickupOpened(pickup->lookup, now));
    if (check.upgraded) {
      // Conflict: a sender issued a new MUC since the row was read. That MUC stands; this unlock,
      // right when it was checked, still opens its (legacy, link-only) pickup.
      const Status upgraded =
          tx.guests().UpgradeLegacyGuestAddress(*check.upgraded, guest->muc_hash);
      if (!upgraded.ok() && upgraded.code() != ErrorCode::kConflict) return upgraded;
    } else {
      SP_RETURN_IF_ERROR(tx.guests().ResetMucFailures(pickup->email));
    }
    SP_RETURN_IF_ERROR(tx.accounts().CreateToken(
        {token.Lookup(), store::TokenPurpose::kPickup, std::nullopt, payload, token_expires}));
    // The first unlock that shows the content hands the message over (evidence: ContentHandover).
    return RecordEvent(
        s_, tx, "pickup.unlock", Actor(client_address), pickup->message_id.str(),
        nlohmann::json{{"recipient", pickup->email}, {"method", "pickup"}, {"first", hands_over}}
            .dump());
  });
  if (opened.code() == ErrorCode::kNotFound) return not_found("revoked");
  SP_RETURN_IF_ERROR(opened);
  auto member = s_.store.accounts().GetUserByEmail(pickup->email);
  if (!member.ok() && member.status().code() != ErrorCode::kNotFound) return member.status();
  std::vector<std::string> reply_all = ReplyAllOf(view.header, pickup->email);
  return PickupView{std::move(view),    pickup->email,        token.Encode(), token_expires,
                    pickup->expires_at, std::move(reply_all), !member.ok()};
}

struct Guests::TokenAccess {
  store::PickupRecord pickup;
  store::MessageRecord message;
  crypto::DataKey data_key;
  crypto::Kek token_key;  // the token's wrapping key: binds the guest's uploads to it
  std::optional<crypto::BoxKeyPair> address_key;  // none in a token from before address keys
};

Result<Guests::TokenAccess> Guests::OpenToken(std::string_view token_text) {
  const Status not_found = NotFound("the pickup token is wrong or has expired: unlock again")
                               .As(Reason::kPickupNotFound);
  auto token = auth::BearerSecret::Parse(token_text);
  if (!token.ok()) return not_found;
  const TimePoint now = s_.clock.Now();
  auto record = s_.store.accounts().GetToken(token->Lookup(), store::TokenPurpose::kPickup, now);
  if (!record.ok()) return not_found;
  if (record->payload.size() <= kLookupHexChars) return not_found;
  const std::string pickup_lookup(record->payload.begin(),
                                  record->payload.begin() + kLookupHexChars);
  auto pickup = s_.store.guests().GetPickup(pickup_lookup);
  // Live pickups only: not recalled, expired or re-sealed to a member.
  if (!pickup.ok() ||
      (pickup->state != store::PickupState::kPending &&
       pickup->state != store::PickupState::kOpened) ||
      pickup->expires_at <= now) {
    return not_found;
  }
  crypto::Kek token_key = token->WrappingKey();
  ByteView rest = ByteView(record->payload).subspan(kLookupHexChars);
  // Two wrapped 32-byte keys of the same size: data key, then address key.
  ByteView wrapped_address;
  if (rest.size() == 2 * kWrappedKeyBytes) {
    wrapped_address = rest.subspan(kWrappedKeyBytes);
    rest = rest.first(kWrappedKeyBytes);
  }
  auto data_key = keys::UnwrapDataKey(token_key, rest, TokenAd(pickup_lookup));
  if (!data_key.ok()) return not_found;
  std::optional<crypto::BoxKeyPair> address_key;
  if (!wrapped_address.empty()) {
    auto opened = keys::UnwrapAddressKey(token_key, wrapped_address, TokenAddressAd(pickup_lookup));
    if (!opened.ok()) return not_found;
    address_key = std::move(*opened);
  }
  SP_ASSIGN_OR_RETURN(store::MessageRecord message,
                      s_.store.messages().GetMessage(pickup->message_id));
  return TokenAccess{std::move(*pickup), std::move(message), std::move(*data_key),
                     std::move(token_key), std::move(address_key)};
}

Result<AttachmentDownload> Guests::OpenAttachment(std::string_view token_text, int index,
                                                  const std::string& client_address) {
  auto access = OpenToken(token_text);
  if (!access.ok()) {
    return NotFound("no such attachment, or the pickup token has expired")
        .As(Reason::kPickupNotFound);
  }
  return mailbox_.OpenAttachmentWithKey(access->message, access->data_key, index,
                                        access->pickup.email, Actor(client_address));
}

Result<std::unique_ptr<UploadSession>> Guests::BeginUpload(std::string_view token_text,
                                                           std::optional<uint64_t> declared_size,
                                                           const std::string& client_address) {
  SP_ASSIGN_OR_RETURN(TokenAccess access, OpenToken(token_text));
  // Guest uploads belong to the portal's reserved row, made on first use.
  SP_RETURN_IF_ERROR(LoadOrCreatePortalSealKey(s_).status());
  internal::UploadOwner owner{
      kPortalSenderId, Actor(client_address),
      [key = std::make_shared<crypto::Kek>(std::move(access.token_key)),
       lookup = access.pickup.lookup](const UploadId& id,
                                      const crypto::SecretBytes& key_blob) -> Result<Bytes> {
        return crypto::AeadSeal(key->aead(), key_blob.view(), AsBytes(UploadAd(id, lookup)));
      }};
  return internal::BeginBlobUpload(s_, std::move(owner), declared_size);
}

Result<ReplyOutcome> Guests::Reply(std::string_view token_text, const ReplyRequest& request,
                                   const std::string& client_address) {
  SP_ASSIGN_OR_RETURN(const TokenAccess access, OpenToken(token_text));
  const std::string& guest = access.pickup.email;
  SP_ASSIGN_OR_RETURN(const MessageView original,
                      mailbox_.ReadWithKey(access.message, access.data_key, guest));
  if (original.withheld == Withheld::kNotAccepted) {
    return Conflict("registered mail: accept it before replying").As(Reason::kAcceptanceRequired);
  }
  std::vector<std::string> to = ReplyAllOf(original.header, guest);
  if (!request.reply_all) to.resize(1);

  SendRequest send;
  send.to = to;
  send.subject = ReplySubject(original.header.subject, s_.config.limits.max_subject_bytes);
  send.text = request.text;
  send.html = request.html;
  send.attachments = request.attachments;
  send.in_reply_to = original.header.id.str();

  SP_ASSIGN_OR_RETURN(const crypto::SigningKey seal_key, LoadOrCreatePortalSealKey(s_));
  Author author;
  author.sender_id = kPortalSenderId;
  author.email = guest;
  author.actor = "guest:" + guest;
  author.signing_key = &seal_key;
  author.brings_mucs = false;
  author.open_upload = [&](const store::UploadRecord& upload) -> Result<crypto::SecretBytes> {
    // Only uploads made with this very token open: AEAD under its key, bound to this pickup.
    auto blob = crypto::AeadOpen(access.token_key.aead(), upload.sealed_key,
                                 AsBytes(UploadAd(upload.id, access.pickup.lookup)));
    if (upload.owner_id != kPortalSenderId || !blob.ok()) {
      return NotFound("not an upload of this pickup");
    }
    return std::move(*blob);
  };
  // The sender's status for this recipient says "replied" (app/sent_status.h).
  author.also_in_write = [&](store::WriteTxn& tx) {
    return tx.guests().SetPickupReplied(access.pickup.lookup, s_.clock.Now());
  };
  (void)client_address;  // the reply is audited under the guest's address (author.actor)
  SP_ASSIGN_OR_RETURN(const MessageId id, mailbox_.SendAs(author, send, original.header.thread_id));
  return ReplyOutcome{id, std::move(to)};
}

Result<MessageView> Guests::Decide(std::string_view pickup_token, Decision decision,
                                   const std::string& client_address) {
  SP_ASSIGN_OR_RETURN(const TokenAccess access, OpenToken(pickup_token));
  SP_RETURN_IF_ERROR(DecideRegisteredMail(s_, access.message.id, access.pickup.email, decision,
                                          "pickup", Actor(client_address)));
  return mailbox_.ReadWithKey(access.message, access.data_key, access.pickup.email);
}

Status Guests::FileForMember(store::WriteTxn& tx, const store::PickupRecord& pickup,
                             const store::UserRecord& member, const crypto::DataKey& data_key,
                             const std::string& actor) {
  SP_ASSIGN_OR_RETURN(const auto pub, crypto::BoxPublicKey::FromBytes(member.box_public_key));
  SP_RETURN_IF_ERROR(tx.messages().AddMailboxEntry(
      {member.id, pickup.message_id, store::Folder::kInbox, keys::SealDataKeyTo(pub, data_key),
       pickup.state == store::PickupState::kPending, pickup.created_at}));
  SP_RETURN_IF_ERROR(tx.guests().SetPickupState(pickup.lookup, store::PickupState::kClaimed));
  return RecordEvent(
      s_, tx, "pickup.resealed", actor, pickup.message_id.str(),
      nlohmann::json{{"recipient", pickup.email}, {"member", member.id.str()}}.dump());
}

Result<Enrolment> Guests::Enrol(Accounts& accounts, std::string_view token_text,
                                SignUpRequest request, std::string_view user_agent) {
  SP_ASSIGN_OR_RETURN(const TokenAccess access, OpenToken(token_text));
  request.email = access.pickup.email;
  const std::string actor = Actor(request.client_address);
  auto guest = s_.store.guests().GetGuestAddress(access.pickup.email);
  if (!guest.ok() && guest.status().code() != ErrorCode::kNotFound) return guest.status();
  auto enrolled = accounts.EnrolProvenAddress(
      request, user_agent, [&](store::WriteTxn& tx, const store::UserRecord& member) -> Status {
        SP_RETURN_IF_ERROR(FileForMember(tx, access.pickup, member, access.data_key, actor));
        if (!access.address_key || !guest.ok())
          return tx.guests().DeleteGuestAddress(access.pickup.email);
        // The MUC goes; the address key stays, sealed to the member, for the pickups that still
        // wait (their shares are sealed to it): Claim opens them without the MUC.
        SP_ASSIGN_OR_RETURN(const auto member_key,
                            crypto::BoxPublicKey::FromBytes(member.box_public_key));
        return tx.guests().PutGuestAddress(
            MemberHeldAddress(*guest, *access.address_key, member_key));
      });
  if (enrolled.status().reason() == Reason::kAddressTaken) {
    return enrolled.status().As(Reason::kAlreadyMember);
  }
  return enrolled;
}

store::GuestAddressRecord Guests::MemberHeldAddress(const store::GuestAddressRecord& guest,
                                                    const crypto::BoxKeyPair& address_key,
                                                    const crypto::BoxPublicKey& member_key) {
  store::GuestAddressRecord held{guest.email, "", 0, guest.created_at, s_.clock.Now()};
  const ByteView pub = address_key.public_key().bytes();
  held.public_key.assign(pub.begin(), pub.end());
  held.member_sealed_secret = crypto::SealTo(member_key, address_key.ExposeSecret().view());
  return held;
}

Result<MessageId> Guests::Claim(const AuthContext& ctx, std::string_view link_text,
                                std::string_view muc, const std::string& client_address,
                                UnlockOutcome* outcome) {
  UnlockOutcome local;
  UnlockOutcome& out = outcome ? *outcome : local;
  out = {};
  const Status not_found =
      NotFound("no message waits for you behind this link").As(Reason::kPickupNotFound);
  auto link = auth::BearerSecret::Parse(link_text);
  if (!link.ok()) return not_found;
  auto pickup = s_.store.guests().GetPickup(link->Lookup());
  if (!pickup.ok() || pickup->email != ctx.user.email || pickup->expires_at <= s_.clock.Now() ||
      (pickup->state != store::PickupState::kPending &&
       pickup->state != store::PickupState::kOpened)) {
    return not_found;
  }
  std::optional<crypto::BoxKeyPair> address_key;
  std::optional<store::GuestAddressRecord> now_held;  // the member keeps the address key now
  if (internal::HasShare(*pickup)) {
    const Status waits =
        Conflict("this message waits for its sender to confirm the new unlock code")
            .As(Reason::kPickupWaitsForSender);
    auto guest = s_.store.guests().GetGuestAddress(pickup->email);
    if (!guest.ok()) {
      // Its sender files it with their own copy when next present (ResealWaiting).
      return guest.status().code() == ErrorCode::kNotFound ? waits : guest.status();
    }
    if (internal::ShareIsStale(*pickup, *guest)) return waits;
    SP_ASSIGN_OR_RETURN(const crypto::BoxKeyPair member_box, ctx.BoxKey());
    if (internal::IsEnrolledAddress(*guest)) {
      auto secret = crypto::OpenSealed(member_box, guest->member_sealed_secret);
      if (!secret.ok()) return Corruption("the address key failed its integrity check");
      SP_ASSIGN_OR_RETURN(address_key, crypto::BoxKeyPair::FromSecret(std::move(*secret)));
    } else {
      // Signed up outside the portal: the MUC proves the address once, with the same limit.
      if (muc.empty()) {
        return PermissionDenied("the message unlock code is needed once to claim this message")
            .As(Reason::kMucNeeded);
      }
      SP_ASSIGN_OR_RETURN(MucCheck check, CheckMuc(*pickup, *guest, muc, client_address, out));
      now_held = MemberHeldAddress(*guest, check.address_key, member_box.public_key());
      address_key = std::move(check.address_key);
    }
  }
  auto data_key = internal::OpenPickupDataKey(*pickup, link->WrappingKey(),
                                              address_key ? &*address_key : nullptr,
                                              PickupKeyAd(pickup->message_id, pickup->email));
  if (!data_key.ok()) return Corruption("the pickup failed its integrity check");
  SP_RETURN_IF_ERROR(s_.store.Write([&](store::WriteTxn& tx) {
    if (now_held) SP_RETURN_IF_ERROR(tx.guests().PutGuestAddress(*now_held));
    return FileForMember(tx, *pickup, ctx.user, *data_key, ctx.user.id.str());
  }));
  return pickup->message_id;
}

Status Guests::ResealShareOf(const store::PickupRecord& pickup,
                             const crypto::BoxKeyPair& sender_box, const std::string& actor) {
  SP_ASSIGN_OR_RETURN(const store::GuestAddressRecord guest,
                      s_.store.guests().GetGuestAddress(pickup.email));
  SP_ASSIGN_OR_RETURN(const auto address_key, crypto::BoxPublicKey::FromBytes(guest.public_key));
  SP_ASSIGN_OR_RETURN(const Bytes sealed, internal::ResealShare(pickup, sender_box, address_key));
  return s_.store.Write([&](store::WriteTxn& tx) {
    SP_RETURN_IF_ERROR(tx.guests().ResealPickupShare(pickup.lookup, sealed, guest.public_key));
    return RecordEvent(s_, tx, "pickup.share_resealed", actor, pickup.message_id.str(),
                       nlohmann::json{{"recipient", pickup.email}}.dump());
  });
}

Result<int> Guests::ResealWaiting(const AuthContext& sender) {
  constexpr int kBatch = 100;  // more wait for the next call
  SP_ASSIGN_OR_RETURN(const auto pickups,
                      s_.store.guests().ListClaimablePickupsOfSender(sender.user.id, kBatch));
  int filed = 0;
  for (const store::PickupRecord& pickup : pickups) {
    if (pickup.expires_at <= s_.clock.Now()) continue;
    auto own = s_.store.messages().GetMailboxItem(sender.user.id, pickup.message_id);
    if (!own.ok() || own->entry.folder != store::Folder::kSent) continue;
    auto data_key = keys::UnwrapOwnCopyKey(sender.umk, own->entry.sealed_key, pickup.message_id,
                                           sender.user.id);
    if (!data_key.ok()) continue;  // a damaged copy: the member can still claim with the link
    SP_ASSIGN_OR_RETURN(const store::UserRecord member,
                        s_.store.accounts().GetUserByEmail(pickup.email));
    Status st = s_.store.Write([&](store::WriteTxn& tx) {
      return FileForMember(tx, pickup, member, *data_key, sender.user.id.str());
    });
    if (st.code() == ErrorCode::kConflict) continue;  // claimed meanwhile
    SP_RETURN_IF_ERROR(st);
    ++filed;
  }
  // Shares still sealed to an address key a new MUC replaced: the sender's copy re-seals them.
  SP_ASSIGN_OR_RETURN(const auto stale,
                      s_.store.guests().ListStaleSharesOfSender(sender.user.id, kBatch));
  if (stale.empty()) return filed;
  SP_ASSIGN_OR_RETURN(const crypto::BoxKeyPair box, sender.BoxKey());
  for (const store::PickupRecord& pickup : stale) {
    const Status st = ResealShareOf(pickup, box, sender.user.id.str());
    // Gone or no longer live meanwhile, or a damaged copy: it stays as it is.
    if (st.code() == ErrorCode::kNotFound || st.code() == ErrorCode::kUnauthenticated ||
        st.code() == ErrorCode::kInvalidArgument) {
      continue;
    }
    SP_RETURN_IF_ERROR(st);
    ++filed;
  }
  return filed;
}

Result<std::vector<WaitingMessage>> Guests::Waiting(const AuthContext& ctx) {
  constexpr int kMaxListed = 200;
  SP_ASSIGN_OR_RETURN(const auto pickups,
                      s_.store.guests().ListPickupsOfAddress(ctx.user.email, kMaxListed));
  std::vector<WaitingMessage> out;
  const TimePoint now = s_.clock.Now();
  for (const store::PickupRecord& p : pickups) {
    if ((p.state != store::PickupState::kPending && p.state != store::PickupState::kOpened) ||
        p.expires_at <= now) {
      continue;
    }
    WaitingMessage w{p.message_id, "", "", p.created_at};
    if (p.sender_id != kPortalSenderId) {
      if (auto sender = s_.store.accounts().GetUser(p.sender_id); sender.ok()) {
        w.from_email = sender->email;
        w.from_name = sender->display_name;
      }
    }
    out.push_back(std::move(w));
  }
  return out;
}

Result<crypto::SecretString> Guests::IssueMuc(const AuthContext& ctx, std::string_view message_id,
                                              std::string_view address_text, std::string_view muc,
                                              bool generate) {
  SP_ASSIGN_OR_RETURN(const MessageId id, MessageId::Parse(message_id));
  auto address = EmailAddress::Parse(address_text);
  if (!address.ok()) return NotFound("no such guest recipient of this message");
  SP_ASSIGN_OR_RETURN(const auto pickups, s_.store.guests().ListPickupsOfMessage(id));
  const bool mine = std::any_of(pickups.begin(), pickups.end(), [&](const auto& p) {
    return p.sender_id == ctx.user.id && p.email == address->str();
  });
  if (!mine) return NotFound("no such guest recipient of this message");
  crypto::SecretString code = crypto::SecretString::CopyOf(muc);
  crypto::SecretString generated;
  if (code.empty()) {
    if (!generate) {
      return InvalidArgument("give a muc, or set generate").ShownToClient(Reason::kInvalidMuc);
    }
    generated = GenerateMuc(s_.rng);
    code = crypto::SecretString::CopyOf(generated.view());
  }
  SP_RETURN_IF_ERROR(ValidateMuc(code.view()));
  const TimePoint now = s_.clock.Now();
  auto existing = s_.store.guests().GetGuestAddress(address->str());
  if (!existing.ok() && existing.status().code() != ErrorCode::kNotFound) {
    return existing.status();
  }
  // The member holds the address key now: a MUC would take it from them.
  if (existing.ok() && internal::IsEnrolledAddress(*existing)) {
    return Conflict("this address has become a member").As(Reason::kAlreadyMember);
  }
  // A new MUC is a new key pair: the old one's secret may have been guessed.
  SP_ASSIGN_OR_RETURN(
      const store::GuestAddressRecord record,
      internal::NewAddressRecord(s_, address->str(), code.view(), crypto::BoxKeyPair::Generate(),
                                 existing.ok() ? existing->created_at : now, now));
  SP_RETURN_IF_ERROR(s_.store.Write([&](store::WriteTxn& tx) -> Status {
    SP_RETURN_IF_ERROR(tx.guests().PutGuestAddress(record));
    return RecordEvent(
        s_, tx, "guest.muc_set", ctx.user.id.str(), record.email,
        nlohmann::json{{"message", id.str()}, {"generated", !generated.empty()}}.dump());
  }));
  // The caller's own live pickups for the address open with the new MUC at once (best effort:
  // what fails here is re-sealed on their next folder listing).
  if (auto box = ctx.BoxKey(); box.ok()) {
    auto all = s_.store.guests().ListPickupsOfAddress(address->str(), 1000);
    for (const store::PickupRecord& p : all.ok() ? *all : std::vector<store::PickupRecord>{}) {
      if (p.sender_id != ctx.user.id || p.sender_share.empty() ||
          (p.state != store::PickupState::kPending && p.state != store::PickupState::kOpened) ||
          !internal::ShareIsStale(p, record)) {
        continue;
      }
      if (Status st = ResealShareOf(p, *box, ctx.user.id.str()); !st.ok()) {
        spdlog::warn("re-sealing a pickup share after a new MUC failed: {}", st.ToString());
      }
    }
  }
  return generated;
}

}  // namespace sealpost::app
