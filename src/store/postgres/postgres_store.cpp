#include "store/postgres/postgres_store.h"

#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include "store/audit_chain.h"
#include "store/postgres/internal.h"
#include "store/postgres/pool.h"
#include "store/postgres/schema.h"
#include "store/postgres/write_txn.h"

namespace sealpost::store::postgres {
namespace {

// A transaction begun and ended by hand on a nontransaction, so that BEGIN and COMMIT share their
// round trips with the statements beside them (pqxx::work sends each on its own). Rolled back on
// destruction unless committed.
class BatchTransaction {
 public:
  explicit BatchTransaction(pqxx::connection& conn) : tx_(conn) {}
  BatchTransaction(const BatchTransaction&) = delete;
  BatchTransaction& operator=(const BatchTransaction&) = delete;
  ~BatchTransaction() {
    if (!open_) return;
    try {
      tx_.exec("ROLLBACK");
    } catch (...) {  // a lost connection ends the transaction too; the lease discards it
    }
  }

  pqxx::transaction_base& tx() { return tx_; }

  // BEGIN, then `statements`; the result of the last.
  pqxx::result Begin(const std::string& statements) {
    open_ = true;
    return tx_.exec("BEGIN; " + statements);
  }

  // `statements` (each ending in ';', or none), then COMMIT. A failed statement leaves the
  // transaction open, aborted, for the destructor to roll back; it throws as usual. A connection
  // lost on the way may or may not have committed: that is reported, never retried.
  Status Commit(const std::string& statements) {
    try {
      tx_.exec(statements + "COMMIT");
    } catch (const pqxx::broken_connection& e) {
      open_ = false;
      return Unavailable(std::string("postgres: commit outcome unknown: ") + e.what());
    }
    open_ = false;
    return Status::Ok();
  }

 private:
  pqxx::nontransaction tx_;
  bool open_ = false;
};

class PostgresStore final : public Store {
 public:
  PostgresStore(const std::string& url, PostgresOptions options)
      : pool_(url, options.max_connections), options_(options) {}

  Pool& pool() { return pool_; }

  ~PostgresStore() override {
    {
      std::lock_guard lock(queue_mu_);
      stopping_ = true;
    }
    queue_cv_.notify_all();
    if (writer_.joinable()) writer_.join();
  }

  void StartWriter() {
    writer_ = std::thread([this] { WriterLoop(); });
  }

  // Queued for the writer thread, which commits the callbacks queued since its last commit in one
  // transaction (group commit; CommitBatch).
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
    return ReadOne<UserRecord>("get_user", ReadUser, "user", id.str());
  }

  Result<UserRecord> GetUserByEmail(const std::string& email) override {
    return ReadOne<UserRecord>("get_user_by_email", ReadUser, "user", email);
  }

  Result<bool> HasActiveAdmin() override {
    return Read<bool>(
        [](pqxx::transaction_base& tx) { return !tx.exec_prepared("has_active_admin").empty(); });
  }

  Result<std::vector<UserRecord>> ListUsers(const std::string* after_email, int limit) override {
    if (after_email) return ReadAll<UserRecord>(ReadUser, "list_users_after", *after_email, limit);
    return ReadAll<UserRecord>(ReadUser, "list_users", limit);
  }

  Result<std::vector<SessionRecord>> ListSessionsOfUser(const UserId& user_id, int limit) override {
    return ReadAll<SessionRecord>(ReadSession, "list_sessions_of_user", user_id.str(), limit);
  }

  Result<SessionRecord> GetSession(const std::string& lookup) override {
    return ReadOne<SessionRecord>("get_session", ReadSession, "session", lookup);
  }

  Result<SessionWithUser> GetSessionWithUser(const std::string& lookup) override {
    return ReadOne<SessionWithUser>(
        "get_session_with_user",
        [](const pqxx::row& r) {
          return SessionWithUser{ReadSession(r), ReadUser(r.slice(kSessionColumnCount, r.size()))};
        },
        "session", lookup);
  }

