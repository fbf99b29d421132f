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
// Delivery status notifications for mail Sealpost sent (app/delivery_reports.h): a recipient that
// is one of our tagged bounce addresses is accepted without a member look-up and its message goes
// to DeliveryReports (at most kMaxReportBytes, buffered), never into a mailbox; such a recipient
// gets a transaction of its own (452 4.5.3 when mixed with members, so the client sends it next).
// A report that is not a DSN is accepted and dropped (RFC 3464 §2: never answered).
//
// Thread-safety: the face is thread-safe (Open may run on any thread); a session is used by one
// thread at a time (face.h). The face must outlive its sessions, and the InboundMail it is given
// must outlive the face.
//
// SECURITY: everything but Peer comes from an unauthenticated network client. Replies never say
// more than the class of a failure; the detail goes to the log.
#pragma once

#include "app/delivery_reports.h"
#include "app/inbound_mail.h"
#include "smtp/face.h"

namespace sealpost::smtp {

class InboundFace final : public Face {
 public:
  // A DSN and what it returns of the original mail: enough for any report we need to read.
  static constexpr size_t kMaxReportBytes = 4u << 20;

  // `reports` null: no address is a bounce address (every recipient is looked up as a member).
  explicit InboundFace(const app::InboundMail& mail, app::DeliveryReports* reports = nullptr)
      : mail_(mail), reports_(reports) {}
  std::variant<std::unique_ptr<Session>, Reply> Open(const Peer& peer) override;

 private:
  const app::InboundMail& mail_;
  app::DeliveryReports* reports_;
};

}  // namespace sealpost::smtp
