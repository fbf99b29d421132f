#include "app/delivery_reports.h"

#include <chrono>
#include <optional>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "app/internal/audit_event.h"
#include "app/internal/secure_copies.h"
#include "app/outbound_mail.h"
#include "app/secure_delivery.h"
#include "app/system_mail.h"
#include "crypto/ad_labels.h"
#include "mime/delivery_status.h"

namespace sealpost::app {
namespace {

using nlohmann::json;

// The platform_keys row name is also the master-key purpose (crypto/ad_labels.h).
constexpr std::string_view kBounceKeyName = crypto::kMasterPurposeBounceTag;
constexpr size_t kBounceKeyBytes = 32;
// A system mail's failure report is recorded once per (mail, recipient): a counter of the store
// marks it for longer than any server resends a report.
constexpr std::chrono::hours kSystemMailReportWindow{24 * 60};

bool SameAddress(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

// The recipient group about `recipient`; the only group when none names it (a server that
// forwarded the mail reports the address it forwarded to).
const mime::RecipientReport* GroupFor(const mime::DeliveryReport& report,
                                      std::string_view recipient) {
  for (const mime::RecipientReport& r : report.recipients) {
    if (SameAddress(r.final_recipient, recipient) || SameAddress(r.original_recipient, recipient)) {
      return &r;
    }
  }
  return report.recipients.size() == 1 ? &report.recipients.front() : nullptr;
}

// What the sender reads: the server's own words when it gave them.
std::string ReasonOf(const mime::DeliveryReport& report, const mime::RecipientReport& r) {
  if (!r.diagnostic.empty()) return r.diagnostic;
  const std::string& who = !r.remote_mta.empty() ? r.remote_mta : report.reporting_mta;
  std::string out = r.status.empty()
                        ? std::string("reported ") + std::string(mime::DeliveryActionName(r.action))
                        : "status " + r.status;
  if (!who.empty()) out += " (" + who + ")";
  return out;
}

Result<crypto::SecretBytes> Unwrap(const Services& s, const store::PlatformKeyRecord& record) {
  return s.master.Unwrap(record.wrapped_secret, kBounceKeyName);
}

}  // namespace

Result<crypto::SecretBytes> LoadOrCreateBounceKey(const Services& s) {
  const std::string name(kBounceKeyName);
  auto existing = s.store.platform().GetPlatformKey(name);
  if (existing.ok()) return Unwrap(s, *existing);
  if (existing.status().code() != ErrorCode::kNotFound) return existing.status();
  crypto::SecretBytes key(kBounceKeyBytes);
  s.rng.Fill(key.span());
  const store::PlatformKeyRecord record{name, Bytes(), s.master.Wrap(key.view(), kBounceKeyName)};
  const Status put =
      s.store.Write([&](store::WriteTxn& tx) { return tx.platform().PutPlatformKey(record); });
  if (put.code() == ErrorCode::kConflict) {
    // Another process created it first: use its key.
    SP_ASSIGN_OR_RETURN(const auto theirs, s.store.platform().GetPlatformKey(name));
    return Unwrap(s, theirs);
  }
  SP_RETURN_IF_ERROR(put);
  return key;
}

Result<std::string> BounceAddressFor(const Services& s, delivery::BounceKind kind,
                                     const std::string& id) {
  if (s.config.bounce_domain.empty()) return std::string();
  SP_ASSIGN_OR_RETURN(const crypto::SecretBytes key, LoadOrCreateBounceKey(s));
  return delivery::BounceAddress(key, {kind, id}, s.config.bounce_domain);
}

Result<bool> DeliveryReports::IsDeliveryReportAddress(std::string_view rcpt) const {
  if (s_.config.bounce_domain.empty()) return false;
  SP_ASSIGN_OR_RETURN(const crypto::SecretBytes key, LoadOrCreateBounceKey(s_));
  return delivery::ParseBounceAddress(key, rcpt, s_.config.bounce_domain).has_value();
}

Result<ReportOutcome> DeliveryReports::HandleDeliveryReport(std::string_view rcpt,
                                                            std::string_view message_bytes) {
  if (s_.config.bounce_domain.empty()) return NotFound("not a bounce address");
  SP_ASSIGN_OR_RETURN(const crypto::SecretBytes key, LoadOrCreateBounceKey(s_));
  const std::optional<delivery::BounceTarget> target =
      delivery::ParseBounceAddress(key, rcpt, s_.config.bounce_domain);
  if (!target) return NotFound("not a bounce address");
  SP_ASSIGN_OR_RETURN(const mime::DeliveryReport report, mime::ParseDeliveryReport(message_bytes));
  const TimePoint now = s_.clock.Now();

  if (target->kind == delivery::BounceKind::kSystemMail) {
    // The mail left the queue when the relay took it: only the log can say it failed.
    const mime::RecipientReport* r =
        report.recipients.size() == 1 ? &report.recipients[0] : nullptr;
    if (r == nullptr || r->action != mime::DeliveryAction::kFailed)
      return ReportOutcome::kUnchanged;
    bool recorded = false;
    SP_RETURN_IF_ERROR(s_.store.Write([&](store::WriteTxn& tx) -> Status {
      recorded = false;
      SP_ASSIGN_OR_RETURN(const int64_t seen,
                          tx.platform().BumpCounter("dsn:" + target->id + ":" + r->final_recipient,
                                                    now, kSystemMailReportWindow));
      if (seen > 1) return Status::Ok();  // a report resent
      recorded = true;
      return RecordEvent(s_, tx, "mail.failed", "system", target->id,
                         json{{"to", r->final_recipient},
                              {"permanent", true},
                              {"report", true},
                              {"reporting_mta", report.reporting_mta},
                              {"error", ReasonOf(report, *r)}}
                             .dump());
    }));
    return recorded ? ReportOutcome::kRecordedFailure : ReportOutcome::kUnchanged;
  }

  const SecureCopyId id = SecureCopyId::FromTrusted(target->id);
  auto copy = s_.store.secure_delivery().GetCopy(id);
  if (!copy.ok()) {
    if (copy.status().code() == ErrorCode::kNotFound) return ReportOutcome::kUnchanged;
    return copy.status();
  }
  const mime::RecipientReport* r = GroupFor(report, copy->recipient);
  if (r == nullptr) return ReportOutcome::kUnchanged;
  const bool failed = r->action == mime::DeliveryAction::kFailed;
  const bool delayed = r->action == mime::DeliveryAction::kDelayed;
  if (!failed && !delayed) return ReportOutcome::kUnchanged;
  if (copy->state == store::SecureCopyState::kQueued ||
      copy->state == store::SecureCopyState::kDeferred) {
    return Unavailable("the copy is still being sent");
  }
  if (copy->state == store::SecureCopyState::kFailed) return ReportOutcome::kUnchanged;

  const std::string method(internal::RouteSlugOfCopyMethod(copy->method));
  if (delayed) {
    const std::string who = !r->remote_mta.empty() ? r->remote_mta : report.reporting_mta;
    const std::string reason =
        (who.empty() ? std::string("still trying") : "still trying at " + who) + ": " +
        ReasonOf(report, *r);
    if (copy->state == store::SecureCopyState::kReportedDelayed && copy->last_error == reason) {
      return ReportOutcome::kUnchanged;
    }
    const Status st = s_.store.Write([&](store::WriteTxn& tx) {
      return tx.secure_delivery().ReportCopyOutcome(id, store::SecureCopyState::kReportedDelayed,
                                                    reason, now);
    });
    if (st.code() == ErrorCode::kNotFound) return ReportOutcome::kUnchanged;  // failed meanwhile
    SP_RETURN_IF_ERROR(st);
    spdlog::info("delivery report: copy {} ({}) delayed further on", id.str(), method);
    return ReportOutcome::kRecordedDelay;
  }

  const std::string reason = ReasonOf(report, *r);
  auto sender = s_.store.accounts().GetUser(copy->sender_id);
  if (!sender.ok() && sender.status().code() != ErrorCode::kNotFound) return sender.status();
  bool recorded = false;
  SP_RETURN_IF_ERROR(s_.store.Write([&](store::WriteTxn& tx) -> Status {
    recorded = false;
    const Status st =
        tx.secure_delivery().ReportCopyOutcome(id, store::SecureCopyState::kFailed, reason, now);
    if (st.code() == ErrorCode::kNotFound) return Status::Ok();  // a duplicate got there first
    SP_RETURN_IF_ERROR(st);
    recorded = true;
    // Evidence (docs/formats/log-entry.md): the same consignment failure as a give-up, told
    // apart by `report`.
    SP_RETURN_IF_ERROR(RecordEvent(s_, tx, "delivery.failed", "system", copy->message_id.str(),
                                   json{{"recipient", copy->recipient},
                                        {"method", method},
                                        {"copy", id.str()},
                                        {"attempts", copy->attempts},
                                        {"permanent", true},
                                        {"report", true},
                                        {"reporting_mta", report.reporting_mta},
                                        {"error", reason}}
                                       .dump()));
    if (!sender.ok()) return Status::Ok();
    auto report_to = EmailAddress::Parse(sender->email);
    if (!report_to.ok()) return Status::Ok();
    return QueueMail(s_, tx.outbox(),
                     SecureCopyFailedMail(s_.config, *report_to, copy->recipient,
                                          SecureMethodLabel(method), copy->attempts, reason));
  }));
  if (!recorded) return ReportOutcome::kUnchanged;
  NotifyMailQueued(s_);
  spdlog::info("delivery report: copy {} ({}) failed further on", id.str(), method);
  return ReportOutcome::kRecordedFailure;
}

}  // namespace sealpost::app
