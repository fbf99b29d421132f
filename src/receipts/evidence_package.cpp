#include "receipts/evidence_package.h"

#include <fmt/format.h>

#include <algorithm>
#include <tuple>

#include "crypto/hash.h"
#include "crypto/security_policy.h"
#include "receipts/evidence_document.h"
#include "receipts/internal/zip_writer.h"
#include "receipts/receipt.h"
#include "tlog/checkpoint.h"

namespace sealpost::receipts {
namespace {

namespace policy = crypto::policy;

constexpr size_t kMaxFileNamePart = 64;

struct PackagedReceipt {
  const Bytes* der = nullptr;
  ReceiptParts parts;
  EvidenceDocument document;
  std::string base;  // receipts/<n>-<event>-<recipient>, without extension
};

bool IsHex64(std::string_view s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
         });
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

Status CheckLimits(const EvidencePackageInput& input) {
  const auto& limits = policy::kEvidencePackage;
  if (input.signed_eml.size() > limits.max_message_bytes) {
    return TooLarge("the message is over the evidence package's limit");
  }
  if (input.seal.size() > limits.max_seal_bytes || input.seal_public_key.size() > 1024) {
    return TooLarge("the seal is over the evidence package's limit");
  }
  if (input.receipts.size() > limits.max_receipts) {
    return TooLarge(fmt::format("{} receipts: a package holds at most {}", input.receipts.size(),
                                limits.max_receipts));
  }
  size_t total = 0;
  for (const Bytes& r : input.receipts) {
    if (r.size() > policy::kReceipts.max_receipt_bytes) return TooLarge("a receipt is too large");
    total += r.size();
  }
  if (total > limits.max_receipts_bytes) {
    return TooLarge("the receipts are over the evidence package's limit");
  }
  if (input.checkpoint.size() > tlog::kMaxNoteBytes) return TooLarge("the checkpoint is too large");
  if (input.display_names.size() > limits.max_display_names) {
    return TooLarge("too many display names");
  }
  for (const auto& [address, name] : input.display_names) {
    if (address.size() > limits.max_display_name_bytes ||
        name.size() > limits.max_display_name_bytes) {
      return TooLarge("a display name is over the evidence package's limit");
    }
  }
  return Status::Ok();
}

Result<tlog::Checkpoint> CheckpointOf(std::string_view signed_note) {
  auto note = tlog::ParseNote(signed_note);
  if (!note.ok()) return InvalidArgument("the checkpoint is not a signed note");
  auto checkpoint = tlog::ParseCheckpoint(note->text);
  if (!checkpoint.ok()) return InvalidArgument("the checkpoint note is not a checkpoint");
  return checkpoint;
}

Bytes ToBytes(std::string_view text) {
  const ByteView b = AsBytes(text);
  return Bytes(b.begin(), b.end());
}

// The README's lines: commands as they are (one line each, to copy), prose wrapped at 78.
std::string ReadmeText(const std::vector<std::string>& lines) {
  constexpr size_t kWidth = 78;
  std::string out;
  for (const std::string& line : lines) {
    if (line.size() <= kWidth || line.rfind("$ ", 0) == 0) {
      out += line + "\n";
      continue;
    }
    std::string current;
    for (size_t i = 0; i <= line.size();) {
      size_t end = line.find(' ', i);
      if (end == std::string::npos) end = line.size();
      const std::string word = line.substr(i, end - i);
      if (!current.empty() && current.size() + 1 + word.size() > kWidth) {
        out += current + "\n";
        current.clear();
      }
      current += (current.empty() ? "" : " ") + word;
      i = end + 1;
    }
    out += current + "\n";
  }
  return out;
}

std::string Pem(const std::vector<smime::Certificate>& certificates) {
  std::string out;
  for (const smime::Certificate& c : certificates) out += c.ToPem();
  return out;
}

// The README's description of the files, before the commands.
std::vector<std::string> ReadmeHeader(const EvidencePackageInput& input, bool with_log_key) {
  std::vector<std::string> lines = {
      "Sealpost evidence package",
      "",
      "Message id: " + input.message_id,
      "Sealed digest: " + Lower(input.sealed_digest_hex),
      "",
      "Files:",
      "  README.txt                 this file",
      "  report.pdf                 a summary for people (not evidence by itself)",
  };
  if (!input.signed_eml.empty()) {
    lines.push_back("  message.eml                the message as the sender's signed EML");
  }
  if (!input.seal.empty()) {
    lines.push_back("  seal                       the sender's seal over the statement whose");
    lines.push_back("                             SHA-256 is the sealed digest");
  }
  lines.push_back(
      "  checkpoint.txt             the latest signed checkpoint of the transparency log");
  if (with_log_key) {
    lines.push_back("  log-key.txt                the log's note verifier key");
  }
  const std::vector<std::string> rest = {
      "  receipts/*.p7m             one receipt per event and recipient: CMS SignedData (DER)",
      "                             with an RFC 3161 time-stamp and its log inclusion proof",
      "  receipts/*.tst             each receipt's time-stamp token, cut out for openssl ts",
      "  certificates/root.pem      the platform root certificate: the only trust anchor",
      "  certificates/chain.pem     the issuing CA",
      "  certificates/evidence-signer.pem, certificates/tsa.pem   the signers",
      "",
  };
  lines.insert(lines.end(), rest.begin(), rest.end());
  return lines;
}

}  // namespace

