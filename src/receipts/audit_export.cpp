#include "receipts/audit_export.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <map>
#include <nlohmann/json.hpp>

#include "crypto/security_policy.h"
#include "receipts/internal/zip_writer.h"
#include "tlog/range_proof.h"
#include "tlog/tiles.h"

namespace sealpost::receipts {
namespace {

namespace policy = crypto::policy;
using nlohmann::json;

constexpr int kReadBatch = 1000;

// True when `value` occurs as a string anywhere in `node`.
bool HasStringValue(const json& node, const std::string& value) {
  if (node.is_string()) return node.get_ref<const std::string&>() == value;
  if (node.is_object() || node.is_array()) {
    for (const json& child : node) {
      if (HasStringValue(child, value)) return true;
    }
  }
  return false;
}

bool DetailsName(const std::string& details, const std::string& value) {
  const json parsed = json::parse(details, nullptr, /*allow_exceptions=*/false);
  return !parsed.is_discarded() && HasStringValue(parsed, value);
}

std::string B64(const tlog::Hash& hash) { return Base64Encode(hash); }

json HashList(const std::vector<tlog::Hash>& hashes) {
  json list = json::array();
  for (const tlog::Hash& h : hashes) list.push_back(B64(h));
  return list;
}

json FilterJson(const AuditExportFilter& filter) {
  json out = json::object();
  out["from_ms"] = filter.from_ms ? json(*filter.from_ms) : json(nullptr);
  out["to_ms"] = filter.to_ms ? json(*filter.to_ms) : json(nullptr);
  out["member"] = filter.member;
  out["message"] = filter.message;
  return out;
}

std::string CsvCell(std::string_view text) {
  std::string cell;
  cell.reserve(text.size() + 1);
  if (!text.empty() && (text[0] == '=' || text[0] == '+' || text[0] == '-' || text[0] == '@' ||
                        text[0] == '\t' || text[0] == '\r')) {
    cell.push_back('\'');  // OWASP CSV injection: a spreadsheet shows it as text
  }
  cell.append(text);
  if (cell.find_first_of(",\"\r\n") == std::string::npos) return cell;
  std::string quoted = "\"";
  for (const char c : cell) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + "\"";
}

std::string KindName(tlog::LogEntryKind kind) {
  return kind == tlog::LogEntryKind::kLegacyChainEntry ? "legacy" : "event";
}

// The leaves [0, size) read in batches, for `visit(index, leaf)`.
template <typename Visit>
Status ForEachLeaf(store::LogReader& log, uint64_t from, uint64_t size, Visit visit) {
  uint64_t next = from;
  while (next < size) {
    SP_ASSIGN_OR_RETURN(auto batch, log.ReadLogEntries(next, kReadBatch));
    if (batch.empty()) break;
    for (store::LogEntryRecord& record : batch) {
      if (record.index >= size) return Status::Ok();
      if (record.index != next) {
        return Corruption(fmt::format("log entry {} is missing from the store", next));
      }
      SP_RETURN_IF_ERROR(visit(record.index, record.leaf));
      ++next;
    }
  }
  if (next < size) return Corruption(fmt::format("log entry {} is missing from the store", next));
  return Status::Ok();
}

}  // namespace

bool MatchesAuditFilter(const tlog::LogEvent& event, const AuditExportFilter& filter) {
  if (filter.from_ms && event.time_ms < *filter.from_ms) return false;
  if (filter.to_ms && event.time_ms >= *filter.to_ms) return false;
  if (!filter.member.empty() && event.actor != filter.member && event.subject != filter.member &&
      !DetailsName(event.details, filter.member)) {
    return false;
  }
  if (!filter.message.empty() && event.subject != filter.message &&
      !DetailsName(event.details, filter.message)) {
    return false;
  }
  return true;
}

Result<int64_t> ParseExportTime(std::string_view text) {
  const auto bad = [&] {
    return InvalidArgument("a time is RFC 3339 in UTC (2026-12-05T10:00:00Z) or Unix milliseconds");
  };
  if (text.empty() || text.size() > 40) return bad();
  if (std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    int64_t ms = 0;
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), ms);
    if (ec != std::errc() || ptr != text.data() + text.size()) return bad();
    return ms;
  }
  // YYYY-MM-DDTHH:MM:SS[.fff…]Z
  const auto num = [&](size_t at, size_t len, int& out) {
    if (at + len > text.size()) return false;
    out = 0;
    for (size_t i = at; i < at + len; ++i) {
      if (text[i] < '0' || text[i] > '9') return false;
      out = out * 10 + (text[i] - '0');
    }
    return true;
  };
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (text.size() < 20 || !num(0, 4, year) || text[4] != '-' || !num(5, 2, month) ||
      text[7] != '-' || !num(8, 2, day) || (text[10] != 'T' && text[10] != 't') ||
      !num(11, 2, hour) || text[13] != ':' || !num(14, 2, minute) || text[16] != ':' ||
      !num(17, 2, second)) {
    return bad();
  }
  size_t i = 19;
  int64_t millis = 0;
  if (text[i] == '.') {
    size_t digits = 0;
    for (++i; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i, ++digits) {
      if (digits < 3) millis = millis * 10 + (text[i] - '0');
    }
    if (digits == 0) return bad();
    for (size_t d = digits; d < 3; ++d) millis *= 10;
  }
  if (i + 1 != text.size() || (text[i] != 'Z' && text[i] != 'z')) return bad();
  if (year < 1970 || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 ||
      second > 60) {
    return bad();
  }
  const std::chrono::year_month_day ymd{std::chrono::year(year), std::chrono::month(month),
                                        std::chrono::day(day)};
  if (!ymd.ok()) return bad();
  const int64_t days = std::chrono::sys_days(ymd).time_since_epoch().count();
  return ((days * 24 + hour) * 60 + minute) * 60'000 + int64_t{second} * 1000 + millis;
}

