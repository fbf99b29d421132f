#include "receipts/evidence_report_pdf.h"

#include <fmt/format.h>
#include <hpdf.h>

#include <algorithm>
#include <cstdint>
#include <ctime>
#include <functional>
#include <memory>
#include <optional>
#include <tuple>

#include "core/encoding.h"
#include "crypto/security_policy.h"
#include "receipts/internal/text_pdf.h"

namespace sealpost::receipts {
namespace {

namespace policy = crypto::policy;

// --- SafeDisplayText --------------------------------------------------------------------------

// One UTF-8 sequence at `text[i]`: its code point and length, or nullopt for a byte that does
// not start a well-formed sequence (overlong forms, surrogates and values past U+10FFFF too).
std::optional<std::pair<char32_t, size_t>> DecodeUtf8(std::string_view text, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<uint8_t>(text[k]); };
  const uint8_t b0 = byte(i);
  if (b0 < 0x80) return std::pair<char32_t, size_t>{b0, 1};
  size_t len = 0;
  char32_t cp = 0;
  char32_t min = 0;
  if ((b0 & 0xE0) == 0xC0) {
    len = 2, cp = b0 & 0x1F, min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3, cp = b0 & 0x0F, min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4, cp = b0 & 0x07, min = 0x10000;
  } else {
    return std::nullopt;
  }
  if (i + len > text.size()) return std::nullopt;
  for (size_t k = 1; k < len; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return std::nullopt;
    cp = (cp << 6) | (byte(i + k) & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return std::nullopt;
  return std::pair<char32_t, size_t>{cp, len};
}

// Left-to-right letters and punctuation that DejaVu Sans draws. Deliberately left out: C0/C1
// controls, the soft hyphen, combining marks (they stack on the letter before them), Hebrew and
// Arabic (right to left: drawn left to right they would misspell the name), bidi controls and
// zero-width characters (they reorder or hide text), and scripts the font lacks.
bool Showable(char32_t cp) {
  return (cp >= 0x20 && cp <= 0x7E) || (cp >= 0xA0 && cp <= 0x24F && cp != 0xAD) ||
         (cp >= 0x386 && cp <= 0x3CE) || (cp >= 0x400 && cp <= 0x4FF) ||
         (cp >= 0x1E00 && cp <= 0x1EFF) || (cp >= 0x2010 && cp <= 0x2022) || cp == 0x2026 ||
         cp == 0x2030 || cp == 0x20AC;
}

// --- Layout -----------------------------------------------------------------------------------

constexpr float kPageWidth = 595.0F;  // A4, points
constexpr float kPageHeight = 842.0F;
constexpr float kMargin = 50.0F;
constexpr float kTextWidth = kPageWidth - 2 * kMargin;

struct HpdfDeleter {
  void operator()(HPDF_Doc doc) const { HPDF_Free(doc); }
};
using HpdfPtr = std::unique_ptr<std::remove_pointer_t<HPDF_Doc>, HpdfDeleter>;

// libharu reports errors through this callback; the first one is kept and checked at the end
// (libharu's functions refuse to work on a document in error, so nothing is drawn after it).
struct HpdfError {
  HPDF_STATUS code = HPDF_OK;
  HPDF_STATUS detail = HPDF_OK;
};
void OnHpdfError(HPDF_STATUS code, HPDF_STATUS detail, void* user) {
  auto* error = static_cast<HpdfError*>(user);
  if (error->code == HPDF_OK) *error = {code, detail};
}

// Writes lines top to bottom, starting a new page when one is full.
class PageWriter {
 public:
  PageWriter(HPDF_Doc doc, HPDF_Font regular, HPDF_Font mono)
      : doc_(doc), regular_(regular), mono_(mono) {}

  void Title(std::string_view text) { Line(text, regular_, 16.0F, 0.0F, 24.0F); }
  void Heading(std::string_view text) {
    Space(8.0F);
    Line(text, regular_, 12.0F, 0.0F, 18.0F);
  }
  void Subheading(std::string_view text) {
    Space(4.0F);
    Line(text, regular_, 10.5F, 0.0F, 15.0F);
  }
  // "label: value", wrapped; the value in the monospaced font when `mono`.
  void Field(std::string_view label, std::string_view value, float indent = 0.0F,
             bool mono = false) {
    if (mono) {
      Line(std::string(label) + ":", regular_, 9.5F, indent, 13.0F);
      Wrapped(value, mono_, 8.0F, indent + 12.0F, 11.0F);
    } else {
      Wrapped(std::string(label) + ": " + std::string(value), regular_, 9.5F, indent, 13.0F);
    }
  }
  void Text(std::string_view text, float indent = 0.0F) {
    Wrapped(text, regular_, 9.5F, indent, 13.0F);
  }
  void Command(std::string_view text) { Wrapped(text, mono_, 8.0F, 12.0F, 11.0F); }
  void Space(float points) { y_ -= points; }

 private:
  void EnsureRoom(float leading) {
    if (page_ != nullptr && y_ - leading >= kMargin) return;
    page_ = HPDF_AddPage(doc_);
    HPDF_Page_SetWidth(page_, kPageWidth);
    HPDF_Page_SetHeight(page_, kPageHeight);
    y_ = kPageHeight - kMargin;
  }

  float Width(std::string_view text, HPDF_Font font, float size) {
    HPDF_Page_SetFontAndSize(page_, font, size);
    return HPDF_Page_TextWidth(page_, std::string(text).c_str());
  }

  // Every string drawn passes SafeDisplayText (idempotent), whoever filled the report: the
  // font maps only those code points, and a NUL would cut the C string.
  void Line(std::string_view raw, HPDF_Font font, float size, float indent, float leading) {
    const std::string text = SafeDisplayText(raw);
    EnsureRoom(leading);
    y_ -= leading;
    HPDF_Page_BeginText(page_);
    HPDF_Page_SetFontAndSize(page_, font, size);
    HPDF_Page_TextOut(page_, kMargin + indent, y_, text.c_str());
    HPDF_Page_EndText(page_);
  }

  // Breaks at spaces; a word longer than a line is cut between code points. Continuation
  // lines are indented further so a reader sees they belong to the line above.
  void Wrapped(std::string_view raw, HPDF_Font font, float size, float indent, float leading) {
    const std::string text = SafeDisplayText(raw);
    EnsureRoom(leading);
    float width = kTextWidth - indent;
    std::string line;
    size_t i = 0;
    bool first = true;
    while (i < text.size()) {
      size_t end = text.find(' ', i);
      if (end == std::string_view::npos) end = text.size();
      std::string word(text.substr(i, end - i));
      i = end + 1;
      const std::string candidate = line.empty() ? word : line + " " + word;
      if (Width(candidate, font, size) <= width) {
        line = candidate;
        continue;
      }
      if (!line.empty()) {
        Line(line, font, size, first ? indent : indent + 12.0F, leading);
        first = false;
        width = kTextWidth - indent - 12.0F;
        line.clear();
      }
      // The word alone: cut it while it does not fit.
      while (Width(word, font, size) > width) {
        size_t cut = 0;
        for (size_t k = 0; k < word.size();) {
          const auto decoded = DecodeUtf8(word, k);
          const size_t next = k + (decoded ? decoded->second : 1);
          if (Width(word.substr(0, next), font, size) > width) break;
          cut = k = next;
        }
        if (cut == 0) cut = word.size();  // one glyph wider than the page: draw it anyway
        Line(word.substr(0, cut), font, size, first ? indent : indent + 12.0F, leading);
        first = false;
        width = kTextWidth - indent - 12.0F;
        word.erase(0, cut);
        if (word.empty()) break;
      }
      line = word;
    }
    if (!line.empty() || first) Line(line, font, size, first ? indent : indent + 12.0F, leading);
  }

  HPDF_Doc doc_;
  HPDF_Font regular_;
  HPDF_Font mono_;
  HPDF_Page page_ = nullptr;
  float y_ = 0.0F;
};

// The ToUnicode map of a font: character code -> Unicode. libharu's UTF-8 encoding writes each
// character as its two-byte Unicode value (Identity-H, code = CID = BMP code point), so the map
// is the identity over the code points SafeDisplayText lets through (high bytes 00-04, 1E, 20).
// Written by hand because libharu 2.3.0 puts its code-to-CID encoding CMap there instead
// ("begincidrange", which a ToUnicode map may not hold): poppler warns and guesses from the
// font, other readers copy wrong text.
constexpr std::string_view kIdentityToUnicode =
    "/CIDInit /ProcSet findresource begin\n"
    "12 dict begin\n"
    "begincmap\n"
    "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
    "/CMapName /Adobe-Identity-UCS def\n"
    "/CMapType 2 def\n"
    "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n"
    "7 beginbfrange\n"
    "<0000> <00FF> <0000>\n<0100> <01FF> <0100>\n<0200> <02FF> <0200>\n"
    "<0300> <03FF> <0300>\n<0400> <04FF> <0400>\n<1E00> <1EFF> <1E00>\n"
    "<2000> <20FF> <2000>\n"
    "endbfrange\n"
    "endcmap\n"
    "CMapName currentdict /CMap defineresource pop\n"
    "end\n"
    "end\n";

// Replaces the content of `font`'s ToUnicode stream with kIdentityToUnicode. Reaches into
// libharu's font object (hpdf_font.h, a public header of the Debian package): the stream is
// created with the font and written at save, so rewriting it in place changes nothing else.
bool FixToUnicode(HPDF_Font font) {
  auto* attr = static_cast<HPDF_FontAttr>(font->attr);
  if (attr == nullptr || attr->cmap_stream == nullptr || attr->cmap_stream->stream == nullptr) {
    return false;
  }
  HPDF_Stream stream = attr->cmap_stream->stream;
  HPDF_MemStream_FreeData(stream);
  return HPDF_Stream_Write(stream, reinterpret_cast<const HPDF_BYTE*>(kIdentityToUnicode.data()),
                           static_cast<HPDF_UINT>(kIdentityToUnicode.size())) == HPDF_OK;
}

std::string ShowAddress(const EvidenceReport& report, const std::string& address) {
  const auto it = report.display_names.find(address);
  if (it == report.display_names.end() || it->second.empty()) return SafeDisplayText(address);
  return SafeDisplayText(it->second) + " <" + SafeDisplayText(address) + ">";
}

std::string Time(int64_t ms) { return FormatRfc3339(FromUnixMillis(ms)); }

HPDF_Date PdfDate(TimePoint t) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  HPDF_Date date{};
  date.year = tm.tm_year + 1900;
  date.month = tm.tm_mon + 1;
  date.day = tm.tm_mday;
  date.hour = tm.tm_hour;
  date.minutes = tm.tm_min;
  date.seconds = tm.tm_sec;
  date.ind = 'Z';
  return date;
}

void WriteReport(PageWriter& out, const EvidenceReport& report) {
  out.Title("Sealpost evidence report");
  out.Text("Generated " + FormatRfc3339(report.generated_at) +
           ". This report summarises the signed receipts in this package; the receipts, not "
           "this report, are the evidence. Every time is UTC (ISO 8601).");

  out.Heading("Message");
  out.Field("Message id", SafeDisplayText(report.message_id));
  out.Field("Sealed digest (SHA-256 of the seal statement; the content is not in this report)",
            report.sealed_digest_hex, 0.0F, true);
  out.Field("Sender", ShowAddress(report, report.sender));

  // Per recipient, events in time order (then log order).
  std::vector<const ReportEvent*> events;
  for (const ReportEvent& e : report.events) events.push_back(&e);
  std::stable_sort(events.begin(), events.end(), [](const ReportEvent* a, const ReportEvent* b) {
    return std::tie(a->document.recipient, a->document.time_ms, a->document.log_index) <
           std::tie(b->document.recipient, b->document.time_ms, b->document.log_index);
  });
  out.Heading(fmt::format("Events ({} receipts)", events.size()));
  const std::string* recipient = nullptr;
  for (const ReportEvent* e : events) {
    const EvidenceDocument& d = e->document;
    if (recipient == nullptr || *recipient != d.recipient) {
      recipient = &d.recipient;
      out.Subheading("Recipient: " + ShowAddress(report, d.recipient));
    }
    out.Text(fmt::format("{}  {}  log index {}  ({})", Time(d.time_ms), EvidenceEventName(d.event),
                         d.log_index, DeliveryMethodName(d.delivery_method)),
             12.0F);
    if (!d.reason.empty()) out.Text("Reason: " + SafeDisplayText(d.reason), 24.0F);
    out.Text("Receipt: " + SafeDisplayText(e->receipt_file), 24.0F);
  }

  out.Heading("Fingerprints (SHA-256)");
  for (const ReportFingerprint& f : report.fingerprints) {
    out.Field(SafeDisplayText(f.label), f.sha256_hex, 0.0F, true);
  }

  out.Heading("Log checkpoint");
  out.Field("Origin", SafeDisplayText(report.checkpoint.origin));
  out.Field("Tree size", std::to_string(report.checkpoint.size));
  out.Field("Root hash (base64)", Base64Encode(report.checkpoint.root_hash), 0.0F, true);
  out.Field("Root hash (hex)", HexEncode(report.checkpoint.root_hash), 0.0F, true);

  out.Heading("How to verify");
  for (const std::string& line : report.how_to_verify) {
    if (line.rfind("$ ", 0) == 0) {
      out.Command(SafeDisplayText(line.substr(2)));
    } else {
      out.Text(SafeDisplayText(line));
    }
  }
}

// A document in the report fonts, its pages written by `write`.
Result<Bytes> RenderDocument(std::string_view title, TimePoint created, const ReportFonts& fonts,
                             const std::function<void(PageWriter&)>& write) {
  HpdfError error;
  const HpdfPtr doc(HPDF_New(&OnHpdfError, &error));
  if (!doc) return Internal("libharu: cannot create a document");
  HPDF_UseUTFEncodings(doc.get());
  HPDF_SetCompressionMode(doc.get(), HPDF_COMP_ALL);
  // Loaded from files named by the configuration, embedded (only the glyphs used).
  const char* regular_name = HPDF_LoadTTFontFromFile(doc.get(), fonts.regular.c_str(), HPDF_TRUE);
  const char* mono_name = HPDF_LoadTTFontFromFile(doc.get(), fonts.mono.c_str(), HPDF_TRUE);
  if (regular_name == nullptr || mono_name == nullptr) {
    return Unavailable(fmt::format("cannot load the report fonts {} and {} (libharu error {:#x})",
                                   fonts.regular, fonts.mono, error.code));
  }
  HPDF_Font regular = HPDF_GetFont(doc.get(), regular_name, "UTF-8");
  HPDF_Font mono = HPDF_GetFont(doc.get(), mono_name, "UTF-8");
  if (regular == nullptr || mono == nullptr) {
    return Internal(fmt::format("libharu: no UTF-8 font (error {:#x})", error.code));
  }
  if (!FixToUnicode(regular) || !FixToUnicode(mono)) {
    return Internal("libharu: cannot write the fonts' ToUnicode maps");
  }
  HPDF_SetInfoAttr(doc.get(), HPDF_INFO_TITLE, std::string(title).c_str());
  HPDF_SetInfoAttr(doc.get(), HPDF_INFO_CREATOR, "Sealpost");
  HPDF_SetInfoDateAttr(doc.get(), HPDF_INFO_CREATION_DATE, PdfDate(created));

  PageWriter writer(doc.get(), regular, mono);
  write(writer);

  if (error.code != HPDF_OK || HPDF_SaveToStream(doc.get()) != HPDF_OK) {
    return Internal(fmt::format("libharu: error {:#x} ({:#x}) while writing the report", error.code,
                                error.detail));
  }
  Bytes pdf(HPDF_GetStreamSize(doc.get()));
  HPDF_UINT32 size = static_cast<HPDF_UINT32>(pdf.size());
  const HPDF_STATUS read = HPDF_ReadFromStream(doc.get(), pdf.data(), &size);
  if ((read != HPDF_OK && read != HPDF_STREAM_EOF) || size != pdf.size()) {
    return Internal("libharu: cannot read the report back");
  }
  return pdf;
}

}  // namespace

std::string SafeDisplayText(std::string_view utf8) {
  std::string out;
  out.reserve(utf8.size());
  for (size_t i = 0; i < utf8.size();) {
    const auto decoded = DecodeUtf8(utf8, i);
    if (!decoded) {
      out += fmt::format("<0x{:02X}>", static_cast<uint8_t>(utf8[i]));
      ++i;
      continue;
    }
    const auto [cp, len] = *decoded;
    if (Showable(cp)) {
      out.append(utf8.substr(i, len));
    } else {
      out += fmt::format("<U+{:04X}>", static_cast<uint32_t>(cp));
    }
    i += len;
  }
  return out;
}

Result<Bytes> RenderEvidenceReportPdf(const EvidenceReport& report, const ReportFonts& fonts) {
  if (report.display_names.size() > policy::kEvidencePackage.max_display_names) {
    return TooLarge("too many display names for the report");
  }
  for (const auto& [address, name] : report.display_names) {
    if (name.size() > policy::kEvidencePackage.max_display_name_bytes ||
        address.size() > policy::kEvidencePackage.max_display_name_bytes) {
      return TooLarge("a display name is over the report's limit");
    }
  }

  return RenderDocument("Sealpost evidence report", report.generated_at, fonts,
                        [&report](PageWriter& writer) { WriteReport(writer, report); });
}

namespace internal {

Result<Bytes> RenderTextPdf(std::string_view title, const std::vector<PdfLine>& lines,
                            TimePoint created, const ReportFonts& fonts) {
  return RenderDocument(title, created, fonts, [&](PageWriter& out) {
    for (const PdfLine& line : lines) {
      switch (line.kind) {
        case PdfLine::kTitle:
          out.Title(line.text);
          break;
        case PdfLine::kHeading:
          out.Heading(line.text);
          break;
        case PdfLine::kText:
          out.Text(line.text);
          break;
        case PdfLine::kMono:
          out.Command(line.text);
          break;
      }
    }
  });
}

}  // namespace internal
}  // namespace sealpost::receipts
