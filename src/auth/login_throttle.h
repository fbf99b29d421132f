// Throttles password, second-factor and recovery-code guessing without letting a stranger lock
// the owner of an account out.
//
// Three fixed-window counters of failures, each refusing further attempts once at its limit:
//   - per (account, client address), strict (default 5 per 15 min): the guesser at one address
//     is stopped after a handful of tries, even with the right password afterwards;
//   - per client address across accounts (default 30): one address spraying many accounts;
//   - per account across every address (default 100): a cap on distributed guessing.
// Why not a strict per-account limit (the former design): anyone who knows an address could
// keep its owner out by failing five times every quarter of an hour. Now the owner, at another
// address, still logs in while the attacker waits; locking the owner out takes `per_account`
// failures per window, which needs at least per_account / per_account_address different
// addresses (20 with the defaults) — and then the owner, too, waits for the window. An
// attacker with that many addresses gets at most `per_account` guesses per window per account
// (9,600 a day with the defaults), against passwords of at least the configured minimum length.
//
// Client addresses: an IPv6 address counts as its /64 (one host usually has a whole /64, so
// counting single addresses would give it 2^64 budgets); an IPv4-mapped IPv6 address counts as
// the IPv4 address. A success resets only its (account, client address) counter: the owner's own
// slips are forgiven there, while the owner's success does not refill an attacker's budget at
// other addresses or the account-wide cap.
//
// Counters live in the store, so the limits hold across processes sharing one database. Every
// key is derived from the typed account text whether or not an account exists, and failures
// for unknown accounts are counted the same way, so being throttled reveals nothing about
// existence. Thread-safe.
#pragma once

#include <chrono>
#include <string>

#include "core/status.h"
#include "platform/clock.h"
#include "store/platform_store.h"

namespace sealpost::auth {

struct ThrottleLimits {
  int64_t per_account_address = 5;  // failures per window for one account from one address
  int64_t per_address = 30;         // failures per window from one client address, any account
  int64_t per_account = 100;        // failures per window for one account, from all addresses
  std::chrono::milliseconds window{std::chrono::minutes(15)};
};

class LoginThrottle final {
 public:
  // `counters` reads the counters that the Record* methods bump inside a write.
  LoginThrottle(store::PlatformReader& counters, const platform::Clock& clock,
                ThrottleLimits limits)
      : counters_(counters), clock_(clock), limits_(limits) {}

  // RateLimited (too-many-attempts, with Retry-After) when any of the three counters is at its
  // limit.
  Status Check(const std::string& account, const std::string& client_address) const;
  // Counts one failure in all three counters.
  Status RecordFailure(store::PlatformWriter& counters, const std::string& account,
                       const std::string& client_address) const;
  // Only the per-client-address counter (for guesses whose target has its own limit, such as
  // guest pickups with their MUC lock).
  Status CheckAddress(const std::string& client_address) const;
  Status RecordAddressFailure(store::PlatformWriter& counters,
                              const std::string& client_address) const;
  // Resets the (account, client address) counter only.
  Status RecordSuccess(store::PlatformWriter& counters, const std::string& account,
                       const std::string& client_address) const;
  std::chrono::seconds retry_after() const {
    return std::chrono::duration_cast<std::chrono::seconds>(limits_.window);
  }

 private:
  Status TooManyAttempts() const;

  store::PlatformReader& counters_;
  const platform::Clock& clock_;
  ThrottleLimits limits_;
};

// The part of a client address that is counted: the /64 of an IPv6 address, the IPv4 address
// of an IPv4-mapped one, anything else as it is. Exposed for tests.
std::string ThrottledClient(const std::string& client_address);

}  // namespace sealpost::auth
