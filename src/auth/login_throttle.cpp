#include "auth/login_throttle.h"

namespace sealpost::auth {
namespace {

std::string AccountKey(const std::string& account) { return "login-fail:account:" + account; }
std::string AddressKey(const std::string& address) { return "login-fail:address:" + address; }

}  // namespace

Status LoginThrottle::TooManyAttempts() const {
  return RateLimited("too many failed attempts; try again later")
      .As(Reason::kTooManyAttempts)
      .RetryAfter(static_cast<uint32_t>(retry_after().count()));
}

Status LoginThrottle::Check(const std::string& account, const std::string& client_address) const {
  const TimePoint now = clock_.Now();
  SP_ASSIGN_OR_RETURN(const int64_t by_account,
                      store_.GetCounter(AccountKey(account), now, limits_.window));
  SP_ASSIGN_OR_RETURN(const int64_t by_address,
                      store_.GetCounter(AddressKey(client_address), now, limits_.window));
  if (by_account >= limits_.per_account || by_address >= limits_.per_address) {
    return TooManyAttempts();
  }
  return Status::Ok();
}

Status LoginThrottle::RecordFailure(store::WriteTxn& tx, const std::string& account,
                                    const std::string& client_address) const {
  const TimePoint now = clock_.Now();
  SP_RETURN_IF_ERROR(tx.BumpCounter(AccountKey(account), now, limits_.window).status());
  return tx.BumpCounter(AddressKey(client_address), now, limits_.window).status();
}

Status LoginThrottle::CheckAddress(const std::string& client_address) const {
  SP_ASSIGN_OR_RETURN(const int64_t by_address,
                      store_.GetCounter(AddressKey(client_address), clock_.Now(), limits_.window));
  if (by_address >= limits_.per_address) {
    return TooManyAttempts();
  }
  return Status::Ok();
}

Status LoginThrottle::RecordAddressFailure(store::WriteTxn& tx,
                                           const std::string& client_address) const {
  return tx.BumpCounter(AddressKey(client_address), clock_.Now(), limits_.window).status();
}

Status LoginThrottle::RecordSuccess(store::WriteTxn& tx, const std::string& account) const {
  return tx.ResetCounter(AccountKey(account));
}

}  // namespace sealpost::auth
