#include "smtp/submission_face.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/address.h"

namespace sealpost::smtp {
namespace {

Reply WithText(int code, std::string enhanced, std::string_view client_text,
               std::string_view fallback) {
  return {code, std::move(enhanced), std::string(client_text.empty() ? fallback : client_text)};
}

// The refusal once a login held by the session is no longer good (its app password revoked, its
// member disabled), or nullopt while it is.
std::optional<Reply> RefusalUnlessLive(const SubmissionLiveness& still_live,
                                       const app::AuthContext& ctx) {
  const Status live = still_live(ctx);
  if (live.ok()) return std::nullopt;
  if (live.code() == ErrorCode::kUnauthenticated) {
    spdlog::info("smtp submission from {} refused: app password no longer live", ctx.user.id.str());
    return Reply{530, "5.7.0", "Authentication required: app password revoked"};
  }
  spdlog::error("smtp submission: cannot check the app password: {}", live.ToString());
  return Reply{451, "4.3.0", "Temporary failure; nothing was kept, try again later"};
}

class SubmissionSink final : public MessageSink {
 public:
  SubmissionSink(const app::MailSubmission& submission, const SubmissionLiveness& still_live,
                 std::shared_ptr<const app::AuthContext> ctx, app::SubmissionEnvelope envelope,
                 std::unique_ptr<app::SubmittedMessage> message)
      : submission_(submission),
        still_live_(still_live),
        ctx_(std::move(ctx)),
        envelope_(std::move(envelope)),
        message_(std::move(message)) {}

  Status Append(std::string_view bytes) override { return message_->Append(bytes); }

  Reply Commit() override {
    // DATA can take long: a revocation meanwhile still stops this message.
    if (auto refusal = RefusalUnlessLive(still_live_, *ctx_)) {
      message_.reset();
      return *refusal;
    }
    auto outcome = submission_.Submit(*ctx_, envelope_, *message_);
    message_.reset();  // the spool goes now, whatever the outcome
    if (!outcome.ok()) {
      spdlog::warn("smtp submission from {} refused: {}", ctx_->user.id.str(),
                   outcome.status().ToString());
      return ReplyForStatus(outcome.status());
    }
    if (outcome->kind == app::SubmissionOutcome::Kind::kRelayed) {
      return Reply::Ok("Queued for the relay (not marked for secure delivery)");
    }
    return Reply::Ok(fmt::format("Sent securely as {}", outcome->message_id->str()));
  }

 private:
  const app::MailSubmission& submission_;
  const SubmissionLiveness& still_live_;
  const std::shared_ptr<const app::AuthContext> ctx_;
  const app::SubmissionEnvelope envelope_;
  std::unique_ptr<app::SubmittedMessage> message_;
};

class SubmissionSession final : public Session {
 public:
  SubmissionSession(const app::MailSubmission& submission,
                    const SubmissionAuthenticator& authenticate,
                    const SubmissionLiveness& still_live, const SubmissionFaceOptions& options,
                    Peer peer)
      : submission_(submission),
        authenticate_(authenticate),
        still_live_(still_live),
        options_(options),
        peer_(std::move(peer)) {}

  Reply Authenticate(std::string_view mechanism, std::string_view authorization_id,
                     std::string_view user, const crypto::SecretString& password) override {
    if (ctx_) return {503, "5.5.1", "Already authenticated"};
    if (options_.require_tls && !peer_.tls) {
      return {538, "5.7.11", "Encryption required for requested authentication mechanism"};
    }
    if (mechanism != "PLAIN" && mechanism != "LOGIN") {
      return {504, "5.5.4", "Unrecognized authentication type"};
    }
    if (failures_ >= SubmissionFace::kMaxAuthFailures) {
      return {454, "4.7.0", "Too many failed attempts; try again later"};
    }
    if (!authorization_id.empty() && authorization_id != user) {
      ++failures_;
      return {535, "5.7.8", "Authentication credentials invalid"};
    }
    auto ctx = authenticate_(user, password, peer_.address);
    if (!ctx.ok()) {
      ++failures_;
      if (ctx.status().code() == ErrorCode::kRateLimited) {
        return {454, "4.7.0", "Too many failed attempts; try again later"};
      }
      if (ctx.status().code() != ErrorCode::kUnauthenticated &&
          ctx.status().code() != ErrorCode::kNotFound &&
          ctx.status().code() != ErrorCode::kPermissionDenied) {
        spdlog::error("smtp submission: authentication failed: {}", ctx.status().ToString());
        return {454, "4.7.0", "Temporary authentication failure"};
      }
      return {535, "5.7.8", "Authentication credentials invalid"};
    }
    ctx_ = std::make_shared<const app::AuthContext>(std::move(*ctx));
    return {235, "2.7.0", "Authentication successful"};
  }

