// A test fixture with real app services over a temporary SQLite store and blob directory, a
// frozen clock and a mailer that keeps what it sends. The services reach the store through
// faults_ and the blob directory through fs_faults_, so a test can make their writes fail.
// Test-only.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <limits>
#include <map>
#include <mutex>

#include "app/accounts.h"
#include "app/outbound_mail.h"
#include "auth/totp.h"
#include "platform/testing/fault_injecting_filesystem.h"
#include "store/sqlite/sqlite_store.h"
#include "store/testing/fault_injecting_store.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

namespace sealpost::app {

using namespace std::chrono_literals;

inline constexpr const char* kPassword = "correct horse battery staple";

// SendRequest::mucs from literals (its values are move-only SecretStrings).
inline std::map<std::string, crypto::SecretString> Mucs(
    std::initializer_list<std::pair<std::string, std::string>> typed) {
  std::map<std::string, crypto::SecretString> out;
  for (const auto& [address, muc] : typed) out.emplace(address, crypto::SecretString::CopyOf(muc));
  return out;
}

class CapturingMailer final : public delivery::Mailer {
 public:
  Status Send(const delivery::OutgoingMail& mail) override {
    std::lock_guard lock(mu_);
    if (!fail_with.ok()) return fail_with;
    sent.push_back(mail);
    return Status::Ok();
  }
  std::vector<Status> SendBatchWithHandoffs(std::span<const delivery::OutgoingMail> mails,
                                            std::vector<delivery::MailHandoff>& handoffs) override {
    std::vector<Status> out = Mailer::SendBatchWithHandoffs(mails, handoffs);
    for (size_t i = 0; i < out.size() && handoff; ++i) {
      if (out[i].ok()) handoffs[i] = *handoff;
    }
    return out;
  }
  std::mutex mu_;
  std::vector<delivery::OutgoingMail> sent;
  Status fail_with = Status::Ok();               // what Send answers instead of sending
  std::optional<delivery::MailHandoff> handoff;  // reported for each mail sent, when set
};

class AppTest : public ::testing::Test {
 protected:
  AppTest()
      : store_(*store::sqlite::OpenSqliteStore(dir_.path() + "/db")),
        faults_(*store_),
        blobs_(*blob::OpenLocalBlobStore(fs_faults_, dir_.path() + "/blobs")),
        master_(keys::MasterKey::FromKeyForTesting(crypto::AeadKey::Generate())),
        audit_(crypto::SigningKey::Generate(),
               audit::SequencerOptions{"app.test/sealpost-log", 4096}, clock_),
        throttle_(faults_.platform(), clock_, auth::ThrottleLimits{}),
        services_{faults_, *blobs_, master_, audit_, clock_, rng_, mailer_, throttle_, Config()},
        accounts_(services_) {}

  static AppConfig Config() {
    AppConfig c;
    c.password_hash = crypto::kMinimumPasswordHashParams;
    return c;
  }

  // Hands the queued mail to mailer_ (the delivery thread's job in `serve`).
  void DeliverQueuedMail() {
    EXPECT_THAT(MailDeliverer(services_).DeliverDue(1000).status(), IsOk());
  }

  // Every audited event, oldest first: the sequenced log entries, then the pending events.
  std::vector<store::AuditEvent> AuditEvents() {
    std::vector<store::AuditEvent> out;
    auto entries = store_->log().ReadLogEntries(0, 1'000'000);
    auto pending = store_->log().ReadPendingEvents(1'000'000);
    EXPECT_THAT(entries.status(), IsOk());
    EXPECT_THAT(pending.status(), IsOk());
    std::vector<const Bytes*> leaves;
    for (const auto& e : *entries) leaves.push_back(&e.leaf);
    for (const auto& p : *pending) leaves.push_back(&p.leaf);
    for (const Bytes* leaf : leaves) {
      auto event = audit::EventOfLeaf(*leaf);
      EXPECT_THAT(event.status(), IsOk());
      if (event.ok()) out.push_back(event->event);
    }
    return out;
  }

  std::string LastAuditType() {
    const auto all = AuditEvents();
    return all.empty() ? "" : all.back().type;
  }

  bool AuditHas(const std::string& type) {
    const auto all = AuditEvents();
    return std::any_of(all.begin(), all.end(), [&](const auto& e) { return e.type == type; });
  }

  // Files under the blob directory, temporary ones included.
  size_t BlobFiles() {
    size_t n = 0;
    for (const auto& e : std::filesystem::recursive_directory_iterator(dir_.path() + "/blobs")) {
      n += e.is_regular_file();
    }
    return n;
  }

  std::string LastToken() {
    DeliverQueuedMail();
    const std::string& text = mailer_.sent.back().text;
    const size_t at = text.find("token=");
    EXPECT_NE(at, std::string::npos);
    return at == std::string::npos ? "" : text.substr(at + 6, 43);
  }