Result<AuditExport> BuildAuditExport(store::LogReader& log, const AuditExportFilter& filter,
                                     TimePoint generated_at) {
  SP_ASSIGN_OR_RETURN(const auto latest, log.GetLatestLogCheckpoint());
  if (!latest) return NotFound("the log has no signed checkpoint yet");
  AuditExport out;
  out.filter = filter;
  out.generated_at = generated_at;
  out.checkpoint_note = latest->note;
  SP_ASSIGN_OR_RETURN(const tlog::Note note, tlog::ParseNote(latest->note));
  SP_ASSIGN_OR_RETURN(out.checkpoint, tlog::ParseCheckpoint(note.text));
  const uint64_t size = out.checkpoint.size;

  // The range: the whole tree, or from the first entry at/after `from` to the last before `to`.
  uint64_t begin = 0;
  uint64_t end = size;
  if (filter.from_ms || filter.to_ms) {
    std::optional<uint64_t> first;
    std::optional<uint64_t> last;
    SP_RETURN_IF_ERROR(ForEachLeaf(log, 0, size, [&](uint64_t index, const Bytes& leaf) -> Status {
      SP_ASSIGN_OR_RETURN(const tlog::LogEntry entry, tlog::ParseLogEntry(leaf));
      const int64_t t = entry.event.time_ms;
      if ((!filter.from_ms || t >= *filter.from_ms) && (!filter.to_ms || t < *filter.to_ms)) {
        if (!first) first = index;
        last = index;
      }
      return Status::Ok();
    }));
    begin = first.value_or(0);
    end = last ? *last + 1 : 0;
  }
  if (end - begin > policy::kAuditExport.max_range_entries) {
    return TooLarge(
        fmt::format("the export would cover {} log entries (at most {}): narrow the "
                    "time range",
                    end - begin, policy::kAuditExport.max_range_entries));
  }
  out.begin = begin;
  out.end = end;
  if (begin == end) return out;

  tlog::TileHashSource tree(
      size, [&log](const tlog::TileId& t) { return log.GetLogTile(t.level, t.index, t.width); });
  SP_RETURN_IF_ERROR(ForEachLeaf(log, begin, end, [&](uint64_t index, const Bytes& leaf) -> Status {
    const tlog::Hash hash = tlog::LeafHash(leaf);
    out.leaf_hashes.push_back(hash);
    auto entry = tlog::ParseLogEntry(leaf);
    if (!entry.ok()) return Corruption(fmt::format("log entry {} does not parse", index));
    if (!MatchesAuditFilter(entry->event, filter)) return Status::Ok();
    SP_ASSIGN_OR_RETURN(auto path, tlog::InclusionProof(tree, index, size));
    out.entries.push_back({index, leaf, std::move(*entry), std::move(path)});
    return Status::Ok();
  }));
  SP_ASSIGN_OR_RETURN(out.range_proof, tlog::RangeProof(tree, begin, end, size));
  // The stored leaves against the signed root: a store edited behind the log fails here.
  if (!tlog::VerifyRange(out.leaf_hashes, begin, size, out.range_proof, out.checkpoint.root_hash)
           .ok()) {
    return Corruption("the stored log entries do not match the signed checkpoint");
  }
  return out;
}

