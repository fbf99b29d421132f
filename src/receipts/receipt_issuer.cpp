#include "receipts/receipt_issuer.h"

#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/rand.h>

#include "crypto/hash.h"
#include "crypto/openssl_error.h"
#include "crypto/security_policy.h"
#include "receipts/internal/ossl_ptr.h"
#include "tlog/checkpoint.h"
#include "tlog/log_entry.h"
#include "tlog/note.h"
#include "tlog/tiles.h"

namespace sealpost::receipts {

using internal::Asn1IntegerPtr;
using internal::Asn1ObjectPtr;
using internal::BignumPtr;
using internal::BioPtr;
using internal::CmsPtr;
using internal::EssSigningCertV2Ptr;
using internal::EvpPkeyPtr;
using internal::TsReqPtr;
using internal::TsRespPtr;
using internal::TsVerifyCtxPtr;
using internal::X509Ptr;

struct ReceiptIssuer::State {
  X509Ptr certificate;
  EvpPkeyPtr key;
  std::vector<X509Ptr> chain;
  Bytes signing_certificate_v2;  // DER ESSSigningCertificateV2, the same for every receipt
  const EVP_MD* digest = nullptr;
  const TimeStamper* stamper = nullptr;
};

namespace {

Result<X509Ptr> ParseCertificate(const smime::Certificate& certificate) {
  const Bytes& der = certificate.der();
  const unsigned char* p = der.data();
  X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));  // NOLINT(runtime/int)
  if (!cert) return crypto::OpensslFailure("d2i_X509");
  return cert;
}

using TsMsgImprintPtr = std::unique_ptr<TS_MSG_IMPRINT, internal::OsslDeleter<TS_MSG_IMPRINT_free>>;
using X509AlgorPtr = std::unique_ptr<X509_ALGOR, internal::OsslDeleter<X509_ALGOR_free>>;

Result<Bytes> BuildQuery(ByteView imprint, TS_REQ* req) {
  TsMsgImprintPtr mi(TS_MSG_IMPRINT_new());
  X509AlgorPtr alg(X509_ALGOR_new());
  BignumPtr bn(BN_new());
  if (!mi || !alg || !bn) return crypto::OpensslFailure("TS_REQ allocation");
  X509_ALGOR_set_md(alg.get(), EVP_sha256());
  if (BN_rand(bn.get(), 64, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1) {
    return crypto::OpensslFailure("BN_rand");
  }
  Asn1IntegerPtr nonce(BN_to_ASN1_INTEGER(bn.get(), nullptr));
  if (!nonce || TS_MSG_IMPRINT_set_algo(mi.get(), alg.get()) != 1 ||
      TS_MSG_IMPRINT_set_msg(mi.get(), const_cast<unsigned char*>(imprint.data()),
                             static_cast<int>(imprint.size())) != 1 ||
      TS_REQ_set_version(req, 1) != 1 || TS_REQ_set_msg_imprint(req, mi.get()) != 1 ||
      TS_REQ_set_nonce(req, nonce.get()) != 1 || TS_REQ_set_cert_req(req, 1) != 1) {
    return crypto::OpensslFailure("TS_REQ set-up");
  }
  unsigned char* der = nullptr;
  const int len = i2d_TS_REQ(req, &der);
  if (len <= 0) return crypto::OpensslFailure("i2d_TS_REQ");
  Bytes out(der, der + len);
  OPENSSL_free(der);
  return out;
}

Bytes ToBytes(const std::string& s) { return Bytes(s.begin(), s.end()); }

}  // namespace

Result<Bytes> TimeStampWith(ByteView sha256_imprint,
                            const std::function<Result<Bytes>(ByteView query)>& respond) {
  if (sha256_imprint.size() != 32) return InvalidArgument("a SHA-256 imprint is 32 bytes");
  TsReqPtr req(TS_REQ_new());
  if (!req) return crypto::OpensslFailure("TS_REQ_new");
  SP_ASSIGN_OR_RETURN(const Bytes query, BuildQuery(sha256_imprint, req.get()));
  auto answer = respond(query);
  if (!answer.ok()) return Unavailable("time-stamping failed: " + answer.status().message());
  const unsigned char* p = answer->data();
  TsRespPtr response(d2i_TS_RESP(nullptr, &p, static_cast<long>(answer->size())));  // NOLINT
  if (!response || p != answer->data() + answer->size()) {
    ERR_clear_error();
    return Unavailable("the TSA's answer is not a TimeStampResp");
  }
  // Status granted, version, the imprint and the nonce we sent (not the signature: the verifier
  // checks that against the root, and the in-process TSA is our own).
  TsVerifyCtxPtr ctx(TS_REQ_to_TS_VERIFY_CTX(req.get(), nullptr));
  if (!ctx) return crypto::OpensslFailure("TS_REQ_to_TS_VERIFY_CTX");
  if (TS_RESP_verify_response(ctx.get(), response.get()) != 1) {
    return Unavailable("the TSA refused or answered another request: " +
                       crypto::DrainOpensslErrors());
  }
  PKCS7* token = TS_RESP_get_token(response.get());
  unsigned char* der = nullptr;
  const int len = token == nullptr ? 0 : i2d_PKCS7(token, &der);
  if (len <= 0) return crypto::OpensslFailure("i2d_PKCS7");
  Bytes out(der, der + len);
  OPENSSL_free(der);
  return out;
}

