#include "receipts/tsa.h"

#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include "crypto/openssl_error.h"
#include "crypto/security_policy.h"
#include "receipts/internal/ossl_ptr.h"

namespace sealpost::receipts {

using internal::Asn1IntegerPtr;
using internal::Asn1ObjectPtr;
using internal::BignumPtr;
using internal::BioPtr;
using internal::EvpPkeyPtr;
using internal::TsReqPtr;
using internal::TsRespCtxPtr;
using internal::TsRespPtr;
using internal::X509Ptr;
using internal::X509StackPtr;

struct TimeStampAuthority::State {
  X509Ptr certificate;
  EvpPkeyPtr key;
  X509StackPtr chain;
  Asn1ObjectPtr policy;
  std::vector<const EVP_MD*> imprint_digests;
  const EVP_MD* sign_digest = nullptr;
  const platform::Clock* clock = nullptr;
  TsaOptions options;
};

namespace {

Result<X509Ptr> ParseCertificate(const smime::Certificate& certificate) {
  const Bytes& der = certificate.der();
  const unsigned char* p = der.data();
  X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));  // NOLINT(runtime/int)
  if (!cert) return crypto::OpensslFailure("d2i_X509");
  return cert;
}

Result<const EVP_MD*> Digest(std::string_view name) {
  const EVP_MD* md = EVP_get_digestbyname(std::string(name).c_str());
  if (md == nullptr) return Internal("OpenSSL lacks the digest " + std::string(name));
  return md;
}

// genTime from the Clock seam, in whole seconds (the token states its accuracy).
int TimeFromClock(TS_RESP_CTX*, void* data, long* sec, long* usec) {  // NOLINT(runtime/int)
  const auto* clock = static_cast<const platform::Clock*>(data);
  const int64_t ms = ToUnixMillis(clock->Now());
  *sec = static_cast<long>(ms / 1000);  // NOLINT(runtime/int)
  *usec = 0;
  return 1;
}

// 128 random bits, never zero (RFC 3161: unique for every token of this TSA).
ASN1_INTEGER* RandomSerial(TS_RESP_CTX* ctx, void*) {
  BignumPtr bn(BN_new());
  if (!bn) return nullptr;
  do {
    if (BN_rand(bn.get(), 128, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1) {
      TS_RESP_CTX_set_status_info(ctx, TS_STATUS_REJECTION,
                                  "Error during serial number generation.");
      TS_RESP_CTX_add_failure_info(ctx, TS_INFO_ADD_INFO_NOT_AVAILABLE);
      return nullptr;
    }
  } while (BN_is_zero(bn.get()));
  return BN_to_ASN1_INTEGER(bn.get(), nullptr);
}

Result<TsRespCtxPtr> NewContext(const TimeStampAuthority::State& s) {
  TsRespCtxPtr ctx(TS_RESP_CTX_new());
  if (!ctx) return crypto::OpensslFailure("TS_RESP_CTX_new");
  // set_signer_cert also checks that the certificate may sign time-stamps (critical EKU
  // id-kp-timeStamping only).
  if (TS_RESP_CTX_set_signer_cert(ctx.get(), s.certificate.get()) != 1) {
    return InvalidArgument("TSA certificate not fit for time-stamping: " +
                           crypto::DrainOpensslErrors());
  }
  if (TS_RESP_CTX_set_signer_key(ctx.get(), s.key.get()) != 1 ||
      TS_RESP_CTX_set_signer_digest(ctx.get(), s.sign_digest) != 1 ||
      TS_RESP_CTX_set_ess_cert_id_digest(ctx.get(), s.sign_digest) != 1 ||
      TS_RESP_CTX_set_certs(ctx.get(), s.chain.get()) != 1 ||
      TS_RESP_CTX_set_def_policy(ctx.get(), s.policy.get()) != 1) {
    return crypto::OpensslFailure("TS_RESP_CTX set-up");
  }
  for (const EVP_MD* md : s.imprint_digests) {
    if (TS_RESP_CTX_add_md(ctx.get(), md) != 1) return crypto::OpensslFailure("TS_RESP_CTX_add_md");
  }
  const int64_t ms = s.options.accuracy.count();
  if (TS_RESP_CTX_set_accuracy(ctx.get(), static_cast<int>(ms / 1000), static_cast<int>(ms % 1000),
                               0) != 1 ||
      TS_RESP_CTX_set_clock_precision_digits(ctx.get(), 0) != 1) {
    return crypto::OpensslFailure("TS_RESP_CTX accuracy");
  }
  TS_RESP_CTX_set_serial_cb(ctx.get(), RandomSerial, nullptr);
  TS_RESP_CTX_set_time_cb(ctx.get(), TimeFromClock, const_cast<platform::Clock*>(s.clock));
  return ctx;
}

// True when `query` is exactly one DER TimeStampReq (OpenSSL's own reader would ignore
// trailing bytes).
bool IsOneRequest(ByteView query) {
  const unsigned char* p = query.data();
  TsReqPtr req(d2i_TS_REQ(nullptr, &p, static_cast<long>(query.size())));  // NOLINT(runtime/int)
  const bool ok = req && p == query.data() + query.size();
  ERR_clear_error();
  return ok;
}

}  // namespace

