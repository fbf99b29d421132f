#include "app/secure_delivery.h"

#include <algorithm>
#include <map>
#include <optional>
#include <span>

#include <fmt/format.h>
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

void Wipe(std::string& s) { std::fill(s.begin(), s.end(), '\0'); }

// Failed in `tx`: the copy erased, evidence delivery.failed, the sender told by a system mail
// that offers sending it again by secure pickup.
Status RecordFailed(const Services& s, store::WriteTxn& tx, const store::SecureCopyRecord& copy,
                    int attempts, const std::string& host, const std::string& reason,
                    bool permanent, const std::string& sender_email, TimePoint now) {
  const std::string method(internal::RouteSlugOfCopyMethod(copy.method));
  SP_RETURN_IF_ERROR(tx.secure_delivery().FinishCopy(copy.id, store::SecureCopyState::kFailed,
                                                     attempts, host, "", reason, now));
  SP_RETURN_IF_ERROR(RecordEvent(s, tx, "delivery.failed", "system", copy.message_id.str(),
                                 json{{"recipient", copy.recipient},
                                      {"method", method},
                                      {"copy", copy.id.str()},
                                      {"attempts", attempts},
                                      {"permanent", permanent},
                                      {"error", reason}}
                                     .dump()));
  auto report_to = EmailAddress::Parse(sender_email);
  if (!report_to.ok()) return Status::Ok();
  return QueueMail(s, tx.outbox(),
                   SecureCopyFailedMail(s.config, *report_to, copy.recipient,
                                        SecureMethodLabel(method), attempts, reason));
}

}  // namespace

Status FailCopyNotMade(const Services& s, store::WriteTxn& tx, const store::SecureCopyRecord& copy,
                       const std::string& sender_email, const std::string& reason) {
  spdlog::error("secure delivery: copy {} ({}) was not made: {}", copy.id.str(),
                internal::RouteSlugOfCopyMethod(copy.method), reason);
  return RecordFailed(s, tx, copy, copy.attempts, "", reason, true, sender_email, s.clock.Now());
}

std::string_view SecureMethodLabel(std::string_view route_slug) {
  if (route_slug == "smime") return "S/MIME";
  if (route_slug == "openpgp") return "OpenPGP";
  return "TLS";
}

