#include "audit/audit_log.h"

#include <fmt/format.h>

#include "crypto/random.h"
#include "store/audit_chain.h"

namespace sealpost::audit {

Bytes CheckpointStatement(int64_t seq, ByteView hash) {
  const std::string text = fmt::format("sealpost-audit-checkpoint/v1|{}|{}", seq, HexEncode(hash));
  return Bytes(text.begin(), text.end());
}

Status AuditLog::Record(store::AuditWriter& audit, const store::AuditEvent& event) const {
  SP_ASSIGN_OR_RETURN(const store::AuditEntry entry, audit.AppendAudit(event));
  if (checkpoint_every_ > 0 && entry.seq % checkpoint_every_ == 0) {
    store::AuditCheckpoint cp{entry.seq, entry.hash,
                              key_.Sign(CheckpointStatement(entry.seq, entry.hash)), event.time};
    SP_RETURN_IF_ERROR(audit.AddAuditCheckpoint(cp));
  }
  return Status::Ok();
}

Status AuditLog::CheckpointNow(store::Store& store) const {
  return store.Write([&](store::WriteTxn& tx) -> Status {
    // Appending a marker event gives the checkpoint a fresh entry of its own to sign.
    SP_ASSIGN_OR_RETURN(
        const store::AuditEntry entry,
        tx.audit().AppendAudit({clock_.Now(), "audit.checkpoint", "system", "", "{}"}));
    store::AuditCheckpoint cp{entry.seq, entry.hash,
                              key_.Sign(CheckpointStatement(entry.seq, entry.hash)), clock_.Now()};
    return tx.audit().AddAuditCheckpoint(cp);
  });
}

Result<crypto::SigningKey> LoadOrCreateAuditKey(store::Store& store,
                                                const keys::MasterKey& master) {
  auto existing = store.platform().GetPlatformKey(kAuditKeyName);
  if (existing.ok()) {
    SP_ASSIGN_OR_RETURN(auto seed, master.Unwrap(existing->wrapped_secret, kAuditKeyName));
    return crypto::SigningKey::FromSeed(seed);
  }
  if (existing.status().code() != ErrorCode::kNotFound) return existing.status();
  crypto::SigningKey key = crypto::SigningKey::Generate();
  const ByteView pub = key.verify_key().bytes();
  store::PlatformKeyRecord record{kAuditKeyName, Bytes(pub.begin(), pub.end()),
                                  master.Wrap(key.ExposeSeed().view(), kAuditKeyName)};
  const Status put =
      store.Write([&](store::WriteTxn& tx) { return tx.platform().PutPlatformKey(record); });
  if (put.code() == ErrorCode::kConflict) {
    // Another process sharing the database created the key first: use that one.
    SP_ASSIGN_OR_RETURN(const auto theirs, store.platform().GetPlatformKey(kAuditKeyName));
    SP_ASSIGN_OR_RETURN(auto seed, master.Unwrap(theirs.wrapped_secret, kAuditKeyName));
    return crypto::SigningKey::FromSeed(seed);
  }
  SP_RETURN_IF_ERROR(put);
  return key;
}

Result<VerifyReport> VerifyAuditLog(store::AuditReader& audit, const crypto::VerifyKey& key) {
  VerifyReport report;
  SP_ASSIGN_OR_RETURN(const auto checkpoints, audit.ReadAuditCheckpoints());
  report.checkpoints = static_cast<int64_t>(checkpoints.size());
  size_t next_cp = 0;
  auto fail = [&](int64_t seq, std::string why) {
    report.ok = false;
    report.first_bad_seq = seq;
    report.problem = std::move(why);
    return report;
  };
  for (const auto& cp : checkpoints) {
    if (!crypto::Verify(key, CheckpointStatement(cp.seq, cp.hash), cp.signature).ok()) {
      return fail(cp.seq, fmt::format("checkpoint at entry {} has an invalid signature", cp.seq));
    }
  }

  Bytes prev(store::kAuditHashBytes, 0);
  int64_t expected_seq = 1;
  constexpr int kPage = 1000;
  for (;;) {
    SP_ASSIGN_OR_RETURN(const auto page, audit.ReadAudit(expected_seq, kPage));
    for (const auto& e : page) {
      if (e.seq != expected_seq) {
        return fail(expected_seq, fmt::format("entry {} is missing", expected_seq));
      }
      if (e.prev_hash != prev) {
        return fail(e.seq, fmt::format("entry {} does not link to entry {}", e.seq, e.seq - 1));
      }
      if (store::AuditEntryHash(prev, e.seq, e.event) != e.hash) {
        return fail(e.seq, fmt::format("entry {} does not match its hash", e.seq));
      }
      while (next_cp < checkpoints.size() && checkpoints[next_cp].seq == e.seq) {
        if (checkpoints[next_cp].hash != e.hash) {
          return fail(e.seq, fmt::format("entries up to {} differ from the signed checkpoint at {}",
                                         e.seq, e.seq));
        }
        report.last_checkpoint_seq = e.seq;
        ++next_cp;
      }
      if (next_cp < checkpoints.size() && checkpoints[next_cp].seq < e.seq) {
        return fail(checkpoints[next_cp].seq,
                    fmt::format("checkpoint at {} names no entry", checkpoints[next_cp].seq));
      }
      prev = e.hash;
      ++expected_seq;
      ++report.entries;
    }
    if (static_cast<int>(page.size()) < kPage) break;
  }
  if (next_cp < checkpoints.size()) {
    return fail(checkpoints[next_cp].seq,
                fmt::format("log ends at entry {} but a checkpoint signs entry {} (truncated)",
                            report.entries, checkpoints[next_cp].seq));
  }
  report.ok = true;
  return report;
}

}  // namespace sealpost::audit
