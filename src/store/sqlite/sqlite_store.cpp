#include "store/sqlite/sqlite_store.h"

#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <thread>

#include "store/column_list.h"
#include "store/sqlite/connection.h"
#include "store/sqlite/rows.h"
#include "store/sqlite/schema.h"
#include "store/sqlite/write_txn.h"

namespace sealpost::store::sqlite {
namespace {

Status Configure(Connection& db, bool writer, const SqliteOptions& options) {
  SP_RETURN_IF_ERROR(db.Exec("PRAGMA foreign_keys = ON"));
  SP_RETURN_IF_ERROR(db.Exec("PRAGMA synchronous = FULL"));
  if (writer) {
    SP_RETURN_IF_ERROR(db.Exec("PRAGMA journal_mode = WAL"));
    SP_RETURN_IF_ERROR(
        db.Exec("PRAGMA wal_autocheckpoint = " + std::to_string(options.checkpoint_pages)));
  }
  return Status::Ok();
}

MailboxItem ReadMailboxItem(const Statement& s) {
  // Columns: owner_id, message_id, folder, sealed_key, unread, created_ms, sender_id,
  // message created_ms, summary, body.
  MailboxItem item;
  item.entry.owner_id = UserId::FromTrusted(s.Text(0));
  item.entry.message_id = MessageId::FromTrusted(s.Text(1));
  item.entry.folder = static_cast<Folder>(s.Int(2));
  item.entry.sealed_key = s.Blob(3);
  item.entry.unread = s.Int(4) != 0;
  item.entry.created_at = FromUnixMillis(s.Int(5));
  item.message.id = item.entry.message_id;
  item.message.sender_id = UserId::FromTrusted(s.Text(6));
  item.message.created_at = FromUnixMillis(s.Int(7));
  item.message.summary = s.Blob(8);
  item.message.body = s.Blob(9);
  return item;
}

constexpr const char* kMailboxSelect =
    "SELECT b.owner_id, b.message_id, b.folder, b.sealed_key, b.unread, b.created_ms, "
    "m.sender_id, m.created_ms, m.summary, m.body FROM mailbox b JOIN messages m ON "
    "m.id = b.message_id ";

class SqliteStore final : public Store {
 public:
  SqliteStore(std::unique_ptr<Connection> writer, std::vector<std::unique_ptr<Connection>> readers,
              SqliteOptions options)
      : writer_(std::move(writer)), readers_(std::move(readers)), options_(options) {
    writer_thread_ = std::thread([this] { WriterLoop(); });
  }

  ~SqliteStore() override {
    {
      std::lock_guard lock(queue_mu_);
      stopping_ = true;
    }
    queue_cv_.notify_all();
    writer_thread_.join();
  }

  Status Write(const std::function<Status(WriteTxn&)>& fn) override {
    std::promise<Status> done;
    auto future = done.get_future();
    {
      std::lock_guard lock(queue_mu_);
      if (stopping_) return Unavailable("store is shutting down");
      queue_.push_back(Pending{&fn, &done});
    }
    queue_cv_.notify_one();
    return future.get();
  }

  Result<UserRecord> GetUser(const UserId& id) override {
    return ReadOne<UserRecord>(
        std::string("SELECT ") + kUserColumns + " FROM users WHERE id = ?",
        [&](Statement& s) { s.Bind(1, id.str()); }, ReadUser, "user");
  }

  Result<UserRecord> GetUserByEmail(const std::string& email) override {
    return ReadOne<UserRecord>(
        std::string("SELECT ") + kUserColumns + " FROM users WHERE email = ?",
        [&](Statement& s) { s.Bind(1, email); }, ReadUser, "user");
  }

  Result<bool> HasActiveAdmin() override {
    return WithReader<bool>([](Connection& db) -> Result<bool> {
      SP_ASSIGN_OR_RETURN(auto s, db.Prepare("SELECT 1 FROM users WHERE is_admin = 1 AND "
                                             "state = 1 AND disabled = 0 LIMIT 1"));
      SP_ASSIGN_OR_RETURN(const bool row, s.Step());
      return row;
    });
  }

