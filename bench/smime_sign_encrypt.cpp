// smime_sign_encrypt: per-recipient S/MIME cost of smime::SignAndEncrypt against a bare OpenSSL
// loop doing the same cryptography, measured in the same run.
//
// For each recipient key (P-256, RSA-3072), a 10 KiB inner entity is signed by a P-256 signer
// (SHA-256, signer certificate included) and encrypted to the recipient with AES-256-GCM
// (AuthEnvelopedData; RSA-OAEP with SHA-256, or ECDH with the SHA-256 KDF):
//   * sealpost: smime::SignAndEncrypt — signing time and SMIMECapabilities attributes, the
//     MIME wrappers and base64 of both layers, wiping of the intermediate buffers;
//   * baseline: CMS_sign + CMS_encrypt straight on OpenSSL with the same algorithms, each layer
//     written with SMIME_write_CMS (application/pkcs7-mime, base64) — the same message shape,
//     with OpenSSL's defaults for everything Sealpost chooses itself;
//   * context only, the DER-only floor: the same calls with DER in and DER out (no MIME, no
//     base64): what the cryptography alone costs.
// They run interleaved in 50 ms slices, so that a machine shared with other work slows them
// alike. Keys and self-signed certificates are made in-process with OpenSSL; nothing is
// validated (that is not what is measured). Single thread.
//
// The last lines are machine-readable: "RESULT recipient=<p256|rsa3072> sealpost_per_s=…
// baseline_per_s=… ratio=… der_floor_per_s=…". Target (bench/README.md): ratio ≥ 0.8.
#include <openssl/cms.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "bare_cms.h"
#include "crypto/secret_bytes.h"
#include "interleaved_timing.h"
#include "smime/certificate.h"
#include "smime/certified_key.h"
#include "smime/smime_writer.h"

namespace {

using sealpost::bench::Clock;
using sealpost::bench::RunSlice;
using sealpost::bench::Tally;
using sealpost::bench::cms::AsCertificate;
using sealpost::bench::cms::AsCertifiedKey;
using sealpost::bench::cms::BareSignEncrypt;
using sealpost::bench::cms::Die;
using sealpost::bench::cms::EvpPkeyPtr;
using sealpost::bench::cms::MakeCertificate;
using sealpost::bench::cms::MakeKey;
using sealpost::bench::cms::X509Ptr;
namespace smime = sealpost::smime;

}  // namespace

int main(int argc, char** argv) {
  double seconds = 3;
  size_t message_bytes = 10 * 1024;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view flag = argv[i];
    if (flag == "--seconds") {
      seconds = std::strtod(argv[i + 1], nullptr);
    } else if (flag == "--bytes") {
      message_bytes = std::strtoul(argv[i + 1], nullptr, 10);
    } else {
      argc = 0;
    }
  }
  if (argc % 2 == 0 || seconds <= 0 || message_bytes == 0) {
    std::fprintf(stderr, "usage: smime_sign_encrypt [--seconds 3] [--bytes 10240]\n");
    return 1;
  }

  // A text/plain entity of the requested size, CRLF lines.
  std::string content = "Content-Type: text/plain; charset=utf-8\r\n\r\n";
  while (content.size() < message_bytes) content += "The quick brown fox jumps over the dog.\r\n";
  content.resize(message_bytes);

  const EvpPkeyPtr signer_key = MakeKey(false);
  const X509Ptr signer_cert = MakeCertificate(signer_key.get(), "sender@example.org");
  const smime::CertifiedKey signer = AsCertifiedKey(signer_cert.get(), signer_key.get());
  const auto signing_time = std::chrono::system_clock::now();

  std::printf("smime_sign_encrypt: %zu-byte entity, P-256 signer, AES-256-GCM, %.1f s per run\n",
              content.size(), seconds);
  bool all_ok = true;
  for (const bool rsa : {false, true}) {
    const char* label = rsa ? "rsa3072" : "p256";
    const EvpPkeyPtr key = MakeKey(rsa);
    const X509Ptr cert = MakeCertificate(key.get(), "bob@example.org");
    const smime::SmimeRecipient recipient{AsCertificate(cert.get()),
                                          smime::RecipientCapabilities{.aes256_gcm = true}};
    size_t sealpost_bytes = 0;
    size_t bare_bytes = 0;
    auto bare = [&] {
      bare_bytes =
          BareSignEncrypt(content, signer_cert.get(), signer_key.get(), cert.get(), rsa, true);
    };
    size_t der_bytes = 0;
    auto der_only = [&] {
      der_bytes =
          BareSignEncrypt(content, signer_cert.get(), signer_key.get(), cert.get(), rsa, false);
    };
    auto sealpost = [&] {
      auto out =
          smime::SignAndEncrypt({reinterpret_cast<const uint8_t*>(content.data()), content.size()},
                                signer, recipient, signing_time);
      if (!out.ok()) Die("SignAndEncrypt");
      sealpost_bytes = out->mime_part.size();
    };
    // Interleaved in 50 ms slices, so that both sides see the same share of whatever else the
    // machine is doing; each side gets `seconds` in all.
    for (int i = 0; i < 3; ++i) {
      bare();
      sealpost();
      der_only();
    }
    Tally bare_tally;
    Tally sealpost_tally;
    Tally der_tally;
    const auto slice = std::chrono::milliseconds(50);
    const auto total =
        std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
    while (bare_tally.elapsed < total || sealpost_tally.elapsed < total) {
      RunSlice(slice, bare_tally, bare);
      RunSlice(slice, sealpost_tally, sealpost);
      RunSlice(slice, der_tally, der_only);
    }
    const double baseline = bare_tally.PerSecond();
    const double ours = sealpost_tally.PerSecond();
    const double ratio = ours / baseline;
    all_ok = all_ok && ratio > 0;
    std::printf(
        "  %-8s recipient: sealpost %8.1f msg/s (%zu bytes of MIME)   baseline %8.1f "
        "msg/s (%zu bytes)   ratio %.2f\n",
        label, ours, sealpost_bytes, baseline, bare_bytes, ratio);
    const double floor = der_tally.PerSecond();
    std::printf(
        "  %-8s context:   DER-only floor (no MIME, no base64) %8.1f msg/s (%zu bytes), "
        "Sealpost / floor %.2f\n",
        label, floor, der_bytes, ours / floor);
    std::printf(
        "RESULT recipient=%s sealpost_per_s=%.1f baseline_per_s=%.1f ratio=%.2f "
        "der_floor_per_s=%.1f\n",
        label, ours, baseline, ratio, floor);
  }
  return all_ok ? 0 : 1;
}
