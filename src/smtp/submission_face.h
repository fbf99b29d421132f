// The submission face of the SMTP gateway (issue 13): members' mail programs (Thunderbird,
// Outlook, Apple Mail, msmtp) authenticate with an app password and submit mail, which
// app::MailSubmission turns into a Sealpost send or relays onward (app/mail_submission.h).
//
// Protocol decisions (RFC 6409 submission, RFC 4954 AUTH):
//   AUTH      only inside TLS (538 5.7.11 otherwise); the authorization identity of PLAIN must
//             be empty or the user; after kMaxAuthFailures failures a session refuses further
//             attempts without asking the authenticator (whose own throttle counts across
//             sessions). An authenticator's RateLimited is 454 4.7.0.
//   MAIL      530 5.7.0 before AUTH; 553 5.7.1 unless the reverse path is the member's own
//             address; 552 5.3.4 for a declared SIZE over the limit.
//   revoked   AUTH holds for the connection, so the login is checked again (SubmissionLiveness)
//             at MAIL, at DATA and before the message is submitted: once the app password is
//             revoked or the member disabled, 530 5.7.0 "app password revoked", the session
//             forgets the login (a new AUTH may follow) and nothing is sent.
//   RCPT      503 5.5.1 before MAIL; 452 4.5.3 past max_recipients; the same address twice is
//             accepted and sent to once.
//   DATA      the bytes are spooled as they arrive (encrypted, bounded memory); Commit answers
//             250 2.0.0 only once the message is durable, naming the Sealpost message id or the
//             relay; otherwise the reply of ReplyForStatus and nothing is kept.
//
// Thread-safety: the face is shared by every session (it holds only configuration and the
// injected functions, which must be thread-safe); a session is used by one thread at a time, as
// face.h says.
//
// SECURITY: everything but the Peer comes from an untrusted client. Reply texts carry no detail
// of the server (store errors, paths): only texts written for the client.
#pragma once

#include <functional>
#include <memory>
#include <string_view>
#include <variant>

#include "app/auth_context.h"
#include "app/mail_submission.h"
#include "core/status.h"
#include "crypto/secret_string.h"
#include "smtp/face.h"

namespace sealpost::smtp {

// Checks an app password: the member's session keys, or Unauthenticated / RateLimited.
using SubmissionAuthenticator = std::function<Result<app::AuthContext>(
    std::string_view email, const crypto::SecretString& password, std::string_view client_address)>;

// Ok while a context from the authenticator is still good (app::AppPasswords::StillLive):
// Unauthenticated once its app password is revoked or its member disabled.
using SubmissionLiveness = std::function<Status(const app::AuthContext& ctx)>;

struct SubmissionFaceOptions {
  size_t max_recipients = 100;
  // AUTH only inside TLS. Off only for tests of the face on a loopback listener without TLS.
  bool require_tls = true;
};

class SubmissionFace final : public Face {
 public:
  static constexpr int kMaxAuthFailures = 3;

  // `submission` must outlive the face.
  SubmissionFace(const app::MailSubmission& submission, SubmissionAuthenticator authenticate,
                 SubmissionLiveness still_live, SubmissionFaceOptions options = {});

  std::variant<std::unique_ptr<Session>, Reply> Open(const Peer& peer) override;

 private:
  const app::MailSubmission& submission_;
  SubmissionAuthenticator authenticate_;
  SubmissionLiveness still_live_;
  SubmissionFaceOptions options_;
};

// The SMTP reply for a failed submission (the one place that maps core codes to SMTP):
//   PermissionDenied → 553 5.7.1        InvalidArgument → 554 5.6.0 (550 5.1.1 for a recipient)
//   TooLarge         → 552 5.3.4        StorageFull     → 452 4.3.1
//   RateLimited      → 451 4.7.1
//   anything else (Unavailable, Internal, Corruption…) → 451 4.3.0
// The text is the status's client text where it has one, else a fixed text for the code.
Reply ReplyForStatus(const Status& status);

}  // namespace sealpost::smtp
