#include "app/mail_submission.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "app/gateway_author.h"
#include "app/internal/message_spool.h"
#include "app/mailbox.h"
#include "app/outbound_mail.h"
#include "core/address.h"
#include "core/text.h"
#include "crypto/secret_bytes.h"
#include "crypto/security_policy.h"
#include "mime/message_parser.h"
#include "mime/streamed_message.h"

namespace sealpost::app {
namespace {

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualsIgnoringCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                            [](char x, char y) { return Lower(x) == Lower(y); });
}

// Line ends as the web UI sends them (LF): the parser keeps the message's CRLF.
std::string ToLf(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') continue;
    out.push_back(text[i]);
  }
  return out;
}

// The longest prefix of `text` of at most `max` bytes that ends on a UTF-8 character boundary.
std::string_view Utf8Prefix(std::string_view text, size_t max) {
  if (text.size() <= max) return text;
  size_t end = max;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return text.substr(0, end);
}

// An attachment name Mailbox accepts: the last path element of what the mail program wrote,
// without control characters, within the length limit; "attachment-N.<subtype>" when nothing
// is left (an inline image usually has no name).
std::string AttachmentName(const mime::ParsedAttachment& a, size_t index, size_t max_bytes) {
  std::string name = a.filename;
  if (const size_t cut = name.find_last_of("/\\"); cut != std::string::npos) name.erase(0, cut + 1);
  for (char& c : name) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7F) c = ' ';
  }
  name = std::string(Utf8Prefix(name, max_bytes));
  if (name.empty() || name == "." || name == "..") {
    std::string subtype = "bin";
    if (const size_t slash = a.content_type.find('/'); slash != std::string::npos) {
      subtype = a.content_type.substr(slash + 1);
      if (subtype.size() > 20 || subtype.find_first_of("/\\") != std::string::npos) subtype = "bin";
    }
    name = fmt::format("attachment-{}.{}", index + 1, subtype);
  }
  return name;
}

// The Sealpost message a Message-ID names: "<message id>@<anything>".
std::optional<std::string> SealpostIdOf(std::string_view message_id) {
  const size_t at = message_id.find('@');
  if (at == std::string_view::npos) return std::nullopt;
  auto id = MessageId::Parse(message_id.substr(0, at));
  if (!id.ok()) return std::nullopt;
  return id->str();
}

}  // namespace

SubmittedMessage::SubmittedMessage(std::unique_ptr<internal::MessageSpool> spool)
    : spool_(std::move(spool)) {}
SubmittedMessage::~SubmittedMessage() = default;
Status SubmittedMessage::Append(std::string_view bytes) { return spool_->Append(bytes); }
uint64_t SubmittedMessage::size() const { return spool_->size(); }

std::string WithoutBccFields(std::string_view message) {
  std::string out;
  out.reserve(message.size());
  size_t pos = 0;
  bool dropping = false;
  while (pos < message.size()) {
    size_t end = message.find('\n', pos);
    end = end == std::string_view::npos ? message.size() : end + 1;
    const std::string_view line = message.substr(pos, end - pos);
    if (line == "\r\n" || line == "\n") {  // the end of the header section
      out.append(message.substr(pos));
      return out;
    }
    const bool continuation = line[0] == ' ' || line[0] == '\t';
    if (!continuation) {
      const size_t colon = line.find(':');
      std::string_view name = colon == std::string_view::npos ? "" : line.substr(0, colon);
      while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.remove_suffix(1);
      dropping = EqualsIgnoringCase(name, "bcc");
    }
    if (!dropping) out.append(line);
    pos = end;
  }
  return out;
}

MailSubmission::MailSubmission(const Services& services, SubmissionConfig config,
                               std::unique_ptr<SmtpPolicies> policies)
    : s_(services), config_(std::move(config)), policies_(std::move(policies)) {}

Result<std::unique_ptr<MailSubmission>> MailSubmission::Create(const Services& services,
                                                               SubmissionConfig config) {
  if (config.spool_directory.empty()) {
    return InvalidArgument("submission: a spool directory is required");
  }
  if (config.policy != SubmissionPolicy::kAll && config.tag.empty()) {
    return InvalidArgument("submission: the subject tag must not be empty");
  }
  config.max_message_bytes = std::min<uint64_t>(
      config.max_message_bytes, crypto::policy::kMimeParse.max_streamed_message_bytes);
  SP_ASSIGN_OR_RETURN(auto policies,
                      SmtpPolicies::Create(services, {config.policy, config.tag, config.rules}));
  // Spools of a process that ended mid-message: unreadable (their keys are gone), only space.
  SP_ASSIGN_OR_RETURN(const int swept, internal::SweepSpoolDirectory(config.spool_directory));
  if (swept > 0) spdlog::info("submission: removed {} abandoned spool file(s)", swept);
  return std::unique_ptr<MailSubmission>(
      new MailSubmission(services, std::move(config), std::move(policies)));
}