Result<Bytes> InProcessTimeStamper::TimeStamp(ByteView sha256_imprint) const {
  if (sha256_imprint.size() != 32) return InvalidArgument("a SHA-256 imprint is 32 bytes");
  TsReqPtr req(TS_REQ_new());
  if (!req) return crypto::OpensslFailure("TS_REQ_new");
  SP_ASSIGN_OR_RETURN(const Bytes query, BuildQuery(sha256_imprint, req.get()));
  // Our own TSA in this process: the token is taken from the response object, not parsed back
  // from DER (see TimeStampAuthority::RespondWithToken).
  return tsa_.RespondWithToken(query);
}

Result<LogProof> StoreLogProofSource::Prove(uint64_t index) {
  SP_ASSIGN_OR_RETURN(const auto latest, log_.GetLatestLogCheckpoint());
  if (!latest || latest->size <= index) {
    return NotFound("log entry " + std::to_string(index) + " is not in a signed checkpoint yet");
  }
  SP_ASSIGN_OR_RETURN(const auto entries, log_.ReadLogEntries(index, 1));
  if (entries.empty() || entries[0].index != index) {
    return Corruption("log entry " + std::to_string(index) + " is missing");
  }
  tlog::TileHashSource source(latest->size, [this](const tlog::TileId& t) {
    return log_.GetLogTile(t.level, t.index, t.width);
  });
  SP_ASSIGN_OR_RETURN(auto path, tlog::InclusionProof(source, index, latest->size));
  return LogProof{index, entries[0].leaf, std::move(path), latest->note};
}

ReceiptIssuer::ReceiptIssuer(std::unique_ptr<State> state) : state_(std::move(state)) {}
ReceiptIssuer::~ReceiptIssuer() = default;

Result<std::unique_ptr<ReceiptIssuer>> ReceiptIssuer::Create(
    const smime::IssuedKey& signer, const std::vector<smime::Certificate>& chain,
    const TimeStamper& stamper) {
  SP_RETURN_IF_ERROR(smime::CheckKeyMatches(signer.certificate, signer.key));
  auto state = std::make_unique<State>();
  state->stamper = &stamper;
  state->digest = EVP_get_digestbyname(std::string(crypto::policy::kReceipts.digest).c_str());
  if (state->digest == nullptr) return Internal("OpenSSL lacks the receipt digest");
  SP_ASSIGN_OR_RETURN(state->certificate, ParseCertificate(signer.certificate));
  {
    SP_ASSIGN_OR_RETURN(const crypto::SecretBytes pkcs8, signer.key.ExposePkcs8Der());
    const unsigned char* p = pkcs8.data();
    state->key.reset(d2i_AutoPrivateKey(nullptr, &p, static_cast<long>(pkcs8.size())));  // NOLINT
    if (!state->key) return crypto::OpensslFailure("evidence key");
  }
  for (const smime::Certificate& c : chain) {
    SP_ASSIGN_OR_RETURN(X509Ptr cert, ParseCertificate(c));
    state->chain.push_back(std::move(cert));
  }
  // RFC 5035: ESSCertIDv2 of the signer certificate (SHA-256, the default, so the hash
  // algorithm is omitted), no issuerSerial.
  EssSigningCertV2Ptr scv2(
      OSSL_ESS_signing_cert_v2_new_init(EVP_sha256(), state->certificate.get(), nullptr, 0));
  if (!scv2) return crypto::OpensslFailure("OSSL_ESS_signing_cert_v2_new_init");
  unsigned char* der = nullptr;
  const int len = i2d_ESS_SIGNING_CERT_V2(scv2.get(), &der);
  if (len <= 0) return crypto::OpensslFailure("i2d_ESS_SIGNING_CERT_V2");
  state->signing_certificate_v2.assign(der, der + len);
  OPENSSL_free(der);
  return std::unique_ptr<ReceiptIssuer>(new ReceiptIssuer(std::move(state)));
}

