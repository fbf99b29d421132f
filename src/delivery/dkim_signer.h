// DKIM signatures (RFC 6376) for the mail Sealpost sends, made by libopendkim: rsa-sha256,
// relaxed/relaxed canonicalisation, over From, To, Subject, Date, Message-ID, MIME-Version,
// Content-Type and Auto-Submitted (those present; From is always present in our mail).
//
// The private key is a secret: it is read from its file straight into locked memory
// (crypto::SecretBytes) and never logged; libopendkim's own copies live in memory it allocates
// through us, which is wiped when freed. Thread-safe: Sign may run on several threads at once.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"
#include "crypto/secret_bytes.h"

namespace sealpost::delivery {

struct DkimOptions {
  std::string key_file;  // PEM private key (RSA, at least 1024 bits; 2048 recommended)
  std::string selector;  // the DNS label: <selector>._domainkey.<domain>
  std::string domain;    // d=
};

class DkimSigner {
 public:
  virtual ~DkimSigner() = default;
  // The complete "DKIM-Signature: …" header field, CRLF-terminated and folded, to put before the
  // other header fields of `message` (an RFC 5322 message with CRLF line ends).
  virtual Result<std::string> Sign(std::string_view message) const = 0;
};

// Checks the selector and domain, reads the key file and makes a test signature, so a bad key is
// reported at start-up, not at the first mail. Errors name the key file, never its content.
Result<std::shared_ptr<const DkimSigner>> LoadDkimSigner(const DkimOptions& options);

// The same from a PEM key already in memory (tests).
Result<std::shared_ptr<const DkimSigner>> MakeDkimSigner(crypto::SecretBytes pem_key,
                                                         std::string selector, std::string domain);

}  // namespace sealpost::delivery
