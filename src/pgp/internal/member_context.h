// The RNP context a MemberKey keeps: its secret key loaded once, and the contact keys it has
// encrypted to or verified from, so that a recipient costs one RNP operation rather than a
// fresh context and two key imports (each import re-checks every self-signature; together
// they cost about three times the operation itself - bench/pgp_encrypt_bench.cpp).
//
// Thread-safety: all use goes through Begin, which holds the context's mutex for the operation;
// concurrent operations on one member key run one after another.
#pragma once

#include <mutex>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/time.h"
#include "pgp/internal/rnp_handles.h"
#include "pgp/public_key.h"

namespace sealpost::pgp::internal {

class MemberContext final {
 public:
  // At most this many contact keys stay loaded; past it they are all unloaded and loading
  // starts over (a member writing to thousands of contacts keeps bounded memory).
  static constexpr size_t kMaxContacts = 64;

  MemberContext(Ffi ffi, std::string member_fingerprint)
      : ffi_(std::move(ffi)), member_fingerprint_(std::move(member_fingerprint)) {}

  // One locked operation on the context.
  class Use final {
   public:
    rnp_ffi_t ffi() const { return ffi_; }

   private:
    friend class MemberContext;
    Use(std::unique_lock<std::mutex> lock, rnp_ffi_t ffi) : lock_(std::move(lock)), ffi_(ffi) {}
    std::unique_lock<std::mutex> lock_;
    rnp_ffi_t ffi_;
  };

  // Locks the context, sets its clock to `now` and makes sure `contact`'s key (with the subkey
  // `contact.encryption_fingerprint`) is loaded.
  Result<Use> Begin(const ContactKey& contact, TimePoint now);

 private:
  Status UnloadContacts();

  std::mutex mu_;
  Ffi ffi_;
  std::string member_fingerprint_;
  std::vector<std::string> contacts_;  // primary fingerprints loaded besides the member's own
};

}  // namespace sealpost::pgp::internal
