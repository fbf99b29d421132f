#include "tlog/log_entry.h"

#include <cstring>
#include <string_view>

namespace sealpost::tlog {
namespace {

void PutU32(Bytes& out, uint32_t v) {
  for (int i = 3; i >= 0; --i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

void PutU64(Bytes& out, uint64_t v) {
  for (int i = 7; i >= 0; --i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

Status PutField(Bytes& out, std::string_view field, size_t limit, const char* name) {
  if (field.size() > limit) {
    return InvalidArgument(std::string("log entry ") + name + " is longer than " +
                           std::to_string(limit) + " bytes");
  }
  PutU32(out, static_cast<uint32_t>(field.size()));
  out.insert(out.end(), field.begin(), field.end());
  return Status::Ok();
}

// Reads fields front to back; every read checks the bytes left first.
class Cursor {
 public:
  explicit Cursor(ByteView data) : data_(data) {}

  bool empty() const { return pos_ == data_.size(); }

  Result<uint8_t> U8() {
    if (data_.size() - pos_ < 1) return Truncated();
    return data_[pos_++];
  }
  Result<uint64_t> U64() {
    if (data_.size() - pos_ < 8) return Truncated();
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v = (v << 8) | data_[pos_++];
    return v;
  }
  Result<std::string> Field(size_t limit, const char* name) {
    if (data_.size() - pos_ < 4) return Truncated();
    uint32_t length = 0;
    for (int i = 0; i < 4; ++i) length = (length << 8) | data_[pos_++];
    if (length > limit) {
      return InvalidArgument(std::string("log entry ") + name + " is longer than " +
                             std::to_string(limit) + " bytes");
    }
    if (data_.size() - pos_ < length) return Truncated();
    std::string out(reinterpret_cast<const char*>(data_.data() + pos_), length);
    pos_ += length;
    return out;
  }
  Result<Hash> Digest() {
    Hash h{};
    if (data_.size() - pos_ < h.size()) return Truncated();
    std::memcpy(h.data(), data_.data() + pos_, h.size());
    pos_ += h.size();
    return h;
  }

 private:
  static Status Truncated() { return InvalidArgument("log entry is truncated"); }
  ByteView data_;
  size_t pos_ = 0;
};

}  // namespace

Result<Bytes> EncodeLogEntry(const LogEntry& entry) {
  const bool legacy = entry.kind == LogEntryKind::kLegacyChainEntry;
  if (!legacy && entry.kind != LogEntryKind::kEvent) return InvalidArgument("unknown entry kind");
  if (entry.event.time_ms < 0) return InvalidArgument("log entry time is negative");
  if (legacy && entry.legacy_seq == 0) return InvalidArgument("legacy chain entry has seq 0");
  Bytes out;
  out.reserve(64 + entry.event.type.size() + entry.event.actor.size() + entry.event.subject.size() +
              entry.event.details.size());
  out.push_back(kLogEntryVersion);
  out.push_back(static_cast<uint8_t>(entry.kind));
  if (legacy) PutU64(out, entry.legacy_seq);
  PutU64(out, static_cast<uint64_t>(entry.event.time_ms));
  SP_RETURN_IF_ERROR(PutField(out, entry.event.type, kMaxEventTypeBytes, "type"));
  SP_RETURN_IF_ERROR(PutField(out, entry.event.actor, kMaxEventIdBytes, "actor"));
  SP_RETURN_IF_ERROR(PutField(out, entry.event.subject, kMaxEventIdBytes, "subject"));
  SP_RETURN_IF_ERROR(PutField(out, entry.event.details, kMaxEventDetailsBytes, "details"));
  if (legacy) {
    out.insert(out.end(), entry.legacy_prev_hash.begin(), entry.legacy_prev_hash.end());
    out.insert(out.end(), entry.legacy_hash.begin(), entry.legacy_hash.end());
  }
  return out;
}

Result<LogEntry> ParseLogEntry(ByteView leaf) {
  if (leaf.size() > kMaxLogEntryBytes) return InvalidArgument("log entry is too large");
  Cursor in(leaf);
  SP_ASSIGN_OR_RETURN(const uint8_t version, in.U8());
  if (version != kLogEntryVersion) {
    return InvalidArgument("log entry version " + std::to_string(version) + " is not supported");
  }
  SP_ASSIGN_OR_RETURN(const uint8_t kind, in.U8());
  LogEntry entry;
  if (kind == static_cast<uint8_t>(LogEntryKind::kEvent)) {
    entry.kind = LogEntryKind::kEvent;
  } else if (kind == static_cast<uint8_t>(LogEntryKind::kLegacyChainEntry)) {
    entry.kind = LogEntryKind::kLegacyChainEntry;
  } else {
    return InvalidArgument("log entry kind " + std::to_string(kind) + " is unknown");
  }
  const bool legacy = entry.kind == LogEntryKind::kLegacyChainEntry;
  if (legacy) {
    SP_ASSIGN_OR_RETURN(entry.legacy_seq, in.U64());
    if (entry.legacy_seq == 0) return InvalidArgument("legacy chain entry has seq 0");
  }
  SP_ASSIGN_OR_RETURN(const uint64_t time_ms, in.U64());
  if (time_ms > static_cast<uint64_t>(INT64_MAX)) {
    return InvalidArgument("log entry time is negative");
  }
  entry.event.time_ms = static_cast<int64_t>(time_ms);
  SP_ASSIGN_OR_RETURN(entry.event.type, in.Field(kMaxEventTypeBytes, "type"));
  SP_ASSIGN_OR_RETURN(entry.event.actor, in.Field(kMaxEventIdBytes, "actor"));
  SP_ASSIGN_OR_RETURN(entry.event.subject, in.Field(kMaxEventIdBytes, "subject"));
  SP_ASSIGN_OR_RETURN(entry.event.details, in.Field(kMaxEventDetailsBytes, "details"));
  if (legacy) {
    SP_ASSIGN_OR_RETURN(entry.legacy_prev_hash, in.Digest());
    SP_ASSIGN_OR_RETURN(entry.legacy_hash, in.Digest());
  }
  if (!in.empty()) return InvalidArgument("log entry has trailing bytes");
  return entry;
}

}  // namespace sealpost::tlog
