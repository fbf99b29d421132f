// A Face for tests: accepts what a simple rule set allows and records every call, so tests can
// check what the server passed on (and what it did not). Optionally writes each committed
// message to a directory (the swaks/smtplib test server). Test support only.
//
// Rules: AUTH succeeds for user `user` with password `password`; RCPT to an address whose local
// part is "unknown" gets 550 5.1.1; Open refuses with 554 5.7.1 when `refuse_open`; a sink
// appends to memory and Commit answers 250 2.0.0 "Queued as <n>".
//
// Thread-safety: all methods lock one mutex; the server calls from its worker threads.
#pragma once

#include <atomic>
#include <condition_variable>
#include <fstream>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "smtp/face.h"

namespace sealpost::smtp::testing {

struct Recording {
  std::mutex mu;
  std::condition_variable changed;
  std::vector<Peer> opened;
  std::vector<std::string> authenticated;  // "MECH authzid user" of successful AUTHs
  size_t auth_failures = 0;
  std::vector<std::string> mail_from;
  std::vector<MailParameters> mail_parameters;
  std::vector<std::string> rcpt_to;
  std::vector<std::string> committed;  // message bytes
  size_t sinks_begun = 0;
  size_t sinks_dropped = 0;  // destroyed without a positive Commit
  size_t resets = 0;
  size_t sessions_closed = 0;

  // Waits until `pred()` holds (under the lock), at most `timeout`.
  template <typename P>
  bool WaitFor(P pred, std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    std::unique_lock lock(mu);
    return changed.wait_for(lock, timeout, [&] { return pred(); });
  }
};

struct RecordingRules {
  std::string user = "alice@example.org";
  std::string password = "correct horse";
  bool refuse_open = false;
  std::string output_dir;  // non-empty: each committed message is written to <dir>/<n>.eml
};

class RecordingFace final : public Face {
 public:
  RecordingFace(std::shared_ptr<Recording> recording, RecordingRules rules)
      : recording_(std::move(recording)), rules_(std::move(rules)) {}

  std::variant<std::unique_ptr<Session>, Reply> Open(const Peer& peer) override {
    {
      std::lock_guard lock(recording_->mu);
      recording_->opened.push_back(peer);
    }
    recording_->changed.notify_all();
    if (rules_.refuse_open) return Reply{554, "5.7.1", "Not from your address"};
    return std::unique_ptr<Session>(new RecordingSession(recording_, rules_, counter_));
  }

 private:
  class RecordingSink final : public MessageSink {
   public:
    RecordingSink(std::shared_ptr<Recording> r, const RecordingRules& rules,
                  std::atomic<int>& counter)
        : r_(std::move(r)), rules_(rules), counter_(counter) {}
    ~RecordingSink() override {
      if (!committed_) {
        std::lock_guard lock(r_->mu);
        ++r_->sinks_dropped;
      }
      r_->changed.notify_all();
    }
    Status Append(std::string_view bytes) override {
      bytes_.append(bytes);
      return Status::Ok();
    }
    Reply Commit() override {
      const int n = ++counter_;
      if (!rules_.output_dir.empty()) {
        std::ofstream out(fmt::format("{}/{}.eml", rules_.output_dir, n), std::ios::binary);
        out << bytes_;
        if (!out.flush()) return Reply{451, "4.3.0", "Cannot write"};
      }
      {
        std::lock_guard lock(r_->mu);
        r_->committed.push_back(bytes_);
      }
      committed_ = true;
      return Reply{250, "2.0.0", fmt::format("Queued as {}", n)};
    }

   private:
    std::shared_ptr<Recording> r_;
    const RecordingRules& rules_;
    std::atomic<int>& counter_;
    std::string bytes_;
    bool committed_ = false;
  };

  class RecordingSession final : public Session {
   public:
    RecordingSession(std::shared_ptr<Recording> r, const RecordingRules& rules,
                     std::atomic<int>& counter)
        : r_(std::move(r)), rules_(rules), counter_(counter) {}
    ~RecordingSession() override {
      {
        std::lock_guard lock(r_->mu);
        ++r_->sessions_closed;
      }
      r_->changed.notify_all();
    }
    Reply Authenticate(std::string_view mechanism, std::string_view authorization_id,
                       std::string_view user, const crypto::SecretString& password) override {
      std::lock_guard lock(r_->mu);
      if (user == rules_.user && password.view() == rules_.password) {
        r_->authenticated.push_back(fmt::format("{} {} {}", mechanism, authorization_id, user));
        return Reply{235, "2.7.0", "Authentication successful"};
      }
      ++r_->auth_failures;
      return Reply{535, "5.7.8", "Authentication credentials invalid"};
    }
    Reply MailFrom(std::string_view reverse_path, const MailParameters& parameters) override {
      std::lock_guard lock(r_->mu);
      r_->mail_from.emplace_back(reverse_path);
      r_->mail_parameters.push_back(parameters);
      return Reply::Ok();
    }
    Reply RcptTo(std::string_view forward_path) override {
      std::lock_guard lock(r_->mu);
      if (forward_path.substr(0, 8) == "unknown@") return Reply{550, "5.1.1", "No such user"};
      r_->rcpt_to.emplace_back(forward_path);
      return Reply::Ok();
    }
    std::variant<std::unique_ptr<MessageSink>, Reply> BeginMessage() override {
      {
        std::lock_guard lock(r_->mu);
        ++r_->sinks_begun;
      }
      return std::unique_ptr<MessageSink>(new RecordingSink(r_, rules_, counter_));
    }
    void Reset() override {
      std::lock_guard lock(r_->mu);
      ++r_->resets;
    }

   private:
    std::shared_ptr<Recording> r_;
    const RecordingRules& rules_;
    std::atomic<int>& counter_;
  };

  std::shared_ptr<Recording> recording_;
  const RecordingRules rules_;
  std::atomic<int> counter_{0};
};

}  // namespace sealpost::smtp::testing