std::string SafeFileNamePart(std::string_view text) {
  std::string out;
  for (const char raw : text) {
    if (out.size() >= kMaxFileNamePart) break;
    char c = raw;
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    const bool plain = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '@' || c == '+' ||
                       c == '-' || c == '_';
    // A dot only after a letter or digit: no name starts with one or holds "..".
    const bool dot =
        c == '.' && !out.empty() &&
        ((out.back() >= 'a' && out.back() <= 'z') || (out.back() >= '0' && out.back() <= '9'));
    out.push_back(plain || dot ? c : '_');
  }
  if (out.empty()) out = "_";
  return out;
}

std::vector<std::string> VerificationInstructions(const std::vector<std::string>& receipt_files,
                                                  const std::vector<std::string>& imprints_hex,
                                                  const std::string& sealed_digest_hex,
                                                  bool with_log_key) {
  std::vector<std::string> lines = {
      "Run these commands in the folder where the package was unpacked. Trust nothing in the "
      "package but certificates/root.pem, and only once its SHA-256 fingerprint matches the one "
      "the platform publishes:",
      "$ openssl x509 -in certificates/root.pem -noout -fingerprint -sha256",
      "For each receipt: (1) its signature and certificate chain; OpenSSL prints the signed "
      "evidence document and \"Verification successful\" (\"-purpose any\": the evidence "
      "certificate's only extended key usage, documentSigning, is not one OpenSSL 3.0 names); "
      "(2) its time-stamp, over the SHA-256 of the receipt's signature value (the signature "
      "octets \"openssl cms -cmsout -print\" shows); (3) everything at once, including the log "
      "inclusion proof and the sealed digest, with the sealpost command line.",
  };
  for (size_t i = 0; i < receipt_files.size(); ++i) {
    const std::string& f = receipt_files[i];
    lines.push_back("Receipt " + f + ".p7m:");
    lines.push_back("$ openssl cms -verify -inform DER -in " + f +
                    ".p7m -binary -CAfile certificates/root.pem -purpose any");
    lines.push_back("$ openssl ts -verify -in " + f + ".tst -token_in -digest " +
                    (i < imprints_hex.size() ? imprints_hex[i] : std::string("<imprint>")) +
                    " -CAfile certificates/root.pem -untrusted certificates/chain.pem");
    lines.push_back("$ sealpost verify receipt " + f + ".p7m --root certificates/root.pem" +
                    (with_log_key ? " --log-key log-key.txt" : "") + " --digest " +
                    Lower(sealed_digest_hex));
  }
  return lines;
}

