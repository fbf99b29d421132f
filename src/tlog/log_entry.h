// The leaf format of the transparency log: one versioned, canonical, length-prefixed byte string
// per log entry. The leaf's hash in the tree is RFC 9162's LeafHash of these bytes (merkle.h).
//
// Two kinds: an audited event (what a state change records), and a legacy entry of the hash
// chain that the log replaced, carried field for field with its sequence number, its
// predecessor's hash and its own, so the old chain hash can be recomputed from the leaves alone
// (store/audit_chain.h). Byte layout: docs/formats/log-entry.md.
//
// Canonical: every entry has exactly one encoding (fixed-width big-endian integers, one length
// prefix per field, no trailing bytes), so ParseLogEntry(b) succeeding implies
// EncodeLogEntry(that) == b.
//
// SECURITY: ParseLogEntry takes untrusted bytes (leaves read back from a store, or from tiles and
// entry bundles a monitor fetched) and refuses, as InvalidArgument, anything but the exact layout
// within the limits below; it never reads past the input. Pure; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "core/encoding.h"
#include "core/status.h"
#include "tlog/merkle.h"

namespace sealpost::tlog {

inline constexpr uint8_t kLogEntryVersion = 1;
// Limits per field and for the whole leaf (the encoder refuses larger events too).
inline constexpr size_t kMaxEventTypeBytes = 256;
inline constexpr size_t kMaxEventIdBytes = 1024;  // actor, subject
inline constexpr size_t kMaxEventDetailsBytes = 64 * 1024;
inline constexpr size_t kMaxLogEntryBytes =
    2 + 8 + 8 + 4 * 4 + kMaxEventTypeBytes + 2 * kMaxEventIdBytes + kMaxEventDetailsBytes + 2 * 32;

enum class LogEntryKind : uint8_t {
  kEvent = 1,             // an audited state change
  kLegacyChainEntry = 2,  // an entry of the hash chain the log replaced (audit-log.md)
};

// What store::AuditEvent carries, with the time as Unix milliseconds (the chain's resolution).
struct LogEvent {
  int64_t time_ms = 0;  // ≥ 0
  std::string type;     // e.g. "message.send"
  std::string actor;    // user id, "system" or "ip:<address>"
  std::string subject;  // what the event is about
  std::string details;  // a JSON object; never secrets or message content
  friend bool operator==(const LogEvent&, const LogEvent&) = default;
};

struct LogEntry {
  LogEntryKind kind = LogEntryKind::kEvent;
  LogEvent event;
  // kLegacyChainEntry only (zero for events): the chain's seq (≥ 1), prev_hash and hash.
  uint64_t legacy_seq = 0;
  Hash legacy_prev_hash{};
  Hash legacy_hash{};
  friend bool operator==(const LogEntry&, const LogEntry&) = default;
};

// The leaf bytes. InvalidArgument if a field is over its limit, the time is negative, or a
// legacy entry has seq 0.
Result<Bytes> EncodeLogEntry(const LogEntry& entry);
// The inverse (see SECURITY above).
Result<LogEntry> ParseLogEntry(ByteView leaf);

// The leaf bytes of an event.
inline Result<Bytes> EncodeLogEvent(const LogEvent& event) {
  return EncodeLogEntry({LogEntryKind::kEvent, event, 0, {}, {}});
}

}  // namespace sealpost::tlog
