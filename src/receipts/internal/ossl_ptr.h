// unique_ptr aliases for the OpenSSL handles receipts/ holds (RAII for every C handle).
// smime/ has its own for its types; each folder keeps its OpenSSL use private.
#pragma once

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/cms.h>
#include <openssl/ess.h>
#include <openssl/evp.h>
#include <openssl/ts.h>
#include <openssl/x509.h>

#include <memory>

namespace sealpost::receipts::internal {

template <auto Fn>
struct OsslDeleter {
  template <typename T>
  void operator()(T* p) const {
    Fn(p);
  }
};

inline void FreeX509Stack(STACK_OF(X509) * stack) { sk_X509_pop_free(stack, X509_free); }

using Asn1IntegerPtr = std::unique_ptr<ASN1_INTEGER, OsslDeleter<ASN1_INTEGER_free>>;
using Asn1ObjectPtr = std::unique_ptr<ASN1_OBJECT, OsslDeleter<ASN1_OBJECT_free>>;
using BignumPtr = std::unique_ptr<BIGNUM, OsslDeleter<BN_free>>;
using BioPtr = std::unique_ptr<BIO, OsslDeleter<BIO_free>>;
using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, OsslDeleter<EVP_PKEY_free>>;
using CmsPtr = std::unique_ptr<CMS_ContentInfo, OsslDeleter<CMS_ContentInfo_free>>;
using EssSigningCertV2Ptr =
    std::unique_ptr<ESS_SIGNING_CERT_V2, OsslDeleter<ESS_SIGNING_CERT_V2_free>>;
using Pkcs7Ptr = std::unique_ptr<PKCS7, OsslDeleter<PKCS7_free>>;
using TsVerifyCtxPtr = std::unique_ptr<TS_VERIFY_CTX, OsslDeleter<TS_VERIFY_CTX_free>>;
using X509StorePtr = std::unique_ptr<X509_STORE, OsslDeleter<X509_STORE_free>>;
using TsReqPtr = std::unique_ptr<TS_REQ, OsslDeleter<TS_REQ_free>>;
using TsRespCtxPtr = std::unique_ptr<TS_RESP_CTX, OsslDeleter<TS_RESP_CTX_free>>;
using TsRespPtr = std::unique_ptr<TS_RESP, OsslDeleter<TS_RESP_free>>;
using X509Ptr = std::unique_ptr<X509, OsslDeleter<X509_free>>;
using X509StackPtr = std::unique_ptr<STACK_OF(X509), OsslDeleter<FreeX509Stack>>;

}  // namespace sealpost::receipts::internal