Result<Bytes> BuildEvidencePackage(const EvidencePackageInput& input,
                                   const EvidenceCertificates& certificates,
                                   const ReportFonts& fonts) {
  SP_RETURN_IF_ERROR(CheckLimits(input));
  if (input.receipts.empty()) return InvalidArgument("an evidence package needs a receipt");
  if (!IsHex64(input.sealed_digest_hex)) {
    return InvalidArgument("the sealed digest is not 64 hex digits");
  }
  const std::string digest = Lower(input.sealed_digest_hex);

  // Parse every receipt; the report and the names come from the signed documents.
  std::vector<PackagedReceipt> receipts;
  receipts.reserve(input.receipts.size());
  for (size_t i = 0; i < input.receipts.size(); ++i) {
    auto parts = ParseReceipt(input.receipts[i]);
    if (!parts.ok()) {
      return InvalidArgument(fmt::format("receipt {}: {}", i, parts.status().message()));
    }
    auto document = ParseEvidenceDocument(parts->document);
    if (!document.ok()) {
      return InvalidArgument(fmt::format("receipt {}: {}", i, document.status().message()));
    }
    if (document->message_id != input.message_id || document->sealed_digest_hex != digest ||
        document->sender != input.sender) {
      return InvalidArgument(fmt::format(
          "receipt {} is about another message, sealed digest or sender than the package", i));
    }
    receipts.push_back({&input.receipts[i], std::move(*parts), std::move(*document), {}});
  }
  std::stable_sort(
      receipts.begin(), receipts.end(), [](const PackagedReceipt& a, const PackagedReceipt& b) {
        return std::tie(a.document.recipient, a.document.time_ms, a.document.log_index) <
               std::tie(b.document.recipient, b.document.time_ms, b.document.log_index);
      });
  std::vector<std::string> bases;
  std::vector<std::string> imprints;
  for (size_t i = 0; i < receipts.size(); ++i) {
    PackagedReceipt& r = receipts[i];
    r.base = fmt::format("receipts/{:03}-{}-{}", i + 1, EvidenceEventName(r.document.event),
                         SafeFileNamePart(r.document.recipient));
    bases.push_back(r.base);
    imprints.push_back(HexEncode(crypto::Sha256(r.parts.signature)));
  }

  // checkpoint.txt: the one given, else the largest tree a receipt's proof leads to.
  std::string checkpoint_note = input.checkpoint;
  if (checkpoint_note.empty()) {
    uint64_t largest = 0;
    for (const PackagedReceipt& r : receipts) {
      SP_ASSIGN_OR_RETURN(const tlog::Checkpoint c, CheckpointOf(r.parts.proof.checkpoint));
      if (checkpoint_note.empty() || c.size > largest) {
        largest = c.size;
        checkpoint_note = r.parts.proof.checkpoint;
      }
    }
  }
  SP_ASSIGN_OR_RETURN(tlog::Checkpoint checkpoint, CheckpointOf(checkpoint_note));

  const bool with_log_key = input.log_key.has_value();
  const std::vector<std::string> instructions =
      VerificationInstructions(bases, imprints, digest, with_log_key);

  EvidenceReport report;
  report.message_id = input.message_id;
  report.sealed_digest_hex = digest;
  report.sender = input.sender;
  report.display_names = input.display_names;
  for (const PackagedReceipt& r : receipts) report.events.push_back({r.document, r.base + ".p7m"});
  if (!input.seal_public_key.empty()) {
    report.fingerprints.push_back(
        {"Sender's seal key", HexEncode(crypto::Sha256(input.seal_public_key))});
  }
  report.fingerprints.push_back(
      {"Evidence signer certificate", certificates.evidence_signer.FingerprintHex()});
  report.fingerprints.push_back(
      {"Time-stamping authority certificate", certificates.tsa.FingerprintHex()});
  for (const smime::Certificate& c : certificates.chain) {
    report.fingerprints.push_back({"Issuing CA certificate", c.FingerprintHex()});
  }
  report.fingerprints.push_back({"Platform root certificate", certificates.root.FingerprintHex()});
  report.checkpoint = checkpoint;
  report.how_to_verify = instructions;
  report.generated_at = input.generated_at;
  SP_ASSIGN_OR_RETURN(Bytes pdf, RenderEvidenceReportPdf(report, fonts));

  std::vector<std::string> readme = ReadmeHeader(input, with_log_key);
  readme.insert(readme.end(), instructions.begin(), instructions.end());

  std::vector<internal::ZipEntry> entries;
  entries.push_back({"README.txt", ToBytes(ReadmeText(readme))});
  entries.push_back({"report.pdf", std::move(pdf)});
  // Without them (a package the server builds from its records alone) the receipts still
  // prove every event about the sealed digest; the sender keeps the message and seal.
  if (!input.signed_eml.empty()) entries.push_back({"message.eml", input.signed_eml});
  if (!input.seal.empty()) entries.push_back({"seal", input.seal});
  entries.push_back({"checkpoint.txt", ToBytes(checkpoint_note)});
  if (with_log_key) {
    entries.push_back({"log-key.txt", ToBytes(tlog::FormatVerifierKey(*input.log_key) + "\n")});
  }
  entries.push_back({"certificates/root.pem", ToBytes(certificates.root.ToPem())});
  entries.push_back({"certificates/chain.pem", ToBytes(Pem(certificates.chain))});
  entries.push_back(
      {"certificates/evidence-signer.pem", ToBytes(certificates.evidence_signer.ToPem())});
  entries.push_back({"certificates/tsa.pem", ToBytes(certificates.tsa.ToPem())});
  for (const PackagedReceipt& r : receipts) {
    entries.push_back({r.base + ".p7m", *r.der});
    entries.push_back({r.base + ".tst", r.parts.time_stamp_token});
  }
  return internal::WriteZip(entries, input.generated_at);
}

}  // namespace sealpost::receipts
