// The tamper-evident audit log: a Merkle transparency log (docs/formats/log-entry.md,
// docs/security/threat-model.md).
//
// Every state change records its event inside the same store transaction as the change, as a
// pending log event: one insert, no index and no lock, so writers do not serialise on the log.
// The sequencer (audit/sequencer.h) then gives pending events their dense indexes in batches,
// stores the tree's tiles and signs a checkpoint with the platform audit key, within
// `[log] sequence_delay_ms` of the commit. The hash chain the log replaced is kept: its entries
// become the log's first leaves (legacy leaves), and its old signed checkpoints stay checkable.
// VerifyAuditLog (audit/log_verify.h) re-checks all of it. Thread-safe.
#pragma once

#include <memory>
#include <string>

#include "audit/sequencer.h"
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

// The bytes the platform key signed for a checkpoint of the legacy hash chain.
Bytes CheckpointStatement(int64_t seq, ByteView hash);

// The leaf of an event, and of a legacy chain entry (tlog/log_entry.h). InvalidArgument when a
// field is over the leaf format's limits.
Result<Bytes> EventLeaf(const store::AuditEvent& event);
Result<Bytes> LegacyLeaf(const store::AuditEntry& entry);

// What a leaf says, for views and tests: the event of either kind, and for a legacy leaf its
// chain seq (0 for events). InvalidArgument for a malformed leaf.
struct LeafEvent {
  store::AuditEvent event;
  int64_t legacy_seq = 0;
};
Result<LeafEvent> EventOfLeaf(ByteView leaf);

class AuditLog final {
 public:
  AuditLog(crypto::SigningKey key, SequencerOptions options, const platform::Clock& clock)
      : key_(std::move(key)),
        options_(options),
        sequencer_(std::make_unique<Sequencer>(key_, std::move(options), clock)) {}
  // The sequencer refers to key_: the log stays where it was made.
  AuditLog(AuditLog&&) = delete;
  AuditLog& operator=(AuditLog&&) = delete;

  const crypto::VerifyKey& verify_key() const { return key_.verify_key(); }
  const std::string& origin() const { return options_.origin; }

  // Adds `event` as a pending log event within a write transaction (its log()).
  Status Record(store::LogWriter& log, const store::AuditEvent& event) const;

  // One sequencing round, and rounds until nothing is pending (the background task, the read
  // path that wants a fresh view, shutdown). A no-op in a process that is not the sequencer.
  Result<SequenceRound> SequenceOnce(store::Store& store) const {
    return sequencer_->SequenceOnce(store);
  }
  Status SequenceNow(store::Store& store) const { return sequencer_->SequenceAll(store); }

 private:
  crypto::SigningKey key_;  // before sequencer_, which refers to it
  SequencerOptions options_;
  std::unique_ptr<Sequencer> sequencer_;
};

// Loads the platform audit key (wrapped by the master key), creating it on first start.
Result<crypto::SigningKey> LoadOrCreateAuditKey(store::Store& store, const keys::MasterKey& master);

}  // namespace sealpost::audit
