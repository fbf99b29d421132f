#include <ctime>

#include <fmt/format.h>

#include "core/encoding.h"
#include "core/text.h"
#include "delivery/mailer.h"

namespace sealpost::delivery {
namespace {

bool IsAscii(std::string_view s) {
  for (unsigned char c : s) {
    if (c >= 0x80) return false;
  }
  return true;
}

// RFC 2047 encoded-word for non-ASCII header text; CR/LF are never let through.
std::string HeaderText(std::string_view s) {
  std::string clean;
  for (char c : s) clean += (c == '\r' || c == '\n') ? ' ' : c;
  if (IsAscii(clean)) return clean;
  return "=?UTF-8?B?" + Base64Encode(AsBytes(clean)) + "?=";
}

std::string Rfc5322Date(TimePoint t) {
  const std::time_t secs = static_cast<std::time_t>(ToUnixMillis(t) / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S +0000", &tm);
  return buf;
}

class EmlOutboxMailer final : public Mailer {
 public:
  EmlOutboxMailer(platform::Filesystem& fs, const platform::Clock& clock, platform::Rng& rng,
                  EmlOutboxOptions options)
      : fs_(fs), clock_(clock), rng_(rng), options_(std::move(options)) {}

  Status Send(const OutgoingMail& mail) override {
    SP_RETURN_IF_ERROR(fs_.CreateDirectories(options_.directory));
    const TimePoint now = clock_.Now();
    const std::string id =
        mail.message_id.empty() ? platform::NewId<MessageId>(rng_).str() : mail.message_id;
    const std::string text =
        RenderMessage(mail, options_.from_address, id + "@" + options_.hostname, now);
    const std::string path =
        fmt::format("{}/{}-{}.eml", options_.directory, ToUnixMillis(now), id.substr(0, 12));
    return platform::WriteFileAtomically(fs_, path, AsBytes(text));
  }

 private:
  platform::Filesystem& fs_;
  const platform::Clock& clock_;
  platform::Rng& rng_;
  EmlOutboxOptions options_;
};

}  // namespace

std::string RenderMessage(const OutgoingMail& mail, const std::string& from,
                          const std::string& message_id, TimePoint date) {
  std::string body;
  for (char c : mail.text) {
    if (c == '\n')
      body += "\r\n";
    else if (c != '\r')
      body += c;
  }
  return fmt::format(
      "From: {}\r\nTo: {}\r\nSubject: {}\r\nDate: {}\r\nMessage-ID: <{}>\r\n"
      "Auto-Submitted: auto-generated\r\nMIME-Version: 1.0\r\n"
      "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{}",
      HeaderText(from), mail.to.str(), HeaderText(mail.subject), Rfc5322Date(date), message_id,
      body);
}

std::unique_ptr<Mailer> MakeEmlOutboxMailer(platform::Filesystem& fs, const platform::Clock& clock,
                                            platform::Rng& rng, EmlOutboxOptions options) {
  return std::make_unique<EmlOutboxMailer>(fs, clock, rng, std::move(options));
}

}  // namespace sealpost::delivery
