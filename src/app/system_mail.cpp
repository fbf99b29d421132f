#include "app/system_mail.h"

#include <algorithm>

#include <fmt/format.h>

namespace sealpost::app {

std::string PercentEncode(std::string_view text) {
  std::string out;
  for (const unsigned char c : text) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

delivery::OutgoingMail AddressConfirmationMail(const AppConfig& config, const EmailAddress& to,
                                               std::string_view token) {
  return {to, fmt::format("Confirm your {} address", config.product_name),
          fmt::format("Welcome to {}.\n\nConfirm your address by opening this link:\n"
                      "{}/verify#token={}\n\nThe link works once and expires in {} hours.\n",
                      config.product_name, config.public_url, token,
                      config.verification_ttl.count() / 3600)};
}

delivery::OutgoingMail SignUpAttemptMail(const AppConfig& config, const EmailAddress& to) {
  return {to, fmt::format("{}: sign-up attempt", config.product_name),
          fmt::format("Someone tried to create a {} account with this address, which already has "
                      "one.\nIf it was you, log in at {}/login instead. If not, you can ignore "
                      "this message.\n",
                      config.product_name, config.public_url)};
}

delivery::OutgoingMail InvitationMail(const AppConfig& config, const EmailAddress& to) {
  return {to, fmt::format("You are invited to {}", config.product_name),
          fmt::format("You are invited to exchange secure messages with {}.\n\nCreate your "
                      "account here:\n{}/signup?email={}\n\nIf you did not expect this "
                      "invitation, you can ignore this message.\n",
                      config.product_name, config.public_url, PercentEncode(to.str()))};
}

delivery::OutgoingMail UndeliveredMail(const AppConfig& config, const EmailAddress& to,
                                       std::string_view recipient, int attempts,
                                       std::string_view server_said) {
  return {to, fmt::format("{}: message not delivered", config.product_name),
          fmt::format("Your message could not be delivered to {} after {} attempt(s).\nThe mail "
                      "server said: {}\n\nLog in to {} to see its status or send it again.\n",
                      recipient, attempts, server_said, config.public_url)};
}

delivery::OutgoingMail SecureCopyFailedMail(const AppConfig& config, const EmailAddress& to,
                                            std::string_view recipient, std::string_view method,
                                            int attempts, std::string_view reason) {
  return {to, fmt::format("{}: secure delivery failed", config.product_name),
          // No attempt: the copy was never made (the send stopped before it).
          fmt::format("Your message could not be delivered to {} by {}{}.\n"
                      "Reason: {}\n\nNothing was sent in clear. To reach {} anyway, log in to {}, "
                      "open the message in Sent and send it again with \"secure pickup\": the "
                      "recipient then gets a link and needs an unlock code from you.\n",
                      recipient, method,
                      attempts > 0 ? fmt::format(" after {} attempt(s)", attempts) : "", reason,
                      recipient, config.public_url)};
}

delivery::OutgoingMail SecureCopiesNotMadeMail(const AppConfig& config, const EmailAddress& to,
                                               const std::vector<std::string>& recipients,
                                               std::string_view reason) {
  std::string list;
  const size_t listed = std::min(recipients.size(), kListedUnmadeRecipients);
  for (size_t i = 0; i < listed; ++i) list += "  " + recipients[i] + "\n";
  if (recipients.size() > listed) {
    list += fmt::format("  and {} more\n", recipients.size() - listed);
  }
  return {to, fmt::format("{}: secure delivery failed", config.product_name),
          fmt::format("Your message could not be delivered to {} recipient{}:\n{}"
                      "Reason: {}\n\nNothing was sent to them, in clear or otherwise. To reach "
                      "them anyway, log in to {}, open the message in Sent and send it again with "
                      "\"secure pickup\": each recipient then gets a link and needs an unlock "
                      "code from you.\n",
                      recipients.size(), recipients.size() == 1 ? "" : "s", list, reason,
                      config.public_url)};
}

delivery::OutgoingMail MucLockedMail(const AppConfig& config, const EmailAddress& to,
                                     std::string_view guest, int limit) {
  return {to, fmt::format("{}: message unlock code locked", config.product_name),
          fmt::format("Someone entered a wrong Message Unlock Code (MUC) {} times for {}, so the "
                      "secure messages waiting for that address are locked.\nIf the recipient "
                      "needs the code again, log in to {} and issue a new MUC for that recipient, "
                      "then pass it on by phone, SMS or letter.\n",
                      limit, guest, config.public_url)};
}

}  // namespace sealpost::app