std::string_view SecureCopyStateName(store::SecureCopyState state) {
  switch (state) {
    case store::SecureCopyState::kQueued:
    case store::SecureCopyState::kPreparing:  // being made by the send: as good as queued
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

// One claimed copy on its way: opened, its addresses parsed, then given its attempt's outcome.
struct SecureCopyDeliverer::Pending {
  const store::SecureCopyRecord* copy = nullptr;
  std::string sender_email;
  std::string raw;  // the copy's bytes (a TLS copy is the message in clear): wiped after sending
  std::optional<EmailAddress> recipient;
  std::optional<EmailAddress> envelope_from;  // the sender (a bounce address replaces it)
  std::string bounce;                         // the copy's bounce address; "" without a domain
  bool ready = false;                         // to be sent; otherwise `attempt` is final
  Attempt attempt;
};

Result<DeliveryRound> SecureCopyDeliverer::DeliverDue(int batch) {
  const TimePoint now = s_.clock.Now();
  Result<std::vector<store::SecureCopyRecord>> claimed = std::vector<store::SecureCopyRecord>{};
  DeliveryRound round;
  SP_RETURN_IF_ERROR(s_.store.Write([&](store::WriteTxn& tx) -> Status {
    SP_RETURN_IF_ERROR(FailAbandoned(tx, now, batch, round));
    claimed = tx.secure_delivery().ClaimDueCopies(now, now + s_.config.mail_retry.lease, batch);
    return claimed.status();
  }));
  if (claimed->empty()) return round;
  // Open every claimed copy, send them — the S/MIME and OpenPGP copies over one relay session,
  // the TLS copies over one session per partner domain — then record the outcomes: every
  // delivered copy in one transaction, the others one by one. A copy leaves the queue only with
  // the record of its 250.
  std::vector<Pending> pending(claimed->size());
  // Each envelope sender names its copy, so a delivery status notification finds it
  // (app/delivery_reports.h). A key that cannot be read defers the copies (tried again later).
  std::optional<crypto::SecretBytes> bounce_key;
  bool bounce_key_broken = false;
  if (!s_.config.bounce_domain.empty()) {
    auto key = LoadOrCreateBounceKey(s_);
    if (key.ok()) {
      bounce_key.emplace(*std::move(key));
    } else {
      bounce_key_broken = true;
    }
  }
  std::map<UserId, std::string> senders;  // the copies of a claim mostly share one sender
  for (size_t i = 0; i < claimed->size(); ++i) {
    const store::SecureCopyRecord& copy = (*claimed)[i];
    Pending& p = pending[i];
    p.copy = &copy;
    auto known = senders.find(copy.sender_id);
    if (known == senders.end()) {
      auto sender = s_.store.accounts().GetUser(copy.sender_id);
      if (!sender.ok() && sender.status().code() != ErrorCode::kNotFound) return sender.status();
      known = senders.emplace(copy.sender_id, sender.ok() ? sender->email : std::string()).first;
    }
    p.sender_email = known->second;
    auto raw = s_.master.Unwrap(copy.sealed_copy, internal::SecureCopyPurpose(copy.id));
    auto recipient = EmailAddress::Parse(copy.recipient);
    auto envelope_from = EmailAddress::Parse(p.sender_email);
    if (!raw.ok()) {
      // Nothing to retry: a copy that cannot be opened will not open later.
      p.attempt = {Attempt::Outcome::kPermanent, "", "", "the queued copy cannot be opened"};
    } else if (p.sender_email.empty()) {
      p.attempt = {Attempt::Outcome::kPermanent, "", "", "the sender's account is gone"};
    } else if (bounce_key_broken) {
      p.attempt = {Attempt::Outcome::kTransient, "", "", "the bounce key cannot be read"};
    } else if (!recipient.ok() || !envelope_from.ok()) {
      p.attempt = {Attempt::Outcome::kPermanent, "", "",
                   "the recipient or sender address is not valid"};
    } else {
      p.raw.assign(raw->AsStringView());
      p.recipient = *std::move(recipient);
      p.envelope_from = *std::move(envelope_from);
      if (bounce_key) {
        p.bounce =
            delivery::BounceAddress(*bounce_key, {delivery::BounceKind::kSecureCopy, copy.id.str()},
                                    s_.config.bounce_domain);
      }
      p.ready = true;
    }
  }
  SendThroughRelay(pending);
  SendDirect(pending);

  std::vector<const Pending*> delivered;
  for (const Pending& p : pending) {
    if (p.attempt.outcome == Attempt::Outcome::kDelivered) {
      delivered.push_back(&p);
    } else {
      SP_RETURN_IF_ERROR(Record(*p.copy, p.attempt, p.sender_email, round));
    }
  }
  if (!delivered.empty()) {
    const TimePoint done = s_.clock.Now();
    SP_RETURN_IF_ERROR(s_.store.Write([&](store::WriteTxn& tx) {
      for (const Pending* p : delivered) SP_RETURN_IF_ERROR(RecordDelivered(tx, *p, done));
      return Status::Ok();
    }));
    round.delivered += static_cast<int>(delivered.size());
  }
  return round;
}

// Copies whose send request died before making them (their preparation's lease ran out): never
// made, so nothing to send and nothing to retry (the sender's keys were only at hand during the
// send). Each fails with its own evidence; the sender of each message is told once, in one mail
// listing its recipients (a send to 1,000 that died early would otherwise mail them ~1,000 times).
// A message's copies share their lease (ExtendPreparation moves them together), so they come
// together in the lease order: after the first `limit`, the rest of the messages begun are taken
// page by page, so that each fails in one round.
Status SecureCopyDeliverer::FailAbandoned(store::WriteTxn& tx, TimePoint now, int limit,
                                          DeliveryRound& round) {
  static constexpr std::string_view kReason =
      "the copy was never made: the server stopped while the message was being sent";
  constexpr int kPage = 200;
  SP_ASSIGN_OR_RETURN(std::vector<store::SecureCopyRecord> page,
                      tx.secure_delivery().ListAbandonedCopies(now, limit));
  struct Unmade {
    UserId sender;
    std::vector<std::string> recipients;  // "address (method)"
  };
  std::map<MessageId, Unmade> messages;
  for (const store::SecureCopyRecord& copy : page) {
    messages.try_emplace(copy.message_id, Unmade{copy.sender_id, {}});
  }
  int page_limit = limit;
  while (!page.empty()) {
    size_t taken = 0;
    for (const store::SecureCopyRecord& copy : page) {
      auto message = messages.find(copy.message_id);
      if (message == messages.end()) continue;  // begun after this round's messages
      // No mail per copy (no sender address given): the message's one mail follows.
      SP_RETURN_IF_ERROR(
          RecordFailed(s_, tx, copy, copy.attempts, "", std::string(kReason), true, "", now));
      message->second.recipients.push_back(
          fmt::format("{} ({})", copy.recipient,
                      SecureMethodLabel(internal::RouteSlugOfCopyMethod(copy.method))));
      ++taken;
      ++round.failed;
    }
    if (taken == 0 || page.size() < static_cast<size_t>(page_limit)) break;
    page_limit = kPage;
    SP_ASSIGN_OR_RETURN(page, tx.secure_delivery().ListAbandonedCopies(now, page_limit));
  }
  for (auto& [id, unmade] : messages) {
    std::sort(unmade.recipients.begin(), unmade.recipients.end());  // as the sender looks them up
    spdlog::error("secure delivery: {} copies of message {} were never made: {}",
                  unmade.recipients.size(), id.str(), kReason);
    auto sender = s_.store.accounts().GetUser(unmade.sender);
    if (!sender.ok() && sender.status().code() != ErrorCode::kNotFound) return sender.status();
    if (!sender.ok()) continue;
    auto report_to = EmailAddress::Parse(sender->email);
    if (!report_to.ok()) continue;
    SP_RETURN_IF_ERROR(
        QueueMail(s_, tx.outbox(),
                  SecureCopiesNotMadeMail(s_.config, *report_to, unmade.recipients, kReason)));
  }
  return Status::Ok();
}

// S/MIME and OpenPGP copies: end-to-end encrypted, so the relay (or the .eml outbox) carries
// them, all of a claim in one session (Mailer::SendBatchWithHandoffs).
void SecureCopyDeliverer::SendThroughRelay(std::vector<Pending>& pending) {
  std::vector<Pending*> group;
  std::vector<delivery::OutgoingMail> mails;
  for (Pending& p : pending) {
    if (!p.ready || p.copy->method == "tls") continue;
    delivery::OutgoingMail mail{*p.recipient, "", "", p.copy->id.str()};
    mail.written_at = p.copy->created_at;
    mail.envelope_sender = p.bounce;
    mail.raw = std::move(p.raw);
    Wipe(p.raw);
    mails.push_back(std::move(mail));
    group.push_back(&p);
  }
  if (mails.empty()) return;
  // The relay's own reply goes into the consignment evidence (delivery.sent), as for pickups.
  std::vector<delivery::MailHandoff> handoffs;
  const std::vector<Status> results = s_.mailer.SendBatchWithHandoffs(mails, handoffs);
  for (delivery::OutgoingMail& mail : mails) Wipe(mail.raw);
  for (size_t i = 0; i < group.size(); ++i) {
    Attempt& a = group[i]->attempt;
    const Status sent =
        i < results.size() ? results[i] : Internal("the mailer gave no answer for the copy");
    if (sent.ok()) {
      a.outcome = Attempt::Outcome::kDelivered;
      const bool known = i < handoffs.size() && !handoffs[i].receiver.empty();
      a.host = known ? handoffs[i].receiver : "mail relay";
      a.reply = i < handoffs.size() && !handoffs[i].reply.empty() ? handoffs[i].reply : "accepted";
    } else {
      a.outcome = sent.code() == ErrorCode::kUnavailable ? Attempt::Outcome::kTransient
                                                         : Attempt::Outcome::kPermanent;
      a.reason = sent.message();
    }
  }
}

// Enforced TLS: the partner policy as it is now, and only the direct sender; the copies of one
// partner domain share a session.
void SecureCopyDeliverer::SendDirect(std::vector<Pending>& pending) {
  // Keyed by (sender's domain, recipient's domain): each organisation keeps its own partner
  // entries, so the policy of a session depends on both.
  std::map<std::pair<std::string, std::string>, std::vector<Pending*>> by_domain;
  for (Pending& p : pending) {
    if (p.ready && p.copy->method == "tls") {
      by_domain[{std::string(p.envelope_from->domain()), std::string(p.recipient->domain())}]
          .push_back(&p);
    }
  }
  for (auto& [domains, group] : by_domain) {
    const auto& [sender_domain, domain] = domains;
    Attempt refused;
    std::optional<delivery::TlsPartnerPolicy> policy;
    if (s_.tls_partner) policy = s_.tls_partner(sender_domain, domain);
    if (!policy) {
      refused = {Attempt::Outcome::kPermanent, "", "", domain + " is no longer a TLS partner"};
    } else if (s_.tls_only_forbidden && s_.tls_only_forbidden(domain)) {
      refused = {Attempt::Outcome::kPermanent, "", "",
                 "TLS-only delivery to " + domain + " is forbidden"};
    } else if (tls_ == nullptr) {
      refused = {Attempt::Outcome::kTransient, "", "",
                 "direct delivery over TLS is not configured"};
    }
    if (!refused.reason.empty()) {
      for (Pending* p : group) {
        p->attempt = refused;
        Wipe(p->raw);
      }
      continue;
    }
    for (size_t from = 0; from < group.size(); from += delivery::kMaxTlsDirectBatch) {
      const size_t to = std::min(group.size(), from + delivery::kMaxTlsDirectBatch);
      std::vector<delivery::TlsDirectMessage> messages;
      for (size_t k = from; k < to; ++k) {
        Pending& p = *group[k];
        EmailAddress envelope = *p.envelope_from;
        if (!p.bounce.empty()) {
          auto bounce_address = EmailAddress::Parse(p.bounce);
          if (bounce_address.ok()) envelope = *std::move(bounce_address);
        }
        messages.push_back({std::move(p.raw), std::move(envelope), {*p.recipient}});
        Wipe(p.raw);
      }
      const std::vector<delivery::TlsDeliveryResult> results =
          tls_->DeliverBatch(*policy, messages);
      for (delivery::TlsDirectMessage& m : messages) Wipe(m.raw);
      for (size_t k = from; k < to; ++k) {
        Attempt& a = group[k]->attempt;
        if (k - from >= results.size()) {
          a = {Attempt::Outcome::kTransient, "", "", "the direct sender gave no answer"};
          continue;
        }
        const delivery::TlsDeliveryResult& r = results[k - from];
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
        if (a.reason.empty() && a.outcome != Attempt::Outcome::kDelivered) {
          a.reason = "not delivered";
        }
      }
    }
  }
}

Status SecureCopyDeliverer::RecordDelivered(store::WriteTxn& tx, const Pending& p, TimePoint now) {
  const store::SecureCopyRecord& copy = *p.copy;
  const int attempts = copy.attempts + 1;
  SP_RETURN_IF_ERROR(tx.secure_delivery().FinishCopy(copy.id, store::SecureCopyState::kDelivered,
                                                     attempts, p.attempt.host, p.attempt.reply, "",
                                                     now));
  // Evidence (docs/formats/log-entry.md, "Evidence events"): consigned to the recipient's mail
  // server.
  return RecordEvent(s_, tx, "delivery.sent", "system", copy.message_id.str(),
                     json{{"recipient", copy.recipient},
                          {"method", std::string(internal::RouteSlugOfCopyMethod(copy.method))},
                          {"copy", copy.id.str()},
                          {"host", p.attempt.host},
                          {"reply", p.attempt.reply},
                          {"attempts", attempts}}
                         .dump());
}

Status SecureCopyDeliverer::Record(const store::SecureCopyRecord& copy, const Attempt& attempt,
                                   const std::string& sender_email, DeliveryRound& round) {
  const TimePoint now = s_.clock.Now();
  const int attempts = copy.attempts + 1;
  const std::string method(internal::RouteSlugOfCopyMethod(copy.method));
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
    return RecordFailed(s_, tx, copy, attempts, attempt.host, attempt.reason,
                        attempt.outcome == Attempt::Outcome::kPermanent, sender_email, now);
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
    // Unknown until the copy is made (kPreparing records the route's slug there).
    if (c.state != store::SecureCopyState::kPreparing) st.format = c.method;
    st.state = std::string(SecureCopyStateName(c.state));
    st.host = c.host;
    st.reply = c.reply;
    st.reason = c.last_error;
    st.attempts = c.attempts;
    if (c.state == store::SecureCopyState::kQueued ||
        c.state == store::SecureCopyState::kDeferred ||
        c.state == store::SecureCopyState::kPreparing) {
      st.next_attempt_at = c.next_attempt_at;
    }
    st.finished_at = c.finished_at;
    out.push_back(std::move(st));
  }
  return out;
}

}  // namespace sealpost::app
