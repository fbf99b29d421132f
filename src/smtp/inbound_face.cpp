#include "smtp/inbound_face.h"

#include <algorithm>
#include <optional>
#include <string>

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

// A delivery status notification for one of our bounce addresses, buffered for DeliveryReports.
class ReportSink final : public MessageSink {
 public:
  ReportSink(app::DeliveryReports& reports, std::string rcpt)
      : reports_(reports), rcpt_(std::move(rcpt)) {}

  Status Append(std::string_view bytes) override {
    if (bytes_.size() + bytes.size() > InboundFace::kMaxReportBytes) {
      too_large_ = true;
      return TooLarge("delivery report too large");
    }
    bytes_.append(bytes);
    return Status::Ok();
  }

  Reply Commit() override {
    if (too_large_) return {552, "5.3.4", "Report too big"};
    auto outcome = reports_.HandleDeliveryReport(rcpt_, bytes_);
    if (outcome.ok()) return Reply::Ok("Report received");
    switch (outcome.status().code()) {
      case ErrorCode::kInvalidArgument:  // not a DSN: accepted and dropped, never answered
        return Reply::Ok("Accepted");
      case ErrorCode::kNotFound:
        return {550, "5.1.1", "No such user here"};
      case ErrorCode::kTooLarge:
        return {552, "5.3.4", "Report too big"};
      default:
        spdlog::warn("smtp inbound: delivery report not recorded: {}", outcome.status().ToString());
        return TemporaryFailure();
    }
  }

 private:
  app::DeliveryReports& reports_;
  const std::string rcpt_;
  std::string bytes_;
  bool too_large_ = false;
};

class InboundSession final : public Session {
 public:
  InboundSession(const app::InboundMail& mail, app::DeliveryReports* reports, Peer peer)
      : mail_(mail), reports_(reports), peer_(std::move(peer)) {}

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
    if (reports_) {
      auto is_report = reports_->IsDeliveryReportAddress(forward_path);
      if (!is_report.ok()) {
        spdlog::warn("smtp inbound: bounce address check failed: {}",
                     is_report.status().ToString());
        return TemporaryFailure();
      }
      if (*is_report) {
        if (!recipients_.empty() || report_rcpt_) return SeparateTransaction();
        report_rcpt_ = std::string(forward_path);
        return {250, "2.1.5", "Recipient OK"};
      }
    }
    if (report_rcpt_) return SeparateTransaction();
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
    if (report_rcpt_) {
      return std::unique_ptr<MessageSink>(std::make_unique<ReportSink>(*reports_, *report_rcpt_));
    }
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
    report_rcpt_.reset();
  }

 private:
  static Reply SeparateTransaction() {
    return {452, "4.5.3", "Send this recipient in a transaction of its own"};
  }

  const app::InboundMail& mail_;
  app::DeliveryReports* reports_;
  const Peer peer_;
  bool in_transaction_ = false;
  std::string mail_from_;
  std::vector<UserId> recipients_;
  std::optional<std::string> report_rcpt_;  // one of our bounce addresses (a DSN for us)
};

}  // namespace

std::variant<std::unique_ptr<Session>, Reply> InboundFace::Open(const Peer& peer) {
  return std::unique_ptr<Session>(std::make_unique<InboundSession>(mail_, reports_, peer));
}

}  // namespace sealpost::smtp
