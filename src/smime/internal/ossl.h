// RAII for the OpenSSL handles smime/ uses (unique_ptr with the matching free function), and
// small helpers shared by its translation units. Internal to smime/.
#pragma once

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <memory>
#include <string>

#include "core/encoding.h"
#include "core/status.h"
#include "core/time.h"

namespace sealpost::smime::internal {

struct BioFree {
  void operator()(BIO* p) const { BIO_free(p); }
};
struct X509Free {
  void operator()(X509* p) const { X509_free(p); }
};
struct X509StackFree {
  void operator()(STACK_OF(X509) * p) const { sk_X509_pop_free(p, X509_free); }
};
struct X509StoreFree {
  void operator()(X509_STORE* p) const { X509_STORE_free(p); }
};
struct X509StoreCtxFree {
  void operator()(X509_STORE_CTX* p) const { X509_STORE_CTX_free(p); }
};
struct CmsFree {
  void operator()(CMS_ContentInfo* p) const { CMS_ContentInfo_free(p); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};

using BioPtr = std::unique_ptr<BIO, BioFree>;
using X509Ptr = std::unique_ptr<X509, X509Free>;
// A stack that owns its certificates (sk_X509_pop_free).
using X509StackPtr = std::unique_ptr<STACK_OF(X509), X509StackFree>;
using X509StorePtr = std::unique_ptr<X509_STORE, X509StoreFree>;
using X509StoreCtxPtr = std::unique_ptr<X509_STORE_CTX, X509StoreCtxFree>;
using CmsPtr = std::unique_ptr<CMS_ContentInfo, CmsFree>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;

// A read-only memory BIO over `bytes` (no copy: `bytes` must outlive it).
BioPtr ReadOnlyBio(ByteView bytes);
// Everything written to a memory BIO so far.
Bytes BioContents(BIO* bio);

// DER encoding of a certificate.
Result<Bytes> CertificateDer(const X509* cert);

// Seconds since the Unix epoch of a time point, as OpenSSL's verification time wants it.
time_t ToTimeT(TimePoint t);

}  // namespace sealpost::smime::internal
