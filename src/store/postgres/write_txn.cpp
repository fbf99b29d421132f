#include "store/postgres/write_txn.h"

#include <algorithm>
#include <cstddef>
#include <tuple>
#include <utility>

#include "store/audit_chain.h"
#include "store/postgres/internal.h"

namespace sealpost::store::postgres {
namespace {

Status ExpectOneRow(const pqxx::result& r, const char* what) {
  if (r.affected_rows() == 0) return NotFound(std::string(what) + " not found");
  return Status::Ok();
}

Status ExpectInserted(const pqxx::result& r, const char* what) {
  if (r.affected_rows() == 0) return Conflict(std::string(what) + " already exists");
  return Status::Ok();
}

// A PostgreSQL array literal ({"a","b"}), for statements that insert many rows in one go. Every
// element is quoted, so any text is safe.
class ArrayLiteral {
 public:
  void Add(std::string_view element) {
    text_ += text_.size() > 1 ? ",\"" : "\"";
    for (const char c : element) {
      if (c == '"' || c == '\\') text_ += '\\';
      text_ += c;
    }
    text_ += '"';
  }
  std::string str() const { return text_ + "}"; }

 private:
  std::string text_ = "{";
};

// A missing time is sent as -1, which the statement turns into NULL (times are never negative).
int64_t MillisOrNone(const std::optional<TimePoint>& t) { return t ? ToUnixMillis(*t) : -1; }

}  // namespace

template <typename Fn>
Status PgWriteTxn::GuardStatus(Fn&& fn) {
  if (!failure_.ok()) return failure_;
  try {
    return fn();
  } catch (...) {
    failure_ = StatusFromException(std::current_exception(), &retryable_);
    return failure_;
  }
}

template <typename T, typename Fn>
Result<T> PgWriteTxn::Guard(Fn&& fn) {
  if (!failure_.ok()) return failure_;  // the transaction is aborted; nothing more runs
  try {
    return fn();
  } catch (...) {
    failure_ = StatusFromException(std::current_exception(), &retryable_);
    return failure_;
  }
}

Status PgWriteTxn::CreateUser(const UserRecord& u) {
  return GuardStatus([&]() -> Status {
    const auto r = tx_.exec_prepared(
        "create_user", u.id.str(), u.email, u.display_name, static_cast<int>(u.state), u.is_admin,
        Bin(u.box_public_key), Bin(u.verify_key), Bin(u.wrapped_private_keys), Bin(u.password_salt),
        static_cast<int64_t>(u.password_ops), static_cast<int64_t>(u.password_mem),
        Bin(u.umk_by_password), Bin(u.recovery_salt), Bin(u.umk_by_recovery), Bin(u.totp_secret),
        u.totp_enabled, u.totp_last_step, ToUnixMillis(u.created_at), u.disabled);
    if (r.affected_rows() == 0) return Conflict("email address already registered");
    return Status::Ok();
  });
}

Status PgWriteTxn::DeleteUser(const UserId& id) {
  return GuardStatus(
      [&] { return ExpectOneRow(tx_.exec_prepared("delete_user", id.str()), "user"); });
}

Status PgWriteTxn::ActivateUser(const UserId& id, ByteView recovery_salt,
                                ByteView umk_by_recovery) {
  return GuardStatus([&] {
    return ExpectOneRow(
        tx_.exec_prepared("activate_user", Bin(recovery_salt), Bin(umk_by_recovery), id.str()),
        "pending user");
  });
}

Status PgWriteTxn::SetPasswordSlot(const UserId& id, ByteView salt, uint64_t ops, uint64_t mem,
                                   ByteView umk_by_password, ByteView expected) {
  return GuardStatus([&]() -> Status {
    const auto r =
        tx_.exec_prepared("set_password_slot", Bin(salt), static_cast<int64_t>(ops),
                          static_cast<int64_t>(mem), Bin(umk_by_password), id.str(), Bin(expected));
    if (r.affected_rows() == 0) return Conflict("the password was changed at the same time");
    return Status::Ok();
  });
}

Status PgWriteTxn::SetRecoverySlot(const UserId& id, ByteView salt, ByteView umk_by_recovery,
                                   ByteView expected) {
  return GuardStatus([&]() -> Status {
    const auto r = tx_.exec_prepared("set_recovery_slot", Bin(salt), Bin(umk_by_recovery), id.str(),
                                     Bin(expected));
    if (r.affected_rows() == 0) return Conflict("the recovery code was changed at the same time");
    return Status::Ok();
  });
}

Status PgWriteTxn::SetUserDisabled(const UserId& id, bool disabled) {
  return GuardStatus([&] {
    return ExpectOneRow(tx_.exec_prepared("set_user_disabled", disabled, id.str()), "user");
  });
}

Status PgWriteTxn::DeleteOtherSessionsOfUser(const UserId& user_id,
                                             const std::string& keep_lookup) {
  return GuardStatus([&] {
    tx_.exec_prepared("delete_other_sessions", user_id.str(), keep_lookup);
    return Status::Ok();
  });
}

Status PgWriteTxn::DeleteSessionByPublicId(const UserId& user_id, const std::string& public_id) {
  return GuardStatus([&] {
    return ExpectOneRow(tx_.exec_prepared("delete_session_by_public_id", user_id.str(), public_id),
                        "session");
  });
}

Status PgWriteTxn::SetTotp(const UserId& id, ByteView totp_secret, bool enabled) {
  return GuardStatus([&] {
    return ExpectOneRow(tx_.exec_prepared("set_totp", Bin(totp_secret), enabled, id.str()), "user");
  });
}

Status PgWriteTxn::ConsumeTotpStep(const UserId& id, int64_t step) {
  return GuardStatus([&]() -> Status {
    if (tx_.exec_prepared("consume_totp_step", step, id.str()).affected_rows() == 0) {
      return Conflict("one-time code already used");
    }
    return Status::Ok();
  });
}

Status PgWriteTxn::CreateSession(const SessionRecord& s) {
  return GuardStatus([&] {
    return ExpectInserted(
        tx_.exec_prepared("create_session", s.lookup, s.user_id.str(), static_cast<int>(s.kind),
                          Bin(s.wrapped_umk), ToUnixMillis(s.created_at),
                          ToUnixMillis(s.last_seen_at), ToUnixMillis(s.expires_at), s.failures,
                          s.public_id, s.client_ip, s.user_agent),
        "session");
  });
}

Status PgWriteTxn::UpdateSession(const SessionRecord& s) {
  return GuardStatus([&] {
    return ExpectOneRow(
        tx_.exec_prepared("update_session", static_cast<int>(s.kind), Bin(s.wrapped_umk),
                          ToUnixMillis(s.last_seen_at), ToUnixMillis(s.expires_at), s.failures,
                          s.client_ip, s.lookup),
        "session");
  });
}

Status PgWriteTxn::DeleteSession(const std::string& lookup) {
  return GuardStatus([&] {
    tx_.exec_prepared("delete_session", lookup);
    return Status::Ok();
  });
}

Status PgWriteTxn::DeleteSessionsOfUser(const UserId& user_id) {
  return GuardStatus([&] {
    tx_.exec_prepared("delete_sessions_of_user", user_id.str());
    return Status::Ok();
  });
}

Status PgWriteTxn::DeleteExpiredSessions(TimePoint now) {
  return GuardStatus([&] {
    tx_.exec_prepared("delete_expired_sessions", ToUnixMillis(now));
    return Status::Ok();
  });
}

Status PgWriteTxn::CreateToken(const TokenRecord& t) {
  return GuardStatus([&] {
    return ExpectInserted(tx_.exec_prepared("create_token", t.lookup, static_cast<int>(t.purpose),
                                            t.user_id ? t.user_id->str() : std::string(),
                                            Bin(t.payload), ToUnixMillis(t.expires_at)),
                          "token");
  });
}

Result<TokenRecord> PgWriteTxn::ConsumeToken(const std::string& lookup, TokenPurpose purpose,
                                             TimePoint now) {
  return Guard<TokenRecord>([&]() -> Result<TokenRecord> {
    const auto r = tx_.exec_prepared("consume_token", lookup);
    if (r.empty()) return NotFound("token not found");
    TokenRecord token = ReadToken(r[0]);
    if (token.purpose != purpose || token.expires_at <= now) return NotFound("token not found");
    return token;
  });
}

Status PgWriteTxn::DeleteTokensOfUser(const UserId& user_id, TokenPurpose purpose) {
  return GuardStatus([&] {
    tx_.exec_prepared("delete_tokens_of_user", user_id.str(), static_cast<int>(purpose));
    return Status::Ok();
  });
}

Status PgWriteTxn::CreateUpload(const UploadRecord& u) {
  return GuardStatus([&] {
    return ExpectInserted(
        tx_.exec_prepared("create_upload", u.id.str(), u.owner_id.str(), u.blob_id.str(),
                          Bin(u.sealed_key), static_cast<int64_t>(u.size),
                          ToUnixMillis(u.created_at)),
        "upload");
  });
}

Status PgWriteTxn::DeleteUpload(const UploadId& id) {
  return GuardStatus(
      [&] { return ExpectOneRow(tx_.exec_prepared("delete_upload", id.str()), "upload"); });
}

Status PgWriteTxn::CreateMessage(const MessageRecord& m, std::span<const MailboxEntry> entries,
                                 std::span<const AttachmentRecord> attachments) {
  ArrayLiteral owners, folders, keys, unread, created;
  for (const MailboxEntry& e : entries) {
    if (e.message_id != m.id) return InvalidArgument("mailbox entry of another message");
    owners.Add(e.owner_id.str());
    folders.Add(std::to_string(static_cast<int>(e.folder)));
    keys.Add(HexEncode(e.sealed_key));
    unread.Add(e.unread ? "t" : "f");
    created.Add(std::to_string(ToUnixMillis(e.created_at)));
  }
  ArrayLiteral indexes, blobs, sizes;
  for (const AttachmentRecord& a : attachments) {
    if (a.message_id != m.id) return InvalidArgument("attachment of another message");
    indexes.Add(std::to_string(a.index));
    blobs.Add(a.blob_id.str());
    sizes.Add(std::to_string(a.stored_size));
  }
  return GuardStatus([&]() -> Status {
    const auto r = tx_.exec_prepared("create_message", m.id.str(), m.sender_id.str(),
                                     ToUnixMillis(m.created_at), Bin(m.summary), Bin(m.body),
                                     owners.str(), folders.str(), keys.str(), unread.str(),
                                     created.str(), indexes.str(), blobs.str(), sizes.str());
    if (r[0][0].as<int64_t>() == 0) return Conflict("message already exists");
    if (r[0][1].as<size_t>() != entries.size()) return Conflict("mailbox entry already exists");
    if (r[0][2].as<size_t>() != attachments.size()) return Conflict("attachment already exists");
    return Status::Ok();
  });
}

Status PgWriteTxn::AddMailboxEntry(const MailboxEntry& e) {
  return GuardStatus([&]() -> Status {
    return ExpectInserted(
        tx_.exec_prepared("create_mailbox_entry", e.owner_id.str(), e.message_id.str(),
                          static_cast<int>(e.folder), Bin(e.sealed_key), e.unread,
                          ToUnixMillis(e.created_at)),
        "mailbox entry");
  });
}

Status PgWriteTxn::MarkRead(const UserId& owner, const MessageId& id) {
  return GuardStatus([&] {
    tx_.exec_prepared("mark_read", owner.str(), id.str());
    return Status::Ok();
  });
}

Status PgWriteTxn::PutGuestAddress(const GuestAddressRecord& g) {
  return GuardStatus([&] {
    tx_.exec_prepared("put_guest_address", g.email, g.muc_hash, g.failures,
                      ToUnixMillis(g.created_at), ToUnixMillis(g.updated_at), Bin(g.public_key),
                      Bin(g.wrapped_secret), Bin(g.kek_salt), g.kek_ops, g.kek_mem,
                      Bin(g.member_sealed_secret));
    return Status::Ok();
  });
}

Status PgWriteTxn::DeleteGuestAddress(const std::string& email) {
  return GuardStatus([&] {
    tx_.exec_prepared("delete_guest_address", email);
    return Status::Ok();
  });
}

Result<int64_t> PgWriteTxn::ReserveMucAttempt(const std::string& email, int64_t limit,
                                              TimePoint now) {
  return Guard<int64_t>([&]() -> Result<int64_t> {
    const auto r = tx_.exec_prepared("reserve_muc_attempt", ToUnixMillis(now), email, limit);
    if (!r.empty()) return r[0][0].as<int64_t>();
    if (tx_.exec_prepared("guest_address_exists", email).empty()) {
      return NotFound("guest address not found");
    }
    return Conflict("the message unlock code is locked");
  });
}

Status PgWriteTxn::ResetMucFailures(const std::string& email) {
  return GuardStatus([&] {
    return ExpectOneRow(tx_.exec_prepared("reset_muc_failures", email), "guest address");
  });
}

Status PgWriteTxn::CreatePickup(const PickupRecord& p) {
  return GuardStatus([&] {
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

Status PgWriteTxn::SetPickupState(const std::string& lookup, PickupState state) {
  return GuardStatus([&] {
    return ExpectOneRow(tx_.exec_prepared("set_pickup_state", static_cast<int>(state), lookup),
                        "pickup");
  });
}

Status PgWriteTxn::MarkPickupOpened(const std::string& lookup, TimePoint now) {
  return GuardStatus([&] {
    return ExpectOneRow(tx_.exec_prepared("mark_pickup_opened", lookup, ToUnixMillis(now)),
                        "live pickup");
  });
}

Status PgWriteTxn::SetPickupReplied(const std::string& lookup, TimePoint at) {
  return GuardStatus([&] {
    return ExpectOneRow(tx_.exec_prepared("set_pickup_replied", lookup, ToUnixMillis(at)),
                        "pickup");
  });
}

Status PgWriteTxn::SetPickupNotified(const std::string& lookup, TimePoint at) {
  return GuardStatus([&] {
    return ExpectOneRow(tx_.exec_prepared("set_pickup_notified", lookup, ToUnixMillis(at)),
                        "pickup");
  });
}

Status PgWriteTxn::SetPickupNotifyFailed(const std::string& lookup, TimePoint at) {
  return GuardStatus([&] {
    return ExpectOneRow(tx_.exec_prepared("set_pickup_notify_failed", lookup, ToUnixMillis(at)),
                        "pickup");
  });
}

Status PgWriteTxn::RevokePendingPickup(const std::string& lookup) {
  return GuardStatus([&] {
    return ExpectOneRow(tx_.exec_prepared("revoke_pending_pickup", lookup), "pending pickup");
  });
}

Status PgWriteTxn::ResealPickupShare(const std::string& lookup, ByteView sealed_share,
                                     ByteView share_key) {
  return GuardStatus([&] {
    return ExpectOneRow(
        tx_.exec_prepared("reseal_pickup_share", lookup, Bin(sealed_share), Bin(share_key)),
        "live pickup");
  });
}

Status PgWriteTxn::ExpirePickup(const std::string& lookup, TimePoint now) {
  return GuardStatus([&] {
    return ExpectOneRow(tx_.exec_prepared("expire_pickup", lookup, ToUnixMillis(now)),
                        "expired pickup");
  });
}

Result<int64_t> PgWriteTxn::DeleteExpiredTokens(TokenPurpose purpose, TimePoint now) {
  return Guard<int64_t>([&]() -> Result<int64_t> {
    const auto r =
        tx_.exec_prepared("delete_expired_tokens", static_cast<int>(purpose), ToUnixMillis(now));
    return static_cast<int64_t>(r.affected_rows());
  });
}

Status PgWriteTxn::DeleteUnreadInboxEntry(const UserId& owner, const MessageId& id) {
  return GuardStatus([&] {
    return ExpectOneRow(tx_.exec_prepared("delete_unread_inbox_entry", owner.str(), id.str()),
                        "unread inbox entry");
  });
}

Result<int64_t> PgWriteTxn::BumpCounter(const std::string& key, TimePoint now,
                                        std::chrono::milliseconds window) {
  return Guard<int64_t>([&]() -> Result<int64_t> {
    const auto r = tx_.exec_prepared("bump_counter", key, ToUnixMillis(now),
                                     static_cast<int64_t>(window.count()));
    if (r.empty()) return Internal("counter upsert returned no row");
    return r[0][0].as<int64_t>();
  });
}

Status PgWriteTxn::ResetCounter(const std::string& key) {
  return GuardStatus([&] {
    tx_.exec_prepared("reset_counter", key);
    return Status::Ok();
  });
}

AuditEntry AuditTail::Append(const AuditEvent& event) {
  AuditEntry entry;
  entry.event = event;
  entry.seq = (appended_.empty() ? seq_ : appended_.back().seq) + 1;
  entry.prev_hash = appended_.empty() ? hash_ : appended_.back().hash;
  entry.hash = AuditEntryHash(entry.prev_hash, entry.seq, event);
  appended_.push_back(entry);
  return entry;
}

void AuditTail::RollBackTo(size_t mark) {
  appended_.erase(appended_.begin() + static_cast<std::ptrdiff_t>(mark), appended_.end());
}

std::string AuditTail::InsertStatement(pqxx::transaction_base& tx) const {
  if (appended_.empty()) return "";
  ArrayLiteral seqs, times, types, actors, subjects, details, prev_hashes, hashes;
  for (const AuditEntry& e : appended_) {
    seqs.Add(std::to_string(e.seq));
    times.Add(std::to_string(ToUnixMillis(e.event.time)));
    types.Add(e.event.type);
    actors.Add(e.event.actor);
    subjects.Add(e.event.subject);
    details.Add(e.event.details);
    prev_hashes.Add(HexEncode(e.prev_hash));
    hashes.Add(HexEncode(e.hash));
  }
  std::string sql = "INSERT INTO audit_log(";
  sql += kAuditColumns;
  sql +=
      ") SELECT seq, time_ms, type, actor, subject, details, decode(prev_hash, 'hex'), "
      "decode(hash, 'hex') FROM unnest(";
  const std::pair<const ArrayLiteral*, const char*> columns[] = {
      {&seqs, "bigint"},   {&times, "bigint"}, {&types, "text"},       {&actors, "text"},
      {&subjects, "text"}, {&details, "text"}, {&prev_hashes, "text"}, {&hashes, "text"}};
  for (const auto& [values, type] : columns) {
    if (values != &seqs) sql += ", ";
    sql += '\'';  // (tx.quote does the same, but trips GCC 12's -Wrestrict at -O3)
    sql += tx.esc(values->str());
    sql += "'::";
    sql += type;
    sql += "[]";
  }
  sql += ") AS x(";
  sql += kAuditColumns;
  sql += ");";
  return sql;
}

// Appends after the batch's tail. The batch read the chain head after taking the write lock
// (postgres_store.cpp), so no other process appends meanwhile and the chain cannot fork.
Result<AuditEntry> PgWriteTxn::AppendAudit(const AuditEvent& event) {
  if (!failure_.ok()) return failure_;
  return audit_.Append(event);
}

Status PgWriteTxn::AddAuditCheckpoint(const AuditCheckpoint& c) {
  return GuardStatus([&] {
    return ExpectInserted(tx_.exec_prepared("add_checkpoint", c.seq, Bin(c.hash), Bin(c.signature),
                                            ToUnixMillis(c.time)),
                          "audit checkpoint");
  });
}

Status PgWriteTxn::PutPlatformKey(const PlatformKeyRecord& k) {
  return GuardStatus([&] {
    return ExpectInserted(
        tx_.exec_prepared("put_platform_key", k.name, Bin(k.public_key), Bin(k.wrapped_secret)),
        "platform key");
  });
}

Status PgWriteTxn::EnqueueMail(const OutboundMailRecord& m) {
  return GuardStatus([&] {
    // No lease is sent as -1, which the statement turns into NULL (times are never negative).
    const auto r =
        tx_.exec_prepared("enqueue_mail", m.id.str(), Bin(m.sealed_mail),
                          ToUnixMillis(m.created_at), ToUnixMillis(m.next_attempt_at), m.attempts,
                          m.lease_until ? ToUnixMillis(*m.lease_until) : int64_t{-1}, m.last_error,
                          m.pickup_lookup.value_or(""));
    return ExpectInserted(r, "queued mail");
  });
}

Result<std::vector<OutboundMailRecord>> PgWriteTxn::ClaimDueMail(TimePoint now,
                                                                 TimePoint lease_until, int limit) {
  return Guard<std::vector<OutboundMailRecord>>([&]() -> Result<std::vector<OutboundMailRecord>> {
    const auto r =
        tx_.exec_prepared("claim_due_mail", ToUnixMillis(now), ToUnixMillis(lease_until), limit);
    std::vector<OutboundMailRecord> out;
    out.reserve(r.size());
    for (const auto& row : r) out.push_back(ReadOutboundMail(row));
    // RETURNING has no order: oldest due first, as the interface promises.
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
      return std::tie(a.next_attempt_at, a.id) < std::tie(b.next_attempt_at, b.id);
    });
    return out;
  });
}

Status PgWriteTxn::RescheduleMail(const MailJobId& id, TimePoint next_attempt_at, int attempts,
                                  const std::string& last_error) {
  return GuardStatus([&] {
    return ExpectOneRow(tx_.exec_prepared("reschedule_mail", id.str(),
                                          ToUnixMillis(next_attempt_at), attempts, last_error),
                        "queued mail");
  });
}

Status PgWriteTxn::DeleteMailOfPickup(const std::string& pickup_lookup) {
  return GuardStatus([&] {
    tx_.exec_prepared("delete_mail_of_pickup", pickup_lookup);
    return Status::Ok();
  });
}

Status PgWriteTxn::DeleteMail(const MailJobId& id) {
  return GuardStatus(
      [&] { return ExpectOneRow(tx_.exec_prepared("delete_mail", id.str()), "queued mail"); });
}

}  // namespace sealpost::store::postgres
