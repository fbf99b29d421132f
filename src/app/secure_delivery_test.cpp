// Secure delivery end to end in app/: a member's message to an S/MIME contact and an OpenPGP
// contact is routed, its copies are queued with the message, and the deliverer writes them to
// the .eml outbox, where `openssl cms -decrypt` + `-verify` (against the platform root) and
// `gpg --decrypt` read them — independent tools, not the code under test. TLS copies go to the
// TlsDirectSender only (a recording fake here; tests/postfix covers the real transport in
// delivery/tls_direct_sender_test.cpp): deferred on a transient failure, failed after the
// give-up time with the sender told, never handed to the relay.
#include "app/secure_delivery.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <span>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "app/app_test_fixture.h"
#include "app/contacts.h"
#include "app/key_directory.h"
#include "app/mailbox.h"
#include "app/sent_status.h"
#include "pgp/public_key.h"
#include "pgp/testing/gnupg.h"
#include "smime/certificate_validation.h"
#include "smime/testing/test_pki.h"
#include "testing/run_tool.h"
#include "trust/platform_pki.h"

namespace sealpost::app {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kCarol = "carol@partner.example";  // S/MIME
constexpr const char* kGina = "gina@partner.example";    // OpenPGP
constexpr const char* kErin = "erin@tls.example";        // a TLS partner's domain

// Records what it is asked to deliver and answers as told.
class FakeTlsSender final : public delivery::TlsDirectSender {
 public:
  delivery::TlsDeliveryResult Deliver(const delivery::TlsPartnerPolicy& policy,
                                      const delivery::TlsDirectMessage& message) const override {
    std::lock_guard lock(mu_);
    domains.push_back(policy.domain);
    messages.push_back(message.raw);
    return answer;
  }
  mutable std::mutex mu_;
  mutable std::vector<std::string> domains;
  mutable std::vector<std::string> messages;
  delivery::TlsDeliveryResult answer;
};

// Stands in for the relay: hands what it is given to `inner` (the .eml outbox), except mail to
// `refuse`, which it answers with a 5xx as a relay would at RCPT; records each session's size.
class SessionMailer final : public delivery::Mailer {
 public:
  SessionMailer(delivery::Mailer& inner, std::string refuse)
      : inner_(inner), refuse_(std::move(refuse)) {}
  Status Send(const delivery::OutgoingMail& mail) override { return inner_.Send(mail); }
  std::vector<Status> SendBatchWithHandoffs(std::span<const delivery::OutgoingMail> mails,
                                            std::vector<delivery::MailHandoff>& handoffs) override {
    sessions.push_back(mails.size());
    std::vector<Status> out(mails.size(), Status::Ok());
    handoffs.assign(mails.size(), delivery::MailHandoff{});
    std::vector<delivery::OutgoingMail> taken;
    std::vector<size_t> where;
    for (size_t i = 0; i < mails.size(); ++i) {
      if (mails[i].to.str() == refuse_) {
        out[i] = PermissionDenied("mail relay answered RCPT TO with: 550 5.1.1 no such user");
      } else {
        taken.push_back(mails[i]);
        where.push_back(i);
      }
    }
    std::vector<delivery::MailHandoff> inner_handoffs;
    const std::vector<Status> inner = inner_.SendBatchWithHandoffs(taken, inner_handoffs);
    for (size_t k = 0; k < where.size(); ++k) {
      out[where[k]] = inner[k];
      handoffs[where[k]] = inner_handoffs[k];
    }
    return out;
  }
  std::vector<size_t> sessions;

