// The PDF report read back by independent tools: poppler's pdftotext (the text a reader can
// search and copy) and pdffonts (the fonts are embedded).
#include "receipts/evidence_report_pdf.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "testing/run_tool.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

namespace sealpost::receipts {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testutil::RunTool;

constexpr std::string_view kOrigin = "example.org/sealpost-log";
constexpr std::string_view kMessageId = "m-0123456789abcdef";
constexpr int64_t kSendMs = 1'796'000'000'123;

std::string PdfText(const std::string& dir, const std::string& pdf) {
  const auto r = RunTool({"pdftotext", "-enc", "UTF-8", pdf, "-"}, dir);
  EXPECT_EQ(r.exit_code, 0) << r.output();
  // poppler reports a damaged PDF on stderr.
  EXPECT_EQ(r.err, "");
  return r.out;
}

// The report alone, with addresses that are not ASCII (an internationalised address, which the
// ASCII evidence document cannot hold but a display form may).
TEST(EvidenceReportPdfTest, RendersNonAsciiAddresses) {
  testutil::TempDir dir;
  EvidenceReport report;
  report.message_id = std::string(kMessageId);
  report.sealed_digest_hex = std::string(64, 'a');
  report.sender = "jörg@bücher.example";
  EvidenceDocument d;
  d.event = EvidenceEvent::kContentConsignment;
  d.recipient = "дмитрий@пример.рф";
  d.time_ms = kSendMs;
  d.log_index = 7;
  report.events.push_back({d, "receipts/001-ContentConsignment-_.p7m"});
  report.checkpoint = {std::string(kOrigin), 8, {}, {}};
  report.how_to_verify = {"Check it:", "$ openssl version"};
  report.generated_at = FromUnixMillis(kSendMs);
  auto pdf = RenderEvidenceReportPdf(report);
  ASSERT_THAT(pdf.status(), IsOk());
  testutil::WriteTestFile(dir.path(), "report.pdf", AsChars(*pdf));
  const std::string text = PdfText(dir.path(), "report.pdf");
  EXPECT_THAT(text, HasSubstr("Sender: jörg@bücher.example"));
  EXPECT_THAT(text, HasSubstr("Recipient: дмитрий@пример.рф"));
  EXPECT_THAT(text, HasSubstr("openssl version"));
  // pdffonts: both fonts embedded as subsets with a ToUnicode map (what makes text searchable).
  const auto fonts = RunTool({"pdffonts", "report.pdf"}, dir.path());
  EXPECT_THAT(fonts.out, HasSubstr("DejaVuSans"));
  EXPECT_THAT(fonts.out, HasSubstr("DejaVuSansMono"));
  EXPECT_THAT(fonts.out, HasSubstr("yes yes yes"));
  // libharu 2.3.0's own ToUnicode stream draws "Invalid 'begincidrange' operator" here.
  EXPECT_EQ(fonts.err, "");
}

TEST(SafeDisplayTextTest, KeepsLettersAndEscapesTheRest) {
  EXPECT_EQ(SafeDisplayText("Jörg Ελένη Дмитрий Nguyễn"), "Jörg Ελένη Дмитрий Nguyễn");
  EXPECT_EQ(SafeDisplayText("a\u202Eb"), "a<U+202E>b");
  EXPECT_EQ(SafeDisplayText("x\u200By"), "x<U+200B>y");
  EXPECT_EQ(SafeDisplayText("\xF0\x9F\x98\x80"), "<U+1F600>");
  EXPECT_EQ(SafeDisplayText("\u05E9"), "<U+05E9>");                  // Hebrew: right to left
  EXPECT_EQ(SafeDisplayText("e\u0301"), "e<U+0301>");                // a combining accent
  EXPECT_EQ(SafeDisplayText("a\nb\x7F"), "a<U+000A>b<U+007F>");      // controls
  EXPECT_EQ(SafeDisplayText("\xC3"), "<0xC3>");                      // truncated
  EXPECT_EQ(SafeDisplayText("\xC0\xAF"), "<0xC0><0xAF>");            // overlong "/"
  EXPECT_EQ(SafeDisplayText("\xED\xA0\x80"), "<0xED><0xA0><0x80>");  // a surrogate
}

TEST(EvidenceReportPdfTest, DisplayNamesAreShownSafelyAndBounded) {
  testutil::TempDir dir;
  EvidenceReport report;
  report.message_id = std::string(kMessageId);
  report.sealed_digest_hex = std::string(64, 'b');
  report.sender = "alice@example.org";
  report.display_names = {{"alice@example.org", "Ελένη \u202Eevil"}};
  // Any field, not only names: a NUL would otherwise end the string libharu draws.
  report.fingerprints = {{std::string("Seal\0key", 8), std::string(64, 'c')}};
  report.generated_at = FromUnixMillis(kSendMs);
  auto pdf = RenderEvidenceReportPdf(report);
  ASSERT_THAT(pdf.status(), IsOk());
  testutil::WriteTestFile(dir.path(), "report.pdf", AsChars(*pdf));
  const std::string text = PdfText(dir.path(), "report.pdf");
  EXPECT_THAT(text, HasSubstr("Sender: Ελένη <U+202E>evil <alice@example.org>"));
  EXPECT_THAT(text, Not(HasSubstr("\u202E")));
  EXPECT_THAT(text, HasSubstr("Seal<U+0000>key"));

  report.display_names["alice@example.org"] = std::string(257, 'a');
  EXPECT_THAT(RenderEvidenceReportPdf(report).status(), StatusIs(ErrorCode::kTooLarge));
}

TEST(EvidenceReportPdfTest, MissingFontIsUnavailable) {
  EvidenceReport report;
  report.generated_at = FromUnixMillis(kSendMs);
  ReportFonts fonts;
  fonts.mono = "/nonexistent/font.ttf";
  EXPECT_THAT(RenderEvidenceReportPdf(report, fonts).status(), StatusIs(ErrorCode::kUnavailable));
}

}  // namespace
}  // namespace sealpost::receipts
