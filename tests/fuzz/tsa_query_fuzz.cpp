// Fuzz target: RFC 3161 time-stamp queries through receipts::TimeStampAuthority::Respond, as
// POST /tsa receives them from anyone (docs/formats/platform-pki.md).
//
// Invariants checked: no crash, exception or sanitizer report; a query over the limit is
// refused with TooLarge and every other query gets a reply, never an error; the reply is exactly
// one DER TimeStampResp whose status is granted or rejection; a granted reply answers a query
// that is exactly one DER TimeStampReq with an accepted hash, and its token verifies against
// that query (imprint, nonce, policy) under the fixed root; a rejection carries no token.
//
// SECURITY: POST /tsa needs no session: these bytes come from anyone on the network.
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/ts.h>
#include <openssl/x509.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>

#include "crypto/security_policy.h"
#include "platform/clock.h"
#include "receipts/tsa.h"
#include "smime/platform_ca.h"

namespace {

namespace smime = sealpost::smime;

void Check(bool condition) {
  if (!condition) std::abort();
}

X509* ParseX509(const smime::Certificate& cert) {
  const unsigned char* p = cert.der().data();
  X509* x = d2i_X509(nullptr, &p, static_cast<long>(cert.der().size()));  // NOLINT(runtime/int)
  Check(x != nullptr);
  return x;
}

// Made once per process: a root, an issuing CA and a TSA, and a clock that never moves.
struct Fixture {
  sealpost::platform::FakeClock clock{std::chrono::system_clock::now()};
  std::unique_ptr<sealpost::receipts::TimeStampAuthority> tsa;
  X509* root = nullptr;
  STACK_OF(X509) * chain = nullptr;  // issuing CA and TSA certificate

  Fixture() {
    const smime::CaNames names;
    auto root_ca = smime::CreateRootCa(names, clock.Now());
    Check(root_ca.ok());
    auto issuing = smime::CreateIssuingCa(*root_ca, names, clock.Now());
    Check(issuing.ok());
    auto leaf = smime::IssueLeafWithNewKey(
        *issuing, names, {smime::LeafProfile::kTimeStamping, "Fuzz TSA", std::nullopt},
        clock.Now());
    Check(leaf.ok());
    auto made =
        sealpost::receipts::TimeStampAuthority::Create(*leaf, {issuing->certificate}, clock, {});
    Check(made.ok());
    tsa = std::move(*made);
    root = ParseX509(root_ca->certificate);
    chain = sk_X509_new_null();
    Check(chain != nullptr && sk_X509_push(chain, ParseX509(issuing->certificate)) > 0 &&
          sk_X509_push(chain, ParseX509(leaf->certificate)) > 0);
  }
};

const Fixture& Get() {
  static const Fixture* fixture = new Fixture();  // lives for the process, like the server's
  return *fixture;
}

bool AcceptedHash(TS_REQ* req) {
  const X509_ALGOR* alg = TS_MSG_IMPRINT_get_algo(TS_REQ_get_msg_imprint(req));
  const int nid = OBJ_obj2nid(alg->algorithm);
  return nid == NID_sha256 || nid == NID_sha384 || nid == NID_sha512;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const Fixture& f = Get();
  auto reply = f.tsa->Respond({data, size});
  if (size > sealpost::crypto::policy::kTsa.max_query_bytes) {
    Check(!reply.ok() && reply.status().code() == sealpost::ErrorCode::kTooLarge);
    return 0;
  }
  Check(reply.ok());

  const unsigned char* p = reply->data();
  std::unique_ptr<TS_RESP, decltype(&TS_RESP_free)> resp(
      d2i_TS_RESP(nullptr, &p, static_cast<long>(reply->size())), &TS_RESP_free);  // NOLINT
  Check(resp != nullptr && p == reply->data() + reply->size());
  const long status =  // NOLINT(runtime/int): OpenSSL's type
      ASN1_INTEGER_get(TS_STATUS_INFO_get0_status(TS_RESP_get_status_info(resp.get())));
  Check(status == TS_STATUS_GRANTED || status == TS_STATUS_REJECTION);
  if (status == TS_STATUS_REJECTION) {
    Check(TS_RESP_get_token(resp.get()) == nullptr);
    ERR_clear_error();
    return 0;
  }

  const unsigned char* q = data;
  std::unique_ptr<TS_REQ, decltype(&TS_REQ_free)> req(
      d2i_TS_REQ(nullptr, &q, static_cast<long>(size)), &TS_REQ_free);  // NOLINT
  Check(req != nullptr && q == data + size && AcceptedHash(req.get()));

  TS_VERIFY_CTX* verify = TS_REQ_to_TS_VERIFY_CTX(req.get(), nullptr);
  Check(verify != nullptr);
  X509_STORE* store = X509_STORE_new();  // owned by `verify` from here on
  Check(store != nullptr && X509_STORE_add_cert(store, f.root) == 1);
  TS_VERIFY_CTX_set_store(verify, store);
  TS_VERIFY_CTX_set_certs(verify, X509_chain_up_ref(f.chain));  // owned by `verify`
  TS_VERIFY_CTX_add_flags(verify, TS_VFY_SIGNATURE);
  Check(TS_RESP_verify_response(verify, resp.get()) == 1);
  TS_VERIFY_CTX_free(verify);
  ERR_clear_error();
  return 0;
}
