// Outgoing system mail (address verification for now; notifications later).
//
// With no relay configured, mail is written as .eml files into an outbox directory, which a
// newcomer can open by hand and the tests read. A relay-backed Mailer (SMTP client with
// STARTTLS) replaces it when `[mail] relay` is set. Thread-safe.
#pragma once

#include <memory>
#include <string>

#include "core/address.h"
#include "core/status.h"
#include "platform/clock.h"
#include "platform/filesystem.h"
#include "platform/rng.h"

namespace sealpost::delivery {

struct OutgoingMail {
  EmailAddress to;
  std::string subject;  // plain ASCII or UTF-8 (encoded per RFC 2047 when needed)
  std::string text;     // text/plain body
};

class Mailer {
 public:
  virtual ~Mailer() = default;
  // Returns once the mail is durably handed over (file fsynced, or relay answered 250).
  virtual Status Send(const OutgoingMail& mail) = 0;
};

struct EmlOutboxOptions {
  std::string directory;
  std::string from_address;  // e.g. "Sealpost <no-reply@localhost.localdomain>"
  std::string hostname;      // for Message-ID
};

std::unique_ptr<Mailer> MakeEmlOutboxMailer(platform::Filesystem& fs, const platform::Clock& clock,
                                            platform::Rng& rng, EmlOutboxOptions options);

// The RFC 5322 text of `mail` (exposed for tests).
std::string RenderMessage(const OutgoingMail& mail, const std::string& from,
                          const std::string& message_id, TimePoint date);

}  // namespace sealpost::delivery
