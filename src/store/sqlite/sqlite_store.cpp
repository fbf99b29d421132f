#include "store/sqlite/sqlite_store.h"

#include <span>
#include <vector>

#include "store/internal/group_commit.h"
#include "store/sqlite/internal/connection.h"
#include "store/sqlite/internal/inline_blobs.h"
#include "store/sqlite/internal/reader_pool.h"
#include "store/sqlite/internal/schema.h"
#include "store/sqlite/internal/stats.h"
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
  using Callback = internal::GroupCommit::Callback;

  SqliteStore(std::unique_ptr<Connection> writer, std::vector<std::unique_ptr<Connection>> readers,
              SqliteOptions options)
      : writer_(std::move(writer)),
        readers_(std::move(readers)),
        accounts_(readers_),
        messages_(readers_),
        guests_(readers_),
        outbox_(readers_),
        audit_(readers_),
        log_(readers_),
        platform_(readers_),
        keys_(readers_),
        evidence_(readers_),
        key_rotation_(readers_),
        secure_delivery_(readers_),
        registered_(readers_),
        tls_partners_(readers_),
        access_(readers_),
        stats_(readers_),
        retention_(readers_),
        escrow_(readers_),
        app_passwords_(readers_),
        inline_blobs_(readers_),
        queue_(options.max_batch,
               [this](std::span<const Callback* const> batch) { return CommitBatch(batch); }) {}

  // The queued writes finish before the writer connection goes.
  ~SqliteStore() override { queue_.Stop(); }

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
  // Not in Store: only the SQLite blob store reads these (internal/inline_blobs.h).
  SqliteInlineBlobsReader& inline_blobs() { return inline_blobs_; }

 private:
  // One transaction for the batch, each callback inside its own SAVEPOINT so that one failing
  // callback does not undo the others.
  std::vector<Status> CommitBatch(std::span<const Callback* const> batch) {
    std::vector<Status> results(batch.size());
    // A statement left active would pin an old snapshot, and BEGIN IMMEDIATE on a stale
    // snapshot fails at once (SQLITE_BUSY_SNAPSHOT) instead of waiting.
    writer_->ResetAll();
    Status begin = writer_->Exec("BEGIN IMMEDIATE");
    if (!begin.ok()) return std::vector<Status>(batch.size(), begin);
    SqliteWriteTxn txn(*writer_);
    for (size_t i = 0; i < batch.size(); ++i) {
      Status s = writer_->Exec("SAVEPOINT w");
      if (s.ok()) s = (*batch[i])(txn);
      if (!s.ok() && !writer_->InTransaction()) {
        // SQLite rolled the whole transaction back (a full disk, an I/O error): the writes
        // before this one are gone with it, and the rest must not run outside a transaction
        // (each would commit on its own while the batch reports a failure). All fail, with
        // the cause.
        return std::vector<Status>(batch.size(), s);
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
    if (!commit.ok()) {
      (void)writer_->Exec("ROLLBACK");
      return std::vector<Status>(batch.size(), commit);
    }
    return results;
  }

  std::unique_ptr<Connection> writer_;
  ReaderPool readers_;
  SqliteAccountsReader accounts_;
  SqliteMessagesReader messages_;
  SqliteGuestsReader guests_;
  SqliteOutboxReader outbox_;
  SqliteAuditReader audit_;
  SqliteLogReader log_;
  SqlitePlatformReader platform_;
  SqliteKeysReader keys_;
  SqliteEvidenceReader evidence_;
  SqliteKeyRotationReader key_rotation_;
  SqliteSecureDeliveryReader secure_delivery_;
  SqliteRegisteredReader registered_;
  SqliteTlsPartnersReader tls_partners_;
  SqliteAccessReader access_;
  SqliteStatsReader stats_;
  SqliteRetentionReader retention_;
  SqliteEscrowReader escrow_;
  SqliteAppPasswordReader app_passwords_;
  SqliteInlineBlobsReader inline_blobs_;
  internal::GroupCommit queue_;  // last: its writer thread uses the members above
};

}  // namespace

SqliteInlineBlobsReader* InlineBlobsOf(Store& store) {
  auto* sqlite = dynamic_cast<SqliteStore*>(&store);
  return sqlite != nullptr ? &sqlite->inline_blobs() : nullptr;
}

SqliteInlineBlobsWriter* InlineBlobsOf(WriteTxn& tx) {
  auto* sqlite = dynamic_cast<SqliteWriteTxn*>(&tx);
  return sqlite != nullptr ? &sqlite->inline_blobs() : nullptr;
}

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
