// The relay face driven through its Session methods (smtp/face.h): who may connect (client
// networks, IPv4 and IPv6, and client certificates), who may send (members only), and a
// message from the organisation's server read back by its recipient and by its sender with the
// gateway's seal shown as such and verifying — and a seal made with a key one byte off shown
// broken. The organisation's policy is the submission's (app/mail_submission.h): untagged mail
// relayed unchanged under "tag", the tag removed from a secure message's subject, attachments
// carried, Bcc recipients on their own, guests' generated codes in the member's inbox.
#include "smtp/relay_face.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include <nlohmann/json.hpp>

#include "app/app_test_fixture.h"
#include "app/gateway_author.h"
#include "app/mailbox.h"

namespace sealpost::smtp {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

const std::string kCertA(64, 'a');

TEST(ClientNetworks, MatchesIpv4AndIpv6Blocks) {
  auto n = ClientNetworks::Parse(
      {"192.0.2.0/24", "10.0.0.0/8", "2001:db8:1::/48", "::1", "198.51.100.7"});
  ASSERT_TRUE(n.ok()) << n.status().message();
  EXPECT_TRUE(n->Contains("192.0.2.1"));
  EXPECT_TRUE(n->Contains("192.0.2.255"));
  EXPECT_FALSE(n->Contains("192.0.3.1"));
  EXPECT_TRUE(n->Contains("10.200.1.1"));
  EXPECT_FALSE(n->Contains("11.0.0.1"));
  EXPECT_TRUE(n->Contains("198.51.100.7"));
  EXPECT_FALSE(n->Contains("198.51.100.8"));
  EXPECT_TRUE(n->Contains("2001:db8:1:ffff::25"));
  EXPECT_FALSE(n->Contains("2001:db8:2::25"));
  EXPECT_TRUE(n->Contains("::1"));
  EXPECT_FALSE(n->Contains("::2"));
  // An IPv4 client on a dual-stack socket.
  EXPECT_TRUE(n->Contains("::ffff:192.0.2.9"));
  EXPECT_FALSE(n->Contains("::ffff:192.0.3.9"));
  for (const char* junk : {"", "localhost", "192.0.2.1 ", "192.0.2", "::g", "1.2.3.4/8"}) {
    EXPECT_FALSE(n->Contains(junk)) << junk;
  }
  auto odd = ClientNetworks::Parse({"192.0.2.128/25", "2001:db8::/33"});
  ASSERT_TRUE(odd.ok()) << odd.status().message();
  EXPECT_TRUE(odd->Contains("192.0.2.200"));
  EXPECT_FALSE(odd->Contains("192.0.2.100"));
  EXPECT_TRUE(odd->Contains("2001:db8:7fff::1"));
  EXPECT_FALSE(odd->Contains("2001:db8:8000::1"));
}

TEST(ClientNetworks, RefusesMalformedEntries) {
  for (const char* bad : {"192.0.2.0/33", "2001:db8::/129", "192.0.2.1/24", "10.0.0.0/", "10/8",
                          "example.org", "192.0.2.0/-1", "192.0.2.0/8x", "::/0000"}) {
    EXPECT_EQ(ClientNetworks::Parse({bad}).status().code(), ErrorCode::kInvalidArgument) << bad;
  }
  EXPECT_TRUE(ClientNetworks::Parse({"0.0.0.0/0", "::/0"}).ok());
}

class RelayFaceTest : public app::AppTest {
 protected:
  void SetUp() override {
    alice_totp_ = Enrol("alice@example.org");
    bob_totp_ = Enrol("bob@example.org");
    Configure({});
  }

  // The organisation's policy, and a face that applies it.
  void Configure(app::SubmissionConfig config) {
    config.spool_directory = SpoolDir();
    auto made = app::MailSubmission::Create(services_, std::move(config));
    ASSERT_THAT(made.status(), IsOk());
    submission_ = std::move(*made);
    auto face =
        MakeRelayFace(services_, *submission_, {{"192.0.2.0/24", "2001:db8::/32"}, {kCertA}});
    ASSERT_TRUE(face.ok()) << face.status().message();
    face_ = std::move(*face);
  }

  std::string SpoolDir() const { return dir_.path() + "/spool"; }
  size_t SpoolFiles() const {
    if (!std::filesystem::exists(SpoolDir())) return 0;
    size_t n = 0;
    for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(SpoolDir())) ++n;
    return n;
  }

