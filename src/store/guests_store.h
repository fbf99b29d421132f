// Guests (app/guests.h): the addresses that receive messages without an account, with their MUCs,
// and the pickups through which they open one message each. Part of the Store (store/store.h).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "store/records.h"

namespace sealpost::store {

class GuestsReader {
 public:
  virtual ~GuestsReader() = default;

  virtual Result<GuestAddressRecord> GetGuestAddress(const std::string& email) = 0;
  virtual Result<PickupRecord> GetPickup(const std::string& lookup) = 0;
  // Oldest first.
  virtual Result<std::vector<PickupRecord>> ListPickupsOfMessage(const MessageId& id) = 0;
  virtual Result<std::vector<PickupRecord>> ListPickupsOfAddress(const std::string& email,
                                                                 int limit) = 0;
  // Pickups of `sender` still pending or opened whose address now belongs to an active member:
  // the messages the sender's keys can re-seal to that member. Oldest first.
  virtual Result<std::vector<PickupRecord>> ListClaimablePickupsOfSender(const UserId& sender,
                                                                         int limit) = 0;
  // Pickups of `sender` still pending or opened, with a sender copy of their share, whose share
  // is sealed to another key than their address's current one (a MUC was issued since): the
  // shares the sender's keys can re-seal. Oldest first.
  virtual Result<std::vector<PickupRecord>> ListStaleSharesOfSender(const UserId& sender,
                                                                    int limit) = 0;
  // Pending or opened pickups with expires_at <= now, soonest expired first.
  virtual Result<std::vector<PickupRecord>> ListExpiredPickups(TimePoint now, int limit) = 0;
};

class GuestsWriter {
 public:
  virtual ~GuestsWriter() = default;

  // PutGuestAddress inserts or replaces the address's MUC (failures as given).
  // ReserveMucAttempt counts one attempt before the MUC is checked, so parallel guesses cannot
  // exceed the limit: it returns the new count, or Conflict when the address already has `limit`
  // failures (locked), NotFound when unknown. ResetMucFailures after success.
  virtual Status PutGuestAddress(const GuestAddressRecord& guest) = 0;
  // A legacy address (MUC hash, no key pair) gets the key pair of `upgraded`, its hash dropped
  // and its failures reset, only while it still holds `legacy_muc_hash` and no key pair:
  // Conflict when a new MUC was issued since it was read.
  virtual Status UpgradeLegacyGuestAddress(const GuestAddressRecord& upgraded,
                                           const std::string& legacy_muc_hash) = 0;
  virtual Result<int64_t> ReserveMucAttempt(const std::string& email, int64_t limit,
                                            TimePoint now) = 0;
  virtual Status ResetMucFailures(const std::string& email) = 0;
  // The address became a member: its MUC goes. OK when there is none.
  virtual Status DeleteGuestAddress(const std::string& email) = 0;
  virtual Status CreatePickup(const PickupRecord& pickup) = 0;
  // NotFound when no such pickup.
  virtual Status SetPickupState(const std::string& lookup, PickupState state) = 0;
  // A successful unlock: pending or opened → opened, opened_at kept from the first time. NotFound
  // unless the pickup is pending or opened and not expired at `now` (e.g. recalled meanwhile).
  virtual Status MarkPickupOpened(const std::string& lookup, TimePoint now) = 0;
  // The guest replied (first reply time kept). NotFound when no such pickup.
  virtual Status SetPickupReplied(const std::string& lookup, TimePoint at) = 0;
  // The relay accepted the pickup's notification / the queue gave up on it.
  virtual Status SetPickupNotified(const std::string& lookup, TimePoint at) = 0;
  virtual Status SetPickupNotifyFailed(const std::string& lookup, TimePoint at) = 0;
  // A new MUC gave the pickup's address a new key pair: the share, sealed again to `share_key`.
  // NotFound unless the pickup is pending or opened.
  virtual Status ResealPickupShare(const std::string& lookup, ByteView sealed_share,
                                   ByteView share_key) = 0;
  // Recall: a pending pickup becomes revoked and its wrapped key and shares are dropped.
  // NotFound unless it is pending (opened or gone meanwhile).
  virtual Status RevokePendingPickup(const std::string& lookup) = 0;
  // A pending or opened pickup past expires_at (<= now) becomes expired and its wrapped key and
  // shares are dropped. NotFound otherwise.
  virtual Status ExpirePickup(const std::string& lookup, TimePoint now) = 0;
};

}  // namespace sealpost::store
