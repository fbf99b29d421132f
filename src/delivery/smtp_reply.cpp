#include "delivery/smtp_reply.h"

#include <algorithm>
#include <utility>

#include <fmt/format.h>

namespace sealpost::delivery {
namespace {

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

}  // namespace

std::string SmtpPrintable(std::string_view text, size_t max) {
  std::string out;
  for (const char c : text) {
    if (out.size() >= max) {
      out += "...";
      break;
    }
    out += (c >= 0x20 && c < 0x7f) ? c : '?';
  }
  return out;
}

std::string SmtpReply::Summary() const {
  std::string text = std::to_string(code);
  for (const std::string& l : lines) {
    if (text.size() > kMaxLoggedReply) break;
    text += ' ';
    text += l;
  }
  return SmtpPrintable(text);
}

Result<std::optional<SmtpReply>> SmtpReplyReader::Next() {
  for (;;) {
    if (partial_.lines.size() == kMaxReplyLines) {
      return Unavailable(fmt::format("mail relay: reply has more than {} lines", kMaxReplyLines));
    }
    const size_t lf = in_.find('\n');
    if (lf == std::string::npos && in_.size() < kMaxReplyLineOctets) {
      return std::optional<SmtpReply>();  // the line is not complete yet
    }
    if (lf == std::string::npos || lf + 1 > kMaxReplyLineOctets) {
      return Unavailable(
          fmt::format("mail relay: reply line longer than {} octets", kMaxReplyLineOctets));
    }
    std::string line = in_.substr(0, lf);
    in_.erase(0, lf + 1);
    if (!line.empty() && line.back() == '\r') line.pop_back();

    const bool digits = line.size() >= 3 && line[0] >= '2' && line[0] <= '5' && line[1] >= '0' &&
                        line[1] <= '5' && line[2] >= '0' && line[2] <= '9';
    const char separator = line.size() > 3 ? line[3] : ' ';
    if (!digits || (separator != ' ' && separator != '-')) {
      return Unavailable("mail relay: malformed reply line: " + SmtpPrintable(line));
    }
    const int code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
    if (!partial_.lines.empty() && code != partial_.code) {
      return Unavailable("mail relay: reply lines with different codes: " + SmtpPrintable(line));
    }
    partial_.code = code;
    partial_.lines.push_back(line.size() > 4 ? line.substr(4) : std::string());
    if (separator == ' ') return std::optional<SmtpReply>(std::exchange(partial_, SmtpReply{}));
  }
}

SmtpExtensions ParseEhloReply(const SmtpReply& reply) {
  SmtpExtensions ext;
  for (size_t i = 1; i < reply.lines.size(); ++i) {  // line 0 is the relay's name and greeting
    const std::string line = Upper(reply.lines[i]);
    const std::string_view keyword = std::string_view(line).substr(0, line.find(' '));
    if (keyword == "STARTTLS") ext.starttls = true;
    if (keyword == "8BITMIME") ext.eight_bit_mime = true;
    if (keyword == "SIZE") ext.size = true;
    if (keyword == "PIPELINING") ext.pipelining = true;
    if (keyword == "AUTH") {
      size_t pos = keyword.size();
      while (pos < line.size()) {
        const size_t start = line.find_first_not_of(' ', pos);
        if (start == std::string::npos) break;
        const size_t end = std::min(line.find(' ', start), line.size());
        if (std::string_view(line).substr(start, end - start) == "PLAIN") ext.auth_plain = true;
        pos = end;
      }
    }
  }
  return ext;
}

Status SmtpReplyError(std::string_view after, const SmtpReply& reply, std::string_view peer) {
  const std::string message = fmt::format("{} answered {} with: {}", peer, after, reply.Summary());
  if (reply.code >= 400 && reply.code < 500) return Unavailable(message);
  if (reply.code >= 500 && reply.code < 600) {
    std::string_view first;
    if (!reply.lines.empty()) first = reply.lines.front();
    const bool policy = first.substr(0, 4) == "5.7." || reply.code == 530 || reply.code == 535;
    return policy ? PermissionDenied(message) : InvalidArgument(message);
  }
  return Unavailable(
      fmt::format("{} answered {} with an unexpected reply: {}", peer, after, reply.Summary()));
}

}  // namespace sealpost::delivery