  Result<std::vector<UserRecord>> ListUsers(const std::string* after_email, int limit) override {
    return WithReader<std::vector<UserRecord>>(
        [&](Connection& db) -> Result<std::vector<UserRecord>> {
          std::string sql = std::string("SELECT ") + kUserColumns + " FROM users ";
          if (after_email) sql += "WHERE email > ? ";
          sql += "ORDER BY email LIMIT ?";
          SP_ASSIGN_OR_RETURN(auto s, db.Prepare(sql));
          int next = 1;
          if (after_email) s.Bind(next++, *after_email);
          s.Bind(next, int64_t{limit});
          std::vector<UserRecord> out;
          for (;;) {
            SP_ASSIGN_OR_RETURN(const bool row, s.Step());
            if (!row) break;
            out.push_back(ReadUser(s));
          }
          return out;
        });
  }

  Result<std::vector<SessionRecord>> ListSessionsOfUser(const UserId& user_id, int limit) override {
    return WithReader<std::vector<SessionRecord>>(
        [&](Connection& db) -> Result<std::vector<SessionRecord>> {
          SP_ASSIGN_OR_RETURN(auto s, db.Prepare(std::string("SELECT ") + kSessionColumns +
                                                 " FROM sessions WHERE user_id = ? "
                                                 "ORDER BY created_ms DESC, lookup LIMIT ?"));
          s.Bind(1, user_id.str()).Bind(2, int64_t{limit});
          std::vector<SessionRecord> out;
          for (;;) {
            SP_ASSIGN_OR_RETURN(const bool row, s.Step());
            if (!row) break;
            out.push_back(ReadSession(s));
          }
          return out;
        });
  }

  Result<SessionRecord> GetSession(const std::string& lookup) override {
    return ReadOne<SessionRecord>(
        std::string("SELECT ") + kSessionColumns + " FROM sessions WHERE lookup = ?",
        [&](Statement& s) { s.Bind(1, lookup); }, ReadSession, "session");
  }

  Result<SessionWithUser> GetSessionWithUser(const std::string& lookup) override {
    static const std::string kSql = "SELECT " + QualifiedColumns(kSessionColumns, "s") + ", " +
                                    QualifiedColumns(kUserColumns, "u") +
                                    " FROM sessions s JOIN users u ON u.id = s.user_id "
                                    "WHERE s.lookup = ?";
    return ReadOne<SessionWithUser>(
        kSql, [&](Statement& s) { s.Bind(1, lookup); },
        [](const Statement& s) {
          return SessionWithUser{ReadSession(s), ReadUserAt(s, kSessionColumnCount)};
        },
        "session");
  }

  Result<int64_t> GetCounter(const std::string& key, TimePoint now,
                             std::chrono::milliseconds window) override {
    return WithReader<int64_t>([&](Connection& db) -> Result<int64_t> {
      SP_ASSIGN_OR_RETURN(auto s, db.Prepare("SELECT count FROM counters WHERE key = ? AND "
                                             "window_start_ms + ? > ?"));
      s.Bind(1, key).Bind(2, static_cast<int64_t>(window.count())).Bind(3, ToUnixMillis(now));
      SP_ASSIGN_OR_RETURN(const bool row, s.Step());
      return row ? s.Int(0) : int64_t{0};
    });
  }

  Result<UploadRecord> GetUpload(const UploadId& id) override {
    return ReadOne<UploadRecord>(
        std::string("SELECT ") + kUploadColumns + " FROM uploads WHERE id = ?",
        [&](Statement& s) { s.Bind(1, id.str()); }, ReadUpload, "upload");
  }

  Result<std::vector<UploadRecord>> ListUploadsCreatedBefore(TimePoint cutoff, int limit) override {
    return WithReader<std::vector<UploadRecord>>(
        [&](Connection& db) -> Result<std::vector<UploadRecord>> {
          SP_ASSIGN_OR_RETURN(auto s, db.Prepare(std::string("SELECT ") + kUploadColumns +
                                                 " FROM uploads WHERE created_ms < ? "
                                                 "ORDER BY created_ms LIMIT ?"));
          s.Bind(1, ToUnixMillis(cutoff)).Bind(2, int64_t{limit});
          std::vector<UploadRecord> out;
          for (;;) {
            SP_ASSIGN_OR_RETURN(const bool row, s.Step());
            if (!row) break;
            out.push_back(ReadUpload(s));
          }
          return out;
        });
  }