Status MailSubmission::CheckSender(const AuthContext& ctx, std::string_view mail_from) const {
  const auto own = EmailAddress::Parse(ctx.user.email);
  const auto given = EmailAddress::Parse(mail_from);
  if (own.ok() && given.ok() && own->local_part() == given->local_part() &&
      EqualsIgnoringCase(own->domain(), given->domain())) {
    return Status::Ok();
  }
  return PermissionDenied(fmt::format("the sender must be your own address, {}", ctx.user.email))
      .ShownToClient();
}

Result<std::unique_ptr<SubmittedMessage>> MailSubmission::BeginMessage(
    std::optional<uint64_t> max_bytes) const {
  const uint64_t limit =
      max_bytes
          ? std::min<uint64_t>(*max_bytes, crypto::policy::kMimeParse.max_streamed_message_bytes)
          : config_.max_message_bytes;
  SP_ASSIGN_OR_RETURN(auto spool, internal::MessageSpool::Create(
                                      platform::DefaultFilesystem(), s_.rng,
                                      config_.spool_directory, limit, config_.spool_memory_bytes));
  return std::unique_ptr<SubmittedMessage>(new SubmittedMessage(std::move(spool)));
}

// Who a message goes out as, and how: the member's own session (Submit) or the gateway on the
// member's behalf (SubmitFromRelay). The rest of the flow is the same for both.
class internal::SubmissionSender {
 public:
  virtual ~SubmissionSender() = default;
  // The member's address (MAIL FROM was checked against it): failure reports, the codes notice.
  virtual const std::string& email() const = 0;
  virtual Result<std::unique_ptr<UploadSession>> BeginUpload() = 0;
  virtual Result<MessageId> Send(const SendRequest& request, SendOutcome* outcome) = 0;
  // The Sealpost message an In-Reply-To names, if the thread may carry on from it.
  virtual std::optional<std::string> Answered(std::string_view in_reply_to) = 0;
};

namespace {

class MemberSender final : public internal::SubmissionSender {
 public:
  MemberSender(const Services& s, const AuthContext& ctx) : ctx_(ctx), mailbox_(s) {}
  const std::string& email() const override { return ctx_.user.email; }
  Result<std::unique_ptr<UploadSession>> BeginUpload() override {
    return mailbox_.BeginUpload(ctx_, std::nullopt);
  }
  Result<MessageId> Send(const SendRequest& request, SendOutcome* outcome) override {
    return mailbox_.Send(ctx_, request, outcome);
  }
  // Only a message the member can read (Sealpost's own Message-IDs are "<message id>@<domain>",
  // app/internal/secure_copies.cpp).
  std::optional<std::string> Answered(std::string_view in_reply_to) override {
    auto id = SealpostIdOf(in_reply_to);
    if (id && mailbox_.Read(ctx_, *id).ok()) return id;
    return std::nullopt;
  }

 private:
  const AuthContext& ctx_;
  Mailbox mailbox_;
};

class RelaySender final : public internal::SubmissionSender {
 public:
  explicit RelaySender(std::unique_ptr<GatewaySender> gateway) : gateway_(std::move(gateway)) {}
  const std::string& email() const override { return gateway_->member().email; }
  Result<std::unique_ptr<UploadSession>> BeginUpload() override {
    return gateway_->BeginUpload(std::nullopt);
  }
  Result<MessageId> Send(const SendRequest& request, SendOutcome* outcome) override {
    return gateway_->Send(request, outcome);
  }
  // The gateway holds none of the member's keys, so it cannot check that the member may read
  // the named message: the thread starts anew.
  std::optional<std::string> Answered(std::string_view) override { return std::nullopt; }

 private:
  std::unique_ptr<GatewaySender> gateway_;
};

}  // namespace

Result<SubmissionOutcome> MailSubmission::Submit(const AuthContext& ctx,
                                                 const SubmissionEnvelope& envelope,
                                                 SubmittedMessage& message) const {
  SP_RETURN_IF_ERROR(CheckSender(ctx, envelope.mail_from));
  MemberSender sender(s_, ctx);
  return Deliver(sender, envelope, message);
}

Result<SubmissionOutcome> MailSubmission::SubmitFromRelay(const SubmissionEnvelope& envelope,
                                                          SubmittedMessage& message) const {
  SP_ASSIGN_OR_RETURN(auto gateway, GatewaySender::For(s_, envelope.mail_from));
  RelaySender sender(std::move(gateway));
  return Deliver(sender, envelope, message);
}

