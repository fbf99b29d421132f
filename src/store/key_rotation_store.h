// The records that hold a secret wrapped under the platform master key (keys/master_key.h), for
// `sealpost admin rotate-master-key` (app/master_key_rotation.h). Part of the Store
// (store/store.h).
//
// Four places hold such wraps: users.totp_secret (a member's TOTP seed; empty until two-factor
// set-up starts), outbound_mail.sealed_mail (queued mail, which carries links),
// secure_copies.sealed_copy (queued S/MIME, OpenPGP and TLS copies; emptied once delivered) and
// platform_keys.wrapped_secret (the audit signing key, the guest seal key, the platform PKI's
// keys). A new place that stores a master-key wrap must be added here, or a rotation leaves it
// under a key that is then destroyed.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "core/encoding.h"
#include "core/status.h"

namespace sealpost::store {

enum class MasterWrappedKind {
  kTotpSecret,    // id: the user id
  kOutboundMail,  // id: the mail job id
  kSecureCopy,    // id: the secure copy id
  kPlatformKey,   // id: the key's name
};

inline constexpr MasterWrappedKind kAllMasterWrappedKinds[] = {
    MasterWrappedKind::kTotpSecret, MasterWrappedKind::kOutboundMail,
    MasterWrappedKind::kSecureCopy, MasterWrappedKind::kPlatformKey};

struct MasterWrappedRow {
  std::string id;
  Bytes wrapped;
};

class KeyRotationReader {
 public:
  virtual ~KeyRotationReader() = default;

  // Up to `limit` rows of `kind` whose id sorts after `after` (bytewise), in id order; rows with
  // nothing wrapped (an empty TOTP seed) are left out. Page with the last id returned.
  virtual Result<std::vector<MasterWrappedRow>> ListMasterWrapped(MasterWrappedKind kind,
                                                                  const std::string& after,
                                                                  size_t limit) = 0;
};

class KeyRotationWriter {
 public:
  virtual ~KeyRotationWriter() = default;

  // Replaces one row's wrapped bytes, but only while they are still `expected`: Conflict when
  // they changed since they were read (the row was rewritten), NotFound when the row is gone.
  virtual Status ReplaceMasterWrapped(MasterWrappedKind kind, const std::string& id,
                                      ByteView expected, ByteView replacement) = 0;
};

}  // namespace sealpost::store