Result<Bytes> ReceiptIssuer::Issue(const EvidenceDocument& document, LogProofSource& proofs) const {
  SP_ASSIGN_OR_RETURN(const LogProof proof, proofs.Prove(document.log_index));
  return IssueWithProof(document, proof);
}

Result<Bytes> ReceiptIssuer::IssueWithProof(const EvidenceDocument& document,
                                            const LogProof& proof) const {
  SP_ASSIGN_OR_RETURN(const std::string text, EncodeEvidenceDocument(document));
  // The proof must show this event's leaf in the checkpoint's tree.
  if (proof.index != document.log_index) {
    return InvalidArgument("the proof is for another log index");
  }
  SP_ASSIGN_OR_RETURN(const tlog::LogEntry entry, tlog::ParseLogEntry(proof.leaf));
  SP_RETURN_IF_ERROR(CheckLeafRecordsEvent(entry, document));
  SP_ASSIGN_OR_RETURN(const tlog::Note note, tlog::ParseNote(proof.checkpoint));
  SP_ASSIGN_OR_RETURN(const tlog::Checkpoint checkpoint, tlog::ParseCheckpoint(note.text));
  if (checkpoint.origin != document.log_origin) {
    return InvalidArgument("the checkpoint is of another log");
  }
  SP_RETURN_IF_ERROR(tlog::VerifyInclusion(tlog::LeafHash(proof.leaf), proof.index, checkpoint.size,
                                           proof.path, checkpoint.root_hash));

  const State& s = *state_;
  CmsPtr cms(CMS_sign(nullptr, nullptr, nullptr, nullptr, CMS_PARTIAL | CMS_BINARY));
  if (!cms) return crypto::OpensslFailure("CMS_sign");
  // Signed attributes: content type, message digest and signing time (OpenSSL adds them), and
  // signing-certificate-v2 (added here; OpenSSL 3.0 has no public call for it).
  CMS_SignerInfo* si = CMS_add1_signer(cms.get(), s.certificate.get(), s.key.get(), s.digest,
                                       CMS_BINARY | CMS_NOSMIMECAP);
  if (si == nullptr) return crypto::OpensslFailure("CMS_add1_signer");
  for (const X509Ptr& c : s.chain) {
    if (CMS_add1_cert(cms.get(), c.get()) != 1) return crypto::OpensslFailure("CMS_add1_cert");
  }
  if (CMS_signed_add1_attr_by_NID(si, NID_id_smime_aa_signingCertificateV2, V_ASN1_SEQUENCE,
                                  s.signing_certificate_v2.data(),
                                  static_cast<int>(s.signing_certificate_v2.size())) != 1) {
    return crypto::OpensslFailure("signing-certificate-v2");
  }
  BioPtr content(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
  if (!content || CMS_final(cms.get(), content.get(), nullptr, CMS_BINARY) != 1) {
    return crypto::OpensslFailure("CMS_final");
  }
  // CAdES-T: the time-stamp covers the signature value.
  const ASN1_OCTET_STRING* sig = CMS_SignerInfo_get0_signature(si);
  const crypto::Digest256 imprint = crypto::Sha256(
      ByteView(ASN1_STRING_get0_data(sig), static_cast<size_t>(ASN1_STRING_length(sig))));
  SP_ASSIGN_OR_RETURN(const Bytes token, s.stamper->TimeStamp(imprint));
  if (CMS_unsigned_add1_attr_by_NID(si, NID_id_smime_aa_timeStampToken, V_ASN1_SEQUENCE,
                                    token.data(), static_cast<int>(token.size())) != 1) {
    return crypto::OpensslFailure("signatureTimeStampToken");
  }
  const Bytes proof_text = ToBytes(EncodeLogProof(proof));
  Asn1ObjectPtr proof_oid(OBJ_txt2obj(std::string(kLogProofAttributeOid).c_str(), 1));
  if (!proof_oid ||
      CMS_unsigned_add1_attr_by_OBJ(si, proof_oid.get(), V_ASN1_OCTET_STRING, proof_text.data(),
                                    static_cast<int>(proof_text.size())) != 1) {
    return crypto::OpensslFailure("log proof attribute");
  }
  unsigned char* der = nullptr;
  const int len = i2d_CMS_ContentInfo(cms.get(), &der);
  if (len <= 0) return crypto::OpensslFailure("i2d_CMS_ContentInfo");
  Bytes out(der, der + len);
  OPENSSL_free(der);
  return out;
}

}  // namespace sealpost::receipts
