// WriteTxn over one pqxx transaction: one writer per domain, all on the batch's PgTxn, which
// remembers the first error (failure()) for the batch to roll back and report.
#pragma once

#include <pqxx/pqxx>

#include "store/postgres/internal/access.h"
#include "store/postgres/internal/accounts.h"
#include "store/postgres/internal/app_passwords.h"
#include "store/postgres/internal/audit.h"
#include "store/postgres/internal/escrow.h"
#include "store/postgres/internal/evidence.h"
#include "store/postgres/internal/guests.h"
#include "store/postgres/internal/key_rotation.h"
#include "store/postgres/internal/keys.h"
#include "store/postgres/internal/log.h"
#include "store/postgres/internal/messages.h"
#include "store/postgres/internal/outbox.h"
#include "store/postgres/internal/platform.h"
#include "store/postgres/internal/registered.h"
#include "store/postgres/internal/retention.h"
#include "store/postgres/internal/secure_delivery.h"
#include "store/postgres/internal/tls_partners.h"
#include "store/postgres/internal/txn.h"
#include "store/store.h"

namespace sealpost::store::postgres {

class PgWriteTxn final : public WriteTxn {
 public:
  // `tx` has taken the write lock (PostgresStore's batch); `audit` is the batch's.
  PgWriteTxn(pqxx::transaction_base& tx, AuditTail& audit)
      : txn_(tx, audit),
        accounts_(txn_),
        messages_(txn_),
        guests_(txn_),
        outbox_(txn_),
        audit_(txn_),
        log_(txn_),
        platform_(txn_),
        keys_(txn_),
        evidence_(txn_),
        key_rotation_(txn_),
        secure_delivery_(txn_),
        registered_(txn_),
        tls_partners_(txn_),
        access_(txn_),
        retention_(txn_),
        escrow_(txn_),
        app_passwords_(txn_) {}

  const Status& failure() const { return txn_.failure(); }
  bool retryable() const { return txn_.retryable(); }

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

 private:
  PgTxn txn_;
  PgAccountsWriter accounts_;
  PgMessagesWriter messages_;
  PgGuestsWriter guests_;
  PgOutboxWriter outbox_;
  PgAuditWriter audit_;
  PgLogWriter log_;
  PgPlatformWriter platform_;
  PgKeysWriter keys_;
  PgEvidenceWriter evidence_;
  PgKeyRotationWriter key_rotation_;
  PgSecureDeliveryWriter secure_delivery_;
  PgRegisteredWriter registered_;
  PgTlsPartnersWriter tls_partners_;
  PgAccessWriter access_;
  PgRetentionWriter retention_;
  PgEscrowWriter escrow_;
  PgAppPasswordWriter app_passwords_;
};

}  // namespace sealpost::store::postgres
