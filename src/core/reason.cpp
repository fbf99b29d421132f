#include "core/reason.h"

#include <array>

namespace sealpost {
namespace {

struct CodeRow {
  ErrorCode code;
  ClientFace face;
};

// Indexed by ErrorCode.
constexpr std::array<CodeRow, 12> kByCode{{
    {ErrorCode::kOk, {"internal", "Internal server error", "Something went wrong on the server."}},
    {ErrorCode::kNotFound,
     {"not-found", "Not found", "Nothing was found here; the link may be wrong or out of date."}},
    {ErrorCode::kInvalidArgument,
     {"invalid-argument", "Invalid request", "The request is not valid."}},
    {ErrorCode::kUnauthenticated,
     {"unauthenticated", "Not authenticated", "The request could not be authenticated."}},
    {ErrorCode::kPermissionDenied, {"forbidden", "Forbidden", "You are not allowed to do this."}},
    {ErrorCode::kConflict,
     {"conflict", "Conflict", "That conflicts with the current state; reload and try again."}},
    {ErrorCode::kTooLarge,
     {"payload-too-large", "Payload too large", "That is larger than the server accepts."}},
    {ErrorCode::kRateLimited,
     {"rate-limited", "Too many requests", "Too many requests for now; try again later."}},
    {ErrorCode::kStorageFull,
     {"storage-full", "Insufficient storage",
      "The server has no room to store this right now; try again later."}},
    {ErrorCode::kUnavailable,
     {"unavailable", "Service unavailable",
      "The service is unavailable for a moment; try again shortly."}},
    {ErrorCode::kCorruption,
     {"integrity-failure", "Integrity failure", "Stored data failed an integrity check."}},
    {ErrorCode::kInternal,
     {"internal", "Internal server error", "Something went wrong on the server."}},
}};

struct ReasonRow {
  Reason reason;
  ClientFace face;
};

// Indexed by Reason.
constexpr std::array<ReasonRow, 43> kByReason{{
    {Reason::kNone, {"", "", ""}},
    {Reason::kMalformedRequest,
     {"malformed-request", "Malformed request", "The request is not well-formed HTTP."}},
    {Reason::kUnknownRoute,
     {"unknown-route", "Not found", "No resource matches the request path."}},
    {Reason::kMethodNotAllowed,
     {"method-not-allowed", "Method not allowed", "This resource does not allow that method."}},
    {Reason::kHeaderTooLarge,
     {"header-too-large", "Request header fields too large",
      "The request's header fields are larger than the server accepts."}},
    {Reason::kUnsupportedMediaType,
     {"unsupported-media-type", "Unsupported media type",
      "Send the request body as application/json."}},
    {Reason::kTooManyTransfers,
     {"too-many-transfers", "Too many transfers in progress",
      "The server is streaming as many uploads and downloads as it allows; try again in a "
      "moment."}},
    {Reason::kOriginMismatch,
     {"origin-mismatch", "Cross-origin request refused",
      "The request came from a page of another site."}},
    {Reason::kSessionRequired,
     {"session-required", "Log in first", "This request needs a session; log in again."}},
    {Reason::kCsrfFailed,
     {"csrf-failed", "Missing or wrong CSRF token",
      "The request lacks the session's CSRF token; reload the page."}},
    {Reason::kTotpSetupRequired,
     {"totp-setup-required", "Set up two-factor authentication first",
      "Set up two-factor authentication before you use the message center."}},
    {Reason::kInvalidCredentials,
     {"invalid-credentials", "Not authenticated", "Wrong email address or password."}},
    {Reason::kInvalidOneTimeCode,
     {"invalid-one-time-code", "Wrong one-time code",
      "That one-time code is not right, or was already used."}},
    {Reason::kLoginExpired,
     {"login-expired", "Log-in expired", "The log-in took too long; start again."}},
    {Reason::kTooManyAttempts,
     {"too-many-attempts", "Too many failed attempts",
      "Too many failed attempts; wait before you try again."}},
    {Reason::kWrongPassword,
     {"wrong-password", "Wrong password", "The current password is not right."}},
    {Reason::kRecoveryFailed,
     {"recovery-failed", "Account recovery failed",
      "The address and recovery code do not open an account."}},
    {Reason::kInvalidPassword,
     {"invalid-password", "Password not accepted", "The password does not meet the rules."}},
    {Reason::kInvalidDisplayName,
     {"invalid-display-name", "Display name not accepted",
      "The display name does not meet the rules."}},
    {Reason::kInvalidEmail,
     {"invalid-email", "Email address not accepted", "That is not a valid email address."}},
    {Reason::kAddressTaken,
     {"address-taken", "Address already registered", "This address already has an account."}},
    {Reason::kLinkInvalid,
     {"link-invalid", "Link not valid",
      "This link is not valid: it is incomplete, was already used, or has expired."}},
    {Reason::kInvalidRecipient,
     {"invalid-recipient", "Recipient not accepted", "A recipient cannot be used."}},
    {Reason::kInvalidSubject,
     {"invalid-subject", "Subject not accepted", "The subject does not meet the rules."}},
    {Reason::kInvalidAttachment,
     {"invalid-attachment", "Attachment not accepted", "An attachment cannot be used."}},
    {Reason::kMucRequired,
     {"muc-required", "A message unlock code is needed for a new recipient",
      "Give a message unlock code for each new external recipient."}},
    {Reason::kInvalidExpiry,
     {"invalid-expiry", "Expiry out of range", "The expiry is outside the allowed range."}},
    {Reason::kNothingToRecall,
     {"nothing-to-recall", "Nothing to recall", "Every recipient has already opened the message."}},
    {Reason::kSealBroken,
     {"seal-broken", "Seal broken",
      "The message's seal does not verify, so its content is withheld."}},
    {Reason::kPickupNotFound,
     {"pickup-not-found", "No such message",
      "This link does not open a message: it may be incomplete, expired or withdrawn."}},
    {Reason::kInvalidMuc,
     {"invalid-muc", "Not a message unlock code", "That is not a message unlock code."}},
    {Reason::kMucWrong,
     {"muc-wrong", "Wrong message unlock code", "The message unlock code is not right."}},
    {Reason::kMucLocked,
     {"muc-locked", "Message unlock code locked",
      "Too many wrong unlock codes: the sender must issue a new one."}},
    {Reason::kPickupThrottled,
     {"too-many-requests", "Too many failed attempts",
      "Too many failed attempts from your network; try again later."}},
    {Reason::kPickupEnrolled,
     {"pickup-enrolled", "Log in to read this message",
      "This message now waits in a Sealpost mailbox: log in to read it."}},
    {Reason::kAlreadyMember,
     {"already-member", "Already a member", "This address already has a Sealpost account."}},
    {Reason::kPickupWaitsForSender,
     {"pickup-waits-for-sender", "Waiting for the sender",
      "This message waits for its sender to confirm the new unlock code; try again later."}},
    {Reason::kMucNeeded,
     {"muc-needed", "Unlock code needed",
      "Enter the message unlock code once to move this message into your mailbox."}},
    {Reason::kInvalidDeadline,
     {"invalid-deadline", "Deadline out of range",
      "The acceptance deadline is outside the allowed range."}},
    {Reason::kNotRegistered,
     {"not-registered", "Not registered mail",
      "This message is not registered mail for you: there is nothing to accept or refuse."}},
    {Reason::kAlreadyDecided,
     {"already-decided", "Already decided",
      "This registered message was already accepted, refused or expired."}},
    {Reason::kDeadlinePassed,
     {"deadline-passed", "Deadline passed",
      "The deadline to accept this registered message has passed."}},
    {Reason::kAcceptanceRequired,
     {"acceptance-required", "Acceptance required",
      "This is registered mail: accept it to see its content."}},
}};

constexpr bool RowsInOrder() {
  for (size_t i = 0; i < kByCode.size(); ++i) {
    if (static_cast<size_t>(kByCode[i].code) != i) return false;
  }
  for (size_t i = 0; i < kByReason.size(); ++i) {
    if (static_cast<size_t>(kByReason[i].reason) != i) return false;
  }
  return true;
}
static_assert(RowsInOrder(), "catalogue rows must follow the enums' order");
static_assert(static_cast<size_t>(Reason::kAcceptanceRequired) + 1 == kByReason.size());
static_assert(static_cast<size_t>(ErrorCode::kInternal) + 1 == kByCode.size());

constexpr auto AllReasonsArray() {
  std::array<Reason, kByReason.size() - 1> out{};
  for (size_t i = 1; i < kByReason.size(); ++i) out[i - 1] = kByReason[i].reason;
  return out;
}
constexpr auto AllCodesArray() {
  std::array<ErrorCode, kByCode.size() - 1> out{};
  for (size_t i = 1; i < kByCode.size(); ++i) out[i - 1] = kByCode[i].code;
  return out;
}
constexpr auto kAllReasons = AllReasonsArray();
constexpr auto kAllCodes = AllCodesArray();

}  // namespace

std::string_view ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kOk:
      return "OK";
    case ErrorCode::kNotFound:
      return "NotFound";
    case ErrorCode::kInvalidArgument:
      return "InvalidArgument";
    case ErrorCode::kUnauthenticated:
      return "Unauthenticated";
    case ErrorCode::kPermissionDenied:
      return "PermissionDenied";
    case ErrorCode::kConflict:
      return "Conflict";
    case ErrorCode::kTooLarge:
      return "TooLarge";
    case ErrorCode::kRateLimited:
      return "RateLimited";
    case ErrorCode::kStorageFull:
      return "StorageFull";
    case ErrorCode::kUnavailable:
      return "Unavailable";
    case ErrorCode::kCorruption:
      return "Corruption";
    case ErrorCode::kInternal:
      return "Internal";
  }
  return "Unknown";
}

const ClientFace& DescribeForClient(ErrorCode code, Reason reason) {
  const auto r = static_cast<size_t>(reason);
  if (reason != Reason::kNone && r < kByReason.size()) return kByReason[r].face;
  const auto c = static_cast<size_t>(code);
  return c < kByCode.size() ? kByCode[c].face : kByCode.back().face;
}

std::span<const Reason> AllReasons() { return kAllReasons; }
std::span<const ErrorCode> AllErrorCodes() { return kAllCodes; }

}  // namespace sealpost
