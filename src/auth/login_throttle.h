// Throttles password and second-factor guessing, per account and per client address.
//
// Counters live in the store, so the limit holds across processes sharing one database. The
// per-account key is derived from the typed address whether or not an account exists, so being
// throttled reveals nothing about existence. Thread-safe.
#pragma once

#include <chrono>
#include <string>

#include "core/status.h"
#include "platform/clock.h"
#include "store/store.h"

namespace sealpost::auth {

struct ThrottleLimits {
  int64_t per_account = 5;   // failures per window before that address is refused
  int64_t per_address = 30;  // failures per window before that client address is refused
  std::chrono::milliseconds window{std::chrono::minutes(15)};
};

class LoginThrottle final {
 public:
  LoginThrottle(store::Store& store, const platform::Clock& clock, ThrottleLimits limits)
      : store_(store), clock_(clock), limits_(limits) {}

  // RateLimited (too-many-attempts, with Retry-After) when either counter is at its limit.
  Status Check(const std::string& account, const std::string& client_address) const;
  Status RecordFailure(store::WriteTxn& tx, const std::string& account,
                       const std::string& client_address) const;
  // Only the per-client-address counter (for guesses whose target has its own limit, such as
  // guest pickups with their MUC lock).
  Status CheckAddress(const std::string& client_address) const;
  Status RecordAddressFailure(store::WriteTxn& tx, const std::string& client_address) const;
  Status RecordSuccess(store::WriteTxn& tx, const std::string& account) const;
  std::chrono::seconds retry_after() const {
    return std::chrono::duration_cast<std::chrono::seconds>(limits_.window);
  }

 private:
  Status TooManyAttempts() const;

  store::Store& store_;
  const platform::Clock& clock_;
  ThrottleLimits limits_;
};

}  // namespace sealpost::auth
