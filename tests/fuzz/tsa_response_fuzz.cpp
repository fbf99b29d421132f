// Fuzz target: an external TSA's answers through receipts::ExternalTimeStamper, as the HTTPS
// transport hands them over from the network ([receipts] tsa_url, docs/formats/receipt.md).
//
// Invariants checked: no crash, exception or sanitizer report; no answer is ever accepted. Each
// request carries a fresh random nonce and the token must be signed under the fixed root, so a
// byte string written in advance (the corpus, the fuzzer's mutations) can only be refused, with
// Unavailable. The seeds are answers of `openssl ts -reply` (granted and rejected) made for
// other queries by a TSA that does not chain to the root.
//
// SECURITY: the bytes come from whatever answers at the configured URL (or sits between it and
// us if TLS is misconfigured).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>

#include "core/encoding.h"
#include "crypto/hash.h"
#include "receipts/external_time_stamper.h"
#include "smime/platform_ca.h"

namespace {

namespace receipts = sealpost::receipts;
namespace smime = sealpost::smime;

void Check(bool condition) {
  if (!condition) std::abort();
}

// Made once per process: a root to trust and a stamper whose transport answers with the bytes of
// the current input.
struct Fixture {
  sealpost::ByteView answer;
  std::unique_ptr<receipts::ExternalTimeStamper> stamper;

  Fixture() {
    auto root = smime::CreateRootCa(smime::CaNames{}, std::chrono::system_clock::now());
    Check(root.ok());
    auto made = receipts::ExternalTimeStamper::Create(
        {root->certificate}, [this](sealpost::ByteView) -> sealpost::Result<sealpost::Bytes> {
          return sealpost::Bytes(answer.begin(), answer.end());
        });
    Check(made.ok());
    stamper = std::move(*made);
  }
};

Fixture& Get() {
  static Fixture* fixture = new Fixture();  // lives for the process, like the server's
  return *fixture;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Fixture& f = Get();
  f.answer = sealpost::ByteView(data, size);
  const sealpost::crypto::Digest256 imprint =
      sealpost::crypto::Sha256(sealpost::AsBytes("the receipt's signature"));
  auto token = f.stamper->TimeStamp(sealpost::ByteView(imprint.data(), imprint.size()));
  Check(!token.ok() && token.status().code() == sealpost::ErrorCode::kUnavailable);
  return 0;
}
