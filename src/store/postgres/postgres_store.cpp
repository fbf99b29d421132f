#include "store/postgres/postgres_store.h"

#include <span>
#include <vector>

#include "store/audit_chain.h"
#include "store/internal/group_commit.h"
#include "store/postgres/internal/pool.h"
#include "store/postgres/internal/reader.h"
#include "store/postgres/internal/schema.h"
#include "store/postgres/internal/statements.h"
#include "store/postgres/internal/stats.h"
#include "store/postgres/internal/write_txn.h"

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
  using Callback = internal::GroupCommit::Callback;

  PostgresStore(const std::string& url, PostgresOptions options)
      : pool_(url, options.max_connections),
        options_(options),
        reader_(pool_),
        accounts_(reader_),
        messages_(reader_),
        guests_(reader_),
        outbox_(reader_),
        audit_(reader_),
        log_(reader_, pool_),
        platform_(reader_),
        keys_(reader_),
        evidence_(reader_),
        key_rotation_(reader_),
        secure_delivery_(reader_),
        registered_(reader_),
        tls_partners_(reader_),
        access_(reader_),
        stats_(reader_),
        retention_(reader_),
        escrow_(reader_),
        app_passwords_(reader_),
        queue_(options.max_batch,
               [this](std::span<const Callback* const> batch) { return CommitBatch(batch); }) {}

  Pool& pool() { return pool_; }

  // The queued writes finish before the pool goes.
  ~PostgresStore() override { queue_.Stop(); }

  // Queued for the writer thread, which commits the callbacks queued since its last commit in one
  // transaction (group commit; CommitBatch).
  Status Write(const Callback& fn) override { return queue_.Write(fn); }

  AccountsReader& accounts() override { return accounts_; }
  MessagesReader& messages() override { return messages_; }
  GuestsReader& guests() override { return guests_; }
  OutboxReader& outbox() override { return outbox_; }
  AuditReader& audit() override { return audit_; }
  LogReader& log() override { return log_; }
  PlatformReader& platform() override { return platform_; }
  KeysReader& keys() override { return keys_; }
  EvidenceReader& evidence() override { return evidence_; }
  KeyRotationReader& key_rotation() override { return key_rotation_; }
  SecureDeliveryReader& secure_delivery() override { return secure_delivery_; }
  RegisteredReader& registered() override { return registered_; }
  TlsPartnersReader& tls_partners() override { return tls_partners_; }
  AccessReader& access() override { return access_; }
  StatsReader& stats() override { return stats_; }
  RetentionReader& retention() override { return retention_; }
  EscrowReader& escrow() override { return escrow_; }
  AppPasswordReader& app_passwords() override { return app_passwords_; }

 private:
  // One READ COMMITTED transaction for the whole batch. Batches of different processes run side
  // by side: no write takes a database-wide lock any more (state changes record their audit
  // events as pending transparency-log rows, store/log_store.h); what must hold across
  // processes is decided by single statements and row locks (docs/postgres.md). Only a batch
  // that appends to the legacy audit chain takes the chain lock, at its first append
  // (AuditTail). Serialization failures, deadlocks and a connection lost before commit re-run the
  // batch.
  //
  // A batch first runs its callbacks back to back. Almost all succeed, and a savepoint around
  // each would cost two more round trips per callback. Only when one fails (and there are others
  // to keep) is the batch rolled back and run again with a savepoint around each callback, so
  // that the failing one undoes only itself.
  //
  // Round trips: BEGIN; one per statement of the callbacks; any chain entries with COMMIT.
  std::vector<Status> CommitBatch(std::span<const Callback* const> batch) {
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
        work.Begin("");
        AuditTail audit;  // loaded (under the chain lock) by the batch's first legacy append
        for (size_t i = 0; i < batch.size() && !retryable && !(failed && !isolate); ++i) {
          if (isolate) work.tx().exec("SAVEPOINT w");
          const size_t mark = audit.Mark();
          const bool was_loaded = audit.loaded();
          PgWriteTxn txn(work.tx(), audit);
          const Status s = (*batch[i])(txn);
          results[i] = txn.failure().ok() ? s : txn.failure();
          retryable = !txn.failure().ok() && txn.retryable();
          failed = failed || !results[i].ok();
          if (!isolate) continue;
          // ROLLBACK TO also clears an error state the failed statement left behind; the
          // callback's audit entries, not yet written, are dropped from the tail.
          work.tx().exec(results[i].ok() ? "RELEASE SAVEPOINT w" : "ROLLBACK TO SAVEPOINT w");
          if (!results[i].ok()) {
            // A callback that took the chain lock lost it with its savepoint: forget the head.
            if (!was_loaded) {
              audit.Unload();
            } else {
              audit.RollBackTo(mark);
            }
          }
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

  Pool pool_;
  PostgresOptions options_;
  Reader reader_;
  PgAccountsReader accounts_;
  PgMessagesReader messages_;
  PgGuestsReader guests_;
  PgOutboxReader outbox_;
  PgAuditReader audit_;
  PgLogReader log_;
  PgPlatformReader platform_;
  PgKeysReader keys_;
  PgEvidenceReader evidence_;
  PgKeyRotationReader key_rotation_;
  PgSecureDeliveryReader secure_delivery_;
  PgRegisteredReader registered_;
  PgTlsPartnersReader tls_partners_;
  PgAccessReader access_;
  PgStatsReader stats_;
  PgRetentionReader retention_;
  PgEscrowReader escrow_;
  PgAppPasswordReader app_passwords_;
  internal::GroupCommit queue_;  // last: its writer thread uses the members above
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
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace sealpost::store::postgres
