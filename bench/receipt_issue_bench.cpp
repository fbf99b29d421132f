// receipt_issue_bench: issuing one receipt through receipts::ReceiptIssuer against a bare OpenSSL
// loop doing the same cryptography, measured in the same run (issue 14, benchmark 3).
//
//   * sealpost: ReceiptIssuer::IssueWithProof — encode the evidence document, check the log leaf
//     and its inclusion proof against the checkpoint, CMS SignedData (P-256, SHA-256; signing
//     time, signing-certificate-v2, the chain) over the encapsulated document, an RFC 3161
//     request over SHA-256 of the signature value answered by the in-process
//     TimeStampAuthority (fresh TS_RESP_CTX, random serial) and checked (status, imprint,
//     nonce), both unsigned attributes added, DER out;
//   * baseline: the same document signed with CMS_sign (same key, certificates and digest;
//     OpenSSL's default attributes), a TS_REQ over the signature value answered by one
//     TS_RESP_CTX set up once with the same TSA key and certificates, the token added as the
//     unsigned attribute, DER out — no checks, no proof.
// They run interleaved in 50 ms slices so that other work on the machine slows them alike.
//
// Last line, machine-readable: "RESULT sealpost_per_s=… baseline_per_s=… ratio=…".
// Target (bench/README.md): ratio ≥ 0.8.
#include <openssl/cms.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/ts.h>
#include <openssl/x509.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/time.h"
#include "crypto/hash.h"
#include "crypto/signature.h"
#include "interleaved_timing.h"
#include "receipts/receipt_issuer.h"
#include "receipts/tsa.h"
#include "smime/platform_ca.h"
#include "tlog/checkpoint.h"
#include "tlog/log_entry.h"