  Result<std::vector<MailboxItem>> ListMailbox(const UserId& owner, Folder folder,
                                               const MailboxCursor* before, int limit) override {
    return WithReader<std::vector<MailboxItem>>(
        [&](Connection& db) -> Result<std::vector<MailboxItem>> {
          std::string sql = std::string(kMailboxSelect) + "WHERE b.owner_id = ? AND b.folder = ? ";
          if (before) sql += "AND (b.created_ms, b.message_id) < (?, ?) ";
          sql += "ORDER BY b.created_ms DESC, b.message_id DESC LIMIT ?";
          SP_ASSIGN_OR_RETURN(auto s, db.Prepare(sql));
          s.Bind(1, owner.str()).Bind(2, int64_t{static_cast<int>(folder)});
          int next = 3;
          if (before) {
            s.Bind(3, before->created_ms).Bind(4, before->message_id);
            next = 5;
          }
          s.Bind(next, int64_t{limit});
          std::vector<MailboxItem> items;
          for (;;) {
            SP_ASSIGN_OR_RETURN(const bool row, s.Step());
            if (!row) break;
            items.push_back(ReadMailboxItem(s));
          }
          return items;
        });
  }

  Result<MailboxItem> GetMailboxItem(const UserId& owner, const MessageId& id) override {
    return ReadOne<MailboxItem>(
        std::string(kMailboxSelect) +
            "WHERE b.owner_id = ? AND b.message_id = ? "
            "ORDER BY b.folder LIMIT 1",
        [&](Statement& s) { s.Bind(1, owner.str()).Bind(2, id.str()); }, ReadMailboxItem,
        "message");
  }

  Result<MessageRecord> GetMessage(const MessageId& id) override {
    return ReadOne<MessageRecord>(
        "SELECT id, sender_id, created_ms, summary, body FROM messages WHERE id = ?",
        [&](Statement& s) { s.Bind(1, id.str()); },
        [](const Statement& s) {
          return MessageRecord{MessageId::FromTrusted(s.Text(0)), UserId::FromTrusted(s.Text(1)),
                               FromUnixMillis(s.Int(2)), s.Blob(3), s.Blob(4)};
        },
        "message");
  }

  Result<TokenRecord> GetToken(const std::string& lookup, TokenPurpose purpose,
                               TimePoint now) override {
    return ReadOne<TokenRecord>(
        "SELECT lookup, purpose, user_id, payload, expires_ms FROM tokens WHERE lookup = ? AND "
        "purpose = ? AND expires_ms > ?",
        [&](Statement& s) {
          s.Bind(1, lookup).Bind(2, int64_t{static_cast<int>(purpose)}).Bind(3, ToUnixMillis(now));
        },
        ReadToken, "token");
  }

  Result<GuestAddressRecord> GetGuestAddress(const std::string& email) override {
    return ReadOne<GuestAddressRecord>(
        std::string("SELECT ") + kGuestAddressColumns + " FROM guest_addresses WHERE email = ?",
        [&](Statement& s) { s.Bind(1, email); }, ReadGuestAddress, "guest address");
  }

  Result<PickupRecord> GetPickup(const std::string& lookup) override {
    return ReadOne<PickupRecord>(
        std::string("SELECT ") + kPickupColumns + " FROM pickups WHERE lookup = ?",
        [&](Statement& s) { s.Bind(1, lookup); }, ReadPickup, "pickup");
  }

  Result<std::vector<PickupRecord>> ListPickupsOfMessage(const MessageId& id) override {
    return ListPickups(std::string("SELECT ") + kPickupColumns +
                           " FROM pickups WHERE message_id = ? ORDER BY created_ms, lookup",
                       [&](Statement& s) { s.Bind(1, id.str()); });
  }

