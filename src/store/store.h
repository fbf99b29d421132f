// The storage interface. Two implementations: store/sqlite (embedded default) and store/postgres
// (several processes sharing one database; docs/postgres.md). No SQL outside store/
// (tests/layering checks it).
//
// Writes happen only inside Store::Write: the callback runs in one transaction, on a writer
// thread, together with other writers' callbacks (group commit: one fsync for many). When Write
// returns OK the change is durable. A callback must be quick and do no I/O of its own — prepare
// ciphertexts before calling Write. If the callback returns an error, none of its changes stay.
//
// The interface is split by domain, one header each: accounts (users, sessions, tokens), messages,
// guests, outbox, audit (the legacy hash chain), log (the transparency log), platform, keys,
// evidence and secure_delivery (store/<domain>_store.h). Store hands out a reader per domain
// evidence and registered (store/<domain>_store.h). Store hands out a reader per domain
// evidence and tls_partners (store/<domain>_store.h). Store hands out a reader per domain
// evidence and access (store/<domain>_store.h). Store hands out a reader per domain
// evidence and retention (store/<domain>_store.h). Store hands out a reader per domain
// evidence and escrow (store/<domain>_store.h). Store hands out a reader per domain
// (store.accounts().GetUser(...)) and WriteTxn a writer per domain, all on the one transaction
// (tx.messages().MarkRead(...)), so a component can take just the part it uses. A new method goes
// into its domain's header and that domain's file in each backend (store/sqlite/internal/,
// store/postgres/internal/); see docs/architecture.md, "Storage".
//
// Thread-safe: any thread may call any method.
#pragma once

#include <functional>

#include "core/ids.h"
#include "core/status.h"
#include "store/access_store.h"
#include "store/accounts_store.h"
#include "store/app_password_store.h"
#include "store/audit_store.h"
#include "store/escrow_store.h"
#include "store/evidence_store.h"
#include "store/guests_store.h"
#include "store/key_rotation_store.h"
#include "store/keys_store.h"
#include "store/log_store.h"
#include "store/messages_store.h"
#include "store/outbox_store.h"
#include "store/platform_store.h"
#include "store/records.h"
#include "store/registered_store.h"
#include "store/retention_store.h"
#include "store/secure_delivery_store.h"
#include "store/stats_store.h"
#include "store/tls_partners_store.h"

namespace sealpost::store {

// One write transaction, by domain: tx.accounts().CreateUser(...), tx.messages().MarkRead(...).
// Each accessor returns the same object for the whole callback.
class BlobRowsWriter {
 public:
  virtual ~BlobRowsWriter() = default;
  // Fails (and the caller's transaction with it) when a blob has this id.
  virtual Status Put(const BlobId& id, ByteView stored_bytes) = 0;
};

class WriteTxn {
 public:
  virtual ~WriteTxn() = default;

  virtual AccountsWriter& accounts() = 0;
  virtual MessagesWriter& messages() = 0;
  virtual GuestsWriter& guests() = 0;
  virtual OutboxWriter& outbox() = 0;
  virtual AuditWriter& audit() = 0;
  virtual LogWriter& log() = 0;
  virtual PlatformWriter& platform() = 0;
  virtual KeysWriter& keys() = 0;
  virtual EvidenceWriter& evidence() = 0;
  virtual KeyRotationWriter& key_rotation() = 0;
  virtual SecureDeliveryWriter& secure_delivery() = 0;
  virtual RegisteredWriter& registered() = 0;
  virtual TlsPartnersWriter& tls_partners() = 0;
  virtual AccessWriter& access() = 0;
  virtual RetentionWriter& retention() = 0;
  virtual EscrowWriter& escrow() = 0;
  virtual AppPasswordWriter& app_passwords() = 0;
  // Small blobs stored in this transaction (the bytes of docs/formats/blob.md, made with
  // blob::SealInMemory), readable afterwards through the deployment's blob store: with them a
  // blob and the rows that name it share one commit. nullptr where the store keeps no blobs
  // (PostgreSQL: its blobs are written by a blob store of their own).
  virtual BlobRowsWriter* blob_rows() { return nullptr; }
};

class Store {
 public:
  virtual ~Store() = default;

  // Runs `fn` in a write transaction and commits what it wrote if it returns Ok; otherwise
  // nothing it wrote is kept. `fn` may run more than once (a store re-runs it after a transient
  // failure, or to set a failing neighbour in its batch apart), so it must start from scratch
  // each time: effects outside `tx` are limited to recording results, which a re-run overwrites.
  virtual Status Write(const std::function<Status(WriteTxn&)>& fn) = 0;

  // Reads, by domain: store.accounts().GetUser(...). Each is a plain read outside any write.
  virtual AccountsReader& accounts() = 0;
  virtual MessagesReader& messages() = 0;
  virtual GuestsReader& guests() = 0;
  virtual OutboxReader& outbox() = 0;
  virtual AuditReader& audit() = 0;
  virtual LogReader& log() = 0;
  virtual PlatformReader& platform() = 0;
  virtual KeysReader& keys() = 0;
  virtual EvidenceReader& evidence() = 0;
  virtual KeyRotationReader& key_rotation() = 0;
  virtual SecureDeliveryReader& secure_delivery() = 0;
  virtual RegisteredReader& registered() = 0;
  virtual TlsPartnersReader& tls_partners() = 0;
  virtual AccessReader& access() = 0;
  virtual StatsReader& stats() = 0;
  virtual RetentionReader& retention() = 0;
  virtual EscrowReader& escrow() = 0;
  virtual AppPasswordReader& app_passwords() = 0;
};

}  // namespace sealpost::store
