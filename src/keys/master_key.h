// The platform master key: the root that wraps platform secrets (audit signing key, TOTP seeds).
// It never wraps member message keys — those hang off each member's password (zero access).
//
// Loaded at start-up from SEALPOST_MASTER_KEY (base64) or from a file (created with 0600 on
// first start). A PKCS#11/KMS backend can replace this class later. Thread-safe after creation.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"
#include "crypto/aead.h"
#include "platform/filesystem.h"

namespace sealpost::keys {

class MasterKey final {
 public:
  // Environment variable first, then `path`; creates the file when neither exists.
  static Result<MasterKey> LoadOrCreate(platform::Filesystem& fs, const std::string& path);
  // The key in the file `path` alone (the environment is not looked at); NotFound without it.
  // Used by the rotation, which handles the current and the pending key files.
  static Result<MasterKey> LoadFile(platform::Filesystem& fs, const std::string& path);
  // A new random key written to `path` (0600, fsync, rename); Conflict when `path` exists.
  static Result<MasterKey> CreateFile(platform::Filesystem& fs, const std::string& path);
  static MasterKey FromKeyForTesting(crypto::AeadKey key) { return MasterKey(std::move(key)); }

  // `purpose` binds the ciphertext to its use and owner (e.g. "totp/<user id>").
  Bytes Wrap(ByteView secret, std::string_view purpose) const;
  Result<crypto::SecretBytes> Unwrap(ByteView wrapped, std::string_view purpose) const;
  // The key id every Wrap carries (crypto/aead.h, FramedKeyId): a master-key rotation re-wraps
  // the records that name another key (or none: wraps made before key ids).
  const crypto::AeadKeyId& key_id() const { return key_->key_id(); }

 private:
  explicit MasterKey(crypto::AeadKey key)
      : key_(std::make_shared<crypto::AeadKey>(std::move(key))) {}
  std::shared_ptr<const crypto::AeadKey> key_;
};

}  // namespace sealpost::keys
