// A Mailer for the benchmark programs that enrol members: it keeps the last mail's text, whose
// sign-up confirmation carries the token. Header-only, for the programs in bench/.
#pragma once

#include <mutex>
#include <string>

#include "delivery/mailer.h"

namespace sealpost::bench {

class LastMailMailer final : public delivery::Mailer {
 public:
  Status Send(const delivery::OutgoingMail& mail) override {
    std::lock_guard lock(mu_);
    last_text_ = mail.text;
    return Status::Ok();
  }
  std::string last_text() {
    std::lock_guard lock(mu_);
    return last_text_;
  }

 private:
  std::mutex mu_;
  std::string last_text_;
};

}  // namespace sealpost::bench
