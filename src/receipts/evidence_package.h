// The evidence package of one message (docs/formats/evidence-package.md): a ZIP the sender
// downloads and hands to whoever must be convinced — the message as signed EML, the seal, every
// receipt with its time-stamp token cut out, the latest checkpoint, the certificates, a PDF
// report for people (evidence_report_pdf.h) and a README.txt with the exact commands that
// verify each file with stock OpenSSL and with `sealpost verify receipt`.
//
// Layout (n: 001, 002, … in the order recipient, time, log index; <recipient> sanitized by
// SafeFileNamePart):
//   README.txt
//   report.pdf
//   message.eml                           the sender's signed message, as given (if not empty)
//   seal                                  the sender's seal, as given (if not empty)
//   checkpoint.txt                        the signed checkpoint note
//   log-key.txt                           the log's note verifier key (when given)
//   receipts/<n>-<event>-<recipient>.p7m  each receipt, DER, as issued (carries its log proof)
//   receipts/<n>-<event>-<recipient>.tst  its RFC 3161 token, for `openssl ts -verify`
//   certificates/root.pem, chain.pem, evidence-signer.pem, tsa.pem
//
// The receipts are parsed (ParseReceipt: structure only; signatures are for the reader to
// check) and must all be about input.message_id with input.sealed_digest_hex: the report's
// events come from the signed documents, never from the caller.
//
// SECURITY: the inputs come from the store, but the addresses, reasons and display names in
// them were chosen by senders and remote servers. Sizes and counts are bounded by
// crypto::policy::kEvidencePackage (TooLarge beyond); names inside the archive are built here
// from sanitized parts only (no "/", no "..", no control characters), so no address can place
// a file outside its folder when the archive is unpacked.
//
// Deterministic: the same input gives the same bytes (entry times are generated_at, in the
// process's local time zone as ZIP stores it). Thread-safety: BuildEvidencePackage keeps no
// state; many threads may build packages at once.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/encoding.h"
#include "core/status.h"
#include "core/time.h"
#include "receipts/evidence_report_pdf.h"
#include "smime/certificate.h"
#include "tlog/note.h"

namespace sealpost::receipts {

// The platform certificates a reader needs: the root (trust anchor), the CA certificates between
// it and the leaves (issuing CA first), the evidence signer and the TSA.
struct EvidenceCertificates {
  smime::Certificate root;
  std::vector<smime::Certificate> chain;
  smime::Certificate evidence_signer;
  smime::Certificate tsa;
};

struct EvidencePackageInput {
  std::string message_id;
  std::string sealed_digest_hex;  // 64 hex digits: what the seal signs; every receipt names it
  std::string sender;             // the sender's address, as the receipts name it
  Bytes signed_eml;               // message.eml
  Bytes seal;                     // the seal file
  Bytes seal_public_key;          // the sender's seal verify key; the report shows its SHA-256
  std::vector<Bytes> receipts;    // DER receipts, any order
  // The signed checkpoint note for checkpoint.txt; empty: the largest tree among the receipts'.
  std::string checkpoint;
  std::optional<tlog::NoteVerifier> log_key;  // the checkpoint signer, written to log-key.txt
  // Names shown beside addresses in the report (UTF-8, untrusted).
  std::map<std::string, std::string> display_names;
  TimePoint generated_at;  // the report's date and the entries' times
};

// The ZIP bytes. TooLarge over kEvidencePackage (or a receipt over kReceipts); InvalidArgument
// when there is no receipt, a receipt does not parse, names another message, another sealed
// digest or another sender, or the checkpoint is not a checkpoint note; Unavailable when the
// report fonts are missing; Internal when libzip or libharu fail.
Result<Bytes> BuildEvidencePackage(const EvidencePackageInput& input,
                                   const EvidenceCertificates& certificates,
                                   const ReportFonts& fonts = {});

// One part of a file name inside the package: ASCII letters (lower-cased) and digits, "@", "+",
// "-", "_", and a dot right after a letter or digit, are kept; every other byte becomes "_"
// (so no "/", no leading dot, no ".."); cut at 64 bytes; never empty ("_"). Pure.
std::string SafeFileNamePart(std::string_view text);

// The README.txt text for a package whose receipts are `receipt_files` (paths in the package,
// without extension: "receipts/001-…") with the time-stamp imprints `imprints_hex` (the same
// order). What the report's "How to verify" shows too.
std::vector<std::string> VerificationInstructions(const std::vector<std::string>& receipt_files,
                                                  const std::vector<std::string>& imprints_hex,
                                                  const std::string& sealed_digest_hex,
                                                  bool with_log_key);

}  // namespace sealpost::receipts
