// A plain PDF of lines in the evidence report's fonts and layout (evidence_report_pdf.cpp):
// what the audit export's summary is drawn with. Every line passes SafeDisplayText.
// Deterministic; no shared state.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/encoding.h"
#include "core/status.h"
#include "core/time.h"
#include "receipts/evidence_report_pdf.h"

namespace sealpost::receipts::internal {

struct PdfLine {
  enum Kind { kTitle, kHeading, kText, kMono } kind = kText;
  std::string text;  // kMono: monospaced, wrapped at spaces
};

// Unavailable when the fonts cannot be loaded; Internal when libharu fails.
Result<Bytes> RenderTextPdf(std::string_view title, const std::vector<PdfLine>& lines,
                            TimePoint created, const ReportFonts& fonts);

}  // namespace sealpost::receipts::internal
