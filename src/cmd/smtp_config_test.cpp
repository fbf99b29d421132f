#include "cmd/smtp_config.h"

#include <gtest/gtest.h>

#include "cmd/config.h"
#include "cmd/smtp_gateway.h"
#include "platform/filesystem.h"
#include "smtp/testing/recording_face.h"
#include "testing/status_matchers.h"

namespace sealpost::cmd {
namespace {

Result<Config> Parse(std::string_view toml) { return ParseConfig(toml, "test.toml"); }

TEST(SmtpConfig, DefaultsListenOnLoopbackHighPorts) {
  auto c = Parse("");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  const auto& l = c->smtp.listeners;
  ASSERT_EQ(l.size(), 4u);
  EXPECT_TRUE(l.at("submission").enabled);
  EXPECT_EQ(l.at("submission").address, "127.0.0.1");
  EXPECT_EQ(l.at("submission").port, 10587);
  EXPECT_EQ(l.at("submission").tls, "starttls");
  EXPECT_TRUE(l.at("submission").auth);
  EXPECT_EQ(l.at("submissions").tls, "implicit");
  EXPECT_FALSE(l.at("relay").enabled);
  EXPECT_FALSE(l.at("inbound").enabled);
  EXPECT_FALSE(l.at("inbound").auth);
  EXPECT_EQ(c->smtp.command_timeout, std::chrono::seconds(300));
  // Streamed listeners take a 100 MiB attachment once base64'd; the MX keeps 50 MiB.
  for (const char* name : {"submission", "submissions", "relay"}) {
    EXPECT_EQ(l.at(name).max_message_bytes, 150u << 20) << name;
  }
  EXPECT_EQ(l.at("inbound").max_message_bytes, 50u << 20);
}

TEST(SmtpConfig, ReadsEveryKey) {
  auto c = Parse(R"(
[smtp]
hostname = "mail.example.org"
command_timeout_seconds = 2
data_timeout_seconds = 60
tls_handshake_timeout_seconds = 5
io_threads = 2
worker_threads = 4
[smtp.inbound]
enabled = true
address = "0.0.0.0"
port = 2525
tls = "optional"
auth = false
max_message_bytes = 1048576
max_recipients = 50
max_sessions = 20
max_sessions_per_address = 2
[smtp.relay]
client_ca_file = "/etc/sealpost/relay-ca.pem"
)");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->smtp.hostname, "mail.example.org");
  EXPECT_EQ(c->smtp.command_timeout, std::chrono::seconds(2));
  const SmtpListenerConfig& in = c->smtp.listeners.at("inbound");
  EXPECT_TRUE(in.enabled);
  EXPECT_EQ(in.address, "0.0.0.0");
  EXPECT_EQ(in.port, 2525);
  EXPECT_EQ(in.max_message_bytes, 1048576u);
  EXPECT_EQ(in.max_recipients, 50u);
  EXPECT_EQ(in.max_sessions_per_address, 2u);
  EXPECT_EQ(c->smtp.listeners.at("relay").client_ca_file, "/etc/sealpost/relay-ca.pem");
}

TEST(SmtpConfig, ReadsTheRelaysClients) {
  auto c = Parse(
      "[smtp.relay]\nenabled = true\nclient_networks = [\"192.0.2.0/24\", \"2001:db8::/32\"]\n"
      "client_certificates = [\"" +
      std::string(64, 'a') + "\"]\n");
  ASSERT_TRUE(c.ok()) << c.status().message();
  const SmtpListenerConfig& relay = c->smtp.listeners.at("relay");
  EXPECT_EQ(relay.client_networks, (std::vector<std::string>{"192.0.2.0/24", "2001:db8::/32"}));
  EXPECT_EQ(relay.client_certificates, (std::vector<std::string>{std::string(64, 'a')}));
  EXPECT_FALSE(Parse("[smtp.relay]\nclient_networks = \"192.0.2.0/24\"\n").ok());
  EXPECT_FALSE(Parse("[smtp.relay]\nclient_networks = [1]\n").ok());
}

TEST(SmtpConfig, ReadsTheInboundDomainsLowerCased) {
  EXPECT_TRUE(Parse("")->smtp.listeners.at("inbound").domains.empty());
  auto c = Parse("[smtp.inbound]\ndomains = [\"Example.ORG\", \"mail.b-c.example\"]\n");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->smtp.listeners.at("inbound").domains,
            (std::vector<std::string>{"example.org", "mail.b-c.example"}));
  // A bad entry is named in the error.
  for (const char* bad : {"user@example.org", "localhost", "-a.example", "a..example", "",
                          "exa mple.org", "example.org."}) {
    auto refused =
        Parse(std::string("[smtp.inbound]\ndomains = [\"example.org\", \"") + bad + "\"]\n");
    ASSERT_FALSE(refused.ok()) << bad;
    EXPECT_NE(refused.status().message().find(std::string("smtp.inbound.domains[1]: \"") + bad +
                                              "\" is not a domain name"),
              std::string::npos)
        << refused.status().message();
  }
  // Only the inbound listener has domains; and they are strings.
  EXPECT_FALSE(Parse("[smtp.relay]\ndomains = [\"example.org\"]\n").ok());
  EXPECT_FALSE(Parse("[smtp.inbound]\ndomains = \"example.org\"\n").ok());
  EXPECT_FALSE(Parse("[smtp.inbound]\ndomains = [1]\n").ok());
}

TEST(SmtpConfig, Refusals) {
  for (const char* bad : {
           "[smtp]\nunknown = 1\n",
           "[smtp.submission]\nport = 70000\n",
           "[smtp.submission]\ntls = \"maybe\"\n",
           "[smtp.submission]\nbogus = true\n",
           "[smtp.mx]\nenabled = true\n",
           "[smtp]\nsubmission = 5\n",
           "[smtp.submission]\nmax_recipients = 0\n",
           "[smtp.submission]\nmax_message_bytes = 10\n",
           "[smtp]\ncommand_timeout_seconds = 0\n",
           "[smtp]\nhostname = \"a b\"\n",
           "[smtp]\ntls_certificate = \"/x.pem\"\n",
           "[smtp.submission]\ntls = \"none\"\n",  // AUTH on, which needs TLS
           "[smtp.submissions]\nport = 10587\n",   // the submission listener's port
           "smtp = 1\n",
       }) {
    EXPECT_FALSE(Parse(bad).ok()) << bad;
  }
}

TEST(SmtpGateway, OnlyListenersWithAFaceStart) {
  auto c = Parse("[smtp.inbound]\nenabled = true\nport = 0\n");
  ASSERT_TRUE(c.ok());
  platform::Filesystem* fs = &platform::DefaultFilesystem();
  auto none = SmtpServerOptions(c->smtp, {}, "cert", crypto::SecretString::CopyOf("key"), *fs);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->listeners.empty());

