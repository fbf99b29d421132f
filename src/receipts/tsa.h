// The platform's RFC 3161 time-stamping authority (docs/formats/platform-pki.md, "Time-stamping").
//
// Respond() takes a DER TimeStampReq and returns a DER TimeStampResp signed with the TSA
// certificate (trust/platform_pki.h issues it: EKU id-kp-timeStamping, critical). It is built on
// OpenSSL's TS_RESP_CTX; a fresh context per request keeps it free of shared mutable state.
//
// What a granted token holds: the policy OID of TsaOptions (a request that names another policy
// is rejected, unacceptedPolicy), the requester's message imprint and nonce, a random 128-bit
// serial number, genTime from the platform::Clock in whole seconds with the configured accuracy,
// and an ESSCertIDv2 (SHA-256, RFC 5816) of the TSA certificate. When the request sets certReq,
// the token also carries the TSA certificate and the chain given to Create().
//
// SECURITY: `query` is untrusted bytes from anyone on the network (POST /tsa needs no session).
// Queries over crypto::policy::kTsa.max_query_bytes are refused with TooLarge before parsing.
// Everything else gets a TimeStampResp, never an error: a query that is not exactly one DER
// TimeStampReq (garbage, truncated, trailing bytes) is answered with status rejection, failInfo
// badDataFormat; a version other than 1 with badRequest; an imprint hash outside
// kTsa.imprint_digests (SHA-1, MD5, an unknown OID, or parameters other than NULL) with badAlg; an
// imprint whose length does not match its algorithm with badDataFormat. Internal only when OpenSSL
// itself fails (out of memory).
//
// Thread-safety: Respond() is const and safe to call from many threads at once.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/encoding.h"
#include "core/status.h"
#include "platform/clock.h"
#include "smime/platform_ca.h"

namespace sealpost::receipts {

// Sealpost's default TSA policy: an OID under the ITU-T X.667 UUID arc 2.25, which anyone may
// mint without registration (the UUID 26c53e6a-5277-46e9-8dc8-94c35d78309b, drawn at random for
// this purpose). An organisation with its own arc (a private enterprise number) configures its own.
inline constexpr std::string_view kDefaultTsaPolicyOid =
    "2.25.51534812254060784980597431590958149787";

struct TsaOptions {
  std::string policy_oid = std::string(kDefaultTsaPolicyOid);  // dotted decimal
  // The accuracy the token states (RFC 3161 "accuracy"): how far genTime may be from UTC.
  // 1 ms to 1 h.
  std::chrono::milliseconds accuracy{1000};
};

class TimeStampAuthority final {
 public:
  // `tsa`: a certificate of profile kTimeStamping with its key; `chain`: the certificates above
  // it (issuing CA first), sent with the token when certReq is set. InvalidArgument when the
  // certificate is not fit to sign time-stamps, the key does not match, the policy is not an OID
  // or the accuracy is out of range.
  static Result<std::unique_ptr<TimeStampAuthority>> Create(
      const smime::IssuedKey& tsa, const std::vector<smime::Certificate>& chain,
      const platform::Clock& clock, TsaOptions options);
  ~TimeStampAuthority();
  TimeStampAuthority(const TimeStampAuthority&) = delete;
  TimeStampAuthority& operator=(const TimeStampAuthority&) = delete;

  // DER TimeStampResp for a DER TimeStampReq; see SECURITY above.
  Result<Bytes> Respond(ByteView query) const;

  // For a caller in this process (receipts::InProcessTimeStamper): the token (DER ContentInfo)
  // of a granted response to `query`, without the response's DER round trip (parsing the
  // response back would decode its certificates, which costs more than the signature).
  // Unavailable when the query is refused (the reasons of Respond), TooLarge as Respond.
  Result<Bytes> RespondWithToken(ByteView query) const;

  const std::string& policy_oid() const;

  struct State;  // opaque: the OpenSSL handles, in tsa.cpp

 private:
  explicit TimeStampAuthority(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace sealpost::receipts
