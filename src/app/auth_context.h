// The caller of a use case: a member with a live session, and the keys that session unlocks.
#pragma once

#include <optional>
#include <string>

#include "crypto/key_roles.h"
#include "keys/member_keys.h"
#include "store/records.h"

namespace sealpost::app {

struct AuthContext {
  store::UserRecord user;
  store::SessionRecord session;
  crypto::Umk umk;
  std::string client_address;

  Result<crypto::SigningKey> SigningKey() const {
    return keys::UnwrapSigningKey(umk, user.wrapped_private_keys, user.id);
  }
  Result<crypto::BoxKeyPair> BoxKey() const {
    return keys::UnwrapBoxKey(umk, user.wrapped_private_keys, user.id);
  }
};

}  // namespace sealpost::app
