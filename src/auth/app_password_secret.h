// An app password: the secret a member gives a mail program for SMTP submission
// (app/app_passwords.h). Like a BearerSecret it is never stored: the store keeps only `Lookup()`
// (a one-way derivation) to find the record, and the member's UMK wrapped under `WrappingKey()`,
// so a copy of the database can neither log in nor unwrap the UMK.
//
// 160 random bits, shown as 32 lower-case base32 characters in eight groups of four
// ("abcd-efgh-…"): easy to read out and type, and too long to guess, so a fast derivation
// (SHA-256, then crypto_kdf) is enough where a chosen password would need argon2id. A typed copy
// may use any case and drop or add dashes and spaces. Nothing is derived from the platform master
// key, so rotating the master key leaves app passwords alone.
//
// Thread-safety: a plain value.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"
#include "crypto/key_roles.h"
#include "crypto/secret_bytes.h"
#include "crypto/secret_string.h"

namespace sealpost::auth {

class AppPasswordSecret final {
 public:
  static constexpr size_t kChars = 32;  // 5 bits each: 160 bits
  static constexpr size_t kGroup = 4;
  // The longest text Parse reads (a typed copy with generous spacing); longer is malformed.
  static constexpr size_t kMaxTypedBytes = 128;

  static AppPasswordSecret Generate();
  // The canonical form of a typed copy. InvalidArgument when malformed (wrong length, a
  // character outside the alphabet); the message names no part of the input.
  static Result<AppPasswordSecret> Parse(std::string_view typed);

  crypto::SecretString Display() const;  // "abcd-efgh-…", what the member is shown once
  std::string Lookup() const;            // hex; safe to store and index
  crypto::Kek WrappingKey() const;       // wraps the member's UMK

 private:
  explicit AppPasswordSecret(crypto::SecretBytes canonical);
  crypto::SecretBytes canonical_;  // kChars lower-case base32 characters
  crypto::SecretBytes root_;       // SHA-256 of a label and canonical_: the KDF master key
};

}  // namespace sealpost::auth
