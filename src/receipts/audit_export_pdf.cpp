// The audit export's summary for people (audit_export.h): drawn as plain lines in the evidence
// report's fonts (internal/text_pdf.h).
#include <fmt/format.h>

#include <map>

#include "receipts/audit_export.h"
#include "receipts/internal/text_pdf.h"

namespace sealpost::receipts {
namespace {

// Long details are cut for the summary; the JSON Lines file holds them whole.
constexpr size_t kMaxDetailsShown = 200;

std::string TimeOrAny(const std::optional<int64_t>& ms) {
  return ms ? FormatRfc3339(FromUnixMillis(*ms)) : "(any)";
}

}  // namespace

Result<Bytes> AuditExportPdf(const AuditExport& exported, const ReportFonts& fonts) {
  using internal::PdfLine;
  std::vector<PdfLine> lines;
  const auto add = [&lines](PdfLine::Kind kind, std::string text) {
    lines.push_back({kind, std::move(text)});
  };
  add(PdfLine::kTitle, "Sealpost audit export");
  add(PdfLine::kText, "Generated " + FormatRfc3339(exported.generated_at) +
                          ". The signed log entries in export.jsonl, not this summary, are the "
                          "evidence. Every time is UTC (ISO 8601).");
  add(PdfLine::kHeading, "Selection");
  add(PdfLine::kText, "From: " + TimeOrAny(exported.filter.from_ms));
  add(PdfLine::kText, "To (exclusive): " + TimeOrAny(exported.filter.to_ms));
  add(PdfLine::kText, "Member: " + (exported.filter.member.empty() ? std::string("(any)")
                                                                   : exported.filter.member));
  add(PdfLine::kText, "Message: " + (exported.filter.message.empty() ? std::string("(any)")
                                                                     : exported.filter.message));
  add(PdfLine::kText,
      exported.begin == exported.end
          ? std::string("Log entries: none in the selection")
          : fmt::format("Log entries {} to {}: {} in the range, {} matching (the others are "
                        "listed by leaf hash only)",
                        exported.begin, exported.end - 1, exported.end - exported.begin,
                        exported.entries.size()));

  add(PdfLine::kHeading, "Log checkpoint");
  add(PdfLine::kText, "Origin: " + exported.checkpoint.origin);
  add(PdfLine::kText, fmt::format("Tree size: {}", exported.checkpoint.size));
  add(PdfLine::kText, "Root hash (base64):");
  add(PdfLine::kMono, Base64Encode(exported.checkpoint.root_hash));

  std::map<std::string, size_t> per_type;
  for (const ExportedEntry& e : exported.entries) ++per_type[e.entry.event.type];
  add(PdfLine::kHeading, "Events by type");
  if (per_type.empty()) add(PdfLine::kText, "(none)");
  for (const auto& [type, count] : per_type)
    add(PdfLine::kText, fmt::format("{}: {}", type, count));

  add(PdfLine::kHeading, fmt::format("Events ({})", exported.entries.size()));
  for (const ExportedEntry& e : exported.entries) {
    const tlog::LogEvent& ev = e.entry.event;
    std::string details = ev.details.substr(0, kMaxDetailsShown);
    if (details.size() < ev.details.size()) details += " …";
    add(PdfLine::kText, fmt::format("#{}  {}  {}  actor {}  subject {}  {}", e.index,
                                    FormatRfc3339(FromUnixMillis(ev.time_ms)), ev.type, ev.actor,
                                    ev.subject, details));
  }

  add(PdfLine::kHeading, "How to verify");
  add(PdfLine::kText,
      "With the log's verifier key, obtained from the operator out of band, run (exit code 0 "
      "and OK: the export is complete for its range and unaltered):");
  add(PdfLine::kMono, "sealpost verify export audit-export.zip --key-file log-key.txt");
  return internal::RenderTextPdf("Sealpost audit export", lines, exported.generated_at, fonts);
}

}  // namespace sealpost::receipts
