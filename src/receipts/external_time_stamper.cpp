#include "receipts/external_time_stamper.h"

#include <openssl/err.h>
#include <openssl/pkcs7.h>
#include <openssl/x509v3.h>

#include "crypto/openssl_error.h"
#include "receipts/internal/ossl_ptr.h"

namespace sealpost::receipts {

using internal::Pkcs7Ptr;
using internal::TsVerifyCtxPtr;
using internal::X509Ptr;
using internal::X509StorePtr;

struct ExternalTimeStamper::State {
  X509StorePtr roots;  // read-only after Create; shared by every verification (up-referenced)
  TimeStampTransport transport;
};

namespace {

// The token's signature, chain and signing-certificate attribute against `roots`, and its
// imprint again (TimeStampWith checked it in the response; the token is what is kept).
Status VerifyToken(ByteView token, ByteView imprint, X509_STORE* roots) {
  const unsigned char* p = token.data();
  Pkcs7Ptr pkcs7(d2i_PKCS7(nullptr, &p, static_cast<long>(token.size())));  // NOLINT(runtime/int)
  if (!pkcs7 || p != token.data() + token.size()) {
    ERR_clear_error();
    return Unavailable("the TSA's token does not parse");
  }
  TsVerifyCtxPtr ctx(TS_VERIFY_CTX_new());
  if (!ctx) return crypto::OpensslFailure("TS_VERIFY_CTX_new");
  auto* imprint_copy = static_cast<unsigned char*>(OPENSSL_memdup(imprint.data(), imprint.size()));
  if (imprint_copy == nullptr) return crypto::OpensslFailure("OPENSSL_memdup");
  TS_VERIFY_CTX_set_flags(ctx.get(), TS_VFY_VERSION | TS_VFY_SIGNATURE | TS_VFY_IMPRINT);
  TS_VERIFY_CTX_set_imprint(ctx.get(), imprint_copy, static_cast<long>(imprint.size()));  // NOLINT
  // The context frees its store: it gets a reference of its own.
  if (X509_STORE_up_ref(roots) != 1) return crypto::OpensslFailure("X509_STORE_up_ref");
  TS_VERIFY_CTX_set_store(ctx.get(), roots);
  // TS_RESP_verify_token checks the chain with purpose X509_PURPOSE_TIMESTAMP_SIGN (the signer
  // must carry a critical extendedKeyUsage of id-kp-timeStamping alone) and the ESSCertID(v2).
  if (TS_RESP_verify_token(ctx.get(), pkcs7.get()) != 1) {
    return Unavailable("the TSA's token does not verify against the configured CA: " +
                       crypto::DrainOpensslErrors());
  }
  // The same EKU rule, stated here so that it does not rest on a library default alone.
  STACK_OF(X509)* signers = PKCS7_get0_signers(pkcs7.get(), nullptr, 0);
  const bool fit =
      signers != nullptr && sk_X509_num(signers) == 1 &&
      X509_check_purpose(sk_X509_value(signers, 0), X509_PURPOSE_TIMESTAMP_SIGN, 0) == 1;
  sk_X509_free(signers);  // borrowed pointers: the stack only
  ERR_clear_error();
  if (!fit) return Unavailable("the TSA's certificate is not for time-stamping");
  return Status::Ok();
}

}  // namespace

ExternalTimeStamper::ExternalTimeStamper(std::unique_ptr<State> state) : state_(std::move(state)) {}
ExternalTimeStamper::~ExternalTimeStamper() = default;

Result<std::unique_ptr<ExternalTimeStamper>> ExternalTimeStamper::Create(
    std::vector<smime::Certificate> roots, TimeStampTransport transport) {
  if (roots.empty()) return InvalidArgument("the external TSA needs at least one CA certificate");
  if (!transport) return InvalidArgument("the external TSA needs a transport");
  auto state = std::make_unique<State>();
  state->transport = std::move(transport);
  state->roots.reset(X509_STORE_new());
  if (!state->roots) return crypto::OpensslFailure("X509_STORE_new");
  for (const smime::Certificate& root : roots) {
    const Bytes& der = root.der();
    const unsigned char* p = der.data();
    X509Ptr x(d2i_X509(nullptr, &p, static_cast<long>(der.size())));  // NOLINT(runtime/int)
    if (!x || X509_STORE_add_cert(state->roots.get(), x.get()) != 1) {
      return crypto::OpensslFailure("TSA CA certificate");
    }
  }
  return std::unique_ptr<ExternalTimeStamper>(new ExternalTimeStamper(std::move(state)));
}

Result<Bytes> ExternalTimeStamper::TimeStamp(ByteView sha256_imprint) const {
  // Request, status, version, nonce and imprint: the exchange any RFC 3161 client runs.
  SP_ASSIGN_OR_RETURN(Bytes token, TimeStampWith(sha256_imprint, state_->transport));
  SP_RETURN_IF_ERROR(VerifyToken(token, sha256_imprint, state_->roots.get()));
  return token;
}

}  // namespace sealpost::receipts
