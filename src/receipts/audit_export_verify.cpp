#include "receipts/audit_export_verify.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "crypto/security_policy.h"
#include "receipts/internal/zip_reader.h"
#include "tlog/checkpoint.h"
#include "tlog/range_proof.h"

namespace sealpost::receipts {
namespace {

namespace policy = crypto::policy;
using nlohmann::json;

Status Malformed(size_t line, std::string_view what) {
  return InvalidArgument(fmt::format("line {}: {}", line, what));
}
Status Altered(size_t line, std::string_view what) {
  return Unauthenticated(fmt::format("line {}: {}", line, what));
}

// The string member `key` of `object`, or nullopt.
std::optional<std::string> Str(const json& object, const char* key) {
  const auto it = object.find(key);
  if (it == object.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}
std::optional<uint64_t> U64(const json& object, const char* key) {
  const auto it = object.find(key);
  if (it == object.end() || !it->is_number_unsigned()) return std::nullopt;
  return it->get<uint64_t>();
}

std::optional<tlog::Hash> HashOf(const json& value) {
  if (!value.is_string()) return std::nullopt;
  auto bytes = Base64Decode(value.get_ref<const std::string&>());
  tlog::Hash hash{};
  if (!bytes.ok() || bytes->size() != hash.size()) return std::nullopt;
  std::copy(bytes->begin(), bytes->end(), hash.begin());
  return hash;
}

std::optional<std::vector<tlog::Hash>> HashesOf(const json& object, const char* key) {
  const auto it = object.find(key);
  if (it == object.end() || !it->is_array() || it->size() > 128) return std::nullopt;
  std::vector<tlog::Hash> out;
  for (const json& value : *it) {
    auto hash = HashOf(value);
    if (!hash) return std::nullopt;
    out.push_back(*hash);
  }
  return out;
}

std::optional<AuditExportFilter> FilterOf(const json& header) {
  const auto it = header.find("filter");
  if (it == header.end() || !it->is_object()) return std::nullopt;
  AuditExportFilter filter;
  for (const auto& [key, out] :
       {std::pair{"from_ms", &filter.from_ms}, std::pair{"to_ms", &filter.to_ms}}) {
    const auto v = it->find(key);
    if (v == it->end()) return std::nullopt;
    if (v->is_null()) continue;
    if (!v->is_number_integer()) return std::nullopt;
    *out = v->get<int64_t>();
  }
  auto member = Str(*it, "member");
  auto message = Str(*it, "message");
  if (!member || !message) return std::nullopt;
  filter.member = *member;
  filter.message = *message;
  return filter;
}

std::string KindName(tlog::LogEntryKind kind) {
  return kind == tlog::LogEntryKind::kLegacyChainEntry ? "legacy" : "event";
}

// A full line: its fields against its leaf, its proof against the root, its match.
Result<ExportedEntry> CheckFullLine(const json& line, size_t number, uint64_t index,
                                    const AuditExport& out) {
  auto leaf_b64 = Str(line, "leaf");
  auto proof = HashesOf(line, "inclusion_proof");
  if (!leaf_b64 || !proof) return Malformed(number, "an entry needs leaf and inclusion_proof");
  auto leaf = Base64Decode(*leaf_b64);
  if (!leaf.ok()) return Malformed(number, "the leaf is not base64");
  auto entry = tlog::ParseLogEntry(*leaf);
  if (!entry.ok())
    return Altered(number, "the leaf is not a log entry: " + entry.status().message());
  const tlog::LogEvent& ev = entry->event;
  const std::pair<const char*, std::string> fields[] = {
      {"kind", KindName(entry->kind)},
      {"time", FormatRfc3339(FromUnixMillis(ev.time_ms))},
      {"type", ev.type},
      {"actor", ev.actor},
      {"subject", ev.subject},
      {"details", ev.details},
  };
  for (const auto& [key, want] : fields) {
    if (Str(line, key) != want) {
      return Altered(number, fmt::format("{} differs from the signed log entry {}", key, index));
    }
  }
  if (Status s = tlog::VerifyInclusion(tlog::LeafHash(*leaf), index, out.checkpoint.size, *proof,
                                       out.checkpoint.root_hash);
      !s.ok()) {
    return Altered(number, fmt::format("the inclusion proof of entry {} does not verify: {}", index,
                                       s.message()));
  }
  if (!MatchesAuditFilter(ev, out.filter)) {
    return Altered(number, fmt::format("entry {} does not match the export's filter", index));
  }
  return ExportedEntry{index, std::move(*leaf), std::move(*entry), std::move(*proof)};
}

}  // namespace

Result<AuditExport> VerifyAuditExport(std::string_view jsonl,
                                      std::span<const tlog::NoteVerifier> verifiers) {
  if (jsonl.size() > policy::kAuditExport.max_export_bytes) {
    return TooLarge("the export is over the size limit");
  }
  if (jsonl.empty() || jsonl.back() != '\n') return Malformed(1, "the file must end in a newline");
  std::vector<std::string_view> lines;
  for (size_t at = 0; at < jsonl.size();) {
    const size_t nl = jsonl.find('\n', at);
    lines.push_back(jsonl.substr(at, nl - at));
    at = nl + 1;
  }
  const auto parse = [&](size_t i) -> Result<json> {
    if (lines[i].size() > policy::kAuditExport.max_line_bytes) {
      return Malformed(i + 1, "the line is too long");
    }
    json value = json::parse(lines[i], nullptr, /*allow_exceptions=*/false);
    if (value.is_discarded() || !value.is_object()) return Malformed(i + 1, "not a JSON object");
    return value;
  };

  SP_ASSIGN_OR_RETURN(const json header, parse(0));
  AuditExport out;
  auto format = Str(header, "format");
  auto generated = Str(header, "generated_at");
  auto origin = Str(header, "origin");
  auto begin = U64(header, "begin");
  auto end = U64(header, "end");
  auto matching = U64(header, "matching");
  auto note = Str(header, "checkpoint");
  auto range_proof = HashesOf(header, "range_proof");
  auto filter = FilterOf(header);
  if (format != std::string(kAuditExportFormat)) {
    return Malformed(1, fmt::format("not an audit export ({} expected)", kAuditExportFormat));
  }
  if (!generated || !origin || !begin || !end || !matching || !note || !range_proof || !filter ||
      *begin > *end) {
    return Malformed(1, "the header lacks a field or has a wrong one");
  }
  auto generated_ms = ParseExportTime(*generated);
  if (!generated_ms.ok()) return Malformed(1, "generated_at is not a time");
  out.generated_at = FromUnixMillis(*generated_ms);
  out.filter = *filter;
  out.begin = *begin;
  out.end = *end;
  out.checkpoint_note = *note;
  out.range_proof = *range_proof;

  auto checkpoint = tlog::OpenCheckpoint(*note, verifiers);
  if (!checkpoint.ok()) {
    return Altered(
        1, "the checkpoint is not signed by the log's key: " + checkpoint.status().message());
  }
  out.checkpoint = std::move(*checkpoint);
  if (out.checkpoint.origin != *origin)
    return Altered(1, "the origin differs from the checkpoint's");
  if (out.end > out.checkpoint.size) return Altered(1, "the range reaches beyond the checkpoint");
  const uint64_t count = out.end - out.begin;
  if (count > policy::kAuditExport.max_range_entries) return TooLarge("the range is too large");
  if (lines.size() - 1 != count) {
    return Altered(lines.size(),
                   fmt::format("the range [{}, {}) needs {} entry lines, the file has "
                               "{}: a line was removed or added",
                               out.begin, out.end, count, lines.size() - 1));
  }

  for (uint64_t i = 0; i < count; ++i) {
    const size_t number = static_cast<size_t>(i) + 2;
    const uint64_t index = out.begin + i;
    SP_ASSIGN_OR_RETURN(const json line, parse(number - 1));
    if (U64(line, "index") != index) {
      return Altered(number,
                     fmt::format("entry {} expected here: lines removed or reordered", index));
    }
    if (line.contains("leaf_hash")) {
      auto hash = HashOf(line["leaf_hash"]);
      if (!hash || line.size() != 2)
        return Malformed(number, "a hash line has index and leaf_hash");
      out.leaf_hashes.push_back(*hash);
      continue;
    }
    SP_ASSIGN_OR_RETURN(ExportedEntry entry, CheckFullLine(line, number, index, out));
    out.leaf_hashes.push_back(tlog::LeafHash(entry.leaf));
    out.entries.push_back(std::move(entry));
  }
  if (out.entries.size() != *matching) {
    return Altered(1, fmt::format("the header names {} matching entries, the file has {}",
                                  *matching, out.entries.size()));
  }
  if (count == 0) {
    if (!out.range_proof.empty()) return Malformed(1, "an empty range has no range proof");
    return out;
  }
  if (Status s = tlog::VerifyRange(out.leaf_hashes, out.begin, out.checkpoint.size, out.range_proof,
                                   out.checkpoint.root_hash);
      !s.ok()) {
    return Unauthenticated(fmt::format(
        "the entries of [{}, {}) are not the log's: an entry was changed, removed or replaced ({})",
        out.begin, out.end, s.message()));
  }
  return out;
}

Result<AuditExport> VerifyAuditExportBundle(ByteView zip,
                                            std::span<const tlog::NoteVerifier> verifiers) {
  SP_ASSIGN_OR_RETURN(
      const Bytes jsonl,
      internal::ReadZipEntry(zip, "export.jsonl", policy::kAuditExport.max_export_bytes));
  auto verified = VerifyAuditExport(AsChars(jsonl), verifiers);
  if (!verified.ok()) {
    return Status(verified.status().code(), "export.jsonl: " + verified.status().message());
  }
  SP_ASSIGN_OR_RETURN(
      const Bytes csv,
      internal::ReadZipEntry(zip, "export.csv", policy::kAuditExport.max_export_bytes));
  if (AsChars(csv) != AuditExportCsv(*verified)) {
    return Unauthenticated("export.csv differs from the verified export.jsonl");
  }
  return verified;
}

}  // namespace sealpost::receipts
