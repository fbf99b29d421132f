#include "cmd/audit_export_command.h"

#include <chrono>
#include <iostream>
#include <vector>

#include <fmt/format.h>

#include "cmd/open_store.h"
#include "crypto/security_policy.h"
#include "platform/filesystem.h"
#include "receipts/audit_export.h"
#include "receipts/audit_export_verify.h"
#include "tlog/note.h"

namespace sealpost::cmd {
namespace {

constexpr size_t kMaxKeyFileBytes = 4096;

int CannotCheck(const std::string& what) {
  std::cerr << "sealpost verify export: cannot check: " << what << "\n";
  return 2;
}

std::string TrimLine(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
    text.pop_back();
  }
  return text;
}

int ExportFailed(const std::string& what) {
  std::cerr << "sealpost admin export-audit: " << what << "\n";
  return 2;
}

}  // namespace

int VerifyExportCommand(const VerifyExportArgs& args) {
  auto& fs = platform::DefaultFilesystem();
  if (args.key.has_value() == args.key_file.has_value()) {
    return CannotCheck("give the log's verifier key with exactly one of --key and --key-file");
  }
  std::string key_line;
  if (args.key) {
    key_line = *args.key;
  } else {
    auto text = platform::ReadSmallFile(fs, *args.key_file, kMaxKeyFileBytes);
    if (!text.ok()) return CannotCheck("key file: " + text.status().message());
    key_line = TrimLine(*text);
  }
  auto verifier = tlog::ParseVerifierKey(key_line);
  if (!verifier.ok()) return CannotCheck("verifier key: " + verifier.status().message());
  const std::vector<tlog::NoteVerifier> verifiers = {*verifier};

  auto content =
      platform::ReadSmallFile(fs, args.file, crypto::policy::kAuditExport.max_export_bytes);
  if (!content.ok()) return CannotCheck(args.file + ": " + content.status().message());
  const bool zip = content->rfind("PK\x03\x04", 0) == 0;
  auto verified = zip ? receipts::VerifyAuditExportBundle(AsBytes(*content), verifiers)
                      : receipts::VerifyAuditExport(*content, verifiers);
  if (!verified.ok()) {
    const ErrorCode code = verified.status().code();
    if (code == ErrorCode::kUnauthenticated || code == ErrorCode::kInvalidArgument) {
      std::cout << "ALTERED: " << verified.status().message() << "\n";
      return 1;
    }
    return CannotCheck(verified.status().ToString());
  }
  const receipts::AuditExport& e = *verified;
  if (e.begin == e.end) {
    std::cout << fmt::format(
        "OK: an empty export under {} size {} (root {}), signed by the log's "
        "key\n",
        e.checkpoint.origin, e.checkpoint.size, Base64Encode(e.checkpoint.root_hash));
    return 0;
  }
  std::cout << fmt::format(
      "OK: log entries {} to {} of {} (size {}, root {}) are complete and unaltered: {} matching "
      "the filter in full, {} by leaf hash{}\n",
      e.begin, e.end - 1, e.checkpoint.origin, e.checkpoint.size,
      Base64Encode(e.checkpoint.root_hash), e.entries.size(), e.end - e.begin - e.entries.size(),
      zip ? "; export.csv matches" : "");
  std::cout << "note: report.pdf is a summary for people and is not checked; whether an entry "
               "listed by hash matched the filter only the full log can show\n";
  return 0;
}

int ExportAuditCommand(const ExportAuditArgs& args) {
  auto& fs = platform::DefaultFilesystem();
  receipts::AuditExportFilter filter;
  for (const auto& [text, out] :
       {std::pair{&args.from, &filter.from_ms}, std::pair{&args.to, &filter.to_ms}}) {
    if (!*text) continue;
    auto ms = receipts::ParseExportTime(**text);
    if (!ms.ok()) return ExportFailed(ms.status().message());
    *out = *ms;
  }
  filter.member = args.member;
  filter.message = args.message;
  const std::string db = args.data_dir + "/sealpost.db";
  if (args.store_url.empty() && !fs.Exists(db)) return ExportFailed("no database at " + db);
  auto store = OpenStore(args.store_url, db, /*max_connections=*/1);
  if (!store.ok()) return ExportFailed(store.status().ToString());
  auto exported =
      receipts::BuildAuditExport((*store)->log(), filter, std::chrono::system_clock::now());
  if (!exported.ok()) return ExportFailed(exported.status().ToString());

  // The verifier key for log-key.txt: the audit public key beside the data, under the origin.
  std::string key_line;
  if (auto hex = platform::ReadSmallFile(fs, args.data_dir + "/audit-signing.pub", 1024);
      hex.ok()) {
    auto raw = HexDecode(TrimLine(*hex));
    auto key = raw.ok() ? crypto::VerifyKey::FromBytes(*raw)
                        : Result<crypto::VerifyKey>(InvalidArgument("not hex"));
    if (key.ok()) key_line = tlog::FormatVerifierKey({exported->checkpoint.origin, *key});
  }
  Bytes content;
  if (args.format == "jsonl") {
    const std::string text = receipts::AuditExportJsonLines(*exported);
    content.assign(text.begin(), text.end());
  } else if (args.format == "csv") {
    const std::string text = receipts::AuditExportCsv(*exported);
    content.assign(text.begin(), text.end());
  } else if (args.format == "pdf") {
    auto pdf = receipts::AuditExportPdf(*exported);
    if (!pdf.ok()) return ExportFailed(pdf.status().ToString());
    content = std::move(*pdf);
  } else if (args.format == "bundle") {
    auto zip = receipts::AuditExportBundle(*exported, key_line);
    if (!zip.ok()) return ExportFailed(zip.status().ToString());
    content = std::move(*zip);
  } else {
    return ExportFailed("--format is one of jsonl, csv, pdf, bundle");
  }
  if (Status s = platform::WriteFileAtomically(fs, args.out, content); !s.ok()) {
    return ExportFailed("writing " + args.out + ": " + s.message());
  }
  std::cout << fmt::format("wrote {}: log entries [{}, {}) of {} size {}, {} matching\n", args.out,
                           exported->begin, exported->end, exported->checkpoint.origin,
                           exported->checkpoint.size, exported->entries.size());
  if (!key_line.empty()) std::cout << "log verifier key: " << key_line << "\n";
  return 0;
}

}  // namespace sealpost::cmd
