// The guests domain (store/guests_store.h: guest addresses and pickups) on SQLite.
#pragma once

#include "store/guests_store.h"
#include "store/sqlite/internal/connection.h"
#include "store/sqlite/internal/reader_pool.h"

namespace sealpost::store::sqlite {

class SqliteGuestsReader final : public GuestsReader {
 public:
  explicit SqliteGuestsReader(ReaderPool& pool) : pool_(pool) {}

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
  ReaderPool& pool_;
};

// Over the writer connection; used only by the writer thread inside a transaction.
class SqliteGuestsWriter final : public GuestsWriter {
 public:
  explicit SqliteGuestsWriter(Connection& db) : db_(db) {}

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
  Connection& db_;
};

}  // namespace sealpost::store::sqlite
