// The notification mail a guest (a recipient who is not a member) receives for a message: who
// sent it, the operator's notice text, the pickup link, and until when it works. It carries no
// message content; the message's subject only when the operator allows it
// (`[guests] notice_subject`). Plain text and an HTML alternative.
//
// SECURITY: the sender's name, the subject and the notice text are user or operator input: the
// HTML part escapes every one of them (and the link), and the mail renderer keeps them out of
// header structure. The link carries the pickup secret in its fragment: the returned mail is as
// secret as the link (the outbound queue seals it).
#pragma once

#include <optional>
#include <string>

#include "core/address.h"
#include "core/time.h"
#include "delivery/mailer.h"

namespace sealpost::app {

struct GuestNotice {
  std::string product_name;  // "Sealpost"
  std::string sender_name;   // display name; may be empty
  std::string sender_email;
  std::string link_url;                // https://…/pickup#<link secret>
  std::string notice_text;             // one configured line; may be empty
  std::optional<std::string> subject;  // set only when policy allows showing it
  TimePoint expires_at;
};

delivery::OutgoingMail ComposeGuestNotice(const EmailAddress& to, const GuestNotice& notice);

// `text` with &, <, >, " and ' replaced by character references (exposed for tests).
std::string HtmlEscape(std::string_view text);

}  // namespace sealpost::app
