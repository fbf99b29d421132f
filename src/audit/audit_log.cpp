#include "audit/audit_log.h"

#include <fmt/format.h>

#include <algorithm>

#include "tlog/log_entry.h"

namespace sealpost::audit {

Bytes CheckpointStatement(int64_t seq, ByteView hash) {
  const std::string text = fmt::format("sealpost-audit-checkpoint/v1|{}|{}", seq, HexEncode(hash));
  return Bytes(text.begin(), text.end());
}

namespace {

tlog::LogEvent ToLogEvent(const store::AuditEvent& e) {
  return {ToUnixMillis(e.time), e.type, e.actor, e.subject, e.details};
}

}  // namespace

Result<Bytes> EventLeaf(const store::AuditEvent& event) {
  return tlog::EncodeLogEvent(ToLogEvent(event));
}

Result<Bytes> LegacyLeaf(const store::AuditEntry& entry) {
  tlog::LogEntry leaf{tlog::LogEntryKind::kLegacyChainEntry,
                      ToLogEvent(entry.event),
                      static_cast<uint64_t>(entry.seq),
                      {},
                      {}};
  if (entry.seq < 1 || entry.prev_hash.size() != leaf.legacy_prev_hash.size() ||
      entry.hash.size() != leaf.legacy_hash.size()) {
    return Corruption("legacy audit entry " + std::to_string(entry.seq) + " is malformed");
  }
  std::copy(entry.prev_hash.begin(), entry.prev_hash.end(), leaf.legacy_prev_hash.begin());
  std::copy(entry.hash.begin(), entry.hash.end(), leaf.legacy_hash.begin());
  return tlog::EncodeLogEntry(leaf);
}

Result<LeafEvent> EventOfLeaf(ByteView leaf) {
  SP_ASSIGN_OR_RETURN(const tlog::LogEntry entry, tlog::ParseLogEntry(leaf));
  LeafEvent out;
  out.event = {FromUnixMillis(entry.event.time_ms), entry.event.type, entry.event.actor,
               entry.event.subject, entry.event.details};
  out.legacy_seq = static_cast<int64_t>(entry.legacy_seq);
  return out;
}

Status AuditLog::Record(store::LogWriter& log, const store::AuditEvent& event) const {
  if (!options_.record_events) return Status::Ok();  // a benchmark's baseline only
  SP_ASSIGN_OR_RETURN(const Bytes leaf, EventLeaf(event));
  return log.AddPendingEvent(leaf, event.time);
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

}  // namespace sealpost::audit
