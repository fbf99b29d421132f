// Mail the platform itself sends (confirmation links, notices, invitations).
#pragma once

#include <spdlog/spdlog.h>

#include "delivery/mailer.h"

namespace sealpost::app {

// Sends `mail`; on failure the relay's reply stays in the log and the client gets a plain
// sentence (Unavailable when worth retrying, else InvalidArgument).
inline Status SendSystemMail(delivery::Mailer& mailer, const delivery::OutgoingMail& mail) {
  const Status s = mailer.Send(mail);
  if (s.ok()) return s;
  spdlog::warn("app: system mail not sent: {}", s.ToString());
  if (s.code() == ErrorCode::kUnavailable) {
    return Unavailable("the mail server is unavailable; try again later");
  }
  return InvalidArgument("mail to this address is refused by the mail server");
}

}  // namespace sealpost::app