Result<std::unique_ptr<TimeStampAuthority>> TimeStampAuthority::Create(
    const smime::IssuedKey& tsa, const std::vector<smime::Certificate>& chain,
    const platform::Clock& clock, TsaOptions options) {
  if (options.accuracy < std::chrono::milliseconds(1) || options.accuracy > std::chrono::hours(1)) {
    return InvalidArgument("TSA accuracy must be between 1 ms and 1 h");
  }
  SP_RETURN_IF_ERROR(smime::CheckKeyMatches(tsa.certificate, tsa.key));
  auto state = std::make_unique<State>();
  state->clock = &clock;
  state->options = options;
  state->policy.reset(OBJ_txt2obj(options.policy_oid.c_str(), /*no_name=*/1));
  if (!state->policy) {
    ERR_clear_error();
    return InvalidArgument("TSA policy is not a dotted-decimal OID: " + options.policy_oid);
  }
  SP_ASSIGN_OR_RETURN(state->certificate, ParseCertificate(tsa.certificate));
  {
    SP_ASSIGN_OR_RETURN(const crypto::SecretBytes pkcs8, tsa.key.ExposePkcs8Der());
    const unsigned char* p = pkcs8.data();
    state->key.reset(d2i_AutoPrivateKey(nullptr, &p, static_cast<long>(pkcs8.size())));  // NOLINT
    if (!state->key) return crypto::OpensslFailure("TSA key");
  }
  state->chain.reset(sk_X509_new_null());
  if (!state->chain) return crypto::OpensslFailure("sk_X509_new_null");
  for (const smime::Certificate& c : chain) {
    SP_ASSIGN_OR_RETURN(X509Ptr cert, ParseCertificate(c));
    if (sk_X509_push(state->chain.get(), cert.get()) == 0) return crypto::OpensslFailure("push");
    cert.release();
  }
  for (std::string_view name : crypto::policy::kTsa.imprint_digests) {
    SP_ASSIGN_OR_RETURN(const EVP_MD* md, Digest(name));
    state->imprint_digests.push_back(md);
  }
  SP_ASSIGN_OR_RETURN(state->sign_digest, Digest(crypto::policy::kTsa.sign_digest));
  // Build one context now, so that a certificate unfit for time-stamping fails at start-up.
  SP_RETURN_IF_ERROR(NewContext(*state).status());
  return std::unique_ptr<TimeStampAuthority>(new TimeStampAuthority(std::move(state)));
}

TimeStampAuthority::TimeStampAuthority(std::unique_ptr<State> state) : state_(std::move(state)) {}
TimeStampAuthority::~TimeStampAuthority() = default;

const std::string& TimeStampAuthority::policy_oid() const { return state_->options.policy_oid; }

namespace {

// The response object for `query`: granted or a rejection.
Result<TsRespPtr> CreateResponse(const TimeStampAuthority::State& state, ByteView query) {
  if (query.size() > crypto::policy::kTsa.max_query_bytes) {
    return TooLarge("time-stamp query over 64 KiB");
  }
  SP_ASSIGN_OR_RETURN(TsRespCtxPtr ctx, NewContext(state));
  // A query with trailing bytes is fed as an empty one, which OpenSSL answers with the same
  // rejection (badDataFormat) as any other malformed query.
  const bool whole = IsOneRequest(query);
  static const uint8_t kNothing = 0;
  BioPtr in(BIO_new_mem_buf(whole ? query.data() : &kNothing,
                            whole ? static_cast<int>(query.size()) : 0));
  if (!in) return crypto::OpensslFailure("BIO_new_mem_buf");
  // Rejections (badAlg, badDataFormat, unacceptedPolicy) come back as a response, not as null.
  TsRespPtr response(TS_RESP_create_response(ctx.get(), in.get()));
  if (!response) return crypto::OpensslFailure("TS_RESP_create_response");
  ERR_clear_error();  // a rejected query leaves OpenSSL's reasons on the queue
  return response;
}

}  // namespace

Result<Bytes> TimeStampAuthority::Respond(ByteView query) const {
  SP_ASSIGN_OR_RETURN(const TsRespPtr response, CreateResponse(*state_, query));
  unsigned char* der = nullptr;
  const int len = i2d_TS_RESP(response.get(), &der);
  if (len <= 0) return crypto::OpensslFailure("i2d_TS_RESP");
  Bytes out(der, der + len);
  OPENSSL_free(der);
  return out;
}

Result<Bytes> TimeStampAuthority::RespondWithToken(ByteView query) const {
  SP_ASSIGN_OR_RETURN(const TsRespPtr response, CreateResponse(*state_, query));
  const long status =  // NOLINT(runtime/int)
      ASN1_INTEGER_get(TS_STATUS_INFO_get0_status(TS_RESP_get_status_info(response.get())));
  PKCS7* token = TS_RESP_get_token(response.get());
  if ((status != TS_STATUS_GRANTED && status != TS_STATUS_GRANTED_WITH_MODS) || token == nullptr) {
    return Unavailable("the time-stamping authority refused the query");
  }
  unsigned char* der = nullptr;
  const int len = i2d_PKCS7(token, &der);
  if (len <= 0) return crypto::OpensslFailure("i2d_PKCS7");
  Bytes out(der, der + len);
  OPENSSL_free(der);
  return out;
}

}  // namespace sealpost::receipts