  Result<std::vector<PickupRecord>> ListPickupsOfAddress(const std::string& email,
                                                         int limit) override {
    return ListPickups(std::string("SELECT ") + kPickupColumns +
                           " FROM pickups WHERE email = ? ORDER BY created_ms, lookup LIMIT ?",
                       [&](Statement& s) { s.Bind(1, email).Bind(2, int64_t{limit}); });
  }

  Result<std::vector<PickupRecord>> ListClaimablePickupsOfSender(const UserId& sender,
                                                                 int limit) override {
    return ListPickups(
        std::string("SELECT ") + kPickupColumns +
            " FROM pickups WHERE sender_id = ? AND state IN (0, 1) AND EXISTS (SELECT 1 FROM "
            "users u WHERE u.email = pickups.email AND u.state = 1) "
            "ORDER BY created_ms, lookup LIMIT ?",
        [&](Statement& s) { s.Bind(1, sender.str()).Bind(2, int64_t{limit}); });
  }

  Result<std::vector<PickupRecord>> ListStaleSharesOfSender(const UserId& sender,
                                                            int limit) override {
    return ListPickups(
        std::string("SELECT ") + kPickupColumns +
            " FROM pickups WHERE sender_id = ? AND state IN (0, 1) AND length(sender_share) > 0 "
            "AND EXISTS (SELECT 1 FROM guest_addresses g WHERE g.email = pickups.email AND "
            "length(g.public_key) > 0 AND g.public_key != pickups.share_key) "
            "ORDER BY created_ms, lookup LIMIT ?",
        [&](Statement& s) { s.Bind(1, sender.str()).Bind(2, int64_t{limit}); });
  }

  Result<std::vector<PickupRecord>> ListExpiredPickups(TimePoint now, int limit) override {
    return ListPickups(std::string("SELECT ") + kPickupColumns +
                           " FROM pickups WHERE state IN (0, 1) AND expires_ms <= ? "
                           "ORDER BY expires_ms, lookup LIMIT ?",
                       [&](Statement& s) { s.Bind(1, ToUnixMillis(now)).Bind(2, int64_t{limit}); });
  }

  Result<std::vector<MailboxEntry>> ListMailboxEntriesOfMessage(const MessageId& id) override {
    return WithReader<std::vector<MailboxEntry>>(
        [&](Connection& db) -> Result<std::vector<MailboxEntry>> {
          SP_ASSIGN_OR_RETURN(auto s, db.Prepare("SELECT owner_id, message_id, folder, sealed_key, "
                                                 "unread, created_ms FROM mailbox WHERE "
                                                 "message_id = ? ORDER BY owner_id, folder"));
          s.Bind(1, id.str());
          std::vector<MailboxEntry> out;
          for (;;) {
            SP_ASSIGN_OR_RETURN(const bool row, s.Step());
            if (!row) break;
            out.push_back({UserId::FromTrusted(s.Text(0)), MessageId::FromTrusted(s.Text(1)),
                           static_cast<Folder>(s.Int(2)), s.Blob(3), s.Int(4) != 0,
                           FromUnixMillis(s.Int(5))});
          }
          return out;
        });
  }

