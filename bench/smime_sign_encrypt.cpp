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

#include "crypto/secret_bytes.h"
#include "interleaved_timing.h"
#include "smime/certificate.h"
#include "smime/certified_key.h"
#include "smime/smime_writer.h"

namespace {

using sealpost::bench::Clock;
using sealpost::bench::RunSlice;
using sealpost::bench::Tally;
namespace smime = sealpost::smime;

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct X509Free {
  void operator()(X509* p) const { X509_free(p); }
};
struct BioFree {
  void operator()(BIO* p) const { BIO_free(p); }
};
struct CmsFree {
  void operator()(CMS_ContentInfo* p) const { CMS_ContentInfo_free(p); }
};
using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using X509Ptr = std::unique_ptr<X509, X509Free>;
using BioPtr = std::unique_ptr<BIO, BioFree>;
using CmsPtr = std::unique_ptr<CMS_ContentInfo, CmsFree>;

[[noreturn]] void Die(const char* what) {
  std::fprintf(stderr, "smime_sign_encrypt: %s failed\n", what);
  std::exit(1);
}

EvpPkeyPtr MakeKey(bool rsa) {
  EvpPkeyPtr key(rsa ? EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{3072})
                     : EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!key) Die("key generation");
  return key;
}

// A self-signed certificate with emailProtection and an rfc822Name.
X509Ptr MakeCertificate(EVP_PKEY* key, const char* email) {
  X509Ptr cert(X509_new());
  if (!cert) Die("X509_new");
  X509_set_version(cert.get(), X509_VERSION_3);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 86400L * 30);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(email), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  X509_set_pubkey(cert.get(), key);
  const std::string san = std::string("email:") + email;
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
  for (const auto& [nid, value] : std::vector<std::pair<int, std::string>>{
           {NID_ext_key_usage, "emailProtection"}, {NID_subject_alt_name, san}}) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
    if (ext == nullptr || X509_add_ext(cert.get(), ext, -1) != 1) Die("extension");
    X509_EXTENSION_free(ext);
  }
  if (X509_sign(cert.get(), key, EVP_sha256()) <= 0) Die("X509_sign");
  return cert;
}

smime::Certificate AsCertificate(X509* cert) {
  unsigned char* der = nullptr;
  const int n = i2d_X509(cert, &der);
  if (n <= 0) Die("i2d_X509");
  auto out = smime::Certificate::FromDer({der, static_cast<size_t>(n)});
  OPENSSL_free(der);
  if (!out.ok()) Die("Certificate::FromDer");
  return *out;
}

smime::CertifiedKey AsCertifiedKey(X509* cert, EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_secmem()));
  if (!bio ||
      PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    Die("PEM_write_bio_PrivateKey");
  }
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);  // NOLINT(runtime/int): OpenSSL's type
  const auto secret = sealpost::crypto::SecretBytes::CopyOf(
      {reinterpret_cast<const uint8_t*>(data), static_cast<size_t>(n)});
  auto out = smime::CertifiedKey::Create(AsCertificate(cert), {}, secret);
  if (!out.ok()) Die("CertifiedKey::Create");
  return std::move(*out);
}

// The baseline: the same signature and envelope straight on OpenSSL. Returns the output size.
// With `mime` false, the context figure: DER straight into the envelope and DER out, no MIME and
// no base64 (not an S/MIME message; the floor of the cryptography alone).
size_t BareSignEncrypt(const std::string& content, X509* signer, EVP_PKEY* signer_key,
                       X509* recipient, bool rsa, bool mime) {
  BioPtr in(BIO_new_mem_buf(content.data(), static_cast<int>(content.size())));
  CmsPtr signed_cms(CMS_sign(signer, signer_key, nullptr, in.get(), CMS_BINARY));
  if (!signed_cms) Die("CMS_sign");
  // The signed layer as an application/pkcs7-mime part (base64), as S/MIME encrypts it.
  BioPtr signed_part(BIO_new(BIO_s_mem()));
  if (!signed_part ||
      (mime ? SMIME_write_CMS(signed_part.get(), signed_cms.get(), nullptr, CMS_BINARY)
            : i2d_CMS_bio(signed_part.get(), signed_cms.get())) != 1) {
    Die("SMIME_write_CMS");
  }

  CmsPtr env(CMS_encrypt(nullptr, nullptr, EVP_aes_256_gcm(), CMS_PARTIAL | CMS_BINARY));
  CMS_RecipientInfo* ri =
      env ? CMS_add1_recipient_cert(env.get(), recipient, CMS_KEY_PARAM) : nullptr;
  if (ri == nullptr) Die("CMS_add1_recipient_cert");
  EVP_PKEY_CTX* pctx = CMS_RecipientInfo_get0_pkey_ctx(ri);
  if (rsa) {
    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_OAEP_PADDING);
    EVP_PKEY_CTX_set_rsa_oaep_md(pctx, EVP_sha256());
    EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256());
  } else {
    EVP_PKEY_CTX_set_ecdh_kdf_md(pctx, EVP_sha256());
  }
  if (CMS_final(env.get(), signed_part.get(), nullptr, CMS_BINARY) != 1) Die("CMS_final");
  BioPtr out(BIO_new(BIO_s_mem()));
  if (!out || (mime ? SMIME_write_CMS(out.get(), env.get(), nullptr, CMS_BINARY)
                    : i2d_CMS_bio(out.get(), env.get())) != 1) {
    Die("SMIME_write_CMS");
  }
  return static_cast<size_t>(BIO_pending(out.get()));
}

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
