// The tamper-evident audit log (docs/security/threat-model.md).
//
// Every state change appends an event inside the same store transaction as the change, so the
// log and the data cannot disagree. Entries form a SHA-256 hash chain (store/audit_chain.h);
// every `checkpoint_every` entries, and on shutdown, the platform audit key signs a checkpoint
// statement naming the sequence number and the chain hash there. A verifier with only the public
// key detects any edit, insertion, deletion or truncation up to the last checkpoint.
// Formats: docs/formats/audit-log.md. Thread-safe.
#pragma once

#include <string>

#include "core/status.h"
#include "crypto/ad_labels.h"
#include "crypto/signature.h"
#include "keys/master_key.h"
#include "platform/clock.h"
#include "store/store.h"

namespace sealpost::audit {

// The platform_keys row name is also the master-key purpose (crypto/ad_labels.h).
inline constexpr const char* kAuditKeyName = "audit-signing";
static_assert(kAuditKeyName == crypto::kMasterPurposeAuditSigning);

// The bytes the platform key signs for a checkpoint.
Bytes CheckpointStatement(int64_t seq, ByteView hash);

class AuditLog final {
 public:
  AuditLog(crypto::SigningKey key, int checkpoint_every, const platform::Clock& clock)
      : key_(std::move(key)), checkpoint_every_(checkpoint_every), clock_(clock) {}

  const crypto::VerifyKey& verify_key() const { return key_.verify_key(); }

  // Appends `event` within a write transaction (its audit()), adding a signed checkpoint when one
  // is due.
  Status Record(store::AuditWriter& audit, const store::AuditEvent& event) const;

  // Signs a checkpoint for the newest entry if it has none (used at shutdown).
  Status CheckpointNow(store::Store& store) const;

 private:
  crypto::SigningKey key_;
  int checkpoint_every_;
  const platform::Clock& clock_;
};

// Loads the platform audit key (wrapped by the master key), creating it on first start.
Result<crypto::SigningKey> LoadOrCreateAuditKey(store::Store& store, const keys::MasterKey& master);

struct VerifyReport {
  bool ok = false;
  int64_t entries = 0;
  int64_t checkpoints = 0;
  int64_t last_checkpoint_seq = 0;
  int64_t first_bad_seq = 0;  // 0 when ok
  std::string problem;        // human-readable reason when not ok
};

// Re-checks the whole log against `key`. Returns an error only when the store cannot be read.
Result<VerifyReport> VerifyAuditLog(store::AuditReader& audit, const crypto::VerifyKey& key);

}  // namespace sealpost::audit
