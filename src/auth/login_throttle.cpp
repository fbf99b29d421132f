#include "auth/login_throttle.h"

#include <arpa/inet.h>

#include <cstring>

#include <fmt/format.h>

namespace sealpost::auth {
namespace {

constexpr const char* kThrottled = "too many failed attempts; try again later";

std::string AccountKey(const std::string& account) { return "login-fail:account:" + account; }
std::string AddressKey(const std::string& client) {
  return "login-fail:address:" + ThrottledClient(client);
}
// The client part has no spaces and comes first, so no two pairs share a key.
std::string PairKey(const std::string& account, const std::string& client) {
  return "login-fail:account-address:" + ThrottledClient(client) + " " + account;
}

}  // namespace

std::string ThrottledClient(const std::string& client_address) {
  unsigned char a[16];
  if (::inet_pton(AF_INET6, client_address.c_str(), a) != 1) return client_address;
  static constexpr unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::memcmp(a, kMapped, sizeof kMapped) == 0) {
    return fmt::format("{}.{}.{}.{}", a[12], a[13], a[14], a[15]);
  }
  return fmt::format("{:02x}{:02x}:{:02x}{:02x}:{:02x}{:02x}:{:02x}{:02x}::/64", a[0], a[1], a[2],
                     a[3], a[4], a[5], a[6], a[7]);
}

Status LoginThrottle::TooManyAttempts() const {
  return RateLimited(kThrottled)
      .As(Reason::kTooManyAttempts)
      .RetryAfter(static_cast<uint32_t>(retry_after().count()));
}

Status LoginThrottle::Check(const std::string& account, const std::string& client_address) const {
  const TimePoint now = clock_.Now();
  SP_ASSIGN_OR_RETURN(const int64_t by_pair,
                      counters_.GetCounter(PairKey(account, client_address), now, limits_.window));
  SP_ASSIGN_OR_RETURN(const int64_t by_address,
                      counters_.GetCounter(AddressKey(client_address), now, limits_.window));
  SP_ASSIGN_OR_RETURN(const int64_t by_account,
                      counters_.GetCounter(AccountKey(account), now, limits_.window));
  if (by_pair >= limits_.per_account_address || by_address >= limits_.per_address ||
      by_account >= limits_.per_account) {
    return TooManyAttempts();
  }
  return Status::Ok();
}

Status LoginThrottle::RecordFailure(store::PlatformWriter& counters, const std::string& account,
                                    const std::string& client_address) const {
  const TimePoint now = clock_.Now();
  SP_RETURN_IF_ERROR(
      counters.BumpCounter(PairKey(account, client_address), now, limits_.window).status());
  SP_RETURN_IF_ERROR(counters.BumpCounter(AccountKey(account), now, limits_.window).status());
  return counters.BumpCounter(AddressKey(client_address), now, limits_.window).status();
}

Status LoginThrottle::CheckAddress(const std::string& client_address) const {
  SP_ASSIGN_OR_RETURN(const int64_t by_address, counters_.GetCounter(AddressKey(client_address),
                                                                     clock_.Now(), limits_.window));
  if (by_address >= limits_.per_address) return TooManyAttempts();
  return Status::Ok();
}

Status LoginThrottle::RecordAddressFailure(store::PlatformWriter& counters,
                                           const std::string& client_address) const {
  return counters.BumpCounter(AddressKey(client_address), clock_.Now(), limits_.window).status();
}

Status LoginThrottle::RecordSuccess(store::PlatformWriter& counters, const std::string& account,
                                    const std::string& client_address) const {
  return counters.ResetCounter(PairKey(account, client_address));
}

}  // namespace sealpost::auth