  std::vector<app::ListedMessage> Inbox(const app::AuthContext& who) {
    auto page = app::Mailbox(services_).List(who, store::Folder::kInbox, "", 100);
    EXPECT_THAT(page.status(), IsOk());
    return page.ok() ? page->items : std::vector<app::ListedMessage>{};
  }

  std::string Attachment(const app::AuthContext& who, const std::string& id, int index) {
    auto download = app::Mailbox(services_).OpenAttachment(who, id, index);
    EXPECT_THAT(download.status(), IsOk());
    if (!download.ok()) return "";
    std::string out;
    std::vector<uint8_t> buf(65536);
    while (true) {
      auto n = download->reader->Read(buf);
      EXPECT_THAT(n.status(), IsOk());
      if (!n.ok() || *n == 0) break;
      out.append(reinterpret_cast<const char*>(buf.data()), *n);
    }
    return out;
  }

  static std::string IdOf(const Reply& r) {
    const std::string prefix = "Ok: sealed as ";
    return r.text.rfind(prefix, 0) == 0 ? r.text.substr(prefix.size()) : "";
  }

  std::unique_ptr<Session> OpenFrom(const std::string& address, const std::string& cert = "") {
    Peer peer{address, 40000, !cert.empty(), cert};
    auto opened = face_->Open(peer);
    if (auto* reply = std::get_if<Reply>(&opened)) {
      refused_ = *reply;
      return nullptr;
    }
    return std::move(std::get<std::unique_ptr<Session>>(opened));
  }

  // One message through a session; the reply to the end of data.
  Reply Relay(Session& session, const std::string& from, const std::vector<std::string>& to,
              const std::string& message) {
    Reply r = session.MailFrom(from, {});
    if (!r.positive()) return r;
    for (const auto& rcpt : to) {
      r = session.RcptTo(rcpt);
      if (!r.positive()) return r;
    }
    auto begun = session.BeginMessage();
    if (auto* reply = std::get_if<Reply>(&begun)) return *reply;
    auto& sink = *std::get<std::unique_ptr<MessageSink>>(begun);
    // In two pieces, as the server streams it.
    EXPECT_THAT(sink.Append(std::string_view(message).substr(0, 10)), IsOk());
    EXPECT_THAT(sink.Append(std::string_view(message).substr(10)), IsOk());
    r = sink.Commit();
    session.Reset();
    return r;
  }

  static std::string Mime(const std::string& subject, const std::string& text) {
    return "From: Alice <alice@example.org>\r\nTo: bob@example.org\r\nSubject: " + subject +
           "\r\nMessage-ID: <1@mail.example.org>\r\nMIME-Version: 1.0\r\n"
           "Content-Type: text/plain; charset=utf-8\r\n\r\n" +
           text + "\r\n";
  }

  std::unique_ptr<app::MailSubmission> submission_;
  std::unique_ptr<Face> face_;
  Reply refused_;
  std::string alice_totp_;
  std::string bob_totp_;
};

