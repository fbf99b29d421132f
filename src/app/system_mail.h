// The texts of the mails Sealpost itself sends to people about their accounts and messages:
// address confirmation, a sign-up attempt on a taken address, an invitation, a report that a
// message could not be delivered, and the notice that a guest's unlock code was locked. (The
// guest's own notification is guest_notice.h.) The use cases decide when to send; this file
// only says what the mail says, so every front end sends the same words.
//
// None carries message content. The confirmation link carries its token: that mail is as
// secret as the token (the outbound queue seals it). Pure; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "app/services.h"
#include "core/address.h"
#include "delivery/mailer.h"

namespace sealpost::app {

// "Confirm your address": the link <public_url>/verify#token=<token>, valid for
// config.verification_ttl.
delivery::OutgoingMail AddressConfirmationMail(const AppConfig& config, const EmailAddress& to,
                                               std::string_view token);
// Someone tried to sign up with an address that already has an account.
delivery::OutgoingMail SignUpAttemptMail(const AppConfig& config, const EmailAddress& to);
// An administrator invites `to`: the sign-up page with the address filled in.
delivery::OutgoingMail InvitationMail(const AppConfig& config, const EmailAddress& to);
// A sender's message could not be delivered to `recipient`; `server_said` is the relay's
// answer (what a delivery status notification would quote).
delivery::OutgoingMail UndeliveredMail(const AppConfig& config, const EmailAddress& to,
                                       std::string_view recipient, int attempts,
                                       std::string_view server_said);
// The `method` ("S/MIME", "OpenPGP", "TLS") copy of a sender's message could not be delivered to
// `recipient`: says why, and offers sending it again by secure pickup.
delivery::OutgoingMail SecureCopyFailedMail(const AppConfig& config, const EmailAddress& to,
                                            std::string_view recipient, std::string_view method,
                                            int attempts, std::string_view reason);
// The secure copies of one message to `recipients` ("address (S/MIME)", listed in their order)
// were never made (the send stopped before them): one mail for them all, listing at most
// kListedUnmadeRecipients and counting the rest; offers sending again by secure pickup.
inline constexpr size_t kListedUnmadeRecipients = 50;
delivery::OutgoingMail SecureCopiesNotMadeMail(const AppConfig& config, const EmailAddress& to,
                                               const std::vector<std::string>& recipients,
                                               std::string_view reason);
// The unlock code of `guest` was locked after `limit` wrong tries; `to` sent them a message.
delivery::OutgoingMail MucLockedMail(const AppConfig& config, const EmailAddress& to,
                                     std::string_view guest, int limit);

// RFC 3986: unreserved characters stay, every other byte is %XX (exposed for tests).
std::string PercentEncode(std::string_view text);

}  // namespace sealpost::app
