// The relay face driven through its Session methods (smtp/face.h): who may connect (client
// networks, IPv4 and IPv6, and client certificates), who may send (members only), and a
// message from the organisation's server read back by its recipient and by its sender with the
// gateway's seal shown as such and verifying — and a seal made with a key one byte off shown
// broken.
#include "smtp/relay_face.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "app/app_test_fixture.h"
#include "app/gateway_author.h"
#include "app/mailbox.h"

namespace sealpost::smtp {
namespace {

using ::testing::HasSubstr;
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
    auto face = MakeRelayFace(services_, {{"192.0.2.0/24", "2001:db8::/32"}, {kCertA}});
    ASSERT_TRUE(face.ok()) << face.status().message();
    face_ = std::move(*face);
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

  EXPECT_EQ(MakeRelayFace(services_, {}).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(MakeRelayFace(services_, {{"10.0.0.1/8"}, {}}).status().code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(MakeRelayFace(services_, {{}, {"abc"}}).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_TRUE(MakeRelayFace(services_, {{}, {colons}}).ok());
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
  // A guest without a MUC: nothing could give them one here.
  Reply r = Relay(*session, "alice@example.org", {"guest@elsewhere.example"}, Mime("s", "t"));
  EXPECT_EQ(r.code, 554);
  EXPECT_THAT(r.text, HasSubstr("guest@elsewhere.example"));
  // The policy hook routes a message elsewhere: refused for now (451), not sealed.
  RelayFaceOptions options{
      {"192.0.2.0/24"}, {}, [](std::string_view) { return app::GatewayRoute::kRelayUnchanged; }};
  auto face = MakeRelayFace(services_, options);
  ASSERT_TRUE(face.ok());
  auto opened = (*face)->Open({"192.0.2.1", 1, false, ""});
  ASSERT_TRUE(std::holds_alternative<std::unique_ptr<Session>>(opened));
  r = Relay(*std::get<std::unique_ptr<Session>>(opened), "alice@example.org", {"bob@example.org"},
            Mime("s", "t"));
  EXPECT_EQ(r.code, 451);
  const app::AuthContext bob = LoggedIn("bob@example.org", bob_totp_);
  auto inbox = app::Mailbox(services_).List(bob, store::Folder::kInbox, "", 10);
  ASSERT_THAT(inbox.status(), IsOk());
  EXPECT_TRUE(inbox->items.empty());
}

}  // namespace
}  // namespace sealpost::smtp