  template <typename BindFn>
  Result<std::vector<PickupRecord>> ListPickups(const std::string& sql, BindFn bind) {
    return WithReader<std::vector<PickupRecord>>(
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

  Result<std::vector<AttachmentRecord>> GetAttachments(const MessageId& id) override {
    return WithReader<std::vector<AttachmentRecord>>(
        [&](Connection& db) -> Result<std::vector<AttachmentRecord>> {
          SP_ASSIGN_OR_RETURN(auto s, db.Prepare("SELECT message_id, idx, blob_id, stored_size "
                                                 "FROM attachments WHERE message_id = ? "
                                                 "ORDER BY idx"));
          s.Bind(1, id.str());
          std::vector<AttachmentRecord> out;
          for (;;) {
            SP_ASSIGN_OR_RETURN(const bool row, s.Step());
            if (!row) break;
            AttachmentRecord a;
            a.message_id = MessageId::FromTrusted(s.Text(0));
            a.index = static_cast<int>(s.Int(1));
            a.blob_id = BlobId::FromTrusted(s.Text(2));
            a.stored_size = static_cast<uint64_t>(s.Int(3));
            out.push_back(std::move(a));
          }
          return out;
        });
  }

  Result<std::vector<AuditEntry>> ReadAudit(int64_t from_seq, int limit) override {
    return WithReader<std::vector<AuditEntry>>(
        [&](Connection& db) -> Result<std::vector<AuditEntry>> {
          SP_ASSIGN_OR_RETURN(auto s, db.Prepare(std::string("SELECT ") + kAuditColumns +
                                                 " FROM audit_log WHERE seq >= ? ORDER BY seq "
                                                 "LIMIT ?"));
          s.Bind(1, from_seq).Bind(2, int64_t{limit});
          std::vector<AuditEntry> out;
          for (;;) {
            SP_ASSIGN_OR_RETURN(const bool row, s.Step());
            if (!row) break;
            out.push_back(ReadAuditEntry(s));
          }
          return out;
        });
  }

  Result<std::vector<AuditEntry>> ReadAuditBefore(int64_t before_seq, int limit) override {
    return WithReader<std::vector<AuditEntry>>(
        [&](Connection& db) -> Result<std::vector<AuditEntry>> {
          SP_ASSIGN_OR_RETURN(auto s, db.Prepare(std::string("SELECT ") + kAuditColumns +
                                                 " FROM audit_log WHERE seq < ? ORDER BY seq "
                                                 "DESC LIMIT ?"));
          s.Bind(1, before_seq).Bind(2, int64_t{limit});
          std::vector<AuditEntry> out;
          for (;;) {
            SP_ASSIGN_OR_RETURN(const bool row, s.Step());
            if (!row) break;
            out.push_back(ReadAuditEntry(s));
          }
          return out;
        });
  }

  Result<std::vector<AuditCheckpoint>> ReadAuditCheckpoints() override {
    return WithReader<std::vector<AuditCheckpoint>>(
        [&](Connection& db) -> Result<std::vector<AuditCheckpoint>> {
          SP_ASSIGN_OR_RETURN(auto s, db.Prepare("SELECT seq, hash, signature, time_ms FROM "
                                                 "audit_checkpoints ORDER BY seq"));
          std::vector<AuditCheckpoint> out;
          for (;;) {
            SP_ASSIGN_OR_RETURN(const bool row, s.Step());
            if (!row) break;
            out.push_back({s.Int(0), s.Blob(1), s.Blob(2), FromUnixMillis(s.Int(3))});
          }
          return out;
        });
  }

  Result<PlatformKeyRecord> GetPlatformKey(const std::string& name) override {
    return ReadOne<PlatformKeyRecord>(
        "SELECT name, public_key, wrapped_secret FROM platform_keys WHERE name = ?",
        [&](Statement& s) { s.Bind(1, name); },
        [](const Statement& s) {
          return PlatformKeyRecord{s.Text(0), s.Blob(1), s.Blob(2)};
        },
        "platform key");
  }

  Result<std::vector<OutboundMailRecord>> ListQueuedMail(int limit) override {
    return WithReader<std::vector<OutboundMailRecord>>(
        [&](Connection& db) -> Result<std::vector<OutboundMailRecord>> {
          SP_ASSIGN_OR_RETURN(auto s, db.Prepare(std::string("SELECT ") + kOutboundMailColumns +
                                                 " FROM outbound_mail "
                                                 "ORDER BY next_attempt_ms, id LIMIT ?"));
          s.Bind(1, int64_t{limit});
          std::vector<OutboundMailRecord> out;
          for (;;) {
            SP_ASSIGN_OR_RETURN(const bool row, s.Step());
            if (!row) break;
            out.push_back(ReadOutboundMail(s));
          }
          return out;
        });
  }

 private:
  struct Pending {
    const std::function<Status(WriteTxn&)>* fn;
    std::promise<Status>* done;
  };

  template <typename T>
  Result<T> WithReader(const std::function<Result<T>(Connection&)>& fn) {
    std::unique_ptr<Connection> conn;
    {
      std::unique_lock lock(readers_mu_);
      readers_cv_.wait(lock, [&] { return !readers_.empty(); });
      conn = std::move(readers_.back());
      readers_.pop_back();
    }
    Result<T> result = fn(*conn);
    conn->ResetAll();  // no statement may keep a read transaction open
    {
      std::lock_guard lock(readers_mu_);
      readers_.push_back(std::move(conn));
    }
    readers_cv_.notify_one();
    return result;
  }

  template <typename T, typename BindFn, typename ReadFn>
  Result<T> ReadOne(const std::string& sql, BindFn bind, ReadFn read, const char* what) {
    return WithReader<T>([&](Connection& db) -> Result<T> {
      SP_ASSIGN_OR_RETURN(auto s, db.Prepare(sql));
      bind(s);
      SP_ASSIGN_OR_RETURN(const bool row, s.Step());
      if (!row) return NotFound(std::string(what) + " not found");
      return read(s);
    });
  }

  void WriterLoop() {
    for (;;) {
      std::vector<Pending> batch;
      {
        std::unique_lock lock(queue_mu_);
        queue_cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
        if (queue_.empty()) return;  // stopping with nothing left
        while (!queue_.empty() && batch.size() < static_cast<size_t>(options_.max_batch)) {
          batch.push_back(queue_.front());
          queue_.pop_front();
        }
      }
      CommitBatch(batch);
    }
  }

  void CommitBatch(std::vector<Pending>& batch) {
    std::vector<Status> results(batch.size());
    // A statement left active would pin an old snapshot, and BEGIN IMMEDIATE on a stale
    // snapshot fails at once (SQLITE_BUSY_SNAPSHOT) instead of waiting.
    writer_->ResetAll();
    Status begin = writer_->Exec("BEGIN IMMEDIATE");
    if (!begin.ok()) {
      for (auto& p : batch) p.done->set_value(begin);
      return;
    }
    SqliteWriteTxn txn(*writer_);
    for (size_t i = 0; i < batch.size(); ++i) {
      Status s = writer_->Exec("SAVEPOINT w");
      if (s.ok()) s = (*batch[i].fn)(txn);
      if (!s.ok() && !writer_->InTransaction()) {
        // SQLite rolled the whole transaction back (a full disk, an I/O error): the writes
        // before this one are gone with it, and the rest must not run outside a transaction
        // (each would commit on its own while the batch reports a failure). All fail, with
        // the cause.
        for (auto& p : batch) p.done->set_value(s);
        return;
      }
      if (s.ok()) {
        s = writer_->Exec("RELEASE w");
      } else {
        (void)writer_->Exec("ROLLBACK TO w");
        (void)writer_->Exec("RELEASE w");
      }
      results[i] = s;
    }
    writer_->ResetAll();
    Status commit = writer_->Exec("COMMIT");
    if (!commit.ok()) (void)writer_->Exec("ROLLBACK");
    for (size_t i = 0; i < batch.size(); ++i) {
      batch[i].done->set_value(commit.ok() ? results[i] : commit);
    }
  }

  std::unique_ptr<Connection> writer_;
  std::mutex readers_mu_;
  std::condition_variable readers_cv_;
  std::vector<std::unique_ptr<Connection>> readers_;
  SqliteOptions options_;

  std::mutex queue_mu_;
  std::condition_variable queue_cv_;
  std::deque<Pending> queue_;
  bool stopping_ = false;
  std::thread writer_thread_;
};

}  // namespace

Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path,
                                               const SqliteOptions& options) {
  SP_ASSIGN_OR_RETURN(auto writer, Connection::Open(path, /*read_only=*/false));
  SP_RETURN_IF_ERROR(Configure(*writer, /*writer=*/true, options));
  SP_RETURN_IF_ERROR(Migrate(*writer));
  std::vector<std::unique_ptr<Connection>> readers;
  for (int i = 0; i < options.read_connections; ++i) {
    SP_ASSIGN_OR_RETURN(auto reader, Connection::Open(path, /*read_only=*/true));
    SP_RETURN_IF_ERROR(Configure(*reader, /*writer=*/false, options));
    readers.push_back(std::move(reader));
  }
  return std::unique_ptr<Store>(new SqliteStore(std::move(writer), std::move(readers), options));
}

}  // namespace sealpost::store::sqlite
