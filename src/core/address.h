// EmailAddress: a validated, normalised mailbox address (addr-spec of RFC 5322, dot-atom only).
//
// SECURITY: sees untrusted input (sign-up forms, recipient lists). Anything that could smuggle a
// header or a second address — CR, LF, NUL, spaces, quotes, angle brackets, commas — is refused.
// The whole address is lower-cased: Sealpost treats addresses as case-insensitive identities.
#pragma once

#include <compare>
#include <string>
#include <string_view>

#include "core/status.h"

namespace sealpost {

class EmailAddress final {
 public:
  static constexpr size_t kMaxLength = 254;  // RFC 5321 §4.5.3.1.3 path limit less the brackets
  static constexpr size_t kMaxLocalLength = 64;

  static Result<EmailAddress> Parse(std::string_view text);

  const std::string& str() const { return value_; }
  std::string_view local_part() const;
  std::string_view domain() const;
  auto operator<=>(const EmailAddress&) const = default;

 private:
  explicit EmailAddress(std::string v) : value_(std::move(v)) {}
  std::string value_;
};

}  // namespace sealpost
