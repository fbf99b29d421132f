// Fuzz target: receipts handed to anyone (receipts/receipt.h, receipts/receipt_verifier.h): the
// CMS structure and its unsigned attributes, the log proof text and the evidence document, then
// the whole offline verification under a fixed (unrelated) root and log key.
//
// Invariants checked: no crash, exception or sanitizer report; ParseReceipt refuses only as
// InvalidArgument or TooLarge; an accepted log proof text or evidence document encodes back to
// exactly the input (one spelling each); VerifyReceipt always reports the "structure" part first
// and never calls a receipt valid under a root that signed nothing (it may only fail or skip).
//
// SECURITY: receipts come from senders, courts and auditors; nothing in them is trusted.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/time.h"
#include "receipts/evidence_document.h"
#include "receipts/receipt.h"
#include "receipts/receipt_verifier.h"
#include "smime/platform_ca.h"

namespace {

void Check(bool condition) {
  if (!condition) std::abort();
}

const sealpost::receipts::ReceiptVerifyOptions& Options() {
  static const sealpost::receipts::ReceiptVerifyOptions options = [] {
    auto root = sealpost::smime::CreateRootCa({}, sealpost::FromUnixMillis(1'796'000'000'000));
    Check(root.ok());
    sealpost::receipts::ReceiptVerifyOptions o;
    o.roots = {root->certificate};
    auto key = sealpost::tlog::ParseVerifierKey(
        "sealpost.example/audit+fd0b53bf+AQOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4");
    Check(key.ok());
    o.log_key = *key;
    o.sealed_digest_hex = std::string(64, '0');
    return o;
  }();
  return options;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using sealpost::ErrorCode;
  namespace receipts = sealpost::receipts;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const sealpost::ByteView bytes(data, size);

  auto parts = receipts::ParseReceipt(bytes);
  if (!parts.ok()) {
    Check(parts.status().code() == ErrorCode::kInvalidArgument ||
          parts.status().code() == ErrorCode::kTooLarge);
  }

  auto proof = receipts::ParseLogProof(input);
  if (proof.ok()) {
    Check(receipts::EncodeLogProof(*proof) == input);
  } else {
    Check(proof.status().code() == ErrorCode::kInvalidArgument);
  }

  auto document = receipts::ParseEvidenceDocument(input);
  if (document.ok()) {
    auto text = receipts::EncodeEvidenceDocument(*document);
    Check(text.ok() && *text == input);
  } else {
    Check(document.status().code() == ErrorCode::kInvalidArgument);
  }

  const receipts::ReceiptReport report = receipts::VerifyReceipt(bytes, Options());
  Check(!report.checks.empty() && report.checks[0].part == "structure");
  Check(!report.valid());  // no input is signed under this fresh root
  return 0;
}
