// The causes of errors as clients are told them: one catalogue for every front end.
//
// A Status (core/status.h) carries a code for the program and a message for the log. Its Reason
// is what the client learns: a stable slug (the problem type `https://sealpost.dev/problems/
// <slug>` over HTTP; an SMTP front end maps the same reasons to reply codes), a short title and a
// generic text. A status without a reason is described by its code alone. The texts never name
// anything of the server (files, queries, peers), so any of them may reach any client.
//
// Adding a reason: a row here (and in reason.cpp), its HTTP status in http/problem.cpp, and its
// entry in the OpenAPI document's problem catalogue (api/openapi.json); tests check all three.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace sealpost {

enum class ErrorCode {
  kOk = 0,
  kNotFound,
  kInvalidArgument,
  kUnauthenticated,   // wrong credentials, or a ciphertext/signature that does not verify
  kPermissionDenied,  // authenticated but not allowed
  kConflict,          // state does not allow the operation (duplicate, already used…)
  kTooLarge,          // an input is over its size or count limit
  kRateLimited,       // too many requests or attempts for now: retry after a while
  kStorageFull,       // the disk (or the database) has no room left
  kUnavailable,       // transient: retry later
  kCorruption,        // stored data failed an integrity check
  kInternal,
};

std::string_view ErrorCodeName(ErrorCode code);

enum class Reason : uint8_t {
  kNone = 0,  // described by the status's code
  // The request itself (http/).
  kMalformedRequest,
  kUnknownRoute,
  kMethodNotAllowed,
  kHeaderTooLarge,
  kUnsupportedMediaType,
  kTooManyTransfers,
  kOriginMismatch,
  // Sessions and log-in.
  kSessionRequired,
  kCsrfFailed,
  kTotpSetupRequired,
  kInvalidCredentials,
  kInvalidOneTimeCode,
  kLoginExpired,
  kTooManyAttempts,
  kWrongPassword,
  kRecoveryFailed,
  kInvalidPassword,
  kInvalidDisplayName,
  kInvalidEmail,
  kAddressTaken,
  kLinkInvalid,
  // Messages.
  kInvalidRecipient,
  kInvalidSubject,
  kInvalidAttachment,
  kMucRequired,
  kInvalidExpiry,
  kNothingToRecall,
  kSealBroken,
  // Guests.
  kPickupNotFound,
  kInvalidMuc,
  kMucWrong,
  kMucLocked,
  kPickupThrottled,
  kPickupEnrolled,
  kAlreadyMember,
  kPickupWaitsForSender,
  kMucNeeded,
  // Registered mail.
  kInvalidDeadline,
  kNotRegistered,
  kAlreadyDecided,
  kDeadlinePassed,
  kAcceptanceRequired,
};

struct ClientFace {
  std::string_view slug;   // stable: clients match on it
  std::string_view title;  // a few words
  std::string_view text;   // one sentence for people
};

// The face of a status with this code and reason: the reason's, or the code's without one.
const ClientFace& DescribeForClient(ErrorCode code, Reason reason);

// Every reason but kNone, and every code but kOk, for the catalogue's tests and documents.
std::span<const Reason> AllReasons();
std::span<const ErrorCode> AllErrorCodes();

}  // namespace sealpost