std::string AuditExportJsonLines(const AuditExport& exported) {
  json header = json::object();
  header["format"] = kAuditExportFormat;
  header["generated_at"] = FormatRfc3339(exported.generated_at);
  header["origin"] = exported.checkpoint.origin;
  header["filter"] = FilterJson(exported.filter);
  header["begin"] = exported.begin;
  header["end"] = exported.end;
  header["matching"] = exported.entries.size();
  header["checkpoint"] = exported.checkpoint_note;
  header["range_proof"] = HashList(exported.range_proof);
  // Invalid UTF-8 (a filter value from the command line) becomes U+FFFD rather than throwing.
  std::string out = header.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
  size_t next = 0;
  for (uint64_t index = exported.begin; index < exported.end; ++index) {
    json line = json::object();
    line["index"] = index;
    if (next < exported.entries.size() && exported.entries[next].index == index) {
      const ExportedEntry& e = exported.entries[next++];
      line["kind"] = KindName(e.entry.kind);
      line["time"] = FormatRfc3339(FromUnixMillis(e.entry.event.time_ms));
      line["type"] = e.entry.event.type;
      line["actor"] = e.entry.event.actor;
      line["subject"] = e.entry.event.subject;
      line["details"] = e.entry.event.details;
      line["leaf"] = Base64Encode(e.leaf);
      line["inclusion_proof"] = HashList(e.inclusion_proof);
    } else {
      line["leaf_hash"] = B64(exported.leaf_hashes[index - exported.begin]);
    }
    // Invalid UTF-8 in a leaf's fields becomes U+FFFD here; the leaf bytes stay exact.
    out += line.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
  }
  return out;
}

std::string AuditExportCsv(const AuditExport& exported) {
  std::string out = "index,time,kind,type,actor,subject,details,leaf_hash\r\n";
  for (const ExportedEntry& e : exported.entries) {
    const tlog::LogEvent& ev = e.entry.event;
    out += fmt::format("{},{},{},{},{},{},{},{}\r\n", e.index,
                       FormatRfc3339(FromUnixMillis(ev.time_ms)), KindName(e.entry.kind),
                       CsvCell(ev.type), CsvCell(ev.actor), CsvCell(ev.subject),
                       CsvCell(ev.details), HexEncode(tlog::LeafHash(e.leaf)));
  }
  return out;
}

Result<Bytes> AuditExportBundle(const AuditExport& exported, std::string_view verifier_key,
                                const ReportFonts& fonts) {
  SP_ASSIGN_OR_RETURN(Bytes pdf, AuditExportPdf(exported, fonts));
  const std::string jsonl = AuditExportJsonLines(exported);
  const std::string csv = AuditExportCsv(exported);
  std::string readme = fmt::format(
      "Sealpost audit export: log entries {} to {} of {} ({} matching the filter).\n\n"
      "export.jsonl  every entry of the range; the matching ones in full with their inclusion\n"
      "              proofs, the others by leaf hash; the signed checkpoint and the range proof\n"
      "export.csv    the matching entries, for spreadsheets\n"
      "report.pdf    a summary for people\n\n"
      "Check it offline, with the log's verifier key obtained from the operator out of band\n"
      "(log-key.txt in this archive is a convenience, not a trust anchor):\n\n"
      "  sealpost verify export audit-export.zip --key-file log-key.txt\n",
      exported.begin, exported.end == 0 ? 0 : exported.end - 1, exported.checkpoint.size,
      exported.entries.size());
  std::vector<internal::ZipEntry> entries;
  entries.push_back({"README.txt", Bytes(readme.begin(), readme.end())});
  entries.push_back({"export.jsonl", Bytes(jsonl.begin(), jsonl.end())});
  entries.push_back({"export.csv", Bytes(csv.begin(), csv.end())});
  entries.push_back({"report.pdf", std::move(pdf)});
  if (!verifier_key.empty()) {
    const std::string key = std::string(verifier_key) + "\n";
    entries.push_back({"log-key.txt", Bytes(key.begin(), key.end())});
  }
  return internal::WriteZip(entries, exported.generated_at);
}

}  // namespace sealpost::receipts
