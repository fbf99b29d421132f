#include "store/sqlite/sqlite_store.h"

#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <thread>

#include "store/sqlite/internal/connection.h"
#include "store/sqlite/internal/reader_pool.h"
#include "store/sqlite/internal/schema.h"
#include "store/sqlite/internal/write_txn.h"

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

class SqliteStore final : public Store {
 public:
  SqliteStore(std::unique_ptr<Connection> writer, std::vector<std::unique_ptr<Connection>> readers,
              SqliteOptions options)
      : writer_(std::move(writer)),
        readers_(std::move(readers)),
        options_(options),
        accounts_(readers_),
        messages_(readers_),
        guests_(readers_),
        outbox_(readers_),
        audit_(readers_),
        platform_(readers_) {
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

  AccountsReader& accounts() override { return accounts_; }
  MessagesReader& messages() override { return messages_; }
  GuestsReader& guests() override { return guests_; }
  OutboxReader& outbox() override { return outbox_; }
  AuditReader& audit() override { return audit_; }
  PlatformReader& platform() override { return platform_; }

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
  ReaderPool readers_;
  SqliteOptions options_;
  SqliteAccountsReader accounts_;
  SqliteMessagesReader messages_;
  SqliteGuestsReader guests_;
  SqliteOutboxReader outbox_;
  SqliteAuditReader audit_;
  SqlitePlatformReader platform_;

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