 private:
  delivery::Mailer& inner_;
  std::string refuse_;
};

// Counts the sessions the deliverer asks the direct sender for.
class SessionTlsSender final : public delivery::TlsDirectSender {
 public:
  delivery::TlsDeliveryResult Deliver(const delivery::TlsPartnerPolicy&,
                                      const delivery::TlsDirectMessage&) const override {
    delivery::TlsDeliveryResult r;
    r.outcome = delivery::TlsDeliveryOutcome::kDelivered;
    r.host = "mx.tls.example";
    r.reply = "250 2.0.0 Ok";
    return r;
  }
  std::vector<delivery::TlsDeliveryResult> DeliverBatch(
      const delivery::TlsPartnerPolicy& policy,
      std::span<const delivery::TlsDirectMessage> messages) const override {
    sessions.push_back(messages.size());
    return TlsDirectSender::DeliverBatch(policy, messages);
  }
  mutable std::vector<size_t> sessions;
};

std::string ReadWhole(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

class SecureDeliveryTest : public AppTest {
 protected:
  SecureDeliveryTest()
      : pki_(*trust::LoadOrCreatePlatformPki(*store_, master_, clock_)),
        outbox_(delivery::MakeEmlOutboxMailer(
            platform::DefaultFilesystem(), clock_, rng_,
            {dir_.path() + "/outbox", "Sealpost <no-reply@example.org>", "example.org", nullptr})),
        with_(Make()) {}

  Services Make() {
    Services s{faults_, *blobs_, master_, audit_, clock_, rng_, *outbox_, throttle_, Config()};
    s.pki = &pki_;
    s.tls_partner = [](std::string_view,
                       std::string_view domain) -> std::optional<delivery::TlsPartnerPolicy> {
      if (domain != "tls.example") return std::nullopt;
      delivery::TlsPartnerPolicy p;
      p.domain = "tls.example";
      return p;
    };
    s.tls_only_forbidden = [this](std::string_view) { return forbid_tls_; };
    return s;
  }

  void SetUp() override {
    // openssl dates its certificates from the real clock.
    clock_.Set(
        std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now()));
    directory_ = std::make_unique<KeyDirectory>(with_, KeyDirectoryOptions{""});
    with_.key_directory = directory_.get();
    Accounts accounts(with_);
    ASSERT_THAT(accounts.SignUp({"alice@example.org", crypto::SecretString::CopyOf(kPassword),
                                 "Alice", "127.0.0.1"}),
                IsOk());
    ASSERT_THAT(accounts.VerifyEmail(LastToken()).status(), IsOk());
    auto login = accounts.Login("alice@example.org", kPassword, "127.0.0.1");
    ASSERT_THAT(login.status(), IsOk());
    auto ctx = accounts.Authenticate(login->session->cookie_value.view(), "127.0.0.1");
    ASSERT_THAT(ctx.status(), IsOk());
    alice_.emplace(std::move(*ctx));
    mailer_.sent.clear();

    std::filesystem::create_directories(pki_dir_);
    ASSERT_TRUE(ca_.MakeCa("partnerca"));
    smime::testing::LeafSpec spec;
    spec.email = kCarol;
    ASSERT_TRUE(ca_.MakeLeaf("carol", "partnerca", spec));
    ca_.WriteFile("platform-root.pem", pki_.root.certificate.ToPem());
    gina_fpr_ = gpg_.MakeKey(kGina, "ed25519", "cert,sign", "cv25519");
    // The tools date their keys from the real clock, a moment after the fake one was set.
    clock_.Set(
        std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now()) +
        std::chrono::seconds(2));
    Contacts contacts(with_);
    auto cert = contacts.Import(*alice_, AsBytes(ca_.ReadFile("carol.pem")), KeyFormat::kAuto, "");
    ASSERT_THAT(cert.status(), IsOk());
    ASSERT_THAT(contacts.Verify(*alice_, cert->id, cert->fingerprint).status(), IsOk());
    ASSERT_THAT(
        contacts.Import(*alice_, AsBytes(gpg_.Export(gina_fpr_)), KeyFormat::kAuto, kGina).status(),
        IsOk());
  }

  MessageId Send(std::vector<std::string> to, bool force_pickup = false) {
    Mailbox mailbox(with_);
    SendRequest r;
    r.to = std::move(to);
    r.subject = "Quarterly figures";
    r.text = "The figures are attached.\nRegards, Alice";
    r.generate_mucs = true;
    r.force_pickup = force_pickup;
    auto id = mailbox.Send(*alice_, r);
    EXPECT_THAT(id.status(), IsOk());
    return id.ok() ? *id : MessageId::FromTrusted(std::string(32, '0'));
  }

  std::vector<store::SecureCopyRecord> Copies(const MessageId& id) {
    auto copies = store_->secure_delivery().ListCopiesOfMessage(id);
    EXPECT_THAT(copies.status(), IsOk());
    return copies.ok() ? *copies : std::vector<store::SecureCopyRecord>{};
  }

  // Alice sends to `to`, and the process dies between chunks: the wake-up after the first commit
  // throws, so nothing after it runs and what is stored is what a crash leaves (the first chunk
  // of 50 queued with the message, the other copies preparing). The message's id.
  MessageId SendThatDiesAfterItsFirstChunk(const std::vector<std::string>& to) {
    struct Crash {};
    with_.secure_copies_queued = [] { throw Crash{}; };
    Mailbox mailbox(with_);
    SendRequest r;
    r.to = to;
    r.subject = "Quarterly figures";
    r.text = "The figures.";
    EXPECT_THROW((void)mailbox.Send(*alice_, r), Crash);
    with_.secure_copies_queued = nullptr;
    auto pending = store_->secure_delivery().ListPendingCopies(1000);
    EXPECT_THAT(pending.status(), IsOk());
    EXPECT_EQ(pending.ok() ? pending->size() : 0u, 50u);  // the first chunk
    if (!pending.ok() || pending->empty()) return MessageId::FromTrusted(std::string(32, '0'));
    return pending->front().message_id;
  }

