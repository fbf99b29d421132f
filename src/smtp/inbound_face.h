// The inbound face of the SMTP gateway: Sealpost as the MX of the platform's domains
// (app/inbound_mail.h decides; this file only speaks SMTP for it).
//
// No AUTH (502). MAIL FROM takes any reverse path, the null one "<>" included (delivery status
// notifications). RCPT TO: a member of a served domain 250 2.1.5; an unknown address of a served
// domain 550 5.1.1 (refused at RCPT, so that no bounce is ever sent to a forged sender); another
// domain 550 5.7.1 (no relaying); a temporary look-up failure 451 4.3.0. The message streams into
// the use case's encrypted spool; 250 only once it is stored durably, 451 4.3.0 (552 5.3.4 when
// too large) with nothing kept otherwise.
//
// Thread-safety: the face is thread-safe (Open may run on any thread); a session is used by one
// thread at a time (face.h). The face must outlive its sessions, and the InboundMail it is given
// must outlive the face.
//
// SECURITY: everything but Peer comes from an unauthenticated network client. Replies never say
// more than the class of a failure; the detail goes to the log.
#pragma once

#include "app/inbound_mail.h"
#include "smtp/face.h"

namespace sealpost::smtp {

class InboundFace final : public Face {
 public:
  explicit InboundFace(const app::InboundMail& mail) : mail_(mail) {}
  std::variant<std::unique_ptr<Session>, Reply> Open(const Peer& peer) override;

 private:
  const app::InboundMail& mail_;
};

}  // namespace sealpost::smtp