  // Enrols a member with TOTP and returns its TOTP secret.
  std::string Enrol(const std::string& email) {
    EXPECT_THAT(accounts_.SignUp({email, crypto::SecretString::CopyOf(kPassword), "", "127.0.0.1"}),
                IsOk());
    auto verified = accounts_.VerifyEmail(LastToken());
    EXPECT_THAT(verified.status(), IsOk());
    if (verified.ok()) recovery_codes_[email] = verified->recovery_code.AsStringView();
    auto login = accounts_.Login(email, kPassword, "127.0.0.1");
    EXPECT_THAT(login.status(), IsOk());
    auto ctx = accounts_.Authenticate(login->session->cookie_value.view(), "127.0.0.1");
    EXPECT_THAT(ctx.status(), IsOk());
    auto enrolment = accounts_.BeginTotp(*ctx);
    EXPECT_THAT(enrolment.status(), IsOk());
    const std::string uri = enrolment->otpauth_uri;
    const size_t start = uri.find("secret=") + 7;
    const std::string secret = uri.substr(start, uri.find('&', start) - start);
    EXPECT_THAT(accounts_.ConfirmTotp(*ctx, Code(secret, 0)), IsOk());
    return secret;
  }

  // The first administrator, made with the bootstrap token, and a full session of theirs (no TOTP
  // set up: an administrator's account before its first log-in in the browser).
  AuthContext BootstrapAdminSession(const std::string& email = "root@example.org") {
    auto token = accounts_.CreateBootstrapTokenIfNeeded();
    EXPECT_THAT(token.status(), IsOk());
    EXPECT_TRUE(token.ok() && token->has_value());
    EXPECT_THAT(accounts_
                    .BootstrapAdmin(
                        **token, {email, crypto::SecretString::CopyOf(kPassword), "", "127.0.0.1"})
                    .status(),
                IsOk());
    auto login = accounts_.Login(email, kPassword, "127.0.0.1");
    EXPECT_THAT(login.status(), IsOk());
    auto ctx = accounts_.Authenticate(login->session->cookie_value.view(), "127.0.0.1");
    EXPECT_THAT(ctx.status(), IsOk());
    return std::move(*ctx);
  }

  // A full session for an enrolled member (one TOTP step later than the last one used).
  AuthContext LoggedIn(const std::string& email, const std::string& totp_secret,
                       const std::string& password = kPassword) {
    auto ctx = accounts_.Authenticate(LoginCookie(email, totp_secret, password), "127.0.0.1");
    EXPECT_THAT(ctx.status(), IsOk());
    return std::move(*ctx);
  }

  // Logs in with password and TOTP; returns the session cookie value ("" on failure).
  std::string LoginCookie(const std::string& email, const std::string& totp_secret,
                          const std::string& password = kPassword) {
    clock_.Advance(31s);
    auto login = accounts_.Login(email, password, "127.0.0.1", "TestBrowser/1.0");
    EXPECT_THAT(login.status(), IsOk());
    if (!login.ok() || !login->login_ticket) return "";
    auto grant = accounts_.CompleteSecondFactor(login->login_ticket->view(), Code(totp_secret, 0),
                                                "127.0.0.1", "TestBrowser/1.0");
    EXPECT_THAT(grant.status(), IsOk());
    return grant.ok() ? std::string(grant->cookie_value.view()) : "";
  }

  std::string Code(const std::string& base32, int steps_ahead) {
    Bytes key;
    uint32_t acc = 0;
    int bits = 0;
    for (char c : base32) {
      const int v = (c >= 'A' && c <= 'Z') ? c - 'A' : c - '2' + 26;
      acc = (acc << 5) | static_cast<uint32_t>(v);
      bits += 5;
      if (bits >= 8) {
        bits -= 8;
        key.push_back(static_cast<uint8_t>(acc >> bits));
      }
    }
    return auth::TotpCode(key, auth::TotpStep(clock_.Now()) + steps_ahead);
  }

  testutil::TempDir dir_;
  platform::FakeClock clock_{FromUnixMillis(1'790'000'000'000)};
  platform::SystemRng rng_;
  CapturingMailer mailer_;
  std::unique_ptr<store::Store> store_;
  store::testing::FaultInjectingStore faults_;  // what the services see: store_, or failures
  // What the blob store sees: the real filesystem, or failures.
  platform::testing::FaultInjectingFilesystem fs_faults_{platform::DefaultFilesystem()};
  std::unique_ptr<blob::BlobStore> blobs_;
  keys::MasterKey master_;
  audit::AuditLog audit_;
  auth::LoginThrottle throttle_;
  Services services_;
  Accounts accounts_;
  std::map<std::string, std::string> recovery_codes_;  // by address, from Enrol
};

}  // namespace sealpost::app
