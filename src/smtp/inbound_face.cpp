#include "smtp/inbound_face.h"

#include <algorithm>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace sealpost::smtp {
namespace {

Reply TemporaryFailure() { return {451, "4.3.0", "Temporary failure, please try again later"}; }

class InboundSink final : public MessageSink {
 public:
  explicit InboundSink(std::unique_ptr<app::InboundMessage> message)
      : message_(std::move(message)) {}

  Status Append(std::string_view bytes) override {
    Status st = message_->Append(bytes);
    if (!st.ok()) failed_ = st.code();
    return st;
  }

  Reply Commit() override {
    if (failed_) {
      return *failed_ == ErrorCode::kTooLarge ? Reply{552, "5.3.4", "Message too big"}
                                              : TemporaryFailure();
    }
    auto ids = message_->Commit();
    if (!ids.ok()) {
      spdlog::warn("smtp inbound: message not stored: {}", ids.status().ToString());
      return ids.status().code() == ErrorCode::kTooLarge ? Reply{552, "5.3.4", "Message too big"}
                                                         : TemporaryFailure();
    }
    return Reply::Ok(fmt::format("Message accepted for {} recipient(s)", ids->size()));
  }

 private:
  std::unique_ptr<app::InboundMessage> message_;
  std::optional<ErrorCode> failed_;
};

class InboundSession final : public Session {
 public:
  InboundSession(const app::InboundMail& mail, Peer peer) : mail_(mail), peer_(std::move(peer)) {}

  Reply Authenticate(std::string_view, std::string_view, std::string_view,
                     const crypto::SecretString&) override {
    return {502, "5.5.1", "Authentication is not offered here"};
  }

  Reply MailFrom(std::string_view reverse_path, const MailParameters&) override {
    Reset();
    mail_from_ = std::string(reverse_path);
    in_transaction_ = true;
    return {250, "2.1.0", "Sender OK"};
  }

  Reply RcptTo(std::string_view forward_path) override {
    if (!in_transaction_) return {503, "5.5.1", "MAIL FROM first"};
    auto member = mail_.CheckRecipient(forward_path);
    if (!member.ok()) {
      switch (member.status().code()) {
        case ErrorCode::kNotFound:
          return {550, "5.1.1", "No such user here"};
        case ErrorCode::kPermissionDenied:
          return {550, "5.7.1", "Relaying denied"};
        case ErrorCode::kInvalidArgument:
          return {553, "5.1.3", "Bad recipient address syntax"};
        default:
          spdlog::warn("smtp inbound: recipient check failed: {}", member.status().ToString());
          return TemporaryFailure();
      }
    }
    if (std::find(recipients_.begin(), recipients_.end(), *member) == recipients_.end()) {
      recipients_.push_back(*member);
    }
    return {250, "2.1.5", "Recipient OK"};
  }

  std::variant<std::unique_ptr<MessageSink>, Reply> BeginMessage() override {
    if (recipients_.empty()) return Reply{554, "5.5.1", "No valid recipients"};
    auto message = mail_.Begin({peer_.address, "", mail_from_, recipients_});
    if (!message.ok()) {
      spdlog::warn("smtp inbound: cannot begin a message: {}", message.status().ToString());
      return TemporaryFailure();
    }
    return std::unique_ptr<MessageSink>(std::make_unique<InboundSink>(std::move(*message)));
  }

  void Reset() override {
    in_transaction_ = false;
    mail_from_.clear();
    recipients_.clear();
  }

 private:
  const app::InboundMail& mail_;
  const Peer peer_;
  bool in_transaction_ = false;
  std::string mail_from_;
  std::vector<UserId> recipients_;
};

}  // namespace

std::variant<std::unique_ptr<Session>, Reply> InboundFace::Open(const Peer& peer) {
  return std::unique_ptr<Session>(std::make_unique<InboundSession>(mail_, peer));
}

}  // namespace sealpost::smtp