  Result<int64_t> GetCounter(const std::string& key, TimePoint now,
                             std::chrono::milliseconds window) override {
    return Read<int64_t>([&](pqxx::transaction_base& tx) {
      const auto r = tx.exec_prepared("get_counter", key, static_cast<int64_t>(window.count()),
                                      ToUnixMillis(now));
      return r.empty() ? int64_t{0} : r[0][0].as<int64_t>();
    });
  }

  Result<UploadRecord> GetUpload(const UploadId& id) override {
    return ReadOne<UploadRecord>("get_upload", ReadUpload, "upload", id.str());
  }

  Result<std::vector<UploadRecord>> ListUploadsCreatedBefore(TimePoint cutoff, int limit) override {
    return ReadAll<UploadRecord>(ReadUpload, "list_uploads_before", ToUnixMillis(cutoff), limit);
  }

  Result<std::vector<MailboxItem>> ListMailbox(const UserId& owner, Folder folder,
                                               const MailboxCursor* before, int limit) override {
    if (before) {
      return ReadAll<MailboxItem>(ReadMailboxItem, "list_mailbox_before", owner.str(),
                                  static_cast<int>(folder), before->created_ms, before->message_id,
                                  limit);
    }
    return ReadAll<MailboxItem>(ReadMailboxItem, "list_mailbox", owner.str(),
                                static_cast<int>(folder), limit);
  }

  Result<MailboxItem> GetMailboxItem(const UserId& owner, const MessageId& id) override {
    return ReadOne<MailboxItem>("get_mailbox_item", ReadMailboxItem, "message", owner.str(),
                                id.str());
  }

  Result<MessageRecord> GetMessage(const MessageId& id) override {
    return ReadOne<MessageRecord>("get_message", ReadMessage, "message", id.str());
  }

  Result<TokenRecord> GetToken(const std::string& lookup, TokenPurpose purpose,
                               TimePoint now) override {
    return ReadOne<TokenRecord>("get_token", ReadToken, "token", lookup, static_cast<int>(purpose),
                                ToUnixMillis(now));
  }

  Result<GuestAddressRecord> GetGuestAddress(const std::string& email) override {
    return ReadOne<GuestAddressRecord>("get_guest_address", ReadGuestAddress, "guest address",
                                       email);
  }

  Result<PickupRecord> GetPickup(const std::string& lookup) override {
    return ReadOne<PickupRecord>("get_pickup", ReadPickup, "pickup", lookup);
  }

  Result<std::vector<PickupRecord>> ListPickupsOfMessage(const MessageId& id) override {
    return ReadAll<PickupRecord>(ReadPickup, "list_pickups_of_message", id.str());
  }

  Result<std::vector<PickupRecord>> ListPickupsOfAddress(const std::string& email,
                                                         int limit) override {
    return ReadAll<PickupRecord>(ReadPickup, "list_pickups_of_address", email, limit);
  }

  Result<std::vector<PickupRecord>> ListClaimablePickupsOfSender(const UserId& sender,
                                                                 int limit) override {
    return ReadAll<PickupRecord>(ReadPickup, "list_claimable_pickups_of_sender", sender.str(),
                                 limit);
  }

  Result<std::vector<PickupRecord>> ListStaleSharesOfSender(const UserId& sender,
                                                            int limit) override {
    return ReadAll<PickupRecord>(ReadPickup, "list_stale_shares_of_sender", sender.str(), limit);
  }

  Result<std::vector<PickupRecord>> ListExpiredPickups(TimePoint now, int limit) override {
    return ReadAll<PickupRecord>(ReadPickup, "list_expired_pickups", ToUnixMillis(now), limit);
  }

  Result<std::vector<MailboxEntry>> ListMailboxEntriesOfMessage(const MessageId& id) override {
    return ReadAll<MailboxEntry>(ReadMailboxEntry, "list_mailbox_entries_of_message", id.str());
  }

  Result<std::vector<AttachmentRecord>> GetAttachments(const MessageId& id) override {
    return ReadAll<AttachmentRecord>(
        [](const pqxx::row& r) {
          AttachmentRecord a;
          a.message_id = MessageId::FromTrusted(r[0].as<std::string>());
          a.index = r[1].as<int>();
          a.blob_id = BlobId::FromTrusted(r[2].as<std::string>());
          a.stored_size = static_cast<uint64_t>(r[3].as<int64_t>());
          return a;
        },
        "get_attachments", id.str());
  }

