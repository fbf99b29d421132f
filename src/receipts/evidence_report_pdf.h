// The evidence report: a PDF for people (a court, an auditor, the sender) that lists what the
// receipts of one message attest and how to check them without trusting the operator
// (docs/formats/evidence-package.md, "report.pdf"). Made with libharu.
//
// Contents, in this order: the title; the message id, the sealed digest (what the sender's seal
// signs; never the subject or the body, which the report does not hold) and the sender; per
// recipient, the events in time order with their times (UTC, ISO 8601 with milliseconds), log
// indexes, delivery methods, reasons and receipt files; the SHA-256 fingerprints of the seal key
// and of the certificates; the checkpoint (origin, tree size, root hash); and "How to verify",
// the lines given by the caller (evidence_package.h writes the exact commands).
//
// Fonts: DejaVu Sans and DejaVu Sans Mono (Debian fonts-dejavu-core) are embedded as TrueType
// subsets, so names in Latin, Greek and Cyrillic scripts render as they are: the base-14 fonts
// of PDF only know WinAnsi, which would turn "Дмитрий" into question marks. Display names are
// untrusted UTF-8 (a sender chose them): SafeDisplayText keeps the left-to-right scripts the font
// covers and writes every other code point as <U+XXXX>, so right-to-left overrides, zero-width
// and combining characters cannot disguise a name, and nothing renders as a blank box.
//
// Deterministic: the same report and fonts give the same bytes (the creation date is
// generated_at; no random document id).
//
// Thread-safety: RenderEvidenceReportPdf keeps no state and may run on many threads at once
// (each call has its own libharu document).
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/encoding.h"
#include "core/status.h"
#include "core/time.h"
#include "receipts/evidence_document.h"
#include "tlog/checkpoint.h"

namespace sealpost::receipts {

inline constexpr std::string_view kDefaultReportFont =
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
inline constexpr std::string_view kDefaultReportMonoFont =
    "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf";

struct ReportFonts {
  std::string regular = std::string(kDefaultReportFont);  // TrueType files (configuration)
  std::string mono = std::string(kDefaultReportMonoFont);
};

struct ReportEvent {
  EvidenceDocument document;  // as the receipt signs it
  std::string receipt_file;   // its path in the package, e.g. receipts/001-…p7m
};

struct ReportFingerprint {
  std::string label;       // "Evidence signer certificate", …
  std::string sha256_hex;  // 64 lower-case hex digits
};

struct EvidenceReport {
  std::string message_id;
  std::string sealed_digest_hex;
  std::string sender;  // the address the receipts name
  // Names shown beside addresses (UTF-8, untrusted; at most kEvidencePackage limits).
  std::map<std::string, std::string> display_names;
  std::vector<ReportEvent> events;  // any order: grouped by recipient, sorted by time
  std::vector<ReportFingerprint> fingerprints;
  tlog::Checkpoint checkpoint;
  // "How to verify": plain lines; a line that starts with "$ " is a command, set in the
  // monospaced font and wrapped at spaces only.
  std::vector<std::string> how_to_verify;
  TimePoint generated_at;
};

// The PDF bytes. TooLarge when the display names are over kEvidencePackage's limits;
// Unavailable when a font file cannot be loaded; Internal when libharu fails otherwise.
Result<Bytes> RenderEvidenceReportPdf(const EvidenceReport& report, const ReportFonts& fonts = {});

// `utf8` as the report shows it: printable ASCII, Latin-1 and Latin Extended letters, Greek,
// Cyrillic and common punctuation as they are; any other code point as "<U+XXXX>" (upper-case
// hex, at least four digits), a byte that is not UTF-8 as "<0xNN>". Pure.
std::string SafeDisplayText(std::string_view utf8);

}  // namespace sealpost::receipts