TEST_F(RelayFaceTest, OnlyTheOrganisationsServerMayConnect) {
  EXPECT_NE(OpenFrom("192.0.2.25"), nullptr);
  EXPECT_NE(OpenFrom("2001:db8:5::25"), nullptr);
  EXPECT_NE(OpenFrom("::ffff:192.0.2.25"), nullptr);
  EXPECT_EQ(OpenFrom("198.51.100.1"), nullptr);
  EXPECT_EQ(refused_.code, 554);
  EXPECT_EQ(refused_.enhanced, "5.7.1");
  EXPECT_EQ(OpenFrom("2001:db9::25"), nullptr);
  EXPECT_EQ(refused_.code, 554);
  // Outside the networks, with a configured certificate (any case, colons).
  std::string colons;
  for (size_t i = 0; i < kCertA.size(); i += 2) colons += (i ? ":" : "") + kCertA.substr(i, 2);
  EXPECT_NE(OpenFrom("198.51.100.1", kCertA), nullptr);
  EXPECT_NE(OpenFrom("198.51.100.1", "AA" + kCertA.substr(2)), nullptr);
  // A certificate that is not configured (one digit off).
  EXPECT_EQ(OpenFrom("198.51.100.1", "b" + kCertA.substr(1)), nullptr);
  EXPECT_EQ(refused_.code, 554);

  EXPECT_EQ(MakeRelayFace(services_, *submission_, {}).status().code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(MakeRelayFace(services_, *submission_, {{"10.0.0.1/8"}, {}}).status().code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(MakeRelayFace(services_, *submission_, {{}, {"abc"}}).status().code(),
            ErrorCode::kInvalidArgument);
  EXPECT_TRUE(MakeRelayFace(services_, *submission_, {{}, {colons}}).ok());
}

TEST_F(RelayFaceTest, OnlyMembersMaySend) {
  auto session = OpenFrom("192.0.2.25");
  ASSERT_NE(session, nullptr);
  Reply r = session->MailFrom("mallory@example.org", {});
  EXPECT_EQ(r.code, 550);
  EXPECT_EQ(r.enhanced, "5.7.1");
  r = session->MailFrom("", {});  // the null sender
  EXPECT_EQ(r.code, 550);
  EXPECT_EQ(session->RcptTo("bob@example.org").code, 503);
  EXPECT_EQ(
      session->Authenticate("PLAIN", "", "alice@example.org", crypto::SecretString::CopyOf("x"))
          .code,
      502);
  EXPECT_EQ(session->MailFrom("Alice@Example.org", {}).code, 250);
  EXPECT_EQ(session->RcptTo("not an address").code, 501);
  EXPECT_EQ(session->RcptTo("bob@example.org").code, 250);
  session->Reset();
  auto begun = session->BeginMessage();
  ASSERT_TRUE(std::holds_alternative<Reply>(begun));
  EXPECT_EQ(std::get<Reply>(begun).code, 503);
  EXPECT_EQ(Relay(*session, "nobody@example.org", {"bob@example.org"}, Mime("s", "t")).code, 550);
}

TEST_F(RelayFaceTest, AMessageIsSealedByTheGatewayOnBehalfOfTheMember) {
  auto session = OpenFrom("2001:db8::25");
  ASSERT_NE(session, nullptr);
  const Reply r = Relay(*session, "alice@example.org", {"bob@example.org"},
                        Mime("Figures", "The figures, from Outlook."));
  ASSERT_EQ(r.code, 250) << r.text;
  EXPECT_THAT(r.text, StartsWith("Ok: sealed as "));
  const std::string id = r.text.substr(std::string("Ok: sealed as ").size());

  app::Mailbox mailbox(services_);
  const app::AuthContext bob = LoggedIn("bob@example.org", bob_totp_);
  auto view = mailbox.Read(bob, id);
  ASSERT_THAT(view.status(), IsOk());
  EXPECT_EQ(view->header.from_email, "alice@example.org");
  EXPECT_EQ(view->header.subject, "Figures");
  EXPECT_EQ(view->header.seal_kind, app::SealKind::kGatewayOnBehalf);
  EXPECT_EQ(view->header.seal, app::SealState::kValid);
  EXPECT_EQ(view->withheld, app::Withheld::kNone);
  EXPECT_THAT(view->body.text, HasSubstr("The figures, from Outlook."));

  // Alice's Sent copy, sealed to her public key: she opens it; the seal is the gateway's.
  const app::AuthContext alice = LoggedIn("alice@example.org", alice_totp_);
  auto sent = mailbox.Read(alice, id);
  ASSERT_THAT(sent.status(), IsOk());
  EXPECT_EQ(sent->header.folder, store::Folder::kSent);
  EXPECT_EQ(sent->header.seal_kind, app::SealKind::kGatewayOnBehalf);
  EXPECT_EQ(sent->header.seal, app::SealState::kValid);
  EXPECT_THAT(sent->body.text, HasSubstr("The figures, from Outlook."));

  // The audit log says whose seal it was.
  bool logged = false;
  for (const auto& e : AuditEvents()) {
    if (e.type != "message.send" || e.subject != id) continue;
    const auto details = nlohmann::json::parse(e.details);
    EXPECT_EQ(details.value("seal", ""), "gateway");
    EXPECT_EQ(details.value("sender", ""), "alice@example.org");
    logged = true;
  }
  EXPECT_TRUE(logged);

  // A member's message is still the member's own seal.
  auto own = mailbox.Send(alice, {{"bob@example.org"}, "own", "own text", "", {}});
  ASSERT_THAT(own.status(), IsOk());
  auto own_view = mailbox.Read(bob, own->str());
  ASSERT_THAT(own_view.status(), IsOk());
  EXPECT_EQ(own_view->header.seal_kind, app::SealKind::kMember);
  EXPECT_EQ(own_view->header.seal, app::SealState::kValid);
}

TEST_F(RelayFaceTest, AGatewaySealMadeWithAKeyOneByteOffIsBroken) {
  // The real key exists after one relayed message.
  auto session = OpenFrom("192.0.2.25");
  ASSERT_NE(session, nullptr);
  ASSERT_EQ(Relay(*session, "alice@example.org", {"bob@example.org"}, Mime("a", "b")).code, 250);
  auto key = app::LoadOrCreateGatewaySealKey(services_);
  ASSERT_THAT(key.status(), IsOk());
  crypto::SecretBytes seed = crypto::SecretBytes::CopyOf(key->ExposeSeed().view());
  seed.span()[0] ^= 0x01;
  auto off = crypto::SigningKey::FromSeed(seed);
  ASSERT_THAT(off.status(), IsOk());

  auto alice = store_->accounts().GetUserByEmail("alice@example.org");
  ASSERT_THAT(alice.status(), IsOk());
  app::Author author;
  author.sender_id = alice->id;
  author.email = alice->email;
  author.actor = alice->id.str();
  author.signing_key = &*off;
  author.gateway_on_behalf = true;
  author.share_copy_to = *crypto::BoxPublicKey::FromBytes(alice->box_public_key);
  app::Mailbox mailbox(services_);
  auto id = mailbox.SendAs(author, {{"bob@example.org"}, "forged", "FORGED", "", {}}, "");
  ASSERT_THAT(id.status(), IsOk());
  const app::AuthContext bob = LoggedIn("bob@example.org", bob_totp_);
  auto view = mailbox.Read(bob, id->str());
  ASSERT_THAT(view.status(), IsOk());
  EXPECT_EQ(view->header.seal_kind, app::SealKind::kGatewayOnBehalf);
  EXPECT_EQ(view->header.seal, app::SealState::kInvalid);
  EXPECT_EQ(view->withheld, app::Withheld::kSealBroken);
  EXPECT_TRUE(view->body.text.empty());

  // A member's own key claiming to be the gateway's is broken too.
  const app::AuthContext alice_ctx = LoggedIn("alice@example.org", alice_totp_);
  auto own_key = alice_ctx.SigningKey();
  ASSERT_THAT(own_key.status(), IsOk());
  author.signing_key = &*own_key;
  id = mailbox.SendAs(author, {{"bob@example.org"}, "claim", "CLAIM", "", {}}, "");
  ASSERT_THAT(id.status(), IsOk());
  view = mailbox.Read(bob, id->str());
  ASSERT_THAT(view.status(), IsOk());
  EXPECT_EQ(view->header.seal, app::SealState::kInvalid);
}

TEST_F(RelayFaceTest, AMessageThatCannotBeSentIsRefusedAndNothingIsKept) {
  auto session = OpenFrom("192.0.2.25");
  ASSERT_NE(session, nullptr);
  Reply r = Relay(*session, "alice@example.org", {"bob@example.org"}, std::string(20, '\0'));
  EXPECT_EQ(r.code, 554);
  EXPECT_EQ(r.text, "the message is not a MIME message Sealpost can read");
  // The store fails: a temporary failure, nothing stored, no spool left.
  const size_t blobs_before = BlobFiles();
  faults_.FailWrites(Unavailable("injected"));
  r = Relay(*session, "alice@example.org", {"bob@example.org"}, Mime("s", "t"));
  faults_.StopFailing();
  EXPECT_EQ(r.code, 451);
  EXPECT_EQ(r.enhanced, "4.3.0");
  // A message over the listener's limit stops while streaming.
  auto small = MakeRelayFace(services_, *submission_, {{"192.0.2.0/24"}, {}, 100});
  ASSERT_TRUE(small.ok());
  auto opened = (*small)->Open({"192.0.2.1", 1, false, ""});
  ASSERT_TRUE(std::holds_alternative<std::unique_ptr<Session>>(opened));
  auto& big_session = *std::get<std::unique_ptr<Session>>(opened);
  ASSERT_EQ(big_session.MailFrom("alice@example.org", {}).code, 250);
  ASSERT_EQ(big_session.RcptTo("bob@example.org").code, 250);
  auto begun = big_session.BeginMessage();
  ASSERT_TRUE(std::holds_alternative<std::unique_ptr<MessageSink>>(begun));
  EXPECT_EQ(std::get<std::unique_ptr<MessageSink>>(begun)
                ->Append(Mime("s", std::string(200, 'x')))
                .code(),
            ErrorCode::kTooLarge);
  std::get<std::unique_ptr<MessageSink>>(begun).reset();

  const app::AuthContext bob = LoggedIn("bob@example.org", bob_totp_);
  EXPECT_TRUE(Inbox(bob).empty());
  EXPECT_EQ(BlobFiles(), blobs_before);
  EXPECT_EQ(SpoolFiles(), 0u);
}

TEST_F(RelayFaceTest, TagPolicyRelaysUntaggedMailUnchangedAndSealsTaggedMail) {
  app::SubmissionConfig config;
  config.policy = app::SubmissionPolicy::kTag;
  Configure(config);
  DeliverQueuedMail();
  mailer_.sent.clear();  // the enrolments' mail
  auto session = OpenFrom("192.0.2.25");
  ASSERT_NE(session, nullptr);
  const std::string plain =
      "From: alice@example.org\r\nTo: partner@outside.example\r\nBcc: hidden@outside.example\r\n"
      "Subject: Lunch\r\n\r\nNoon?\r\n";
  Reply r = Relay(*session, "alice@example.org",
                  {"partner@outside.example", "hidden@outside.example"}, plain);
  ASSERT_EQ(r.code, 250) << r.text;
  EXPECT_THAT(r.text, HasSubstr("queued for the relay"));
  DeliverQueuedMail();
  ASSERT_EQ(mailer_.sent.size(), 2u);
  std::set<std::string> to;
  for (const auto& mail : mailer_.sent) {
    EXPECT_EQ(mail.raw,
              "From: alice@example.org\r\nTo: partner@outside.example\r\nSubject: Lunch\r\n\r\n"
              "Noon?\r\n");
    to.insert(mail.to.str());
  }
  EXPECT_EQ(to, (std::set<std::string>{"hidden@outside.example", "partner@outside.example"}));
  const app::AuthContext bob = LoggedIn("bob@example.org", bob_totp_);
  EXPECT_TRUE(Inbox(bob).empty());

  r = Relay(*session, "alice@example.org", {"bob@example.org"}, Mime("[Secure] Salary", "Numbers"));
  ASSERT_EQ(r.code, 250) << r.text;
  auto view = app::Mailbox(services_).Read(bob, IdOf(r));
  ASSERT_THAT(view.status(), IsOk());
  EXPECT_EQ(view->header.subject, "Salary");
  EXPECT_EQ(view->header.seal_kind, app::SealKind::kGatewayOnBehalf);
  EXPECT_EQ(view->header.seal, app::SealState::kValid);
}

TEST_F(RelayFaceTest, AttachmentsArriveAsAttachmentsOfTheSealedMessage) {
  const std::string message =
      "From: Alice <alice@example.org>\r\nTo: bob@example.org\r\nSubject: Contract\r\n"
      "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
      "--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThe contract is attached.\r\n"
      "--b\r\nContent-Type: application/pdf; name=\"contract.pdf\"\r\n"
      "Content-Transfer-Encoding: base64\r\n"
      "Content-Disposition: attachment; filename=\"contract.pdf\"\r\n\r\nJVBERi0xLjQK\r\n"
      "--b--\r\n";
  auto session = OpenFrom("192.0.2.25");
  ASSERT_NE(session, nullptr);
  const Reply r = Relay(*session, "alice@example.org", {"bob@example.org"}, message);
  ASSERT_EQ(r.code, 250) << r.text;
  const std::string id = IdOf(r);
  const app::AuthContext bob = LoggedIn("bob@example.org", bob_totp_);
  auto view = app::Mailbox(services_).Read(bob, id);
  ASSERT_THAT(view.status(), IsOk());
  EXPECT_EQ(view->header.seal_kind, app::SealKind::kGatewayOnBehalf);
  EXPECT_EQ(view->header.seal, app::SealState::kValid);
  EXPECT_THAT(view->body.text, HasSubstr("The contract is attached."));
  ASSERT_EQ(view->attachments.size(), 1u);
  EXPECT_EQ(view->attachments[0].name, "contract.pdf");
  EXPECT_EQ(view->attachments[0].content_type, "application/pdf");
  EXPECT_EQ(Attachment(bob, id, 0), "%PDF-1.4\n");
  // Alice opens it in Sent as well.
  const app::AuthContext alice = LoggedIn("alice@example.org", alice_totp_);
  EXPECT_EQ(Attachment(alice, id, 0), "%PDF-1.4\n");
  EXPECT_EQ(SpoolFiles(), 0u);
}

TEST_F(RelayFaceTest, BccRecipientsGetTheirOwnMessage) {
  const std::string carol_totp = Enrol("carol@example.org");
  auto session = OpenFrom("192.0.2.25");
  ASSERT_NE(session, nullptr);
  const Reply r = Relay(*session, "alice@example.org", {"bob@example.org", "carol@example.org"},
                        "From: alice@example.org\r\nTo: bob@example.org\r\n"
                        "Bcc: carol@example.org\r\nSubject: Minutes\r\n\r\nx\r\n");
  ASSERT_EQ(r.code, 250) << r.text;
  const app::AuthContext bob = LoggedIn("bob@example.org", bob_totp_);
  const app::AuthContext carol = LoggedIn("carol@example.org", carol_totp);
  app::Mailbox mailbox(services_);
  const auto bob_inbox = Inbox(bob);
  const auto carol_inbox = Inbox(carol);
  ASSERT_EQ(bob_inbox.size(), 1u);
  ASSERT_EQ(carol_inbox.size(), 1u);
  auto to_bob = mailbox.Read(bob, bob_inbox[0].id.str());
  auto to_carol = mailbox.Read(carol, carol_inbox[0].id.str());
  ASSERT_THAT(to_bob.status(), IsOk());
  ASSERT_THAT(to_carol.status(), IsOk());
  EXPECT_THAT(to_bob->header.to, ElementsAre("bob@example.org"));
  EXPECT_TRUE(to_carol->header.to.empty());
  EXPECT_THAT(to_carol->header.bcc, ElementsAre("carol@example.org"));
  EXPECT_EQ(to_carol->header.seal_kind, app::SealKind::kGatewayOnBehalf);
}

TEST_F(RelayFaceTest, GuestsGetAPickupAndTheirCodesGoToTheMembersInbox) {
  auto session = OpenFrom("192.0.2.25");
  ASSERT_NE(session, nullptr);
  const Reply r = Relay(*session, "alice@example.org", {"guest@elsewhere.example"},
                        "From: alice@example.org\r\nTo: guest@elsewhere.example\r\n"
                        "Subject: Loan\r\n\r\nSee the figures.\r\n");
  ASSERT_EQ(r.code, 250) << r.text;
  const app::AuthContext alice = LoggedIn("alice@example.org", alice_totp_);
  const auto inbox = Inbox(alice);
  ASSERT_EQ(inbox.size(), 1u);
  auto notice = app::Mailbox(services_).Read(alice, inbox[0].id.str());
  ASSERT_THAT(notice.status(), IsOk());
  EXPECT_EQ(notice->header.subject, "Unlock codes for your message \"Loan\"");
  EXPECT_EQ(notice->header.seal_kind, app::SealKind::kGatewayOnBehalf);
  EXPECT_EQ(notice->header.seal, app::SealState::kValid);
  const size_t at = notice->body.text.find("guest@elsewhere.example: ");
  ASSERT_NE(at, std::string::npos);
  const size_t from = at + std::string("guest@elsewhere.example: ").size();
  const std::string code =
      notice->body.text.substr(from, notice->body.text.find('\n', from) - from);
  EXPECT_GE(code.size(), 6u);
  // The guest's notification (the pickup link) goes out; the code is in no clear e-mail.
  DeliverQueuedMail();
  bool notified = false;
  for (const auto& mail : mailer_.sent) {
    if (mail.to.str() == "guest@elsewhere.example") notified = true;
    EXPECT_THAT(mail.text, Not(HasSubstr(code)));
    EXPECT_THAT(mail.html, Not(HasSubstr(code)));
  }
  EXPECT_TRUE(notified);
}

}  // namespace
}  // namespace sealpost::smtp
