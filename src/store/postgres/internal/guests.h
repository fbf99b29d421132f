// The guests domain (store/guests_store.h: guest addresses and pickups) on PostgreSQL.
#pragma once

#include "store/guests_store.h"
#include "store/postgres/internal/reader.h"
#include "store/postgres/internal/txn.h"

namespace sealpost::store::postgres {

class PgGuestsReader final : public GuestsReader {
 public:
  explicit PgGuestsReader(Reader& reader) : reader_(reader) {}

  Result<GuestAddressRecord> GetGuestAddress(const std::string& email) override;
  Result<PickupRecord> GetPickup(const std::string& lookup) override;
  Result<std::vector<PickupRecord>> ListPickupsOfMessage(const MessageId& id) override;
  Result<std::vector<PickupRecord>> ListPickupsOfAddress(const std::string& email,
                                                         int limit) override;
  Result<std::vector<PickupRecord>> ListClaimablePickupsOfSender(const UserId& sender,
                                                                 int limit) override;
  Result<std::vector<PickupRecord>> ListStaleSharesOfSender(const UserId& sender,
                                                            int limit) override;
  Result<std::vector<PickupRecord>> ListExpiredPickups(TimePoint now, int limit) override;

 private:
  Reader& reader_;
};

// On the batch's transaction (PgTxn: the first error sticks).
class PgGuestsWriter final : public GuestsWriter {
 public:
  explicit PgGuestsWriter(PgTxn& txn) : txn_(txn), tx_(txn.tx()) {}

  Status PutGuestAddress(const GuestAddressRecord& guest) override;
  Status UpgradeLegacyGuestAddress(const GuestAddressRecord& upgraded,
                                   const std::string& legacy_muc_hash) override;
  Result<int64_t> ReserveMucAttempt(const std::string& email, int64_t limit,
                                    TimePoint now) override;
  Status ResetMucFailures(const std::string& email) override;
  Status DeleteGuestAddress(const std::string& email) override;
  Status CreatePickup(const PickupRecord& pickup) override;
  Status SetPickupState(const std::string& lookup, PickupState state) override;
  Status MarkPickupOpened(const std::string& lookup, TimePoint now) override;
  Status SetPickupReplied(const std::string& lookup, TimePoint at) override;
  Status SetPickupNotified(const std::string& lookup, TimePoint at) override;
  Status SetPickupNotifyFailed(const std::string& lookup, TimePoint at) override;
  Status RevokePendingPickup(const std::string& lookup) override;
  Status ExpirePickup(const std::string& lookup, TimePoint now) override;
  Status ResealPickupShare(const std::string& lookup, ByteView sealed_share,
                           ByteView share_key) override;

 private:
  PgTxn& txn_;
  pqxx::transaction_base& tx_;
};

}  // namespace sealpost::store::postgres