  std::vector<std::string> OutboxFiles() {
    std::vector<std::string> out;
    if (!std::filesystem::exists(dir_.path() + "/outbox")) return out;
    for (const auto& e : std::filesystem::directory_iterator(dir_.path() + "/outbox")) {
      out.push_back(e.path().string());
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  // The message.send leaf's method for `recipient`.
  std::string SendMethodOf(const std::string& recipient) {
    for (const store::AuditEvent& e : AuditEvents()) {
      if (e.type != "message.send") continue;
      const auto details = nlohmann::json::parse(e.details);
      if (details.value("recipient", "") == recipient) return details.value("method", "");
    }
    return "";
  }

  const store::AuditEvent* Find(const std::vector<store::AuditEvent>& all, const std::string& type,
                                const std::string& recipient) {
    for (const store::AuditEvent& e : all) {
      if (e.type == type && nlohmann::json::parse(e.details).value("recipient", "") == recipient) {
        return &e;
      }
    }
    return nullptr;
  }

  trust::PlatformPki pki_;
  std::unique_ptr<delivery::Mailer> outbox_;
  Services with_;
  std::unique_ptr<KeyDirectory> directory_;
  bool forbid_tls_ = false;
  std::optional<AuthContext> alice_;
  std::string pki_dir_ = dir_.path() + "/pki";
  smime::testing::TestPki ca_{pki_dir_};
  pgp::testing::GnuPg gpg_;
  std::string gina_fpr_;
};

TEST_F(SecureDeliveryTest, SmimeCopyIsQueuedThenReadByOpenssl) {
  const MessageId id = Send({kCarol});
  auto copies = Copies(id);
  ASSERT_EQ(copies.size(), 1u);
  EXPECT_EQ(copies[0].recipient, kCarol);
  EXPECT_THAT(copies[0].method, HasSubstr("smime-"));
  EXPECT_EQ(copies[0].state, store::SecureCopyState::kQueued);
  EXPECT_EQ(SendMethodOf(kCarol), "smime");
  EXPECT_TRUE(OutboxFiles().empty());  // nothing leaves before the deliverer runs

  auto round = SecureCopyDeliverer(with_, nullptr).DeliverDue();
  ASSERT_THAT(round.status(), IsOk());
  EXPECT_EQ(round->delivered, 1);
  const auto files = OutboxFiles();
  ASSERT_EQ(files.size(), 1u);
  const std::string eml = ReadWhole(files[0]);
  EXPECT_THAT(eml, HasSubstr("Subject: [...]"));
  EXPECT_THAT(eml, Not(HasSubstr("Quarterly figures")));  // the subject travels inside
  EXPECT_THAT(eml, Not(HasSubstr("figures are attached")));
  ca_.WriteFile("carol.eml", eml);
  const testutil::ToolResult decrypted =
      ca_.Openssl({"cms", "-decrypt", "-in", "carol.eml", "-recip", "carol.pem", "-inkey",
                   "carol.key", "-binary", "-out", "carol.signed"});
  ASSERT_EQ(decrypted.exit_code, 0) << decrypted.output();
  const testutil::ToolResult verified =
      ca_.Openssl({"cms", "-verify", "-in", "carol.signed", "-CAfile", "platform-root.pem",
                   "-binary", "-out", "carol.content"});
  ASSERT_EQ(verified.exit_code, 0) << verified.output();
  EXPECT_THAT(verified.output(), HasSubstr("Verification successful"));
  const std::string content = ca_.ReadFile("carol.content");
  EXPECT_THAT(content, HasSubstr("Subject: Quarterly figures"));
  EXPECT_THAT(content, HasSubstr("alice@example.org"));

  // Delivered: the state says so, the sealed copy is gone, the evidence names the method.
  copies = Copies(id);
  ASSERT_EQ(copies.size(), 1u);
  EXPECT_EQ(copies[0].state, store::SecureCopyState::kDelivered);
  auto pending = store_->secure_delivery().ListPendingCopies(10);
  ASSERT_THAT(pending.status(), IsOk());
  EXPECT_TRUE(pending->empty());
  const auto events = AuditEvents();
  const store::AuditEvent* sent = Find(events, "delivery.sent", kCarol);
  ASSERT_NE(sent, nullptr);
  EXPECT_EQ(sent->subject, id.str());
  EXPECT_EQ(nlohmann::json::parse(sent->details).value("method", ""), "smime");
  // Run again: nothing is sent twice.
  auto again = SecureCopyDeliverer(with_, nullptr).DeliverDue();
  ASSERT_THAT(again.status(), IsOk());
  EXPECT_EQ(again->delivered, 0);
  EXPECT_EQ(OutboxFiles().size(), 1u);

  // The sender sees it.
  Mailbox mailbox(with_);
  auto view = mailbox.Read(*alice_, id.str());
  ASSERT_THAT(view.status(), IsOk());
  auto status = SentMessages(with_).StatusOf(*alice_, view->header);
  ASSERT_THAT(status.status(), IsOk());
  ASSERT_EQ(status->recipients.size(), 1u);
  EXPECT_EQ(status->recipients[0].method, "smime");
  EXPECT_EQ(status->recipients[0].status, "delivered");
  // The .eml outbox stands in for the relay, and says so (delivery/mailer.h MailHandoff).
  EXPECT_EQ(status->recipients[0].detail, "outbox: written to outbox");
}

TEST_F(SecureDeliveryTest, ACertificateNamingManyRecipientsIsCheckedOncePerSend) {
  // A partner's certificate naming three addresses, imported (and verified) for each of them.
  smime::testing::LeafSpec spec;
  spec.email = "x1@partner.example,email:x2@partner.example,email:x3@partner.example";
  ASSERT_TRUE(ca_.MakeLeaf("shared", "partnerca", spec));
  Contacts contacts(with_);
  for (const std::string address :
       {"x1@partner.example", "x2@partner.example", "x3@partner.example"}) {
    auto cert = contacts.Import(*alice_, AsBytes(ca_.ReadFile("shared.pem")),
                                KeyFormat::kCertificate, address);
    ASSERT_THAT(cert.status(), IsOk());
    ASSERT_THAT(contacts.Verify(*alice_, cert->id, cert->fingerprint).status(), IsOk());
  }
  const uint64_t paths_before = smime::CertificatePathValidations();
  const MessageId id =
      Send({"x1@partner.example", kCarol, "x2@partner.example", "x3@partner.example"});
  // Two distinct certificates: carol's and the shared one, each checked once.
  EXPECT_EQ(smime::CertificatePathValidations() - paths_before, 2u);
  auto copies = Copies(id);
  ASSERT_EQ(copies.size(), 4u);
  for (const store::SecureCopyRecord& c : copies) {
    EXPECT_THAT(c.method, HasSubstr("smime-")) << c.recipient;
    EXPECT_EQ(c.state, store::SecureCopyState::kQueued) << c.recipient;
  }
  // Each copy opens with the shared key (encrypted to the certificate routing parsed).
  auto round = SecureCopyDeliverer(with_, nullptr).DeliverDue();
  ASSERT_THAT(round.status(), IsOk());
  EXPECT_EQ(round->delivered, 4);
  int opened = 0;
  for (const std::string& file : OutboxFiles()) {
    const std::string eml = ReadWhole(file);
    ca_.WriteFile("x.eml", eml);
    const testutil::ToolResult carol =
        ca_.Openssl({"cms", "-decrypt", "-in", "x.eml", "-recip", "carol.pem", "-inkey",
                     "carol.key", "-binary", "-out", "x.signed"});
    const testutil::ToolResult shared =
        ca_.Openssl({"cms", "-decrypt", "-in", "x.eml", "-recip", "shared.pem", "-inkey",
                     "shared.key", "-binary", "-out", "x.signed"});
    EXPECT_NE(carol.exit_code == 0, shared.exit_code == 0) << carol.output() << shared.output();
    opened += shared.exit_code == 0 ? 1 : 0;
  }
  EXPECT_EQ(opened, 3);
}

TEST_F(SecureDeliveryTest, OpenPgpCopyIsReadByGpg) {
  const uint64_t imports_before = pgp::PublicKeyImports();
  const MessageId id = Send({kGina});
  // Routing parses gina's key to judge it; the copy is encrypted to that parsed key, not to a
  // second parse (each parse checks every self-signature).
  EXPECT_EQ(pgp::PublicKeyImports() - imports_before, 1u);
  auto copies = Copies(id);
  ASSERT_EQ(copies.size(), 1u);
  EXPECT_EQ(copies[0].method, "pgp-mime");
  EXPECT_EQ(SendMethodOf(kGina), "openpgp");
  auto round = SecureCopyDeliverer(with_, nullptr).DeliverDue();
  ASSERT_THAT(round.status(), IsOk());
  EXPECT_EQ(round->delivered, 1);
  const auto files = OutboxFiles();
  ASSERT_EQ(files.size(), 1u);
  const std::string eml = ReadWhole(files[0]);
  const size_t begin = eml.find("-----BEGIN PGP MESSAGE-----");
  const size_t end = eml.find("-----END PGP MESSAGE-----");
  ASSERT_NE(begin, std::string::npos);
  ASSERT_NE(end, std::string::npos);
  {
    std::ofstream(gpg_.Path("gina.asc"), std::ios::binary)
        << eml.substr(begin, end - begin + std::string("-----END PGP MESSAGE-----").size()) << "\n";
  }
  // The sender's public key, so that gpg can check the signature.
  auto keys = store_->accounts().GetMemberKeys(alice_->user.id);
  ASSERT_THAT(keys.status(), IsOk());
  {
    std::ofstream(gpg_.Path("alice.pgp"), std::ios::binary)
        .write(reinterpret_cast<const char*>(keys->openpgp_public_key.data()),
               static_cast<std::streamsize>(keys->openpgp_public_key.size()));
  }
  ASSERT_EQ(gpg_.Gpg({"--import", "alice.pgp"}).exit_code, 0);
  const testutil::ToolResult out =
      gpg_.Gpg({"--status-fd", "1", "--output", "gina.out", "--decrypt", "gina.asc"});
  EXPECT_EQ(out.exit_code, 0) << out.output();
  EXPECT_THAT(out.out, HasSubstr("[GNUPG:] DECRYPTION_OKAY"));
  EXPECT_THAT(out.out, HasSubstr("[GNUPG:] VALIDSIG " + keys->openpgp_fingerprint));
  EXPECT_THAT(ReadWhole(gpg_.Path("gina.out")), HasSubstr("Subject: Quarterly figures"));
}

TEST_F(SecureDeliveryTest, ForcedPickupQueuesNoCopy) {
  const MessageId id = Send({kCarol, kGina, kErin}, /*force_pickup=*/true);
  EXPECT_TRUE(Copies(id).empty());
  EXPECT_EQ(SendMethodOf(kCarol), "pickup");
  EXPECT_EQ(SendMethodOf(kErin), "pickup");
}

TEST_F(SecureDeliveryTest, TlsCopyGoesOnlyToTheDirectSender) {
  FakeTlsSender tls;
  tls.answer.outcome = delivery::TlsDeliveryOutcome::kDelivered;
  tls.answer.host = "mx.tls.example";
  tls.answer.reply = "250 2.0.0 Ok: queued as ABC";
  const MessageId id = Send({kErin, kCarol});
  EXPECT_EQ(SendMethodOf(kErin), "tls");
  auto copies = Copies(id);
  ASSERT_EQ(copies.size(), 2u);
  auto round = SecureCopyDeliverer(with_, &tls).DeliverDue();
  ASSERT_THAT(round.status(), IsOk());
  EXPECT_EQ(round->delivered, 2);
  ASSERT_EQ(tls.domains.size(), 1u);
  EXPECT_EQ(tls.domains[0], "tls.example");
  EXPECT_THAT(tls.messages[0], HasSubstr("Subject: Quarterly figures"));
  // Only carol's S/MIME copy went through the mailer.
  const auto files = OutboxFiles();
  ASSERT_EQ(files.size(), 1u);
  EXPECT_THAT(ReadWhole(files[0]), Not(HasSubstr("Quarterly figures")));
  for (const auto& c : Copies(id)) {
    EXPECT_EQ(c.state, store::SecureCopyState::kDelivered) << c.recipient;
    if (c.recipient == kErin) {
      EXPECT_EQ(c.host, "mx.tls.example");
      EXPECT_EQ(c.reply, "250 2.0.0 Ok: queued as ABC");
    }
  }
  const auto events = AuditEvents();
  const store::AuditEvent* sent = Find(events, "delivery.sent", kErin);
  ASSERT_NE(sent, nullptr);
  EXPECT_EQ(nlohmann::json::parse(sent->details).value("host", ""), "mx.tls.example");
}

// Cc is a header of every copy; a Bcc recipient's copy is of their own message and names only
// them (Bcc), and no copy of the To/Cc message names a Bcc recipient.
TEST_F(SecureDeliveryTest, CopiesCarryCcAndNameABccRecipientOnlyInTheirOwnCopy) {
  FakeTlsSender tls;
  tls.answer.outcome = delivery::TlsDeliveryOutcome::kDelivered;
  Mailbox mailbox(with_);
  SendRequest r;
  r.to = {kErin};
  r.cc = {"frank@tls.example", kCarol};
  r.bcc = {"grace@tls.example", "henry@tls.example"};
  r.subject = "Quarterly figures";
  r.text = "The figures.";
  SendOutcome outcome;
  auto id = mailbox.Send(*alice_, r, &outcome);
  ASSERT_THAT(id.status(), IsOk());
  EXPECT_EQ(Copies(*id).size(), 3u);  // erin, frank (TLS), carol (S/MIME)
  auto round = SecureCopyDeliverer(with_, &tls).DeliverDue();
  ASSERT_THAT(round.status(), IsOk());
  EXPECT_EQ(round->delivered, 5);
  ASSERT_EQ(tls.messages.size(), 4u);
  int visible = 0;
  std::set<std::string> blind;
  for (const std::string& m : tls.messages) {
    if (m.find("\r\nBcc: ") == std::string::npos) {
      ++visible;
      EXPECT_THAT(m, HasSubstr("\r\nTo: erin@tls.example\r\n"));
      EXPECT_THAT(m, HasSubstr("\r\nCc: frank@tls.example, carol@partner.example\r\n"));
      EXPECT_THAT(m, Not(HasSubstr("grace")));
      EXPECT_THAT(m, Not(HasSubstr("henry")));
      continue;
    }
    const std::string who = m.find("grace") != std::string::npos ? "grace" : "henry";
    blind.insert(who);
    EXPECT_THAT(m, HasSubstr("\r\nBcc: " + who + "@tls.example\r\n"));
    EXPECT_THAT(m, Not(HasSubstr(who == "grace" ? "henry" : "grace")));
    EXPECT_THAT(m, Not(HasSubstr("erin@")));
    EXPECT_THAT(m, Not(HasSubstr("\r\nCc:")));
    EXPECT_THAT(m, HasSubstr("Subject: Quarterly figures"));
  }
  EXPECT_EQ(visible, 2);
  EXPECT_EQ(blind, (std::set<std::string>{"grace", "henry"}));
  // Carol's S/MIME copy names the To and Cc lists outside too (outer header), and no Bcc.
  const auto files = OutboxFiles();
  ASSERT_EQ(files.size(), 1u);
  const std::string smime = ReadWhole(files[0]);
  EXPECT_THAT(smime, HasSubstr("Cc: frank@tls.example, carol@partner.example"));
  EXPECT_THAT(smime, Not(HasSubstr("grace")));
  EXPECT_THAT(smime, Not(HasSubstr("henry")));
}

TEST_F(SecureDeliveryTest, TlsFailuresAreDeferredThenFailedAndTheSenderIsTold) {
  FakeTlsSender tls;
  tls.answer.outcome = delivery::TlsDeliveryOutcome::kTransient;
  tls.answer.host = "mx.tls.example";
  tls.answer.reason = "TLS required: mx.tls.example offered no STARTTLS";
  const MessageId id = Send({kErin});
  SecureCopyDeliverer deliverer(with_, &tls);
  auto round = deliverer.DeliverDue();
  ASSERT_THAT(round.status(), IsOk());
  EXPECT_EQ(round->retried, 1);
  auto copies = Copies(id);
  ASSERT_EQ(copies.size(), 1u);
  EXPECT_EQ(copies[0].state, store::SecureCopyState::kDeferred);
  EXPECT_EQ(copies[0].last_error, "TLS required: mx.tls.example offered no STARTTLS");
  EXPECT_EQ(copies[0].next_attempt_at, clock_.Now() + with_.config.mail_retry.first_retry);
  // Not due yet: not tried again.
  ASSERT_THAT(deliverer.DeliverDue().status(), IsOk());
  EXPECT_EQ(tls.domains.size(), 1u);

  Mailbox mailbox(with_);
  auto view = mailbox.Read(*alice_, id.str());
  ASSERT_THAT(view.status(), IsOk());
  auto status = SentMessages(with_).StatusOf(*alice_, view->header);
  ASSERT_THAT(status.status(), IsOk());
  ASSERT_EQ(status->recipients.size(), 1u);
  EXPECT_EQ(status->recipients[0].status, "deferred");
  EXPECT_THAT(status->recipients[0].detail, HasSubstr("no STARTTLS"));
  EXPECT_TRUE(status->recipients[0].next_attempt_at.has_value());

  // Past the give-up time: failed, the sender told, nothing ever handed to the relay.
  clock_.Advance(with_.config.mail_retry.give_up_after + std::chrono::hours(1));
  round = deliverer.DeliverDue();
  ASSERT_THAT(round.status(), IsOk());
  EXPECT_EQ(round->failed, 1);
  copies = Copies(id);
  EXPECT_EQ(copies[0].state, store::SecureCopyState::kFailed);
  EXPECT_TRUE(OutboxFiles().empty() || [&] {
    for (const auto& f : OutboxFiles()) {
      if (ReadWhole(f).find("Quarterly figures") != std::string::npos) return false;
    }
    return true;
  }());
  const auto events = AuditEvents();
  const store::AuditEvent* failed = Find(events, "delivery.failed", kErin);
  ASSERT_NE(failed, nullptr);
  EXPECT_THAT(failed->details, HasSubstr("no STARTTLS"));
  DeliverQueuedMail();
  ASSERT_FALSE(mailer_.sent.empty());
  const delivery::OutgoingMail& report = mailer_.sent.back();
  EXPECT_EQ(report.to.str(), "alice@example.org");
  EXPECT_THAT(report.text, HasSubstr(kErin));
  EXPECT_THAT(report.text, HasSubstr("secure pickup"));
  EXPECT_THAT(report.text, HasSubstr("no STARTTLS"));
}

TEST_F(SecureDeliveryTest, TlsPartnerForbiddenAfterTheSendFailsTheCopy) {
  FakeTlsSender tls;
  tls.answer.outcome = delivery::TlsDeliveryOutcome::kDelivered;
  const MessageId id = Send({kErin});
  forbid_tls_ = true;
  auto round = SecureCopyDeliverer(with_, &tls).DeliverDue();
  ASSERT_THAT(round.status(), IsOk());
  EXPECT_EQ(round->failed, 1);
  EXPECT_TRUE(tls.domains.empty());  // never sent
  EXPECT_EQ(Copies(id)[0].state, store::SecureCopyState::kFailed);
  // And new messages to the domain go by pickup.
  Send({kErin});
  EXPECT_TRUE(AuditHas("delivery.failed"));
}

TEST_F(SecureDeliveryTest, ACopysRefusalStaysWithItWhileItsSessionGoesOn) {
  // Carol (S/MIME) and gina (OpenPGP) share one relay session; erin and fred (TLS) one session
  // to the partner. The relay refuses gina: only her copy fails.
  constexpr const char* kFred = "fred@tls.example";
  SessionMailer relay(*outbox_, kGina);
  Services s{faults_, *blobs_, master_, audit_, clock_, rng_, relay, throttle_, Config()};
  s.pki = with_.pki;
  s.tls_partner = with_.tls_partner;
  s.tls_only_forbidden = with_.tls_only_forbidden;
  s.key_directory = with_.key_directory;
  SessionTlsSender tls;
  const MessageId id = Send({kCarol, kGina, kErin, kFred});
  ASSERT_EQ(Copies(id).size(), 4u);
  auto round = SecureCopyDeliverer(s, &tls).DeliverDue();
  ASSERT_THAT(round.status(), IsOk());
  EXPECT_EQ(round->delivered, 3);
  EXPECT_EQ(round->failed, 1);
  EXPECT_EQ(relay.sessions, std::vector<size_t>{2});
  EXPECT_EQ(tls.sessions, std::vector<size_t>{2});
  for (const store::SecureCopyRecord& c : Copies(id)) {
    if (c.recipient == kGina) {
      EXPECT_EQ(c.state, store::SecureCopyState::kFailed);
      EXPECT_THAT(c.last_error, HasSubstr("550 5.1.1"));
    } else {
      EXPECT_EQ(c.state, store::SecureCopyState::kDelivered) << c.recipient;
    }
  }
  // Carol's copy went out (the outbox stands in for the relay's far side); gina's did not.
  EXPECT_EQ(OutboxFiles().size(), 1u);
  const auto events = AuditEvents();
  EXPECT_NE(Find(events, "delivery.sent", kCarol), nullptr);
  EXPECT_NE(Find(events, "delivery.sent", kFred), nullptr);
  EXPECT_NE(Find(events, "delivery.failed", kGina), nullptr);

  // A claim is bounded: with batch 1, each round carries one copy in its own session.
  const MessageId again = Send({kErin, kFred});
  SessionTlsSender one_by_one;
  for (int i = 0; i < 2; ++i) {
    auto r = SecureCopyDeliverer(s, &one_by_one).DeliverDue(1);
    ASSERT_THAT(r.status(), IsOk());
    EXPECT_EQ(r->delivered, 1);
  }
  EXPECT_EQ(one_by_one.sessions, (std::vector<size_t>{1, 1}));
  for (const store::SecureCopyRecord& c : Copies(again)) {
    EXPECT_EQ(c.state, store::SecureCopyState::kDelivered) << c.recipient;
  }
}

// A send to more recipients than one chunk (50 copies): the message is stored with the first
// chunk queued and the rest preparing, delivery can start on those while the next are made, and
// when the send returns every copy is queued exactly once. Carol (S/MIME) and gina (OpenPGP)
// come last, so their copies are made on the worker threads of a later chunk.
TEST_F(SecureDeliveryTest, ALargeSendQueuesItsCopiesChunkByChunkWhileTheFirstAreDelivered) {
  constexpr size_t kTls = 118;
  std::vector<std::string> to;
  for (size_t i = 0; i < kTls; ++i) to.push_back(fmt::format("r{:03}@tls.example", i));
  to.push_back(kCarol);
  to.push_back(kGina);
  FakeTlsSender tls;
  tls.answer.outcome = delivery::TlsDeliveryOutcome::kDelivered;
  std::vector<std::map<store::SecureCopyState, size_t>> seen;  // at each wake-up
  std::optional<MessageId> sending;
  int delivered_during_send = 0;
  with_.secure_copies_queued = [&] {
    auto ids = store_->secure_delivery().ListPendingCopies(1000);
    ASSERT_THAT(ids.status(), IsOk());
    ASSERT_FALSE(ids->empty());
    sending = ids->front().message_id;
    std::map<store::SecureCopyState, size_t> states;
    for (const auto& c : Copies(*sending)) ++states[c.state];
    seen.push_back(states);
    if (seen.size() == 1) {  // the deliverers start on the first chunk at once
      auto round = SecureCopyDeliverer(with_, &tls).DeliverDue(50);
      ASSERT_THAT(round.status(), IsOk());
      delivered_during_send = round->delivered;
    }
  };
  const MessageId id = Send(to);
  ASSERT_EQ(sending, id);
  ASSERT_EQ(seen.size(), 3u);  // 50 + 50 + 20
  EXPECT_EQ(seen[0][store::SecureCopyState::kQueued], 50u);
  EXPECT_EQ(seen[0][store::SecureCopyState::kPreparing], 70u);
  EXPECT_EQ(delivered_during_send, 50);
  EXPECT_EQ(seen[1][store::SecureCopyState::kDelivered], 50u);
  EXPECT_EQ(seen[1][store::SecureCopyState::kQueued], 50u);
  EXPECT_EQ(seen[1][store::SecureCopyState::kPreparing], 20u);
  EXPECT_EQ(seen[2][store::SecureCopyState::kPreparing], 0u);

  // Every recipient has exactly one copy, made as its route says; while preparing a copy shows
  // as queued.
  std::map<std::string, std::string> methods;
  for (const store::SecureCopyRecord& c : Copies(id)) {
    EXPECT_TRUE(methods.emplace(c.recipient, c.method).second) << c.recipient;
  }
  ASSERT_EQ(methods.size(), to.size());
  EXPECT_EQ(methods[kCarol].rfind("smime-", 0), 0u) << methods[kCarol];
  EXPECT_EQ(methods[kGina], "pgp-mime");
  EXPECT_EQ(methods["r117@tls.example"], "tls");
  EXPECT_EQ(SecureCopyStateName(store::SecureCopyState::kPreparing), "queued");

  // The rest goes out, each copy once.
  for (int round = 0; round < 5; ++round) {
    ASSERT_THAT(SecureCopyDeliverer(with_, &tls).DeliverDue(50).status(), IsOk());
  }
  EXPECT_EQ(tls.messages.size(), kTls);
  EXPECT_EQ(OutboxFiles().size(), 2u);  // carol's and gina's, through the relay
  for (const store::SecureCopyRecord& c : Copies(id)) {
    EXPECT_EQ(c.state, store::SecureCopyState::kDelivered) << c.recipient;
  }
}

// The process dies between chunks. The queued chunk is delivered; the copies never made stay
// preparing — not claimed, not lost — until their lease runs out, then the deliverers (of a new
// process: a new deliverer over the same store) fail each once, record delivery.failed and tell
// the sender. Nothing is sent twice.
TEST_F(SecureDeliveryTest, CopiesOfASendThatDiedMidwayFailOnceTheirLeaseRunsOut) {
  std::vector<std::string> to;
  for (size_t i = 0; i < 60; ++i) to.push_back(fmt::format("r{:03}@tls.example", i));
  to.push_back(kGina);
  const MessageId id = SendThatDiesAfterItsFirstChunk(to);
  ASSERT_EQ(Copies(id).size(), to.size());
  Mailbox mailbox(with_);

  FakeTlsSender tls;
  tls.answer.outcome = delivery::TlsDeliveryOutcome::kDelivered;
  auto round = SecureCopyDeliverer(with_, &tls).DeliverDue(100);
  ASSERT_THAT(round.status(), IsOk());
  EXPECT_EQ(round->delivered, 50);
  EXPECT_EQ(round->failed, 0);  // the rest may still be on its way: leased
  std::map<store::SecureCopyState, size_t> states;
  for (const auto& c : Copies(id)) ++states[c.state];
  EXPECT_EQ(states[store::SecureCopyState::kPreparing], 11u);
  auto status = SentMessages(with_).StatusOf(*alice_, [&] {
    auto view = mailbox.Read(*alice_, id.str());
    EXPECT_THAT(view.status(), IsOk());
    return view->header;
  }());
  ASSERT_THAT(status.status(), IsOk());
  size_t shown_queued = 0;
  for (const auto& rcpt : status->recipients) shown_queued += rcpt.status == "queued";
  EXPECT_EQ(shown_queued, 11u);

  clock_.Advance(with_.config.mail_retry.lease + std::chrono::seconds(1));
  round = SecureCopyDeliverer(with_, &tls).DeliverDue(100);
  ASSERT_THAT(round.status(), IsOk());
  EXPECT_EQ(round->failed, 11);
  EXPECT_EQ(round->delivered, 0);
  EXPECT_EQ(tls.messages.size(), 50u);  // nothing twice, nothing never made
  for (const auto& c : Copies(id)) {
    if (c.state == store::SecureCopyState::kFailed) {
      EXPECT_THAT(c.last_error, HasSubstr("never made"));
      EXPECT_TRUE(c.recipient == kGina || c.recipient >= "r050@") << c.recipient;
    } else {
      EXPECT_EQ(c.state, store::SecureCopyState::kDelivered) << c.recipient;
    }
  }
  const auto events = AuditEvents();
  const store::AuditEvent* failed = Find(events, "delivery.failed", kGina);
  ASSERT_NE(failed, nullptr);
  EXPECT_THAT(failed->details, HasSubstr("never made"));
  // Once: a second round finds nothing.
  round = SecureCopyDeliverer(with_, &tls).DeliverDue(100);
  ASSERT_THAT(round.status(), IsOk());
  EXPECT_EQ(round->failed + round->delivered, 0);
  DeliverQueuedMail();
  size_t told = 0;
  for (const delivery::OutgoingMail& m : mailer_.sent) {
    if (m.to.str() == "alice@example.org" && m.text.find(kGina) != std::string::npos) {
      ++told;
      EXPECT_THAT(m.text, HasSubstr("secure pickup"));
      EXPECT_THAT(m.text, ::testing::Not(HasSubstr("attempt")));
    }
  }
  EXPECT_EQ(told, 1u);
}

TEST_F(SecureDeliveryTest, ASendThatDiedIsReportedInOneMailListingItsRecipients) {
  // 131 copies never made (the request died after the first chunk): each fails with its own
  // evidence, all in one round although a round claims only 10, and the sender gets one mail
  // listing the first 50 recipients and counting the rest.
  std::vector<std::string> to;
  for (size_t i = 0; i < 180; ++i) to.push_back(fmt::format("r{:03}@tls.example", i));
  to.push_back(kGina);
  const MessageId id = SendThatDiesAfterItsFirstChunk(to);
  ASSERT_EQ(Copies(id).size(), to.size());
  const size_t unmade = to.size() - 50;

  clock_.Advance(with_.config.mail_retry.lease + std::chrono::seconds(1));
  FakeTlsSender tls;
  tls.answer.outcome = delivery::TlsDeliveryOutcome::kDelivered;
  auto round = SecureCopyDeliverer(with_, &tls).DeliverDue(10);
  ASSERT_THAT(round.status(), IsOk());
  EXPECT_EQ(round->failed, static_cast<int>(unmade));
  EXPECT_EQ(round->delivered, 10);
  size_t failed = 0;
  for (const auto& c : Copies(id)) {
    if (c.state != store::SecureCopyState::kFailed) continue;
    ++failed;
    EXPECT_THAT(c.last_error, HasSubstr("never made"));
  }
  EXPECT_EQ(failed, unmade);
  size_t events = 0;
  for (const store::AuditEvent& e : AuditEvents()) {
    events += e.type == "delivery.failed" && e.subject == id.str();
  }
  EXPECT_EQ(events, unmade);  // one per copy
  // Later rounds deliver the rest and fail nothing more.
  for (int i = 0; i < 5; ++i) {
    round = SecureCopyDeliverer(with_, &tls).DeliverDue(10);
    ASSERT_THAT(round.status(), IsOk());
    EXPECT_EQ(round->failed, 0);
  }
  EXPECT_EQ(tls.messages.size(), 50u);

  DeliverQueuedMail();
  std::vector<const delivery::OutgoingMail*> told;
  for (const delivery::OutgoingMail& m : mailer_.sent) {
    if (m.to.str() == "alice@example.org" &&
        m.subject.find("secure delivery failed") != std::string::npos) {
      told.push_back(&m);
    }
  }
  ASSERT_EQ(told.size(), 1u);
  const std::string& text = told[0]->text;
  EXPECT_THAT(text, HasSubstr(fmt::format("{} recipients", unmade)));
  EXPECT_THAT(text, HasSubstr(kGina + std::string(" (OpenPGP)")));  // sorts first
  EXPECT_THAT(text, HasSubstr("r050@tls.example (TLS)"));
  EXPECT_THAT(text, HasSubstr(fmt::format("and {} more", unmade - 50)));
  EXPECT_THAT(text, ::testing::Not(HasSubstr("r179@tls.example")));  // past the first 50
  EXPECT_THAT(text, HasSubstr("secure pickup"));
  size_t lines = 0;
  for (size_t at = text.find("@tls.example (TLS)"); at != std::string::npos;
       at = text.find("@tls.example (TLS)", at + 1)) {
    ++lines;
  }
  EXPECT_EQ(lines, 49u);  // and gina's
}

}  // namespace
}  // namespace sealpost::app
