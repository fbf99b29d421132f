// What the use cases need, wired by cmd/ (the composition root). Every member is owned there.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "audit/audit_log.h"
#include "auth/login_throttle.h"
#include "blob/blob_store.h"
#include "crypto/password_hash.h"
#include "delivery/mailer.h"
#include "delivery/tls_partner_policy.h"
#include "keys/master_key.h"
#include "platform/clock.h"
#include "platform/rng.h"
#include "receipts/receipt_issuer.h"
#include "store/store.h"
#include "trust/platform_pki.h"

namespace sealpost::app {

class KeyDirectory;  // app/key_directory.h

struct Limits {
  size_t max_recipients = 10'000;
  size_t max_subject_bytes = 998;  // RFC 5322 line limit
  size_t max_text_bytes = 1 << 20;
  size_t max_html_bytes = 1 << 20;
  size_t max_attachments = 100;
  size_t max_attachment_name_bytes = 255;
  uint64_t max_upload_bytes = 100ull << 20;
  size_t max_password_bytes = 1024;
  size_t min_password_chars = 10;
  size_t max_display_name_bytes = 200;
  int max_page_size = 100;
  size_t max_search_chars = 200;     // mailbox search text (q)
  size_t max_search_scanned = 1000;  // messages decrypted per search page at most
  size_t max_new_guests = 100;       // guests given a new MUC (one argon2id each) per message
};

// How long the outbound mail queue keeps trying (app/outbound_mail.h).
struct MailRetryPolicy {
  std::chrono::seconds first_retry{60};  // doubles after each failure…
  std::chrono::seconds max_retry{3600};  // …up to this
  std::chrono::seconds give_up_after{24 * 3600};
  std::chrono::seconds lease{300};  // a claimed mail is retried by others after this
};

struct AppConfig {
  std::string public_url = "https://127.0.0.1:8443";
  std::string product_name = "Sealpost";
  crypto::PasswordHashParams password_hash{2, 64u << 20};
  std::chrono::seconds session_idle{30 * 60};
  std::chrono::seconds session_absolute{12 * 3600};
  std::chrono::seconds login_ticket_ttl{5 * 60};
  std::chrono::seconds verification_ttl{48 * 3600};
  std::chrono::seconds upload_ttl{24 * 3600};
  int max_second_factor_failures = 5;  // per login ticket
  bool require_totp = true;
  int64_t max_invitations_per_hour = 50;  // per administrator
  // Mails anyone can make Sealpost send to an address (sign-up confirmations and "sign-up
  // attempt" notices), per address and hour.
  int64_t max_system_mails_per_address = 3;
  // SubmissionRejection evidence (app/submission_rejection.h) per hour: per sending member, and
  // per client address (IPv6 as its /64) across members. Past either, a refused send still gets
  // its refusal but no evidence, so that a client cannot flood the log with rejection receipts.
  int64_t max_rejection_evidence_per_sender = 30;
  int64_t max_rejection_evidence_per_client = 300;
  MailRetryPolicy mail_retry;
  // Guests (app/guests.h): how long a pickup link works, how many wrong MUCs lock the address,
  // how long a pickup token (attachment downloads) lives, and a line the notification carries.
  std::chrono::seconds pickup_ttl{30 * 24 * 3600};
  // The most a sender may choose per message (SendRequest::expires_in_days), whole days count.
  std::chrono::seconds max_pickup_ttl{90 * 24 * 3600};
  int max_muc_failures = 5;
  std::chrono::seconds pickup_token_ttl{15 * 60};
  std::string guest_notice = "Sealpost keeps this message encrypted until you open it.";
  bool guest_notice_subject = false;  // the notification shows the message's subject
  // Registered mail (app/registered_mail.h): the acceptance deadline recipients get unless the
  // sender chooses one (SendRequest::acceptance_days), and the most a sender may choose.
  std::chrono::seconds registered_deadline{14 * 24 * 3600};
  std::chrono::seconds max_registered_deadline{90 * 24 * 3600};
  // Retention (app/retention.h): the length of one "day" of a domain's policy. 24 h; a test
  // shortens it ([retention] day_seconds) to see shredding without waiting days.
  std::chrono::seconds retention_day{24 * 3600};
  // Delivery reports (app/delivery_reports.h): the domain of the bounce addresses every secure
  // copy and queued mail is sent from (MAIL FROM), one the inbound MX receives for. Empty: no
  // bounce addresses; mail leaves with the mailer's own from_address.
  std::string bounce_domain;
  Limits limits;
};

struct Services {
  store::Store& store;
  blob::BlobStore& blobs;
  const keys::MasterKey& master;
  const audit::AuditLog& audit;
  const platform::Clock& clock;
  platform::Rng& rng;
  delivery::Mailer& mailer;
  const auth::LoginThrottle& throttle;
  AppConfig config;
  // The platform CA that certifies members' S/MIME keys (trust/platform_pki.h) and the names it
  // issues under. Unset (tests that need no certificates), members get no certified keys:
  // enrolment and log-in go on without them and the account's key routes answer NotFound.
  const trust::PlatformPki* pki = nullptr;
  smime::CaNames pki_names{};
  // Wakes the mail deliverers after mail was queued and committed (NotifyMailQueued); unset, they
  // find it at their next periodic round. Thread-safe.
  std::function<void()> mail_queued = nullptr;
  // Signs and time-stamps receipts (app/receipt_issuing.h). Unset, no receipts are issued and
  // the evidence events wait in the log until an issuer reads them.
  const receipts::ReceiptIssuer* receipt_issuer = nullptr;
  // Secure delivery (app/routing.h, app/secure_delivery.h). Unset, every recipient who is not a
  // member is reached by pickup. The key directory: contacts' S/MIME and OpenPGP keys; the TLS
  // partner of a domain for mail from a sender domain (app/tls_partners.h: that organisation's
  // own entry, else the instance's) and whether TLS-only delivery is forbidden for it; the
  // wake-up of the secure-copy deliverers after copies were queued and committed.
  const KeyDirectory* key_directory = nullptr;
  std::function<std::optional<delivery::TlsPartnerPolicy>(std::string_view sender_domain,
                                                          std::string_view domain)>
      tls_partner = nullptr;
  std::function<bool(std::string_view domain)> tls_only_forbidden = nullptr;
  std::function<void()> secure_copies_queued = nullptr;
  // Blobs of up to this many bytes (plaintext) are written in the store transaction that names
  // them (store::WriteTxn::blob_rows, blob::SealInMemory) by the paths that can
  // (app/inbound_mail.cpp): one commit instead of the blob's and then the rows'. 0: never. Set
  // only where the blob store reads those rows (the SQLite deployment, sqlite_blobs.h).
  size_t blob_rows_up_to = 0;
};

}  // namespace sealpost::app
