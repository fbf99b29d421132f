#include "store/postgres/internal/guests.h"

#include "store/postgres/internal/statements.h"

namespace sealpost::store::postgres {

Result<GuestAddressRecord> PgGuestsReader::GetGuestAddress(const std::string& email) {
  return reader_.ReadOne<GuestAddressRecord>("get_guest_address", ReadGuestAddress, "guest address",
                                             email);
}

Result<PickupRecord> PgGuestsReader::GetPickup(const std::string& lookup) {
  return reader_.ReadOne<PickupRecord>("get_pickup", ReadPickup, "pickup", lookup);
}

Result<std::vector<PickupRecord>> PgGuestsReader::ListPickupsOfMessage(const MessageId& id) {
  return reader_.ReadAll<PickupRecord>(ReadPickup, "list_pickups_of_message", id.str());
}

Result<std::vector<PickupRecord>> PgGuestsReader::ListPickupsOfAddress(const std::string& email,
                                                                       int limit) {
  return reader_.ReadAll<PickupRecord>(ReadPickup, "list_pickups_of_address", email, limit);
}

Result<std::vector<PickupRecord>> PgGuestsReader::ListClaimablePickupsOfSender(const UserId& sender,
                                                                               int limit) {
  return reader_.ReadAll<PickupRecord>(ReadPickup, "list_claimable_pickups_of_sender", sender.str(),
                                       limit);
}

Result<std::vector<PickupRecord>> PgGuestsReader::ListStaleSharesOfSender(const UserId& sender,
                                                                          int limit) {
  return reader_.ReadAll<PickupRecord>(ReadPickup, "list_stale_shares_of_sender", sender.str(),
                                       limit);
}

Result<std::vector<PickupRecord>> PgGuestsReader::ListExpiredPickups(TimePoint now, int limit) {
  return reader_.ReadAll<PickupRecord>(ReadPickup, "list_expired_pickups", ToUnixMillis(now),
                                       limit);
}

Status PgGuestsWriter::PutGuestAddress(const GuestAddressRecord& g) {
  return txn_.GuardStatus([&] {
    tx_.exec_prepared("put_guest_address", g.email, g.muc_hash, g.failures,
                      ToUnixMillis(g.created_at), ToUnixMillis(g.updated_at), Bin(g.public_key),
                      Bin(g.wrapped_secret), Bin(g.kek_salt), g.kek_ops, g.kek_mem,
                      Bin(g.member_sealed_secret));
    return Status::Ok();
  });
}

Status PgGuestsWriter::UpgradeLegacyGuestAddress(const GuestAddressRecord& g,
                                                 const std::string& legacy_muc_hash) {
  return txn_.GuardStatus([&]() -> Status {
    const auto r = tx_.exec_prepared("upgrade_legacy_guest_address", g.email, legacy_muc_hash,
                                     ToUnixMillis(g.updated_at), Bin(g.public_key),
                                     Bin(g.wrapped_secret), Bin(g.kek_salt), g.kek_ops, g.kek_mem);
    if (r.affected_rows() == 0) {
      return Conflict("the address was given a new unlock code meanwhile");
    }
    return Status::Ok();
  });
}

Status PgGuestsWriter::DeleteGuestAddress(const std::string& email) {
  return txn_.GuardStatus([&] {
    tx_.exec_prepared("delete_guest_address", email);
    return Status::Ok();
  });
}

Result<int64_t> PgGuestsWriter::ReserveMucAttempt(const std::string& email, int64_t limit,
                                                  TimePoint now) {
  return txn_.Guard<int64_t>([&]() -> Result<int64_t> {
    const auto r = tx_.exec_prepared("reserve_muc_attempt", ToUnixMillis(now), email, limit);
    if (!r.empty()) return r[0][0].as<int64_t>();
    if (tx_.exec_prepared("guest_address_exists", email).empty()) {
      return NotFound("guest address not found");
    }
    return Conflict("the message unlock code is locked");
  });
}

Status PgGuestsWriter::ResetMucFailures(const std::string& email) {
  return txn_.GuardStatus([&] {
    return ExpectOneRow(tx_.exec_prepared("reset_muc_failures", email), "guest address");
  });
}

Status PgGuestsWriter::CreatePickup(const PickupRecord& p) {
  return txn_.GuardStatus([&] {
    return ExpectInserted(
        tx_.exec_prepared("create_pickup", p.lookup, p.message_id.str(), p.sender_id.str(), p.email,
                          Bin(p.wrapped_key), ToUnixMillis(p.created_at),
                          ToUnixMillis(p.expires_at), static_cast<int>(p.state),
                          MillisOrNone(p.notified_at), MillisOrNone(p.notify_failed_at),
                          MillisOrNone(p.opened_at), MillisOrNone(p.replied_at),
                          Bin(p.sealed_share), Bin(p.share_key), Bin(p.sender_share)),
        "pickup");
  });
}

Status PgGuestsWriter::SetPickupState(const std::string& lookup, PickupState state) {
  return txn_.GuardStatus([&] {
    return ExpectOneRow(tx_.exec_prepared("set_pickup_state", static_cast<int>(state), lookup),
                        "pickup");
  });
}

Status PgGuestsWriter::MarkPickupOpened(const std::string& lookup, TimePoint now) {
  return txn_.GuardStatus([&] {
    return ExpectOneRow(tx_.exec_prepared("mark_pickup_opened", lookup, ToUnixMillis(now)),
                        "live pickup");
  });
}

Status PgGuestsWriter::SetPickupReplied(const std::string& lookup, TimePoint at) {
  return txn_.GuardStatus([&] {
    return ExpectOneRow(tx_.exec_prepared("set_pickup_replied", lookup, ToUnixMillis(at)),
                        "pickup");
  });
}

Status PgGuestsWriter::SetPickupNotified(const std::string& lookup, TimePoint at) {
  return txn_.GuardStatus([&] {
    return ExpectOneRow(tx_.exec_prepared("set_pickup_notified", lookup, ToUnixMillis(at)),
                        "pickup");
  });
}

Status PgGuestsWriter::SetPickupNotifyFailed(const std::string& lookup, TimePoint at) {
  return txn_.GuardStatus([&] {
    return ExpectOneRow(tx_.exec_prepared("set_pickup_notify_failed", lookup, ToUnixMillis(at)),
                        "pickup");
  });
}

Status PgGuestsWriter::RevokePendingPickup(const std::string& lookup) {
  return txn_.GuardStatus([&] {
    return ExpectOneRow(tx_.exec_prepared("revoke_pending_pickup", lookup), "pending pickup");
  });
}

Status PgGuestsWriter::ExpirePickup(const std::string& lookup, TimePoint now) {
  return txn_.GuardStatus([&] {
    return ExpectOneRow(tx_.exec_prepared("expire_pickup", lookup, ToUnixMillis(now)),
                        "expired pickup");
  });
}

Status PgGuestsWriter::ResealPickupShare(const std::string& lookup, ByteView sealed_share,
                                         ByteView share_key) {
  return txn_.GuardStatus([&] {
    return ExpectOneRow(
        tx_.exec_prepared("reseal_pickup_share", lookup, Bin(sealed_share), Bin(share_key)),
        "live pickup");
  });
}

}  // namespace sealpost::store::postgres
