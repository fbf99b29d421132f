// A Sealpost receipt (docs/formats/receipt.md): one DER CMS SignedData (RFC 5652) whose
// encapsulated content is the evidence document (evidence_document.h), signed by the platform's
// evidence-signer certificate, with two unsigned attributes on its one SignerInfo:
//
//   id-aa-signatureTimeStampToken (1.2.840.113549.1.9.16.2.14): an RFC 3161 token over the
//       SHA-256 of the signature value (RFC 3161 appendix A, CAdES-T);
//   sealpost-log-proof (kLogProofAttributeOid): an OCTET STRING holding the log proof text below —
//       the leaf, its index, its audit path and the signed checkpoint it leads to.
//
// Unsigned attributes are outside the signature, so `openssl cms -verify` checks the file as it
// is; the time-stamp and the proof carry their own signatures (TSA, log key).
//
// The log proof text (ASCII lines, in this order):
//
//   sealpost-log-proof/v1
//   index <decimal>
//   leaf <base64 of the leaf bytes>
//   path <decimal count n>
//   <base64 of a 32-byte hash>          n lines, leaf level first
//   checkpoint
//   <the signed checkpoint note, verbatim, to the end>
//
// SECURITY: ParseReceipt and ParseLogProof take untrusted bytes (a receipt handed to anyone) and
// check structure only — one SignerInfo, encapsulated id-data content, exactly one of each
// unsigned attribute, a well-formed proof — refusing anything else as InvalidArgument. They never
// verify a signature: receipt_verifier.h does. Input over kReceipts.max_receipt_bytes is refused
// as TooLarge. Pure; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/encoding.h"
#include "core/status.h"
#include "tlog/merkle.h"

namespace sealpost::receipts {

// An OID under the ITU-T X.667 UUID arc (2.25), like kDefaultTsaPolicyOid: the UUID
// 26d907cd-58b2-4ebf-a6ba-c38484315e36, drawn at random for this attribute.
inline constexpr std::string_view kLogProofAttributeOid =
    "2.25.51637550504219643291715642182977281590";
inline constexpr std::string_view kSignatureTimeStampTokenOid = "1.2.840.113549.1.9.16.2.14";
inline constexpr std::string_view kLogProofMagic = "sealpost-log-proof/v1";
inline constexpr size_t kMaxLogProofPath = 64;

struct LogProof {
  uint64_t index = 0;
  Bytes leaf;                    // tlog/log_entry.h bytes
  std::vector<tlog::Hash> path;  // RFC 9162 audit path, leaf level first
  std::string checkpoint;        // signed note (tlog/checkpoint.h)
  friend bool operator==(const LogProof&, const LogProof&) = default;
};

std::string EncodeLogProof(const LogProof& proof);
Result<LogProof> ParseLogProof(std::string_view text);

// The parts of a receipt, unverified.
struct ReceiptParts {
  std::string document;    // the encapsulated content, as signed
  Bytes signature;         // the SignerInfo's signature value
  Bytes time_stamp_token;  // DER ContentInfo (SignedData of TSTInfo)
  LogProof proof;
};

Result<ReceiptParts> ParseReceipt(ByteView der);

}  // namespace sealpost::receipts
