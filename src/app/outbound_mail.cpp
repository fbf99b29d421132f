#include "app/outbound_mail.h"

#include <algorithm>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "app/delivery_reports.h"
#include "app/internal/audit_event.h"
#include "app/system_mail.h"
#include "core/encoding.h"
#include "crypto/ad_labels.h"

namespace sealpost::app {
namespace {

using nlohmann::json;

std::string SealPurpose(const MailJobId& id) {
  return std::string(crypto::kMasterPurposeOutboundMail) + id.str();
}

Bytes Seal(const Services& s, const MailJobId& id, const delivery::OutgoingMail& mail,
           const std::optional<EmailAddress>& report_to) {
  json j = {{"to", mail.to.str()}, {"subject", mail.subject}, {"text", mail.text}};
  if (!mail.html.empty()) j["html"] = mail.html;
  // A message relayed as the member wrote it (app/mail_submission.h): sent as it is. Base64,
  // because its bytes need not be UTF-8 (8BITMIME), which JSON text must be.
  if (!mail.raw.empty()) j["raw"] = Base64Encode(AsBytes(mail.raw));
  if (report_to) j["report_to"] = report_to->str();
  std::string text = j.dump();
  const Bytes sealed = s.master.Wrap(AsBytes(text), SealPurpose(id));
  std::fill(text.begin(), text.end(), '\0');  // it holds the links
  return sealed;
}

struct UnsealedMail {
  delivery::OutgoingMail mail;
  std::optional<EmailAddress> report_to;
};

Result<UnsealedMail> Unseal(const Services& s, const store::OutboundMailRecord& job) {
  SP_ASSIGN_OR_RETURN(const crypto::SecretBytes plain,
                      s.master.Unwrap(job.sealed_mail, SealPurpose(job.id)));
  const json j = json::parse(plain.AsStringView(), nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("to") || !j["to"].is_string() || !j.contains("subject") ||
      !j["subject"].is_string() || !j.contains("text") || !j["text"].is_string()) {
    return Corruption("queued mail is malformed");
  }
  SP_ASSIGN_OR_RETURN(EmailAddress to, EmailAddress::Parse(j["to"].get<std::string>()));
  UnsealedMail out{{std::move(to), j["subject"].get<std::string>(), j["text"].get<std::string>()},
                   std::nullopt};
  if (j.contains("html") && j["html"].is_string()) out.mail.html = j["html"].get<std::string>();
  if (j.contains("raw") && j["raw"].is_string()) {
    SP_ASSIGN_OR_RETURN(const Bytes raw, Base64Decode(j["raw"].get<std::string>()));
    out.mail.raw.assign(raw.begin(), raw.end());
  }
  out.mail.message_id = job.id.str();
  out.mail.written_at = job.created_at;
  if (j.contains("report_to") && j["report_to"].is_string()) {
    auto report_to = EmailAddress::Parse(j["report_to"].get<std::string>());
    if (report_to.ok()) out.report_to = *std::move(report_to);
  }
  return out;
}

// A pickup is never deleted, but a missing one must not keep its mail in the queue.
Status IgnoreNotFound(const Status& s) {
  return s.code() == ErrorCode::kNotFound ? Status::Ok() : s;
}

std::chrono::seconds Backoff(const MailRetryPolicy& policy, int attempts) {
  std::chrono::seconds delay = policy.first_retry;
  for (int i = 1; i < attempts && delay < policy.max_retry; ++i) delay *= 2;
  return std::min(delay, policy.max_retry);
}

// The message whose pickup notification `job` is (nullopt for other mail, or when the pickup is
// gone): read before the write that records the outcome, to name it in the evidence event.
Result<std::optional<MessageId>> PickupMessageOf(const Services& s,
                                                 const store::OutboundMailRecord& job) {
  if (!job.pickup_lookup) return std::optional<MessageId>();
  auto pickup = s.store.guests().GetPickup(*job.pickup_lookup);
  if (!pickup.ok()) {
    if (pickup.status().code() == ErrorCode::kNotFound) return std::optional<MessageId>();
    return pickup.status();
  }
  return std::optional<MessageId>(pickup->message_id);
}

// Evidence (docs/formats/log-entry.md, "Evidence events"): a pickup notification handed to the
// relay consigns the message to its guest; one given up on is a consignment failure. The event is
// about the message (subject) and names the recipient, beside mail.sent / mail.failed, which are
// about the mail job.
Status RecordPickupEvidence(const Services& s, store::WriteTxn& tx,
                            const std::optional<MessageId>& message, const std::string& type,
                            json details) {
  if (!message) return Status::Ok();
  details["method"] = "pickup";
  return RecordEvent(s, tx, type, "system", message->str(), details.dump());
}

// A mail the relay accepted leaves the queue; its pickup (if any) becomes "notified", with who
// took it and what it answered (`handoff`). A mail withdrawn meanwhile (a recall) was sent
// anyway: recorded as such.
Status RecordSent(const Services& s, store::WriteTxn& tx, const store::OutboundMailRecord& job,
                  const std::string& to, TimePoint now, const std::optional<MessageId>& message,
                  const delivery::MailHandoff& handoff) {
  const int attempts = job.attempts + 1;
  json notified{{"recipient", to},
                {"mail", job.id.str()},
                {"reply", handoff.reply.empty() ? std::string("accepted") : handoff.reply}};
  if (!handoff.receiver.empty()) notified["relay"] = handoff.receiver;
  SP_RETURN_IF_ERROR(RecordPickupEvidence(s, tx, message, "pickup.notified", std::move(notified)));
  const Status deleted = tx.outbox().DeleteMail(job.id);
  if (deleted.code() == ErrorCode::kNotFound) {
    return RecordEvent(s, tx, "mail.sent", "system", job.id.str(),
                       json{{"to", to}, {"attempts", attempts}, {"withdrawn", true}}.dump());
  }
  SP_RETURN_IF_ERROR(deleted);
  if (job.pickup_lookup) {
    SP_RETURN_IF_ERROR(IgnoreNotFound(tx.guests().SetPickupNotified(*job.pickup_lookup, now)));
  }
  return RecordEvent(s, tx, "mail.sent", "system", job.id.str(),
                     json{{"to", to}, {"attempts", attempts}}.dump());
}

}  // namespace

Status QueueMail(const Services& s, store::OutboxWriter& outbox, const delivery::OutgoingMail& mail,
                 const std::optional<EmailAddress>& report_failure_to,
                 const std::optional<std::string>& pickup_lookup) {
  const MailJobId id = platform::NewId<MailJobId>(s.rng);
  const TimePoint now = s.clock.Now();
  return outbox.EnqueueMail({id, Seal(s, id, mail, report_failure_to), now, now, 0, std::nullopt,
                             std::string(), pickup_lookup});
}

Result<DeliveryRound> MailDeliverer::DeliverDue(int batch) {
  const TimePoint now = s_.clock.Now();
  Result<std::vector<store::OutboundMailRecord>> claimed = std::vector<store::OutboundMailRecord>{};
  SP_RETURN_IF_ERROR(s_.store.Write([&](store::WriteTxn& tx) {
    claimed = tx.outbox().ClaimDueMail(now, now + s_.config.mail_retry.lease, batch);
    return claimed.status();
  }));
  DeliveryRound round;
  // Open every claimed mail, hand the batch to the mailer at once (one SMTP session), then
  // record the outcomes: every delivered mail in one transaction, the others one by one.
  std::vector<const store::OutboundMailRecord*> jobs;
  std::vector<UnsealedMail> unsealed;
  for (const store::OutboundMailRecord& job : *claimed) {
    Result<UnsealedMail> u = Unseal(s_, job);
    if (!u.ok()) {
      // Nothing to retry: a mail that cannot be opened will not open later.
      SP_RETURN_IF_ERROR(Finish(job, nullptr, std::nullopt, u.status(), round));
      continue;
    }
    jobs.push_back(&job);
    unsealed.push_back(*std::move(u));
  }
  if (jobs.empty()) return round;
  // Each mail's envelope sender names it, so a delivery status notification finds it
  // (app/delivery_reports.h). Without a bounce domain: the mailer's own address. A key that
  // cannot be read leaves the claimed mails to the next round (their lease runs out).
  std::optional<crypto::SecretBytes> bounce_key;
  if (!s_.config.bounce_domain.empty()) {
    SP_ASSIGN_OR_RETURN(bounce_key, LoadOrCreateBounceKey(s_));
  }
  std::vector<delivery::OutgoingMail> mails;
  mails.reserve(unsealed.size());
  for (size_t i = 0; i < unsealed.size(); ++i) {
    mails.push_back(unsealed[i].mail);
    if (bounce_key) {
      mails.back().envelope_sender = delivery::BounceAddress(
          *bounce_key, {delivery::BounceKind::kSystemMail, jobs[i]->id.str()},
          s_.config.bounce_domain);
    }
  }
  std::vector<delivery::MailHandoff> handoffs;
  std::vector<Status> sent = s_.mailer.SendBatchWithHandoffs(mails, handoffs);
  if (sent.size() != mails.size() || handoffs.size() != mails.size()) {
    return Internal("mailer answered for the wrong number of mails");
  }

  std::vector<size_t> delivered;
  for (size_t i = 0; i < jobs.size(); ++i) {
    if (sent[i].ok()) {
      delivered.push_back(i);
    } else {
      SP_RETURN_IF_ERROR(Finish(*jobs[i], &mails[i], unsealed[i].report_to, sent[i], round));
    }
  }
  if (!delivered.empty()) {
    const TimePoint sent_at = s_.clock.Now();
    std::vector<std::optional<MessageId>> messages;
    for (const size_t i : delivered) {
      SP_ASSIGN_OR_RETURN(std::optional<MessageId> m, PickupMessageOf(s_, *jobs[i]));
      messages.push_back(std::move(m));
    }
    SP_RETURN_IF_ERROR(s_.store.Write([&](store::WriteTxn& tx) {
      for (size_t k = 0; k < delivered.size(); ++k) {
        const size_t i = delivered[k];
        SP_RETURN_IF_ERROR(
            RecordSent(s_, tx, *jobs[i], mails[i].to.str(), sent_at, messages[k], handoffs[i]));
      }
      return Status::Ok();
    }));
    round.delivered += static_cast<int>(delivered.size());
  }
  return round;
}

Status MailDeliverer::Finish(const store::OutboundMailRecord& job,
                             const delivery::OutgoingMail* mail,
                             const std::optional<EmailAddress>& report_to, const Status& sent,
                             DeliveryRound& round) {
  const TimePoint now = s_.clock.Now();
  const int attempts = job.attempts + 1;
  const std::string to = mail ? mail->to.str() : std::string();
  SP_ASSIGN_OR_RETURN(const std::optional<MessageId> message,
                      mail ? PickupMessageOf(s_, job)
                           : Result<std::optional<MessageId>>(std::optional<MessageId>()));
  if (sent.ok()) {
    ++round.delivered;
    return s_.store.Write(
        [&](store::WriteTxn& tx) { return RecordSent(s_, tx, job, to, now, message, {}); });
  }
  const MailRetryPolicy& policy = s_.config.mail_retry;
  const TimePoint next = now + Backoff(policy, attempts);
  const bool transient = sent.code() == ErrorCode::kUnavailable;
  if (transient && next - job.created_at <= policy.give_up_after) {
    ++round.retried;
    spdlog::warn("mail: delivery of {} failed (attempt {}), retrying in {} s: {}", job.id.str(),
                 attempts, std::chrono::duration_cast<std::chrono::seconds>(next - now).count(),
                 sent.message());
    return s_.store.Write([&](store::WriteTxn& tx) {
      return tx.outbox().RescheduleMail(job.id, next, attempts, sent.message());
    });
  }
  ++round.failed;
  spdlog::error("mail: gave up on {} after {} attempt(s): {}", job.id.str(), attempts,
                sent.message());
  return s_.store.Write([&](store::WriteTxn& tx) {
    const Status deleted = tx.outbox().DeleteMail(job.id);
    if (deleted.code() == ErrorCode::kNotFound) return Status::Ok();  // withdrawn meanwhile
    SP_RETURN_IF_ERROR(deleted);
    if (job.pickup_lookup) {
      SP_RETURN_IF_ERROR(
          IgnoreNotFound(tx.guests().SetPickupNotifyFailed(*job.pickup_lookup, now)));
    }
    SP_RETURN_IF_ERROR(RecordPickupEvidence(
        s_, tx, message, "pickup.notify_failed",
        json{{"recipient", to}, {"mail", job.id.str()}, {"error", sent.message()}}));
    SP_RETURN_IF_ERROR(RecordEvent(s_, tx, "mail.failed", "system", job.id.str(),
                                   json{{"to", to},
                                        {"attempts", attempts},
                                        {"permanent", !transient},
                                        {"error", sent.message()}}
                                       .dump()));
    if (!report_to || !mail) return Status::Ok();
    // The report itself reports to no one: a member whose own address fails is not mailed
    // about it in a loop.
    return QueueMail(s_, tx.outbox(),
                     UndeliveredMail(s_.config, *report_to, to, attempts, sent.message()));
  });
}

}  // namespace sealpost::app
