#include "receipts/receipt_verifier.h"

#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cctype>

#include "crypto/hash.h"
#include "crypto/openssl_error.h"
#include "receipts/internal/ossl_ptr.h"
#include "receipts/internal/receipt_cms.h"
#include "receipts/receipt.h"
#include "tlog/checkpoint.h"
#include "tlog/log_entry.h"

namespace sealpost::receipts {

using internal::BioPtr;
using internal::CmsPtr;
using internal::Pkcs7Ptr;
using internal::TsVerifyCtxPtr;
using internal::X509Ptr;
using internal::X509StackPtr;
using internal::X509StorePtr;

namespace {

constexpr std::string_view kDocumentSigningOid = "1.3.6.1.5.5.7.3.36";  // RFC 9336

using EkuPtr = std::unique_ptr<EXTENDED_KEY_USAGE, internal::OsslDeleter<EXTENDED_KEY_USAGE_free>>;
using TstInfoPtr = std::unique_ptr<TS_TST_INFO, internal::OsslDeleter<TS_TST_INFO_free>>;

Result<X509StorePtr> RootStore(const std::vector<smime::Certificate>& roots) {
  X509StorePtr store(X509_STORE_new());
  if (!store) return crypto::OpensslFailure("X509_STORE_new");
  for (const smime::Certificate& root : roots) {
    const unsigned char* p = root.der().data();
    X509Ptr x(d2i_X509(nullptr, &p, static_cast<long>(root.der().size())));  // NOLINT
    if (!x || X509_STORE_add_cert(store.get(), x.get()) != 1) {
      return crypto::OpensslFailure("root certificate");
    }
  }
  return store;
}

bool HasDocumentSigning(X509* cert) {
  EkuPtr eku(static_cast<EXTENDED_KEY_USAGE*>(
      X509_get_ext_d2i(cert, NID_ext_key_usage, nullptr, nullptr)));
  if (!eku) return false;
  for (int i = 0; i < sk_ASN1_OBJECT_num(eku.get()); ++i) {
    char oid[80];
    OBJ_obj2txt(oid, sizeof(oid), sk_ASN1_OBJECT_value(eku.get(), i), 1);
    if (kDocumentSigningOid == oid) return true;
  }
  return false;
}

std::string SubjectOf(X509* cert) {
  char buf[256];
  X509_NAME_oneline(X509_get_subject_name(cert), buf, sizeof(buf));
  return buf;
}

// CMS signature, chain to the roots, signed attributes, signer EKU.
Status CheckSignature(CMS_ContentInfo* cms, CMS_SignerInfo* si,
                      const std::vector<smime::Certificate>& roots, std::string& detail) {
  SP_ASSIGN_OR_RETURN(X509StorePtr store, RootStore(roots));
  // The evidence certificate's EKU is documentSigning, which no OpenSSL purpose knows: chain
  // checks run with purpose "any", and the EKU is checked below.
  X509_STORE_set_purpose(store.get(), X509_PURPOSE_ANY);
  if (CMS_signed_get_attr_by_NID(si, NID_id_smime_aa_signingCertificateV2, -1) < 0 ||
      CMS_signed_get_attr_by_NID(si, NID_pkcs9_signingTime, -1) < 0) {
    return Unauthenticated("signing-certificate-v2 or signing time missing");
  }
  BioPtr out(BIO_new(BIO_s_mem()));
  if (!out) return crypto::OpensslFailure("BIO_new");
  // CMS_verify also checks the ESS signing-certificate-v2 attribute against the signer.
  if (CMS_verify(cms, nullptr, store.get(), nullptr, out.get(), CMS_BINARY) != 1) {
    return Unauthenticated("CMS verification failed: " + crypto::DrainOpensslErrors());
  }
  X509StackPtr signers(CMS_get0_signers(cms));
  // CMS_get0_signers returns a stack of borrowed pointers: free the stack only.
  X509* signer =
      signers && sk_X509_num(signers.get()) == 1 ? sk_X509_value(signers.get(), 0) : nullptr;
  const bool eku_ok = signer != nullptr && HasDocumentSigning(signer);
  if (signer != nullptr) detail = "signed by " + SubjectOf(signer);
  sk_X509_free(signers.release());
  (void)si;
  if (!eku_ok) return Unauthenticated("the signer certificate is not for document signing");
  return Status::Ok();
}

// RFC 3161 token over SHA-256(signature value), by a TSA chaining to the roots.
Status CheckTimeStamp(ByteView token, ByteView signature, CMS_ContentInfo* cms,
                      const std::vector<smime::Certificate>& roots, std::string& detail) {
  const unsigned char* p = token.data();
  Pkcs7Ptr pkcs7(d2i_PKCS7(nullptr, &p, static_cast<long>(token.size())));  // NOLINT
  if (!pkcs7 || p != token.data() + token.size()) {
    ERR_clear_error();
    return InvalidArgument("the time-stamp token does not parse");
  }
  TsVerifyCtxPtr ctx(TS_VERIFY_CTX_new());
  SP_ASSIGN_OR_RETURN(X509StorePtr store, RootStore(roots));
  if (!ctx) return crypto::OpensslFailure("TS_VERIFY_CTX_new");
  const crypto::Digest256 imprint = crypto::Sha256(signature);
  auto* imprint_copy = static_cast<unsigned char*>(OPENSSL_memdup(imprint.data(), imprint.size()));
  if (imprint_copy == nullptr) return crypto::OpensslFailure("OPENSSL_memdup");
  TS_VERIFY_CTX_set_flags(ctx.get(), TS_VFY_VERSION | TS_VFY_SIGNATURE | TS_VFY_IMPRINT);
  TS_VERIFY_CTX_set_imprint(ctx.get(), imprint_copy, static_cast<long>(imprint.size()));  // NOLINT
  TS_VERIFY_CTX_set_store(ctx.get(), store.release());  // the context owns it now
  // The receipt's certificates may complete the TSA's chain (the issuing CA).
  TS_VERIFY_CTX_set_certs(ctx.get(), CMS_get1_certs(cms));
  if (TS_RESP_verify_token(ctx.get(), pkcs7.get()) != 1) {
    return Unauthenticated("time-stamp verification failed: " + crypto::DrainOpensslErrors());
  }
  TstInfoPtr info(PKCS7_to_TS_TST_INFO(pkcs7.get()));
  if (info) {
    const ASN1_GENERALIZEDTIME* t = TS_TST_INFO_get_time(info.get());
    detail = "time-stamped at " +
             std::string(reinterpret_cast<const char*>(t->data), static_cast<size_t>(t->length)) +
             ", imprint " + HexEncode(imprint);
  }
  return Status::Ok();
}

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

}  // namespace

bool ReceiptReport::valid() const {
  return !checks.empty() && std::none_of(checks.begin(), checks.end(), [](const ReceiptCheck& c) {
    return c.outcome == CheckOutcome::kFailed;
  });
}

const ReceiptCheck* ReceiptReport::Find(std::string_view part) const {
  for (const ReceiptCheck& c : checks) {
    if (c.part == part) return &c;
  }
  return nullptr;
}

ReceiptReport VerifyReceipt(ByteView receipt, const ReceiptVerifyOptions& options) {
  ReceiptReport report;
  const auto add = [&report](std::string part, const Status& st, std::string detail = "") {
    report.checks.push_back({std::move(part),
                             st.ok() ? CheckOutcome::kPassed : CheckOutcome::kFailed,
                             st.ok() ? std::move(detail) : st.message()});
  };
  const auto skip = [&report](std::string part, std::string why) {
    report.checks.push_back({std::move(part), CheckOutcome::kSkipped, std::move(why)});
  };

  // structure
  auto cms = internal::ReadCms(receipt);
  if (!cms.ok()) return add("structure", cms.status()), report;
  auto si = internal::OnlySigner(cms->get());
  if (!si.ok()) return add("structure", si.status()), report;
  ASN1_OCTET_STRING** content = CMS_get0_content(cms->get());
  if (OBJ_obj2nid(CMS_get0_eContentType(cms->get())) != NID_pkcs7_data || content == nullptr ||
      *content == nullptr) {
    add("structure", InvalidArgument("the document is not encapsulated id-data"));
    return report;
  }
  auto token = internal::UnsignedAttribute(*si, kSignatureTimeStampTokenOid, V_ASN1_SEQUENCE);
  auto proof_attr = internal::UnsignedAttribute(*si, kLogProofAttributeOid, V_ASN1_OCTET_STRING);
  if (!token.ok()) return add("structure", token.status()), report;
  if (!proof_attr.ok()) return add("structure", proof_attr.status()), report;
  add("structure", Status::Ok());
  report.document_text.assign(reinterpret_cast<const char*>(ASN1_STRING_get0_data(*content)),
                              static_cast<size_t>(ASN1_STRING_length(*content)));
  const ByteView signature = internal::SignatureValue(*si);

  std::string detail;
  // The status first: the detail is filled in by the check (argument order is unspecified).
  const Status signature_ok = CheckSignature(cms->get(), *si, options.roots, detail);
  add("signature", signature_ok, detail);
  ERR_clear_error();

  auto document = ParseEvidenceDocument(report.document_text);
  add("document", document.status());
  if (document.ok()) report.document = *document;

  detail.clear();
  std::vector<smime::Certificate> time_stamp_roots = options.roots;
  time_stamp_roots.insert(time_stamp_roots.end(), options.tsa_roots.begin(),
                          options.tsa_roots.end());
  const Status time_stamp_ok =
      CheckTimeStamp(*token, signature, cms->get(), time_stamp_roots, detail);
  add("time-stamp", time_stamp_ok, detail);
  ERR_clear_error();

  if (!options.sealed_digest_hex) {
    skip("sealed digest", "no --message or --digest given");
  } else if (!document.ok()) {
    add("sealed digest", InvalidArgument("no document to compare with"));
  } else {
    add("sealed digest",
        Lower(*options.sealed_digest_hex) == document->sealed_digest_hex
            ? Status::Ok()
            : Unauthenticated("the receipt is for a message with another sealed digest"),
        document->sealed_digest_hex);
  }

  // log proof, checkpoint signature, log entry
  auto proof = ParseLogProof(AsChars(*proof_attr));
  if (!proof.ok()) {
    add("log proof", proof.status());
    skip("checkpoint signature", "no proof");
    skip("log entry", "no proof");
    return report;
  }
  Result<tlog::Checkpoint> checkpoint = InvalidArgument("unchecked");
  if (options.log_key) {
    const tlog::NoteVerifier verifiers[] = {*options.log_key};
    checkpoint = tlog::OpenCheckpoint(proof->checkpoint, verifiers);
    add("checkpoint signature", checkpoint.status(),
        checkpoint.ok() ? "signed by " + options.log_key->name : "");
  } else {
    auto note = tlog::ParseNote(proof->checkpoint);
    checkpoint =
        note.ok() ? tlog::ParseCheckpoint(note->text) : Result<tlog::Checkpoint>(note.status());
    skip("checkpoint signature", "no --log-key given");
  }
  Status inclusion = checkpoint.status();
  if (inclusion.ok() && document.ok()) {
    if (checkpoint->origin != document->log_origin) {
      inclusion = Unauthenticated("the checkpoint is of another log than the document names");
    } else if (proof->index != document->log_index) {
      inclusion = Unauthenticated("the proof is for another log index than the document names");
    } else {
      inclusion = tlog::VerifyInclusion(tlog::LeafHash(proof->leaf), proof->index, checkpoint->size,
                                        proof->path, checkpoint->root_hash);
    }
  } else if (inclusion.ok()) {
    inclusion = InvalidArgument("no document to compare with");
  }
  add("log proof", inclusion,
      inclusion.ok() ? "leaf " + std::to_string(proof->index) + " of " +
                           std::to_string(checkpoint->size) + " in " + checkpoint->origin
                     : "");
  auto entry = tlog::ParseLogEntry(proof->leaf);
  if (!entry.ok()) {
    add("log entry", entry.status());
  } else if (!document.ok()) {
    add("log entry", InvalidArgument("no document to compare with"));
  } else {
    add("log entry", CheckLeafRecordsEvent(*entry, *document), entry->event.type);
  }
  return report;
}

}  // namespace sealpost::receipts
