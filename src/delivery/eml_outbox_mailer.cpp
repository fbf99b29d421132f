#include <fmt/format.h>

#include "core/encoding.h"
#include "delivery/mailer.h"

namespace sealpost::delivery {
namespace {

class EmlOutboxMailer final : public Mailer {
 public:
  EmlOutboxMailer(platform::Filesystem& fs, const platform::Clock& clock, platform::Rng& rng,
                  EmlOutboxOptions options)
      : fs_(fs), clock_(clock), rng_(rng), options_(std::move(options)) {}

  Status Send(const OutgoingMail& mail) override {
    SP_RETURN_IF_ERROR(fs_.CreateDirectories(options_.directory));
    // A mail delivered again (at-least-once queue) rewrites the same file: one file per mail.
    const TimePoint now = mail.written_at.value_or(clock_.Now());
    const std::string id =
        mail.message_id.empty() ? platform::NewId<MessageId>(rng_).str() : mail.message_id;
    SP_ASSIGN_OR_RETURN(const std::string text, RenderSignedMessage(mail, options_.from_address,
                                                                    id + "@" + options_.hostname,
                                                                    now, options_.dkim.get()));
    const std::string path =
        fmt::format("{}/{}-{}.eml", options_.directory, ToUnixMillis(now), id.substr(0, 12));
    return platform::WriteFileAtomically(fs_, path, AsBytes(text));
  }

  std::vector<Status> SendBatchWithHandoffs(std::span<const OutgoingMail> mails,
                                            std::vector<MailHandoff>& handoffs) override {
    std::vector<Status> results = SendBatch(mails);
    handoffs.assign(mails.size(), MailHandoff{});
    for (size_t i = 0; i < results.size(); ++i) {
      if (results[i].ok()) handoffs[i] = {"outbox", "written to outbox"};
    }
    return results;
  }

 private:
  platform::Filesystem& fs_;
  const platform::Clock& clock_;
  platform::Rng& rng_;
  EmlOutboxOptions options_;
};

}  // namespace

std::unique_ptr<Mailer> MakeEmlOutboxMailer(platform::Filesystem& fs, const platform::Clock& clock,
                                            platform::Rng& rng, EmlOutboxOptions options) {
  return std::make_unique<EmlOutboxMailer>(fs, clock, rng, std::move(options));
}

}  // namespace sealpost::delivery
