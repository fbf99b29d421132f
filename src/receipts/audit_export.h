// The audit export (docs/formats/audit-export.md): the log events of a time range, a member or a
// message, for an auditor, as JSON Lines, CSV, a PDF summary, or a ZIP of all three with the
// verifier key — with what proves it complete and unaltered against the signed checkpoint.
//
// An export covers a contiguous index range [begin, end) of the transparency log under its
// latest signed checkpoint. Every entry of the range is in it: the ones that match the filter
// in full (their leaf bytes, the fields read from them, and an RFC 9162 inclusion proof), the
// others by their leaf hash only (another member's events stay out of the auditor's hands). A
// range proof (tlog/range_proof.h) ties the range's leaf hashes to the checkpoint's root, so an
// export with a line removed, reordered or changed no longer verifies
// (audit_export_verify.h, `sealpost verify export`). With a time filter the range runs from the
// first entry at or after `from` to the last one before `to` (entries are sequenced in the order
// they were recorded, so times rise with the index up to clock differences between processes).
//
// What it cannot prove: that an entry given by hash did not match the filter (its content is
// withheld by design); the operator can show it from the full log.
//
// SECURITY: the leaves come from the store and are re-checked against the stored tiles and the
// signed root before anything is written (Corruption otherwise); the filter values come from an
// authorised auditor's request and are only compared, never interpreted. Output for spreadsheets
// neutralises formula cells. Bounded by crypto::policy::kAuditExport. Thread-safety: no state;
// each call reads the store on its own.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/encoding.h"
#include "core/status.h"
#include "core/time.h"
#include "receipts/evidence_report_pdf.h"
#include "store/log_store.h"
#include "tlog/checkpoint.h"
#include "tlog/log_entry.h"
#include "tlog/merkle.h"

namespace sealpost::receipts {

inline constexpr std::string_view kAuditExportFormat = "sealpost-audit-export/1";

struct AuditExportFilter {
  std::optional<int64_t> from_ms;  // Unix ms, inclusive
  std::optional<int64_t> to_ms;    // Unix ms, exclusive
  std::string member;              // a user id: its actor, subject or a value in its details
  std::string message;             // a message id: its subject or a value in its details
  friend bool operator==(const AuditExportFilter&, const AuditExportFilter&) = default;
};

// True when `event` falls within every part of `filter` that is set. A member or message
// matches the actor (member only), the subject, or any string value of the details JSON (e.g.
// the recipients of a send). Pure.
bool MatchesAuditFilter(const tlog::LogEvent& event, const AuditExportFilter& filter);

// "2026-12-05T10:00:00Z", with optional fractional seconds (up to milliseconds are kept), or
// Unix milliseconds as decimal digits. InvalidArgument otherwise. Pure.
Result<int64_t> ParseExportTime(std::string_view text);

struct ExportedEntry {
  uint64_t index = 0;
  Bytes leaf;                               // the leaf bytes (tlog/log_entry.h)
  tlog::LogEntry entry;                     // parsed from `leaf`
  std::vector<tlog::Hash> inclusion_proof;  // in the checkpoint's tree
};

struct AuditExport {
  std::string checkpoint_note;  // the signed checkpoint, as published
  tlog::Checkpoint checkpoint;
  AuditExportFilter filter;
  uint64_t begin = 0;  // the index range [begin, end); empty when nothing is in it
  uint64_t end = 0;
  std::vector<tlog::Hash> leaf_hashes;  // of every entry in [begin, end)
  std::vector<tlog::Hash> range_proof;  // tlog::RangeProof of [begin, end)
  std::vector<ExportedEntry> entries;   // the matching ones, by index
  TimePoint generated_at;
};

// Reads the log under its latest checkpoint and builds the export. NotFound before the first
// checkpoint; TooLarge when the range holds more than kAuditExport.max_range_entries entries
// (narrow the filter); Corruption when a stored leaf or tile disagrees with the signed root.
Result<AuditExport> BuildAuditExport(store::LogReader& log, const AuditExportFilter& filter,
                                     TimePoint generated_at);

// The JSON Lines file: a header line, then one line per entry of [begin, end) in index order.
std::string AuditExportJsonLines(const AuditExport& exported);
// The matching entries as CSV (RFC 4180, CRLF; a cell starting with = + - @ gets a leading ').
std::string AuditExportCsv(const AuditExport& exported);
// A summary for people: range, filter, checkpoint, counts per event type, the entries (one line
// each) and how to verify. Unavailable when the fonts are missing.
Result<Bytes> AuditExportPdf(const AuditExport& exported, const ReportFonts& fonts = {});
// A ZIP: export.jsonl, export.csv, report.pdf, log-key.txt (`verifier_key`, when not empty) and
// README.txt with the command that checks it.
Result<Bytes> AuditExportBundle(const AuditExport& exported, std::string_view verifier_key,
                                const ReportFonts& fonts = {});

}  // namespace sealpost::receipts