namespace {

using sealpost::bench::Clock;
using sealpost::bench::RunSlice;
using sealpost::bench::Tally;
namespace receipts = sealpost::receipts;
namespace smime = sealpost::smime;
namespace tlog = sealpost::tlog;

template <auto Fn>
struct Free {
  template <typename T>
  void operator()(T* p) const {
    Fn(p);
  }
};
using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, Free<EVP_PKEY_free>>;
using X509Ptr = std::unique_ptr<X509, Free<X509_free>>;
using BioPtr = std::unique_ptr<BIO, Free<BIO_free>>;
using CmsPtr = std::unique_ptr<CMS_ContentInfo, Free<CMS_ContentInfo_free>>;
using TsReqPtr = std::unique_ptr<TS_REQ, Free<TS_REQ_free>>;
using TsRespPtr = std::unique_ptr<TS_RESP, Free<TS_RESP_free>>;
using TsRespCtxPtr = std::unique_ptr<TS_RESP_CTX, Free<TS_RESP_CTX_free>>;

void Die(const char* what) {
  std::fprintf(stderr, "receipt_issue_bench: %s\n", what);
  std::exit(1);
}

template <typename T>
T Must(sealpost::Result<T> r, const char* what) {
  if (!r.ok()) Die(what);
  return std::move(*r);
}

EvpPkeyPtr Key(const smime::IssuedKey& k) {
  auto pkcs8 = Must(k.key.ExposePkcs8Der(), "key");
  const unsigned char* p = pkcs8.data();
  EvpPkeyPtr key(d2i_AutoPrivateKey(nullptr, &p, static_cast<long>(pkcs8.size())));  // NOLINT
  if (!key) Die("d2i_AutoPrivateKey");
  return key;
}

X509Ptr Cert(const smime::Certificate& c) {
  const unsigned char* p = c.der().data();
  X509Ptr x(d2i_X509(nullptr, &p, static_cast<long>(c.der().size())));  // NOLINT
  if (!x) Die("d2i_X509");
  return x;
}

// The bare loop's state: keys, certificates and one TSA context, made once.
struct Bare {
  EvpPkeyPtr key;
  X509Ptr cert;
  STACK_OF(X509) * chain = nullptr;
  TsRespCtxPtr tsa;
  EvpPkeyPtr tsa_key;
  X509Ptr tsa_cert;
  ~Bare() { sk_X509_pop_free(chain, X509_free); }
};

size_t BareIssue(const Bare& b, const std::string& document) {
  BioPtr in(BIO_new_mem_buf(document.data(), static_cast<int>(document.size())));
  CmsPtr cms(CMS_sign(b.cert.get(), b.key.get(), b.chain, in.get(), CMS_BINARY));
  if (!cms) Die("CMS_sign");
  CMS_SignerInfo* si = sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(cms.get()), 0);
  const ASN1_OCTET_STRING* sig = CMS_SignerInfo_get0_signature(si);
  unsigned char digest[32];
  SHA256(ASN1_STRING_get0_data(sig), static_cast<size_t>(ASN1_STRING_length(sig)), digest);
  // The request, built as a client would, fed to the TSA as DER.
  TsReqPtr req(TS_REQ_new());
  TS_MSG_IMPRINT* mi = TS_MSG_IMPRINT_new();
  X509_ALGOR* alg = X509_ALGOR_new();
  X509_ALGOR_set_md(alg, EVP_sha256());
  TS_MSG_IMPRINT_set_algo(mi, alg);
  TS_MSG_IMPRINT_set_msg(mi, digest, sizeof(digest));
  TS_REQ_set_version(req.get(), 1);
  TS_REQ_set_msg_imprint(req.get(), mi);
  TS_REQ_set_cert_req(req.get(), 1);
  TS_MSG_IMPRINT_free(mi);
  X509_ALGOR_free(alg);
  unsigned char* q = nullptr;
  const int qlen = i2d_TS_REQ(req.get(), &q);
  BioPtr qbio(BIO_new_mem_buf(q, qlen));
  TsRespPtr resp(TS_RESP_create_response(b.tsa.get(), qbio.get()));
  OPENSSL_free(q);
  if (!resp) Die("TS_RESP_create_response");
  unsigned char* tok = nullptr;
  const int tlen = i2d_PKCS7(TS_RESP_get_token(resp.get()), &tok);
  if (tlen <= 0) Die("token");
  CMS_unsigned_add1_attr_by_NID(si, NID_id_smime_aa_timeStampToken, V_ASN1_SEQUENCE, tok, tlen);
  OPENSSL_free(tok);
  unsigned char* out = nullptr;
  const int len = i2d_CMS_ContentInfo(cms.get(), &out);
  OPENSSL_free(out);
  return static_cast<size_t>(len);
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = 3;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::string_view(argv[i]) == "--seconds") {
      seconds = std::strtod(argv[i + 1], nullptr);
    } else {
      argc = 0;
    }
  }
  if (argc % 2 == 0 || seconds <= 0) {
    std::fprintf(stderr, "usage: receipt_issue_bench [--seconds S]\n");
    return 2;
  }
  const sealpost::TimePoint now = std::chrono::system_clock::now();
  const smime::CaNames names;
  const auto root = Must(smime::CreateRootCa(names, now), "root");
  const auto issuing = Must(smime::CreateIssuingCa(root, names, now), "issuing");
  const auto evidence = Must(
      smime::IssueLeafWithNewKey(
          issuing, names, {smime::LeafProfile::kEvidenceSigner, "Evidence", std::nullopt}, now),
      "evidence");
  const auto tsa_key =
      Must(smime::IssueLeafWithNewKey(
               issuing, names, {smime::LeafProfile::kTimeStamping, "TSA", std::nullopt}, now),
           "tsa");
  sealpost::platform::SystemClock clock;
  const auto tsa =
      Must(receipts::TimeStampAuthority::Create(tsa_key, {issuing.certificate}, clock, {}), "TSA");
  const receipts::InProcessTimeStamper stamper(*tsa);
  const auto issuer = Must(
      receipts::ReceiptIssuer::Create(evidence, {issuing.certificate, root.certificate}, stamper),
      "issuer");

  // A log of 1000 events; the receipt is for leaf 500.
  const int64_t event_ms = sealpost::ToUnixMillis(now);
  std::vector<tlog::Hash> hashes;
  sealpost::Bytes leaf;
  for (int i = 0; i < 1000; ++i) {
    const auto bytes = Must(
        tlog::EncodeLogEvent({event_ms, "message.send", "u-1", "m-" + std::to_string(i), "{}"}),
        "leaf");
    if (i == 500) leaf = bytes;
    hashes.push_back(tlog::LeafHash(bytes));
  }
  const auto log_key = sealpost::crypto::SigningKey::Generate();
  const std::string origin = "bench.example/log";
  const std::string note = Must(
      tlog::SignCheckpoint({origin, hashes.size(), tlog::RootHash(hashes), {}}, origin, log_key),
      "checkpoint");
  const tlog::LeafHashSpan source(hashes);
  const receipts::LogProof proof{500, leaf, Must(tlog::InclusionProof(source, 500, 1000), "proof"),
                                 note};
  receipts::EvidenceDocument document;
  document.event = receipts::EvidenceEvent::kContentConsignment;
  document.message_id = "m-500";
  document.sealed_digest_hex =
      sealpost::HexEncode(sealpost::crypto::Sha256(sealpost::AsBytes("statement")));
  document.sender = "alice@example.org";
  document.recipient = "bob@example.org";
  document.time_ms = event_ms;
  document.log_origin = origin;
  document.log_index = 500;
  const std::string text = Must(receipts::EncodeEvidenceDocument(document), "document");

  Bare bare;
  bare.key = Key(evidence);
  bare.cert = Cert(evidence.certificate);
  bare.chain = sk_X509_new_null();
  sk_X509_push(bare.chain, Cert(issuing.certificate).release());
  sk_X509_push(bare.chain, Cert(root.certificate).release());
  bare.tsa_key = Key(tsa_key);
  bare.tsa_cert = Cert(tsa_key.certificate);
  bare.tsa.reset(TS_RESP_CTX_new());
  ASN1_OBJECT* policy = OBJ_txt2obj(std::string(receipts::kDefaultTsaPolicyOid).c_str(), 1);
  if (TS_RESP_CTX_set_signer_cert(bare.tsa.get(), bare.tsa_cert.get()) != 1 ||
      TS_RESP_CTX_set_signer_key(bare.tsa.get(), bare.tsa_key.get()) != 1 ||
      TS_RESP_CTX_set_signer_digest(bare.tsa.get(), EVP_sha256()) != 1 ||
      TS_RESP_CTX_set_ess_cert_id_digest(bare.tsa.get(), EVP_sha256()) != 1 ||
      TS_RESP_CTX_set_certs(bare.tsa.get(), bare.chain) != 1 ||
      TS_RESP_CTX_set_def_policy(bare.tsa.get(), policy) != 1 ||
      TS_RESP_CTX_add_md(bare.tsa.get(), EVP_sha256()) != 1) {
    Die("TS_RESP_CTX");
  }
  ASN1_OBJECT_free(policy);

  size_t sealpost_bytes = 0, bare_bytes = 0;
  Tally ours, theirs;
  const auto slice = std::chrono::milliseconds(50);
  const auto total = std::chrono::duration<double>(seconds);
  while (ours.elapsed < total || theirs.elapsed < total) {
    RunSlice(slice, ours, [&] {
      sealpost_bytes = Must(issuer->IssueWithProof(document, proof), "issue").size();
    });
    RunSlice(slice, theirs, [&] { bare_bytes = BareIssue(bare, text); });
  }
  if (std::getenv("RECEIPT_BENCH_PARTS") != nullptr) {
    Tally t1, t2, t3;
    const sealpost::Bytes imprint(32, 7);
    RunSlice(std::chrono::milliseconds(500), t1, [&] { (void)stamper.TimeStamp(imprint); });
    sealpost::Bytes query;
    (void)receipts::TimeStampWith(imprint, [&](sealpost::ByteView qv) {
      query.assign(qv.begin(), qv.end());
      return tsa->Respond(qv);
    });
    Tally t0;
    RunSlice(std::chrono::milliseconds(500), t0, [&] { (void)tsa->Respond(query); });
    std::printf("parts: respond %.0f/s\n", t0.PerSecond());
    RunSlice(std::chrono::milliseconds(500), t2,
             [&] { (void)receipts::EncodeEvidenceDocument(document); });
    RunSlice(std::chrono::milliseconds(500), t3, [&] {
      (void)tlog::VerifyInclusion(tlog::LeafHash(proof.leaf), 500, 1000, proof.path, hashes[0]);
    });
    std::printf("parts: timestamp %.0f/s encode %.0f/s inclusion %.0f/s\n", t1.PerSecond(),
                t2.PerSecond(), t3.PerSecond());
  }
  std::printf("sealpost: %.0f receipts/s (%zu bytes each, with proof and chain)\n",
              ours.PerSecond(), sealpost_bytes);
  std::printf("baseline: %.0f receipts/s (%zu bytes each)\n", theirs.PerSecond(), bare_bytes);
  std::printf("RESULT sealpost_per_s=%.0f baseline_per_s=%.0f ratio=%.2f\n", ours.PerSecond(),
              theirs.PerSecond(), ours.PerSecond() / theirs.PerSecond());
  return 0;
}
