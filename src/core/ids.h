// Strong identifiers: 128 random bits rendered as 32 lowercase hex characters.
//
// Ids are random rather than sequential so that they can be created by any process without
// coordination (several `sealpost serve` share one database) and reveal no counts. A distinct type
// per kind keeps a MessageId from passing for a UserId.
#pragma once

#include <compare>
#include <string>
#include <string_view>

#include "core/status.h"

namespace sealpost {

inline constexpr size_t kIdBytes = 16;
inline constexpr size_t kIdChars = 2 * kIdBytes;

bool IsWellFormedId(std::string_view s);

template <typename Tag>
class Id final {
 public:
  Id() = default;

  // Parses untrusted input (a URL segment, a JSON field).
  static Result<Id> Parse(std::string_view s) {
    if (!IsWellFormedId(s)) return InvalidArgument("malformed identifier");
    return Id(std::string(s));
  }
  // For values read back from our own store, or freshly generated.
  static Id FromTrusted(std::string s) { return Id(std::move(s)); }

  const std::string& str() const { return value_; }
  bool empty() const { return value_.empty(); }
  auto operator<=>(const Id&) const = default;

 private:
  explicit Id(std::string v) : value_(std::move(v)) {}
  std::string value_;
};

using UserId = Id<struct UserIdTag>;
using MessageId = Id<struct MessageIdTag>;
using UploadId = Id<struct UploadIdTag>;
using BlobId = Id<struct BlobIdTag>;
using MailJobId = Id<struct MailJobIdTag>;

}  // namespace sealpost
