#include "app/secure_delivery.h"

#include <algorithm>
#include <span>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "app/delivery_reports.h"
#include "app/internal/audit_event.h"
#include "app/internal/secure_copies.h"
#include "app/system_mail.h"

namespace sealpost::app {
namespace {

using nlohmann::json;

std::chrono::seconds Backoff(const MailRetryPolicy& policy, int attempts) {
  std::chrono::seconds delay = policy.first_retry;
  for (int i = 1; i < attempts && delay < policy.max_retry; ++i) delay *= 2;
  return std::min(delay, policy.max_retry);
}

}  // namespace

std::string_view SecureMethodLabel(std::string_view route_slug) {
  if (route_slug == "smime") return "S/MIME";
  if (route_slug == "openpgp") return "OpenPGP";
  return "TLS";
}

struct SecureCopyDeliverer::Attempt {
  enum class Outcome { kDelivered, kTransient, kPermanent } outcome = Outcome::kTransient;
  std::string host;
  std::string reply;
  std::string reason;
};

std::string_view SecureCopyStateName(store::SecureCopyState state) {
  switch (state) {
    case store::SecureCopyState::kQueued:
      return "queued";
    case store::SecureCopyState::kDelivered:
      return "delivered";
    case store::SecureCopyState::kDeferred:
    case store::SecureCopyState::kReportedDelayed:  // by a server further on (a DSN)
      return "deferred";
    case store::SecureCopyState::kFailed:
      return "failed";
  }
  return "queued";
}

Result<DeliveryRound> SecureCopyDeliverer::DeliverDue(int batch) {
  const TimePoint now = s_.clock.Now();
  Result<std::vector<store::SecureCopyRecord>> claimed = std::vector<store::SecureCopyRecord>{};
  SP_RETURN_IF_ERROR(s_.store.Write([&](store::WriteTxn& tx) {
    claimed = tx.secure_delivery().ClaimDueCopies(now, now + s_.config.mail_retry.lease, batch);
    return claimed.status();
  }));
  DeliveryRound round;
  for (const store::SecureCopyRecord& copy : *claimed) {
    auto sender = s_.store.accounts().GetUser(copy.sender_id);
    if (!sender.ok() && sender.status().code() != ErrorCode::kNotFound) return sender.status();
    const std::string sender_email = sender.ok() ? sender->email : std::string();
    auto raw = s_.master.Unwrap(copy.sealed_copy, internal::SecureCopyPurpose(copy.id));
    Attempt attempt;
    if (!raw.ok()) {
      // Nothing to retry: a copy that cannot be opened will not open later.
      attempt.outcome = Attempt::Outcome::kPermanent;
      attempt.reason = "the queued copy cannot be opened";
    } else if (sender_email.empty()) {
      attempt.outcome = Attempt::Outcome::kPermanent;
      attempt.reason = "the sender's account is gone";
    } else {
      attempt = Send(copy, std::string(raw->AsStringView()), sender_email);
    }
    SP_RETURN_IF_ERROR(Record(copy, attempt, sender_email, round));
  }
  return round;
}

SecureCopyDeliverer::Attempt SecureCopyDeliverer::Send(const store::SecureCopyRecord& copy,
                                                       std::string raw, const std::string& from) {
  Attempt a;
  // The envelope sender names the copy, so a delivery status notification finds it
  // (app/delivery_reports.h); without a bounce domain, the mailer's own (relay) or the sender's.
  auto bounce_or = BounceAddressFor(s_, delivery::BounceKind::kSecureCopy, copy.id.str());
  if (!bounce_or.ok()) {
    a.outcome = Attempt::Outcome::kTransient;
    a.reason = "the bounce key cannot be read";
    return a;
  }
  const std::string bounce = *std::move(bounce_or);
  auto recipient = EmailAddress::Parse(copy.recipient);
  auto envelope_from = EmailAddress::Parse(from);
  if (!recipient.ok() || !envelope_from.ok()) {
    a.outcome = Attempt::Outcome::kPermanent;
    a.reason = "the recipient or sender address is not valid";
    return a;
  }
  if (copy.method != "tls") {
    // End-to-end encrypted: the relay (or the .eml outbox) carries it.
    delivery::OutgoingMail mail{*recipient, "", "", copy.id.str()};
    mail.written_at = copy.created_at;
    mail.envelope_sender = bounce;
    mail.raw = std::move(raw);
    // The relay's own reply goes into the consignment evidence (delivery.sent), as for pickups.
    std::vector<delivery::MailHandoff> handoffs;
    const std::vector<Status> results = s_.mailer.SendBatchWithHandoffs(
        std::span<const delivery::OutgoingMail>(&mail, 1), handoffs);
    std::fill(mail.raw.begin(), mail.raw.end(), '\0');
    const Status sent =
        results.size() == 1 ? results[0] : Internal("the mailer gave no answer for the copy");
    if (sent.ok()) {
      a.outcome = Attempt::Outcome::kDelivered;
      const bool known = handoffs.size() == 1 && !handoffs[0].receiver.empty();
      a.host = known ? handoffs[0].receiver : "mail relay";
      a.reply = handoffs.size() == 1 && !handoffs[0].reply.empty() ? handoffs[0].reply : "accepted";
    } else {
      a.outcome = sent.code() == ErrorCode::kUnavailable ? Attempt::Outcome::kTransient
                                                         : Attempt::Outcome::kPermanent;
      a.reason = sent.message();
    }
    return a;
  }
  // Enforced TLS: the partner policy as it is now, and only the direct sender.
  const std::string domain(recipient->domain());
  std::optional<delivery::TlsPartnerPolicy> policy;
  if (s_.tls_partner) policy = s_.tls_partner(envelope_from->domain(), domain);
  if (!policy) {
    a.outcome = Attempt::Outcome::kPermanent;
    a.reason = domain + " is no longer a TLS partner";
  } else if (s_.tls_only_forbidden && s_.tls_only_forbidden(domain)) {
    a.outcome = Attempt::Outcome::kPermanent;
    a.reason = "TLS-only delivery to " + domain + " is forbidden";
  } else if (tls_ == nullptr) {
    a.outcome = Attempt::Outcome::kTransient;
    a.reason = "direct delivery over TLS is not configured";
  } else {
    if (!bounce.empty()) {
      auto bounce_address = EmailAddress::Parse(bounce);
      if (bounce_address.ok()) envelope_from = *std::move(bounce_address);
    }
    delivery::TlsDirectMessage message{std::move(raw), *envelope_from, {*recipient}};
    const delivery::TlsDeliveryResult r = tls_->Deliver(*policy, message);
    std::fill(message.raw.begin(), message.raw.end(), '\0');
    a.host = r.host;
    a.reply = r.reply;
    a.reason = r.reason;
    switch (r.outcome) {
      case delivery::TlsDeliveryOutcome::kDelivered:
        a.outcome = Attempt::Outcome::kDelivered;
        break;
      case delivery::TlsDeliveryOutcome::kTransient:
        a.outcome = Attempt::Outcome::kTransient;
        break;
      case delivery::TlsDeliveryOutcome::kPermanent:
        a.outcome = Attempt::Outcome::kPermanent;
        break;
    }
    if (a.reason.empty() && a.outcome != Attempt::Outcome::kDelivered) a.reason = "not delivered";
  }
  std::fill(raw.begin(), raw.end(), '\0');
  return a;
}

Status SecureCopyDeliverer::Record(const store::SecureCopyRecord& copy, const Attempt& attempt,
                                   const std::string& sender_email, DeliveryRound& round) {
  const TimePoint now = s_.clock.Now();
  const int attempts = copy.attempts + 1;
  const std::string method(internal::RouteSlugOfCopyMethod(copy.method));
  if (attempt.outcome == Attempt::Outcome::kDelivered) {
    ++round.delivered;
    return s_.store.Write([&](store::WriteTxn& tx) {
      SP_RETURN_IF_ERROR(
          tx.secure_delivery().FinishCopy(copy.id, store::SecureCopyState::kDelivered, attempts,
                                          attempt.host, attempt.reply, "", now));
      // Evidence (docs/formats/log-entry.md, "Evidence events"): consigned to the recipient's
      // mail server.
      return RecordEvent(s_, tx, "delivery.sent", "system", copy.message_id.str(),
                         json{{"recipient", copy.recipient},
                              {"method", method},
                              {"copy", copy.id.str()},
                              {"host", attempt.host},
                              {"reply", attempt.reply},
                              {"attempts", attempts}}
                             .dump());
    });
  }
  const MailRetryPolicy& policy = s_.config.mail_retry;
  const TimePoint next = now + Backoff(policy, attempts);
  if (attempt.outcome == Attempt::Outcome::kTransient &&
      next - copy.created_at <= policy.give_up_after) {
    ++round.retried;
    spdlog::warn("secure delivery: copy {} ({}) deferred after attempt {}: {}", copy.id.str(),
                 method, attempts, attempt.reason);
    return s_.store.Write([&](store::WriteTxn& tx) {
      return tx.secure_delivery().DeferCopy(copy.id, next, attempts, attempt.reason);
    });
  }
  ++round.failed;
  spdlog::error("secure delivery: gave up on copy {} ({}) after {} attempt(s): {}", copy.id.str(),
                method, attempts, attempt.reason);
  return s_.store.Write([&](store::WriteTxn& tx) {
    SP_RETURN_IF_ERROR(tx.secure_delivery().FinishCopy(
        copy.id, store::SecureCopyState::kFailed, attempts, attempt.host, "", attempt.reason, now));
    SP_RETURN_IF_ERROR(
        RecordEvent(s_, tx, "delivery.failed", "system", copy.message_id.str(),
                    json{{"recipient", copy.recipient},
                         {"method", method},
                         {"copy", copy.id.str()},
                         {"attempts", attempts},
                         {"permanent", attempt.outcome == Attempt::Outcome::kPermanent},
                         {"error", attempt.reason}}
                        .dump()));
    auto report_to = EmailAddress::Parse(sender_email);
    if (!report_to.ok()) return Status::Ok();
    return QueueMail(s_, tx.outbox(),
                     SecureCopyFailedMail(s_.config, *report_to, copy.recipient,
                                          SecureMethodLabel(method), attempts, attempt.reason));
  });
}

Result<std::vector<SecureCopyStatus>> SecureCopiesOf(const Services& s, const MessageId& message) {
  SP_ASSIGN_OR_RETURN(const std::vector<store::SecureCopyRecord> copies,
                      s.store.secure_delivery().ListCopiesOfMessage(message));
  std::vector<SecureCopyStatus> out;
  for (const store::SecureCopyRecord& c : copies) {
    SecureCopyStatus st;
    st.recipient = c.recipient;
    st.method = std::string(internal::RouteSlugOfCopyMethod(c.method));
    st.format = c.method;
    st.state = std::string(SecureCopyStateName(c.state));
    st.host = c.host;
    st.reply = c.reply;
    st.reason = c.last_error;
    st.attempts = c.attempts;
    if (c.state == store::SecureCopyState::kQueued ||
        c.state == store::SecureCopyState::kDeferred) {
      st.next_attempt_at = c.next_attempt_at;
    }
    st.finished_at = c.finished_at;
    out.push_back(std::move(st));
  }
  return out;
}

}  // namespace sealpost::app
