// Where receipts' RFC 3161 time-stamps come from: the built-in TSA in this process, or the
// external TSA of `[receipts] tsa_url` (docs/sealpost.example.toml).
//
// The external one is a receipts::ExternalTimeStamper (the request, and every check of the
// answer: status, nonce, imprint, signature and chain to tsa_ca_file, EKU timeStamping) over an
// HTTPS POST of `application/timestamp-query` made here. The HTTP adapter lives in cmd/, the
// composition root, because receipts/ may not include http/ (http/ is the higher layer) and http/
// should not learn about time-stamping: so receipts/ stays free of network code, http/ of RFC 3161.
//
// SECURITY: the TSA's HTTP answer is untrusted: one deadline (tsa_timeout_ms) for the whole
// exchange, at most kMaxTsaResponseBytes of body, status 200 with content type
// application/timestamp-reply, and then the checks of receipts/external_time_stamper.h.
//
// Thread-safety: the stampers returned may be used from many threads at once.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "cmd/config.h"
#include "core/status.h"
#include "receipts/receipt_issuer.h"
#include "receipts/tsa.h"

namespace sealpost::cmd {

// A TimeStampResp with its token and certificate chain is a few KiB; anything larger is refused.
inline constexpr size_t kMaxTsaResponseBytes = 256 * 1024;

// The stamper for the ReceiptIssuer: InProcessTimeStamper over `builtin` when
// config.receipts_tsa_url is empty (`builtin` must then outlive it), else MakeExternalTimeStamper.
Result<std::unique_ptr<receipts::TimeStamper>> MakeTimeStamper(
    const Config& config, const receipts::TimeStampAuthority& builtin);

// The external TSA's stamper. InvalidArgument when tsa_url is empty or tsa_ca_file (or
// tsa_tls_ca_file) cannot be read or holds no certificate. Nothing is sent until TimeStamp().
Result<std::unique_ptr<receipts::TimeStamper>> MakeExternalTimeStamper(const Config& config);

// `sealpost admin time-stamp FILE --out TOKEN`: asks the configured external TSA for a token over
// SHA-256(FILE), checks it as receipts would, and writes it (DER) to `out_path`, so an operator
// can try the TSA settings (and `openssl ts -verify -token_in` can check the token).
// Exit codes: 0 written, 1 the TSA failed or its answer was refused (the reason printed), 2 the
// configuration or the files are wrong.
int TimeStampCommand(const Config& config, const std::string& file_path,
                     const std::string& out_path);

}  // namespace sealpost::cmd