  Result<std::vector<AuditEntry>> ReadAudit(int64_t from_seq, int limit) override {
    return ReadAll<AuditEntry>(ReadAuditEntry, "read_audit", from_seq, limit);
  }

  Result<std::vector<AuditEntry>> ReadAuditBefore(int64_t before_seq, int limit) override {
    return ReadAll<AuditEntry>(ReadAuditEntry, "read_audit_before", before_seq, limit);
  }

  Result<std::vector<AuditCheckpoint>> ReadAuditCheckpoints() override {
    return ReadAll<AuditCheckpoint>(
        [](const pqxx::row& r) {
          return AuditCheckpoint{r[0].as<int64_t>(), ReadBytes(r[1]), ReadBytes(r[2]),
                                 FromUnixMillis(r[3].as<int64_t>())};
        },
        "read_checkpoints");
  }

  Result<std::vector<OutboundMailRecord>> ListQueuedMail(int limit) override {
    return ReadAll<OutboundMailRecord>(ReadOutboundMail, "list_queued_mail", limit);
  }

  Result<PlatformKeyRecord> GetPlatformKey(const std::string& name) override {
    return ReadOne<PlatformKeyRecord>(
        "get_platform_key",
        [](const pqxx::row& r) {
          return PlatformKeyRecord{r[0].as<std::string>(), ReadBytes(r[1]), ReadBytes(r[2])};
        },
        "platform key", name);
  }

