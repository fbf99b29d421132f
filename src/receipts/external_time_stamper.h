// A TimeStamper (receipt_issuer.h) backed by an RFC 3161 time-stamping authority outside this
// process, reached through a transport the caller supplies. receipts/ holds no network code (the
// layering puts http/ above it): the composition root (cmd/time_stamper.h) hands in an HTTPS
// POST; tests hand in a function.
//
// Each TimeStamp() builds a TimeStampReq (SHA-256 imprint, a random 64-bit nonce, certReq true),
// sends it, and uses the answer only when all of these hold:
//   - it is exactly one DER TimeStampResp with status granted (or grantedWithMods);
//   - its token's version is 1 and its message imprint and nonce are the request's;
//   - the token's signature verifies, with the signing certificate (the token carries it, as
//     certReq asked) chaining to one of `roots` at the current time, its ESSCertID(v2) matching,
//     and that certificate fit to sign time-stamps (critical EKU id-kp-timeStamping only:
//     OpenSSL's X509_PURPOSE_TIMESTAMP_SIGN, checked again explicitly).
// Otherwise Unavailable, naming what failed ("not a TimeStampResp", "refused", "nonce mismatch",
// "message imprint mismatch", "does not verify against the configured CA").
//
// SECURITY: the transport's answer is untrusted bytes from the network (any size the transport
// lets through; the HTTPS transport caps it at kMaxTsaResponseBytes, cmd/time_stamper.h). It is
// parsed by OpenSSL and trusted only after the checks above.
//
// Thread-safety: TimeStamp() is const and may run on many threads at once if the transport
// allows it (the HTTPS one does).
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "core/encoding.h"
#include "core/status.h"
#include "receipts/receipt_issuer.h"
#include "smime/certificate.h"

namespace sealpost::receipts {

// Sends a DER TimeStampReq and returns the DER TimeStampResp; Unavailable when the TSA cannot be
// reached, answers with an HTTP error, too much, or too late.
using TimeStampTransport = std::function<Result<Bytes>(ByteView query)>;

class ExternalTimeStamper final : public TimeStamper {
 public:
  // `roots`: the trust anchors for the TSA's certificate (tsa_ca_file). InvalidArgument when
  // there are none or the transport is empty.
  static Result<std::unique_ptr<ExternalTimeStamper>> Create(std::vector<smime::Certificate> roots,
                                                             TimeStampTransport transport);
  ~ExternalTimeStamper() override;
  ExternalTimeStamper(const ExternalTimeStamper&) = delete;
  ExternalTimeStamper& operator=(const ExternalTimeStamper&) = delete;

  Result<Bytes> TimeStamp(ByteView sha256_imprint) const override;

  struct State;

 private:
  explicit ExternalTimeStamper(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace sealpost::receipts