  Reply MailFrom(std::string_view reverse_path, const MailParameters& parameters) override {
    if (!ctx_) return {530, "5.7.0", "Authentication required"};
    if (envelope_) return {503, "5.5.1", "Sender already given"};
    if (auto refusal = RefusalIfLoginGone()) return *refusal;
    if (Status s = submission_.CheckSender(*ctx_, reverse_path); !s.ok()) {
      return ReplyForStatus(s);
    }
    if (parameters.declared_size && *parameters.declared_size > submission_.max_message_bytes()) {
      return {552, "5.3.4",
              fmt::format("Message too big: at most {} bytes", submission_.max_message_bytes())};
    }
    envelope_.emplace();
    envelope_->mail_from = std::string(reverse_path);
    return Reply::Ok("Sender OK");
  }

  Reply RcptTo(std::string_view forward_path) override {
    if (!envelope_) return {503, "5.5.1", "MAIL first"};
    if (envelope_->recipients.size() >= options_.max_recipients) {
      return {452, "4.5.3", "Too many recipients"};
    }
    if (!EmailAddress::Parse(forward_path).ok()) {
      return {501, "5.1.3", "Bad recipient address syntax"};
    }
    envelope_->recipients.emplace_back(forward_path);
    return Reply::Ok("Recipient OK");
  }

  std::variant<std::unique_ptr<MessageSink>, Reply> BeginMessage() override {
    if (!envelope_ || envelope_->recipients.empty()) {
      return Reply{554, "5.5.1", "No valid recipients"};
    }
    if (auto refusal = RefusalIfLoginGone()) return *refusal;
    auto message = submission_.BeginMessage();
    if (!message.ok()) {
      spdlog::error("smtp submission: cannot spool: {}", message.status().ToString());
      return ReplyForStatus(message.status());
    }
    return std::unique_ptr<MessageSink>(
        new SubmissionSink(submission_, still_live_, ctx_, *envelope_, std::move(*message)));
  }

  void Reset() override { envelope_.reset(); }

 private:
  // Checks the login again; once it is gone the session forgets it and the transaction.
  std::optional<Reply> RefusalIfLoginGone() {
    auto refusal = RefusalUnlessLive(still_live_, *ctx_);
    if (refusal && refusal->code == 530) {
      ctx_.reset();
      envelope_.reset();
    }
    return refusal;
  }

  const app::MailSubmission& submission_;
  const SubmissionAuthenticator& authenticate_;
  const SubmissionLiveness& still_live_;
  const SubmissionFaceOptions& options_;
  const Peer peer_;
  std::shared_ptr<const app::AuthContext> ctx_;  // set by a successful AUTH
  std::optional<app::SubmissionEnvelope> envelope_;
  int failures_ = 0;
};

}  // namespace

SubmissionFace::SubmissionFace(const app::MailSubmission& submission,
                               SubmissionAuthenticator authenticate, SubmissionLiveness still_live,
                               SubmissionFaceOptions options)
    : submission_(submission),
      authenticate_(std::move(authenticate)),
      still_live_(std::move(still_live)),
      options_(options) {}

std::variant<std::unique_ptr<Session>, Reply> SubmissionFace::Open(const Peer& peer) {
  return std::unique_ptr<Session>(
      new SubmissionSession(submission_, authenticate_, still_live_, options_, peer));
}

Reply ReplyForStatus(const Status& status) {
  const std::string_view text = status.client_text();
  switch (status.code()) {
    case ErrorCode::kOk:
      return Reply::Ok();
    case ErrorCode::kPermissionDenied:
      return WithText(553, "5.7.1", text, "Sender address rejected: not owned by user");
    case ErrorCode::kInvalidArgument:
      if (status.reason() == Reason::kInvalidRecipient) {
        return WithText(550, "5.1.1", text, "Recipient address rejected");
      }
      return WithText(554, "5.6.0", text, "Message cannot be sent as it is");
    case ErrorCode::kTooLarge:
      return WithText(552, "5.3.4", text, "Message too big");
    case ErrorCode::kStorageFull:
      return {452, "4.3.1", "Insufficient system storage; try again later"};
    case ErrorCode::kRateLimited:
      return {451, "4.7.1", "Too many messages; try again later"};
    default:
      return {451, "4.3.0", "Temporary failure; nothing was kept, try again later"};
  }
}

}  // namespace sealpost::smtp
