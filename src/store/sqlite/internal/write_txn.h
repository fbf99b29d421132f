// WriteTxn over the writer connection: one writer per domain, all on the same transaction. Used
// only by the writer thread inside a transaction.
#pragma once

#include "store/sqlite/internal/access.h"
#include "store/sqlite/internal/accounts.h"
#include "store/sqlite/internal/app_passwords.h"
#include "store/sqlite/internal/audit.h"
#include "store/sqlite/internal/connection.h"
#include "store/sqlite/internal/escrow.h"
#include "store/sqlite/internal/evidence.h"
#include "store/sqlite/internal/guests.h"
#include "store/sqlite/internal/inline_blobs.h"
#include "store/sqlite/internal/key_rotation.h"
#include "store/sqlite/internal/keys.h"
#include "store/sqlite/internal/log.h"
#include "store/sqlite/internal/messages.h"
#include "store/sqlite/internal/outbox.h"
#include "store/sqlite/internal/platform.h"
#include "store/sqlite/internal/registered.h"
#include "store/sqlite/internal/retention.h"
#include "store/sqlite/internal/secure_delivery.h"
#include "store/sqlite/internal/tls_partners.h"
#include "store/store.h"

namespace sealpost::store::sqlite {

class SqliteWriteTxn final : public WriteTxn {
 public:
  explicit SqliteWriteTxn(Connection& db)
      : accounts_(db),
        messages_(db),
        guests_(db),
        outbox_(db),
        audit_(db),
        log_(db),
        platform_(db),
        keys_(db),
        evidence_(db),
        key_rotation_(db),
        secure_delivery_(db),
        registered_(db),
        tls_partners_(db),
        access_(db),
        retention_(db),
        escrow_(db),
        app_passwords_(db),
        inline_blobs_(db) {}

  AccountsWriter& accounts() override { return accounts_; }
  MessagesWriter& messages() override { return messages_; }
  GuestsWriter& guests() override { return guests_; }
  OutboxWriter& outbox() override { return outbox_; }
  AuditWriter& audit() override { return audit_; }
  LogWriter& log() override { return log_; }
  PlatformWriter& platform() override { return platform_; }
  KeysWriter& keys() override { return keys_; }
  EvidenceWriter& evidence() override { return evidence_; }
  KeyRotationWriter& key_rotation() override { return key_rotation_; }
  SecureDeliveryWriter& secure_delivery() override { return secure_delivery_; }
  RegisteredWriter& registered() override { return registered_; }
  TlsPartnersWriter& tls_partners() override { return tls_partners_; }
  AccessWriter& access() override { return access_; }
  RetentionWriter& retention() override { return retention_; }
  EscrowWriter& escrow() override { return escrow_; }
  AppPasswordWriter& app_passwords() override { return app_passwords_; }
  // The SQLite blob store's rows (internal/inline_blobs.h); for callers that store a small blob
  // in their own transaction (WriteTxn::blob_rows), and for the blob store itself.
  BlobRowsWriter* blob_rows() override { return &inline_blobs_; }
  SqliteInlineBlobsWriter& inline_blobs() { return inline_blobs_; }

 private:
  SqliteAccountsWriter accounts_;
  SqliteMessagesWriter messages_;
  SqliteGuestsWriter guests_;
  SqliteOutboxWriter outbox_;
  SqliteAuditWriter audit_;
  SqliteLogWriter log_;
  SqlitePlatformWriter platform_;
  SqliteKeysWriter keys_;
  SqliteEvidenceWriter evidence_;
  SqliteKeyRotationWriter key_rotation_;
  SqliteSecureDeliveryWriter secure_delivery_;
  SqliteRegisteredWriter registered_;
  SqliteTlsPartnersWriter tls_partners_;
  SqliteAccessWriter access_;
  SqliteRetentionWriter retention_;
  SqliteEscrowWriter escrow_;
  SqliteAppPasswordWriter app_passwords_;
  SqliteInlineBlobsWriter inline_blobs_;
};

}  // namespace sealpost::store::sqlite
