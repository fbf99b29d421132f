#include "app/portal_author.h"

#include "crypto/ad_labels.h"

namespace sealpost::app {
namespace {

// The platform_keys row name is also the master-key purpose (crypto/ad_labels.h).
constexpr const char* kGuestSealKeyName = "guest-seal";
static_assert(kGuestSealKeyName == crypto::kMasterPurposeGuestSeal);
// Not an address (no '@'), so nobody can sign up as, log in as or write to this row.
constexpr const char* kPortalRowEmail = "portal";

Result<crypto::SigningKey> Unwrap(const Services& s, const store::PlatformKeyRecord& record) {
  SP_ASSIGN_OR_RETURN(auto seed, s.master.Unwrap(record.wrapped_secret, kGuestSealKeyName));
  return crypto::SigningKey::FromSeed(seed);
}

}  // namespace

Result<crypto::SigningKey> LoadOrCreatePortalSealKey(const Services& s) {
  auto existing = s.store.platform().GetPlatformKey(kGuestSealKeyName);
  if (existing.ok()) return Unwrap(s, *existing);
  if (existing.status().code() != ErrorCode::kNotFound) return existing.status();

  crypto::SigningKey key = crypto::SigningKey::Generate();
  const ByteView pub = key.verify_key().bytes();
  const store::PlatformKeyRecord record{kGuestSealKeyName, Bytes(pub.begin(), pub.end()),
                                        s.master.Wrap(key.ExposeSeed().view(), kGuestSealKeyName)};
  store::UserRecord row;
  row.id = kPortalSenderId;
  row.email = kPortalRowEmail;
  row.display_name = "Secure portal";
  row.state = store::UserState::kSystem;
  row.verify_key = record.public_key;
  row.created_at = s.clock.Now();
  row.disabled = true;
  const Status put = s.store.Write([&](store::WriteTxn& tx) -> Status {
    SP_RETURN_IF_ERROR(tx.platform().PutPlatformKey(record));
    return tx.accounts().CreateUser(row);
  });
  if (put.code() == ErrorCode::kConflict) {
    // Another process created both first: use its key.
    SP_ASSIGN_OR_RETURN(const auto theirs, s.store.platform().GetPlatformKey(kGuestSealKeyName));
    return Unwrap(s, theirs);
  }
  SP_RETURN_IF_ERROR(put);
  return key;
}

}  // namespace sealpost::app
