#include "store/sqlite/internal/guests.h"

#include "store/sqlite/internal/rows.h"

namespace sealpost::store::sqlite {
namespace {

// Pickups matching `sql`, whose parameters `bind` sets.
template <typename BindFn>
Result<std::vector<PickupRecord>> ListPickups(ReaderPool& pool, const std::string& sql,
                                              BindFn bind) {
  return pool.WithReader<std::vector<PickupRecord>>(
      [&](Connection& db) -> Result<std::vector<PickupRecord>> {
        SP_ASSIGN_OR_RETURN(auto s, db.Prepare(sql));
        bind(s);
        std::vector<PickupRecord> out;
        for (;;) {
          SP_ASSIGN_OR_RETURN(const bool row, s.Step());
          if (!row) break;
          out.push_back(ReadPickup(s));
        }
        return out;
      });
}

}  // namespace

Result<GuestAddressRecord> SqliteGuestsReader::GetGuestAddress(const std::string& email) {
  return pool_.ReadOne<GuestAddressRecord>(
      std::string("SELECT ") + kGuestAddressColumns + " FROM guest_addresses WHERE email = ?",
      [&](Statement& s) { s.Bind(1, email); }, ReadGuestAddress, "guest address");
}

Result<PickupRecord> SqliteGuestsReader::GetPickup(const std::string& lookup) {
  return pool_.ReadOne<PickupRecord>(
      std::string("SELECT ") + kPickupColumns + " FROM pickups WHERE lookup = ?",
      [&](Statement& s) { s.Bind(1, lookup); }, ReadPickup, "pickup");
}

Result<std::vector<PickupRecord>> SqliteGuestsReader::ListPickupsOfMessage(const MessageId& id) {
  return ListPickups(pool_,
                     std::string("SELECT ") + kPickupColumns +
                         " FROM pickups WHERE message_id = ? ORDER BY created_ms, lookup",
                     [&](Statement& s) { s.Bind(1, id.str()); });
}

Result<std::vector<PickupRecord>> SqliteGuestsReader::ListPickupsOfAddress(const std::string& email,
                                                                           int limit) {
  return ListPickups(pool_,
                     std::string("SELECT ") + kPickupColumns +
                         " FROM pickups WHERE email = ? ORDER BY created_ms, lookup LIMIT ?",
                     [&](Statement& s) { s.Bind(1, email).Bind(2, int64_t{limit}); });
}

Result<std::vector<PickupRecord>> SqliteGuestsReader::ListClaimablePickupsOfSender(
    const UserId& sender, int limit) {
  return ListPickups(
      pool_,
      std::string("SELECT ") + kPickupColumns +
          " FROM pickups WHERE sender_id = ? AND state IN (0, 1) AND EXISTS (SELECT 1 FROM "
          "users u WHERE u.email = pickups.email AND u.state = 1) "
          "ORDER BY created_ms, lookup LIMIT ?",
      [&](Statement& s) { s.Bind(1, sender.str()).Bind(2, int64_t{limit}); });
}

Result<std::vector<PickupRecord>> SqliteGuestsReader::ListStaleSharesOfSender(const UserId& sender,
                                                                              int limit) {
  return ListPickups(
      pool_,
      std::string("SELECT ") + kPickupColumns +
          " FROM pickups WHERE sender_id = ? AND state IN (0, 1) AND length(sender_share) > 0 "
          "AND EXISTS (SELECT 1 FROM guest_addresses g WHERE g.email = pickups.email AND "
          "length(g.public_key) > 0 AND g.public_key != pickups.share_key) "
          "ORDER BY created_ms, lookup LIMIT ?",
      [&](Statement& s) { s.Bind(1, sender.str()).Bind(2, int64_t{limit}); });
}

Result<std::vector<PickupRecord>> SqliteGuestsReader::ListExpiredPickups(TimePoint now, int limit) {
  return ListPickups(pool_,
                     std::string("SELECT ") + kPickupColumns +
                         " FROM pickups WHERE state IN (0, 1) AND expires_ms <= ? "
                         "ORDER BY expires_ms, lookup LIMIT ?",
                     [&](Statement& s) { s.Bind(1, ToUnixMillis(now)).Bind(2, int64_t{limit}); });
}

Status SqliteGuestsWriter::PutGuestAddress(const GuestAddressRecord& g) {
  SP_ASSIGN_OR_RETURN(
      auto s, db_.Prepare(std::string("INSERT INTO guest_addresses(") + kGuestAddressColumns +
                          ") VALUES(?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(email) DO UPDATE SET "
                          "muc_hash = excluded.muc_hash, failures = excluded.failures, "
                          "updated_ms = excluded.updated_ms, public_key = excluded.public_key, "
                          "wrapped_secret = excluded.wrapped_secret, kek_salt = excluded.kek_salt, "
                          "kek_ops = excluded.kek_ops, kek_mem = excluded.kek_mem, "
                          "member_sealed_secret = excluded.member_sealed_secret"));
  s.Bind(1, g.email).Bind(2, g.muc_hash).Bind(3, g.failures);
  s.Bind(4, ToUnixMillis(g.created_at)).Bind(5, ToUnixMillis(g.updated_at));
  s.Bind(6, ByteView(g.public_key)).Bind(7, ByteView(g.wrapped_secret));
  s.Bind(8, ByteView(g.kek_salt)).Bind(9, g.kek_ops).Bind(10, g.kek_mem);
  s.Bind(11, ByteView(g.member_sealed_secret));
  return s.Run();
}

Status SqliteGuestsWriter::UpgradeLegacyGuestAddress(const GuestAddressRecord& g,
                                                     const std::string& legacy_muc_hash) {
  SP_ASSIGN_OR_RETURN(
      auto s, db_.Prepare("UPDATE guest_addresses SET muc_hash = '', failures = 0, updated_ms = ?, "
                          "public_key = ?, wrapped_secret = ?, kek_salt = ?, kek_ops = ?, "
                          "kek_mem = ? WHERE email = ? AND muc_hash = ? AND length(muc_hash) > 0 "
                          "AND length(public_key) = 0"));
  s.Bind(1, ToUnixMillis(g.updated_at)).Bind(2, ByteView(g.public_key));
  s.Bind(3, ByteView(g.wrapped_secret)).Bind(4, ByteView(g.kek_salt)).Bind(5, g.kek_ops);
  s.Bind(6, g.kek_mem).Bind(7, g.email).Bind(8, legacy_muc_hash);
  SP_RETURN_IF_ERROR(s.Run());
  if (db_.Changes() == 0) return Conflict("the address was given a new unlock code meanwhile");
  return Status::Ok();
}

Status SqliteGuestsWriter::DeleteGuestAddress(const std::string& email) {
  SP_ASSIGN_OR_RETURN(auto s, db_.Prepare("DELETE FROM guest_addresses WHERE email = ?"));
  return s.Bind(1, email).Run();
}

Result<int64_t> SqliteGuestsWriter::ReserveMucAttempt(const std::string& email, int64_t limit,
                                                      TimePoint now) {
  SP_ASSIGN_OR_RETURN(auto s, db_.Prepare("UPDATE guest_addresses SET failures = failures + 1, "
                                          "updated_ms = ? WHERE email = ? AND failures < ? "
                                          "RETURNING failures"));
  s.Bind(1, ToUnixMillis(now)).Bind(2, email).Bind(3, limit);
  SP_ASSIGN_OR_RETURN(const bool row, s.Step());
  if (row) {
    const int64_t failures = s.Int(0);
    SP_RETURN_IF_ERROR(s.Run());
    return failures;
  }
  SP_ASSIGN_OR_RETURN(auto q, db_.Prepare("SELECT 1 FROM guest_addresses WHERE email = ?"));
  q.Bind(1, email);
  SP_ASSIGN_OR_RETURN(const bool exists, q.Step());
  SP_RETURN_IF_ERROR(q.Run());
  if (!exists) return NotFound("guest address not found");
  return Conflict("the message unlock code is locked");
}

Status SqliteGuestsWriter::ResetMucFailures(const std::string& email) {
  SP_ASSIGN_OR_RETURN(auto s,
                      db_.Prepare("UPDATE guest_addresses SET failures = 0 WHERE email = ?"));
  SP_RETURN_IF_ERROR(s.Bind(1, email).Run());
  return ExpectOneRow(db_, "guest address");
}

Status SqliteGuestsWriter::CreatePickup(const PickupRecord& p) {
  SP_ASSIGN_OR_RETURN(auto s, db_.Prepare(std::string("INSERT INTO pickups(") + kPickupColumns +
                                          ") VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"));
  s.Bind(1, p.lookup).Bind(2, p.message_id.str()).Bind(3, p.sender_id.str()).Bind(4, p.email);
  s.Bind(5, ByteView(p.wrapped_key)).Bind(6, ToUnixMillis(p.created_at));
  s.Bind(7, ToUnixMillis(p.expires_at)).Bind(8, int64_t{static_cast<int>(p.state)});
  int index = 9;
  for (const auto& t : {p.notified_at, p.notify_failed_at, p.opened_at, p.replied_at}) {
    if (t) {
      s.Bind(index++, ToUnixMillis(*t));
    } else {
      s.BindNull(index++);
    }
  }
  s.Bind(13, ByteView(p.sealed_share)).Bind(14, ByteView(p.share_key));
  s.Bind(15, ByteView(p.sender_share));
  return s.Run();
}

Status SqliteGuestsWriter::SetPickupState(const std::string& lookup, PickupState state) {
  SP_ASSIGN_OR_RETURN(auto s, db_.Prepare("UPDATE pickups SET state = ? WHERE lookup = ?"));
  SP_RETURN_IF_ERROR(s.Bind(1, int64_t{static_cast<int>(state)}).Bind(2, lookup).Run());
  return ExpectOneRow(db_, "pickup");
}

Status SqliteGuestsWriter::MarkPickupOpened(const std::string& lookup, TimePoint now) {
  SP_ASSIGN_OR_RETURN(auto s, db_.Prepare("UPDATE pickups SET state = 1, opened_ms = "
                                          "coalesce(opened_ms, ?1) WHERE lookup = ?2 AND "
                                          "state IN (0, 1) AND expires_ms > ?1"));
  SP_RETURN_IF_ERROR(s.Bind(1, ToUnixMillis(now)).Bind(2, lookup).Run());
  return ExpectOneRow(db_, "live pickup");
}

Status SqliteGuestsWriter::SetPickupReplied(const std::string& lookup, TimePoint at) {
  SP_ASSIGN_OR_RETURN(
      auto s,
      db_.Prepare("UPDATE pickups SET replied_ms = coalesce(replied_ms, ?) WHERE lookup = ?"));
  SP_RETURN_IF_ERROR(s.Bind(1, ToUnixMillis(at)).Bind(2, lookup).Run());
  return ExpectOneRow(db_, "pickup");
}

Status SqliteGuestsWriter::SetPickupNotified(const std::string& lookup, TimePoint at) {
  SP_ASSIGN_OR_RETURN(auto s, db_.Prepare("UPDATE pickups SET notified_ms = ? WHERE lookup = ?"));
  SP_RETURN_IF_ERROR(s.Bind(1, ToUnixMillis(at)).Bind(2, lookup).Run());
  return ExpectOneRow(db_, "pickup");
}

Status SqliteGuestsWriter::SetPickupNotifyFailed(const std::string& lookup, TimePoint at) {
  SP_ASSIGN_OR_RETURN(auto s,
                      db_.Prepare("UPDATE pickups SET notify_failed_ms = ? WHERE lookup = ?"));
  SP_RETURN_IF_ERROR(s.Bind(1, ToUnixMillis(at)).Bind(2, lookup).Run());
  return ExpectOneRow(db_, "pickup");
}

Status SqliteGuestsWriter::RevokePendingPickup(const std::string& lookup) {
  SP_ASSIGN_OR_RETURN(auto s, db_.Prepare("UPDATE pickups SET state = 2, wrapped_key = X'', "
                                          "sealed_share = X'', sender_share = X'' "
                                          "WHERE lookup = ? AND state = 0"));
  SP_RETURN_IF_ERROR(s.Bind(1, lookup).Run());
  return ExpectOneRow(db_, "pending pickup");
}

Status SqliteGuestsWriter::ExpirePickup(const std::string& lookup, TimePoint now) {
  SP_ASSIGN_OR_RETURN(auto s, db_.Prepare("UPDATE pickups SET state = 3, wrapped_key = X'', "
                                          "sealed_share = X'', sender_share = X'' "
                                          "WHERE lookup = ? AND state IN (0, 1) AND "
                                          "expires_ms <= ?"));
  SP_RETURN_IF_ERROR(s.Bind(1, lookup).Bind(2, ToUnixMillis(now)).Run());
  return ExpectOneRow(db_, "expired pickup");
}

Status SqliteGuestsWriter::ResealPickupShare(const std::string& lookup, ByteView sealed_share,
                                             ByteView share_key) {
  SP_ASSIGN_OR_RETURN(auto s, db_.Prepare("UPDATE pickups SET sealed_share = ?, share_key = ? "
                                          "WHERE lookup = ? AND state IN (0, 1)"));
  SP_RETURN_IF_ERROR(s.Bind(1, sealed_share).Bind(2, share_key).Bind(3, lookup).Run());
  return ExpectOneRow(db_, "live pickup");
}

}  // namespace sealpost::store::sqlite