 private:
  struct Pending {
    const std::function<Status(WriteTxn&)>* fn;
    std::promise<Status>* done;
  };

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
      const std::vector<Status> results = CommitBatch(batch);
      for (size_t i = 0; i < batch.size(); ++i) batch[i].done->set_value(results[i]);
    }
  }

  // One READ COMMITTED transaction for the whole batch. It starts by taking the write lock (a
  // transaction-scoped advisory lock shared by every process on this database), so batches from
  // all processes run one after another: the audit chain head read inside is always the newest,
  // and row locks are always taken after that one lock (no lock-order deadlocks between
  // batches). Serialization failures, deadlocks and a connection lost before commit re-run the
  // batch.
  //
  // A batch first runs its callbacks back to back. Almost all succeed, and a savepoint around
  // each would cost two more round trips per callback under the lock. Only when one fails (and
  // there are others to keep) is the batch rolled back and run again with a savepoint around each
  // callback, so that the failing one undoes only itself.
  //
  // Round trips, all under the lock: BEGIN with the lock and the chain head; one per statement of
  // the callbacks; the audit entries with COMMIT.
  std::vector<Status> CommitBatch(const std::vector<Pending>& batch) {
    std::vector<Status> results(batch.size());
    Status last = Unavailable("postgres: no attempt made");
    bool isolate = false;
    for (int attempt = 0; attempt < options_.max_attempts; ++attempt) {
      auto lease = pool_.Acquire();
      if (!lease.ok()) return std::vector<Status>(batch.size(), lease.status());
      bool retryable = false;
      bool failed = false;
      try {
        BatchTransaction work(lease->conn());
        // The head is read by a statement of its own after the lock's, so that its snapshot is
        // taken once the lock was granted (in one statement it would be older, and could miss
        // the entries the previous holder just committed).
        static const std::string kLockThenHead =
            "SELECT pg_advisory_xact_lock(" + std::to_string(kAuditAppendLock) +
            "); SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1";
        const pqxx::result newest = work.Begin(kLockThenHead);
        AuditTail audit(newest.empty() ? 0 : newest[0][0].as<int64_t>(),
                        newest.empty() ? Bytes(kAuditHashBytes, 0) : ReadBytes(newest[0][1]));
        for (size_t i = 0; i < batch.size() && !retryable && !(failed && !isolate); ++i) {
          if (isolate) work.tx().exec("SAVEPOINT w");
          const size_t mark = audit.Mark();
          PgWriteTxn txn(work.tx(), audit);
          const Status s = (*batch[i].fn)(txn);
          results[i] = txn.failure().ok() ? s : txn.failure();
          retryable = !txn.failure().ok() && txn.retryable();
          failed = failed || !results[i].ok();
          if (!isolate) continue;
          // ROLLBACK TO also clears an error state the failed statement left behind; the
          // callback's audit entries, not yet written, are dropped from the tail.
          work.tx().exec(results[i].ok() ? "RELEASE SAVEPOINT w" : "ROLLBACK TO SAVEPOINT w");
          if (!results[i].ok()) audit.RollBackTo(mark);
        }
        if (!retryable && failed && !isolate && batch.size() > 1) {
          // Rolled back (work's destructor); the same attempt again, one savepoint per callback.
          isolate = true;
          --attempt;
          continue;
        }
        if (!retryable) {
          // A lone callback that failed has nothing to keep: roll back rather than commit.
          if (!failed || isolate) {
            if (Status committed = work.Commit(audit.InsertStatement(work.tx())); !committed.ok()) {
              return std::vector<Status>(batch.size(), committed);
            }
          }
          return results;
        }
        last = Unavailable("postgres: batch rolled back");
      } catch (...) {
        last = StatusFromException(std::current_exception(), &retryable);
      }
      if (!lease->conn().is_open()) lease->Discard();
      if (!retryable) return std::vector<Status>(batch.size(), last);
    }
    return std::vector<Status>(batch.size(), last);
  }

  // Runs a read outside any explicit transaction (each statement is its own snapshot). A lost
  // connection is retried once on a fresh one. `fn` returns T or Result<T>.
  template <typename T, typename Fn>
  Result<T> Read(Fn&& fn) {
    Status last = Unavailable("postgres: no attempt made");
    for (int attempt = 0; attempt < 2; ++attempt) {
      SP_ASSIGN_OR_RETURN(auto lease, pool_.Acquire());
      bool retryable = false;
      try {
        pqxx::nontransaction tx(lease.conn());
        return Result<T>(fn(tx));
      } catch (...) {
        last = StatusFromException(std::current_exception(), &retryable);
      }
      if (!lease.conn().is_open()) lease.Discard();
      if (!retryable) return last;
    }
    return last;
  }

  template <typename T, typename RowFn, typename... Args>
  Result<T> ReadOne(const char* statement, RowFn row_fn, const char* what, const Args&... args) {
    return Read<T>([&](pqxx::transaction_base& tx) -> Result<T> {
      const auto r = tx.exec_prepared(statement, args...);
      if (r.empty()) return NotFound(std::string(what) + " not found");
      return row_fn(r[0]);
    });
  }

  template <typename T, typename RowFn, typename... Args>
  Result<std::vector<T>> ReadAll(RowFn row_fn, const char* statement, const Args&... args) {
    return Read<std::vector<T>>([&](pqxx::transaction_base& tx) {
      const auto r = tx.exec_prepared(statement, args...);
      std::vector<T> out;
      out.reserve(r.size());
      for (const auto& row : r) out.push_back(row_fn(row));
      return out;
    });
  }

  Pool pool_;
  PostgresOptions options_;

  std::mutex queue_mu_;
  std::condition_variable queue_cv_;
  std::deque<Pending> queue_;
  bool stopping_ = false;
  std::thread writer_;
};

}  // namespace

bool IsPostgresUrl(const std::string& url) {
  return url.rfind("postgresql://", 0) == 0 || url.rfind("postgres://", 0) == 0;
}

Result<std::unique_ptr<Store>> OpenPostgresStore(const std::string& url,
                                                 const PostgresOptions& options) {
  if (options.max_connections < 1) return InvalidArgument("postgres: pool needs a connection");
  auto store = std::make_unique<PostgresStore>(url, options);
  SP_ASSIGN_OR_RETURN(auto first, Connect(url));
  SP_RETURN_IF_ERROR(Migrate(*first));
  store->pool().Put(std::move(first));
  store->StartWriter();
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace sealpost::store::postgres
