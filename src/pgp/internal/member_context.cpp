#include "pgp/internal/member_context.h"

#include <algorithm>
#include <chrono>

#include "pgp/internal/rnp_keys.h"

namespace sealpost::pgp::internal {

Result<MemberContext::Use> MemberContext::Begin(const ContactKey& contact, TimePoint now) {
  std::unique_lock<std::mutex> lock(mu_);
  const auto seconds =
      std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  SP_RETURN_IF_ERROR(
      FromRnp(rnp_set_timestamp(ffi_.get(), static_cast<uint64_t>(std::max<int64_t>(seconds, 1))),
              "set timestamp"));
  auto loaded = KeyByFingerprint(ffi_.get(), contact.encryption_fingerprint);
  if (!loaded.ok()) {
    if (contacts_.size() >= kMaxContacts) SP_RETURN_IF_ERROR(UnloadContacts());
    SP_RETURN_IF_ERROR(ImportKeys(ffi_.get(), contact.public_key, RNP_LOAD_SAVE_PUBLIC_KEYS));
    if (contact.fingerprint != member_fingerprint_ &&
        std::find(contacts_.begin(), contacts_.end(), contact.fingerprint) == contacts_.end()) {
      contacts_.push_back(contact.fingerprint);
    }
  }
  return Use(std::move(lock), ffi_.get());
}

Status MemberContext::UnloadContacts() {
  for (const std::string& fp : contacts_) {
    auto key = KeyByFingerprint(ffi_.get(), fp);
    if (!key.ok()) continue;
    SP_RETURN_IF_ERROR(FromRnp(
        rnp_key_remove(key->get(), RNP_KEY_REMOVE_PUBLIC | RNP_KEY_REMOVE_SUBKEYS), "unload"));
  }
  contacts_.clear();
  return Status::Ok();
}

}  // namespace sealpost::pgp::internal
