#include "app/guest_notice.h"

#include <fmt/format.h>

namespace sealpost::app {

std::string HtmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

delivery::OutgoingMail ComposeGuestNotice(const EmailAddress& to, const GuestNotice& n) {
  const std::string sender =
      n.sender_name.empty() ? n.sender_email : n.sender_name + " <" + n.sender_email + ">";
  const std::string until = FormatRfc3339(n.expires_at);

  std::string text = sender + " sent you a secure message with " + n.product_name + ".\n\n";
  if (n.subject) text += "Subject: " + *n.subject + "\n\n";
  if (!n.notice_text.empty()) text += n.notice_text + "\n\n";
  text += "Open it here:\n" + n.link_url +
          "\n\nYou also need the Message Unlock Code (MUC) that the sender gives you "
          "separately. The link works until " +
          until + ".\n";

  std::string html = fmt::format(
      "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
      "<meta name=\"referrer\" content=\"no-referrer\"><title>{}</title></head>\n"
      "<body style=\"font-family: sans-serif; line-height: 1.5\">\n"
      "<p><strong>{}</strong> sent you a secure message with {}.</p>\n",
      HtmlEscape(n.product_name), HtmlEscape(sender), HtmlEscape(n.product_name));
  if (n.subject) html += "<p>Subject: <strong>" + HtmlEscape(*n.subject) + "</strong></p>\n";
  if (!n.notice_text.empty()) html += "<p>" + HtmlEscape(n.notice_text) + "</p>\n";
  html += fmt::format(
      "<p><a href=\"{0}\" rel=\"noreferrer\">Open the message</a></p>\n"
      "<p>Or copy this address into your browser:<br>{0}</p>\n"
      "<p>You also need the Message Unlock Code (MUC) that the sender gives you separately. "
      "The link works until {1}.</p>\n</body></html>\n",
      HtmlEscape(n.link_url), HtmlEscape(until));

  const std::string subject = n.subject ? n.product_name + ": " + *n.subject
                                        : n.product_name + ": a secure message for you";
  delivery::OutgoingMail mail{to, subject, std::move(text)};
  mail.html = std::move(html);
  return mail;
}

}  // namespace sealpost::app
