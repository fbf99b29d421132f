#include "app/internal/platform_seal_key.h"

#include <string>

namespace sealpost::app::internal {
namespace {

Result<crypto::SigningKey> Unwrap(const Services& s, std::string_view key_name,
                                  const store::PlatformKeyRecord& record) {
  SP_ASSIGN_OR_RETURN(auto seed, s.master.Unwrap(record.wrapped_secret, key_name));
  return crypto::SigningKey::FromSeed(seed);
}

}  // namespace

Result<crypto::SigningKey> LoadOrCreatePlatformSealKey(
    const Services& s, std::string_view key_name,
    const std::optional<PlatformSenderRow>& sender_row) {
  const std::string name(key_name);
  auto existing = s.store.platform().GetPlatformKey(name);
  if (existing.ok()) return Unwrap(s, key_name, *existing);
  if (existing.status().code() != ErrorCode::kNotFound) return existing.status();

  crypto::SigningKey key = crypto::SigningKey::Generate();
  const ByteView pub = key.verify_key().bytes();
  const store::PlatformKeyRecord record{name, Bytes(pub.begin(), pub.end()),
                                        s.master.Wrap(key.ExposeSeed().view(), key_name)};
  std::optional<store::UserRecord> row;
  if (sender_row) {
    row.emplace();
    row->id = sender_row->id;
    row->email = std::string(sender_row->email);
    row->display_name = std::string(sender_row->display_name);
    row->state = store::UserState::kSystem;
    row->verify_key = record.public_key;
    row->created_at = s.clock.Now();
    row->disabled = true;
  }
  const Status put = s.store.Write([&](store::WriteTxn& tx) -> Status {
    SP_RETURN_IF_ERROR(tx.platform().PutPlatformKey(record));
    return row ? tx.accounts().CreateUser(*row) : Status::Ok();
  });
  if (put.code() == ErrorCode::kConflict) {
    // Another process created it first: use its key.
    SP_ASSIGN_OR_RETURN(const auto theirs, s.store.platform().GetPlatformKey(name));
    return Unwrap(s, key_name, theirs);
  }
  SP_RETURN_IF_ERROR(put);
  return key;
}

}  // namespace sealpost::app::internal