  auto recording = std::make_shared<smtp::testing::Recording>();
  SmtpFaces faces = {{"inbound", [recording]() -> Result<std::shared_ptr<smtp::Face>> {
                        return std::shared_ptr<smtp::Face>(
                            std::make_shared<smtp::testing::RecordingFace>(
                                recording, smtp::testing::RecordingRules{}));
                      }}};
  auto one = SmtpServerOptions(c->smtp, faces, "cert", crypto::SecretString::CopyOf("key"), *fs);
  ASSERT_TRUE(one.ok());
  ASSERT_EQ(one->listeners.size(), 1u);
  EXPECT_EQ(one->listeners[0].name, "inbound");
  EXPECT_EQ(one->listeners[0].tls_mode, smtp::TlsMode::kPlain);
  EXPECT_TRUE(one->listeners[0].offer_starttls);
  EXPECT_FALSE(one->listeners[0].offer_auth);
  EXPECT_EQ(one->certificate_pem, "cert");
  // No face, no server: StartSmtpGateway starts nothing.
  auto server = StartSmtpGateway(c->smtp, {}, "cert", crypto::SecretString::CopyOf("key"), *fs);
  ASSERT_TRUE(server.ok());
  EXPECT_EQ(*server, nullptr);
}

}  // namespace
}  // namespace sealpost::cmd
