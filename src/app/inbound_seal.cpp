#include "app/inbound_seal.h"

#include "crypto/ad_labels.h"

namespace sealpost::app {
namespace {

// The platform_keys row name is also the master-key purpose (crypto/ad_labels.h).
constexpr std::string_view kInboundSealKeyName = crypto::kMasterPurposeInboundSeal;
// Not an address (no '@'), so nobody can sign up as, log in as or write to this row.
constexpr const char* kInboundRowEmail = "inbound-gateway";

Result<crypto::SigningKey> Unwrap(const Services& s, const store::PlatformKeyRecord& record) {
  SP_ASSIGN_OR_RETURN(auto seed, s.master.Unwrap(record.wrapped_secret, kInboundSealKeyName));
  return crypto::SigningKey::FromSeed(seed);
}

}  // namespace

Result<crypto::SigningKey> LoadOrCreateInboundSealKey(const Services& s) {
  const std::string name(kInboundSealKeyName);
  auto existing = s.store.platform().GetPlatformKey(name);
  if (existing.ok()) return Unwrap(s, *existing);
  if (existing.status().code() != ErrorCode::kNotFound) return existing.status();

  crypto::SigningKey key = crypto::SigningKey::Generate();
  const ByteView pub = key.verify_key().bytes();
  const store::PlatformKeyRecord record{name, Bytes(pub.begin(), pub.end()),
                                        s.master.Wrap(key.ExposeSeed().view(), name)};
  store::UserRecord row;
  row.id = kInboundSenderId;
  row.email = kInboundRowEmail;
  row.display_name = "Mail gateway";
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
    SP_ASSIGN_OR_RETURN(const auto theirs, s.store.platform().GetPlatformKey(name));
    return Unwrap(s, theirs);
  }
  SP_RETURN_IF_ERROR(put);
  return key;
}

}  // namespace sealpost::app