Result<SubmissionOutcome> MailSubmission::Deliver(internal::SubmissionSender& sender,
                                                  const SubmissionEnvelope& envelope,
                                                  SubmittedMessage& message) const {
  std::vector<std::string> recipients;
  std::set<std::string> seen;
  for (const std::string& r : envelope.recipients) {
    auto address = EmailAddress::Parse(r);
    if (!address.ok()) {
      return InvalidArgument("recipient " + r + " is not a valid address").ShownToClient();
    }
    if (seen.insert(address->str()).second) recipients.push_back(address->str());
  }
  if (recipients.empty()) return InvalidArgument("no recipients").ShownToClient();

  // Parsed where it lies: the attachments are streamed from the spool into their uploads below.
  SP_RETURN_IF_ERROR(message.spool_->Finish());
  auto streamed = mime::StreamedMessage::Parse(*message.spool_);
  if (!streamed.ok()) {
    if (streamed.status().code() == ErrorCode::kTooLarge) {
      return TooLarge("the message has more parts, nesting or header data than Sealpost reads")
          .ShownToClient();
    }
    if (streamed.status().code() == ErrorCode::kInvalidArgument) {
      return InvalidArgument("the message is not a MIME message Sealpost can read").ShownToClient();
    }
    return streamed.status();  // the spool's own failure
  }
  const mime::ParsedMessage* const parsed = &(*streamed)->message();

  // The policy of the sender's domain: is this message sent securely?
  const std::string& from = sender.email();
  const size_t at = from.rfind('@');
  SP_ASSIGN_OR_RETURN(
      const auto policy,
      policies_->For(at == std::string::npos ? std::string_view()
                                             : std::string_view(from).substr(at + 1)));
  SubmissionOutcome outcome;
  // The tag never reaches a recipient, whatever the policy (members type it out of habit).
  std::string subject = parsed->subject;
  const std::optional<std::string> untagged = RemoveSubjectTag(subject, policy->policy.tag);
  if (untagged) subject = *untagged;
  if (policy->policy.mode == SubmissionPolicy::kAll) {
    outcome.marked_by = "policy";
  } else if (untagged) {
    outcome.marked_by = "tag";
  } else if (policy->policy.mode == SubmissionPolicy::kRules) {
    const std::string_view searched =
        parsed->text_body.empty() && parsed->html_body ? *parsed->html_body : parsed->text_body;
    if (auto rule = policy->rules.FirstMatch(subject, searched)) outcome.marked_by = *rule;
  }

  if (outcome.marked_by.empty()) {
    // Relayed as written, Bcc fields removed; one queued mail per envelope recipient, all in one
    // transaction, so the 250 means every one of them is queued.
    outcome.kind = SubmissionOutcome::Kind::kRelayed;
    // The queue keeps a mail whole (in the store), so only what the in-memory bound allows.
    if (message.size() > crypto::policy::kMimeParse.max_message_bytes) {
      return TooLarge(fmt::format("a message sent on unencrypted can be at most {} MiB",
                                  crypto::policy::kMimeParse.max_message_bytes >> 20))
          .ShownToClient();
    }
    SP_ASSIGN_OR_RETURN(std::string bytes, message.spool_->ReadAll());
    std::string raw = WithoutBccFields(bytes);
    crypto::WipeString(bytes);
    std::vector<delivery::OutgoingMail> mails;
    for (const std::string& r : recipients) {
      SP_ASSIGN_OR_RETURN(EmailAddress to, EmailAddress::Parse(r));
      delivery::OutgoingMail mail{std::move(to), "", ""};
      mail.raw = raw;
      mails.push_back(std::move(mail));
    }
    std::optional<EmailAddress> report_to;
    if (auto own = EmailAddress::Parse(sender.email()); own.ok()) report_to = std::move(*own);
    SP_RETURN_IF_ERROR(s_.store.Write([&](store::WriteTxn& tx) -> Status {
      for (const auto& mail : mails) {
        SP_RETURN_IF_ERROR(QueueMail(s_, tx.outbox(), mail, report_to));
      }
      return Status::Ok();
    }));
    NotifyMailQueued(s_);
    return outcome;
  }

  SendRequest request;
  request.to = recipients;
  request.subject = std::move(subject);
  request.text = ToLf(parsed->text_body);
  if (parsed->html_body) request.html = ToLf(*parsed->html_body);
  request.generate_mucs = true;
  if (!parsed->in_reply_to.empty()) {
    if (auto id = sender.Answered(parsed->in_reply_to)) request.in_reply_to = *id;
  }
  const Limits& limits = s_.config.limits;
  if (parsed->attachments.size() > limits.max_attachments) {
    return InvalidArgument(
               fmt::format("a message can have at most {} attachments", limits.max_attachments))
        .ShownToClient();
  }

  // Recipients the To and Cc fields name see each other, as in any mail, each in the list that
  // named them (To first); every other envelope recipient (a Bcc) gets a message of their own
  // that lists only them, as Bcc — what the web UI's Cc and Bcc make too (app/mailbox.h).
  auto named_by = [](const std::vector<mime::ParsedMailbox>& field) {
    std::set<std::string> out;
    for (const mime::ParsedMailbox& m : field) {
      if (auto a = EmailAddress::Parse(m.address); a.ok()) out.insert(a->str());
    }
    return out;
  };
  const std::set<std::string> in_to = named_by(parsed->to);
  const std::set<std::string> in_cc = named_by(parsed->cc);
  struct Lists {
    std::vector<std::string> to, cc, bcc;
  };
  std::vector<Lists> sends;
  Lists visible;
  for (const std::string& r : recipients) {
    if (in_to.count(r)) {
      visible.to.push_back(r);
    } else if (in_cc.count(r)) {
      visible.cc.push_back(r);
    } else {
      sends.push_back({{}, {}, {r}});
    }
  }
  if (!visible.to.empty() || !visible.cc.empty()) sends.insert(sends.begin(), std::move(visible));

  // Attachments become uploads, as the web UI's are (each message takes its own); on a failure
  // the uploads not taken are deleted again.
  std::vector<UploadId> uploads;
  auto discard_uploads = [&] {
    for (const UploadId& upload_id : uploads) {
      auto upload = s_.store.messages().GetUpload(upload_id);
      if (!upload.ok()) continue;
      const Status deleted = s_.store.Write(
          [&](store::WriteTxn& tx) { return tx.messages().DeleteUpload(upload_id); });
      if (deleted.ok()) (void)s_.blobs.Remove(upload->blob_id);
    }
    uploads.clear();
  };
  auto upload_attachments = [&]() -> Status {
    request.attachments.clear();
    for (size_t i = 0; i < parsed->attachments.size(); ++i) {
      const mime::ParsedAttachment& a = parsed->attachments[i];
      // Decoded from the spool straight into the upload, a block at a time.
      auto upload = sender.BeginUpload();
      Status written = upload.ok() ? (*streamed)->CopyAttachment(
                                         i, [&](ByteView block) { return (*upload)->Write(block); })
                                   : upload.status();
      Result<UploadResult> finished =
          written.ok() ? (*upload)->Finish() : Result<UploadResult>(written);
      if (!finished.ok()) {
        if (upload.ok()) (*upload)->Abort();
        return finished.status();
      }
      uploads.push_back(finished->id);
      request.attachments.push_back(
          {finished->id.str(), AttachmentName(a, i, limits.max_attachment_name_bytes),
           a.content_type.empty() ? "application/octet-stream" : a.content_type});
    }
    return Status::Ok();
  };

  SendOutcome sent;
  std::optional<MessageId> first;
  for (Lists& lists : sends) {
    request.to = std::move(lists.to);
    request.cc = std::move(lists.cc);
    request.bcc = std::move(lists.bcc);
    SendOutcome one;
    Status uploaded = upload_attachments();
    Result<MessageId> id = uploaded.ok() ? sender.Send(request, &one) : uploaded;
    if (!id.ok()) {
      // A message already sent to other recipients stays sent (see the header).
      discard_uploads();
      return id.status();
    }
    uploads.clear();  // the message's now
    if (!first) first = *id;
    for (auto& [address, muc] : one.generated_mucs) {
      sent.generated_mucs.emplace(address, std::move(muc));
    }
  }
  outcome.kind = SubmissionOutcome::Kind::kSentSecurely;
  outcome.message_id = first;
  const MessageId* const id = &*first;

  if (!sent.generated_mucs.empty()) {
    // The codes, where only the member can read them (see the header).
    std::string text = fmt::format(
        "Your message \"{}\" was sent securely. These recipients need an unlock code to open "
        "it. Tell each one their code yourself, by phone or in person: not by e-mail.\n\n",
        request.subject);
    for (const auto& [address, muc] : sent.generated_mucs) {
      outcome.generated_muc_for.push_back(address);
      text += fmt::format("{}: {}\n", address, muc.view());
    }
    SendRequest notice;
    notice.to = {sender.email()};
    notice.subject =
        std::string(Utf8Prefix(fmt::format("Unlock codes for your message \"{}\"", request.subject),
                               limits.max_subject_bytes));
    notice.text = std::move(text);
    const auto delivered = sender.Send(notice, nullptr);
    std::fill(notice.text.begin(), notice.text.end(), '\0');
    if (!delivered.ok()) {
      spdlog::error("submission: the unlock codes of message {} were not delivered to {}: {}",
                    id->str(), sender.email(), delivered.status().ToString());
    }
  }
  return outcome;
}

}  // namespace sealpost::app
