// The SMTP server over real loopback sockets, with a recording face (smtp/testing/) and a tiny
// blocking client written here (plain TCP, then TLS through OpenSSL when asked).
#include "smtp/server.h"

#include <utility>  // before Asio (g++ 12)

#include <gtest/gtest.h>
#include <openssl/ssl.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>

#include <chrono>
#include <thread>

#include "core/encoding.h"
#include "smtp/testing/recording_face.h"
#include "testing/run_tool.h"
#include "testing/temp_dir.h"

namespace sealpost::smtp {
namespace {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;
using namespace std::chrono_literals;

struct Pem {
  std::string cert;
  std::string key;
};

// A CA and a server certificate for localhost from the openssl tool, made once per test binary.
const Pem& TestCertificate() {
  static const Pem pem = [] {
    static testutil::TempDir dir;
    const auto r = testutil::RunTool(
        {"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
         "-nodes", "-keyout", "key.pem", "-out", "cert.pem", "-subj", "/CN=localhost", "-days", "2",
         "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"},
        dir.path());
    EXPECT_EQ(r.exit_code, 0) << r.output();
    return Pem{testutil::ReadFileBytes(dir.path() + "/cert.pem"),
               testutil::ReadFileBytes(dir.path() + "/key.pem")};
  }();
  return pem;
}

class Client {
 public:
  explicit Client(uint16_t port) : socket_(io_), tls_ctx_(ssl::context::tls_client) {
    boost::system::error_code ec;
    socket_.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), ec);
    connected_ = !ec;
  }
  bool connected() const { return connected_; }
  SSL_CTX* tls_context() { return tls_ctx_.native_handle(); }

  bool Send(std::string_view bytes) {
    boost::system::error_code ec;
    if (tls_) {
      asio::write(*tls_, asio::buffer(bytes), ec);
    } else {
      asio::write(socket_, asio::buffer(bytes), ec);
    }
    return !ec;
  }

  // One whole reply (all its lines); "" when the connection closed first.
  std::string Reply() {
    std::string reply;
    for (;;) {
      const size_t lf = buffer_.find("\r\n");
      if (lf != std::string::npos) {
        const std::string line = buffer_.substr(0, lf + 2);
        buffer_.erase(0, lf + 2);
        reply += line;
        if (line.size() >= 4 && line[3] == ' ') return reply;
        continue;
      }
      char chunk[4096];
      boost::system::error_code ec;
      const size_t n = tls_ ? tls_->read_some(asio::buffer(chunk), ec)
                            : socket_.read_some(asio::buffer(chunk), ec);
      if (ec) return reply;
      buffer_.append(chunk, n);
    }
  }
  std::string Command(std::string_view line) {
    Send(std::string(line) + "\r\n");
    return Reply();
  }
  // True when the server closed the connection (reads EOF) within `timeout`.
  bool ClosedWithin(std::chrono::milliseconds timeout) {
    socket_.non_blocking(false);
    struct timeval tv {
      static_cast<time_t>(timeout.count() / 1000),
          static_cast<suseconds_t>((timeout.count() % 1000) * 1000)
    };
    setsockopt(socket_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    char c;
    boost::system::error_code ec;
    for (;;) {
      socket_.read_some(asio::buffer(&c, 1), ec);
      if (ec == asio::error::eof || ec == asio::error::connection_reset) return true;
      if (ec) return false;  // the receive timeout
    }
  }
  bool Handshake() {
    tls_.emplace(socket_, tls_ctx_);
    boost::system::error_code ec;
    tls_->handshake(ssl::stream_base::client, ec);
    return !ec;
  }
  void Close() {
    boost::system::error_code ec;
    socket_.close(ec);
  }

 private:
  asio::io_context io_;
  tcp::socket socket_;
  ssl::context tls_ctx_;
  std::optional<ssl::stream<tcp::socket&>> tls_;
  std::string buffer_;
  bool connected_ = false;
};

int Code(const std::string& reply) { return reply.size() >= 3 ? std::stoi(reply.substr(0, 3)) : 0; }

std::string Plain(std::string_view user, std::string_view password) {
  return Base64Encode(AsBytes(std::string("\0", 1) + std::string(user) + std::string("\0", 1) +
                              std::string(password)));
}

class SmtpServerTest : public ::testing::Test {
 protected:
  void StartServer(std::vector<ListenerOptions> listeners,
                   std::chrono::milliseconds command_timeout = 10s) {
    ServerOptions options;
    options.hostname = "mx.test";
    options.certificate_pem = TestCertificate().cert;
    options.private_key_pem = crypto::SecretString::CopyOf(TestCertificate().key);
    options.command_timeout = command_timeout;
    options.data_timeout = 5s;
    options.tls_handshake_timeout = 2s;
    options.shutdown_grace = 2s;
    for (auto& l : listeners) {
      if (!l.face) l.face = face_;
    }
    options.listeners = std::move(listeners);
    auto server = Server::Create(std::move(options));
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(*server);
    ASSERT_TRUE(server_->Start().ok());
  }
  ListenerOptions Submission() {
    ListenerOptions l;
    l.name = "submission";
    l.tls_mode = TlsMode::kStartTls;
    l.offer_auth = true;
    l.max_message_bytes = 64 * 1024;
    l.max_recipients = 100;
    return l;
  }
  void TearDown() override {
    if (server_) server_->Stop();
  }
  // Connects, reads the greeting, says EHLO; returns the EHLO reply.
  std::string Hello(Client& client) {
    EXPECT_EQ(Code(client.Reply()), 220);
    return client.Command("EHLO client.test");
  }
  void StartTlsAndLogIn(Client& client) {
    Hello(client);
    ASSERT_EQ(Code(client.Command("STARTTLS")), 220);
    ASSERT_TRUE(client.Handshake());
    ASSERT_EQ(Code(client.Command("EHLO client.test")), 250);
    ASSERT_EQ(Code(client.Command("AUTH PLAIN " + Plain("alice@example.org", "correct horse"))),
              235);
  }

  std::shared_ptr<testing::Recording> rec_ = std::make_shared<testing::Recording>();
  std::shared_ptr<Face> face_ =
      std::make_shared<testing::RecordingFace>(rec_, testing::RecordingRules{});
  std::unique_ptr<Server> server_;
};

TEST_F(SmtpServerTest, EhloBeforeTlsOffersStartTlsNotAuth) {
  StartServer({Submission()});
  Client client(server_->port(0));
  const std::string ehlo = Hello(client);
  EXPECT_NE(ehlo.find("250-mx.test\r\n"), std::string::npos) << ehlo;
  for (const char* keyword : {"PIPELINING", "SIZE 65536", "8BITMIME", "SMTPUTF8",
                              "ENHANCEDSTATUSCODES", "CHUNKING", "STARTTLS"}) {
    EXPECT_NE(ehlo.find(keyword), std::string::npos) << keyword;
  }
  EXPECT_EQ(ehlo.find("AUTH"), std::string::npos);
  // AUTH before STARTTLS, and MAIL before STARTTLS on a submission port.
  const std::string auth = client.Command("AUTH PLAIN " + Plain("alice@example.org", "x"));
  EXPECT_EQ(auth.substr(0, 10), "538 5.7.11") << auth;
  EXPECT_EQ(Code(client.Command("MAIL FROM:<alice@example.org>")), 530);
  std::lock_guard lock(rec_->mu);
  EXPECT_EQ(rec_->auth_failures, 0u);  // the face never saw the password
  EXPECT_TRUE(rec_->mail_from.empty());
}

TEST_F(SmtpServerTest, SubmissionOverStartTlsWithAuthPlainAndDotUnstuffing) {
  StartServer({Submission()});
  Client client(server_->port(0));
  StartTlsAndLogIn(client);
  EXPECT_EQ(Code(client.Command("MAIL FROM:<alice@example.org> BODY=8BITMIME SIZE=100")), 250);
  EXPECT_EQ(Code(client.Command("RCPT TO:<bob@example.org>")), 250);
  EXPECT_EQ(Code(client.Command("RCPT TO:<unknown@example.org>")), 550);
  EXPECT_EQ(Code(client.Command("DATA")), 354);
  client.Send("Subject: t\r\n\r\n..dot\r\ncaf\xC3\xA9\r\n.\r\n");
  const std::string done = client.Reply();
  EXPECT_EQ(done, "250 2.0.0 Queued as 1\r\n");
  EXPECT_EQ(Code(client.Command("QUIT")), 221);

  ASSERT_TRUE(rec_->WaitFor([&] { return rec_->sessions_closed == 2; }));
  std::lock_guard lock(rec_->mu);
  ASSERT_EQ(rec_->opened.size(), 2u);  // before and after STARTTLS
  EXPECT_FALSE(rec_->opened[0].tls);
  EXPECT_TRUE(rec_->opened[1].tls);
  EXPECT_EQ(rec_->opened[1].address, "127.0.0.1");
  ASSERT_EQ(rec_->authenticated.size(), 1u);
  EXPECT_EQ(rec_->authenticated[0], "PLAIN  alice@example.org");
  ASSERT_EQ(rec_->committed.size(), 1u);
  EXPECT_EQ(rec_->committed[0], "Subject: t\r\n\r\n.dot\r\ncaf\xC3\xA9\r\n");
  EXPECT_TRUE(rec_->mail_parameters[0].eight_bit_mime);
  EXPECT_EQ(rec_->mail_parameters[0].declared_size.value_or(0), 100u);
}

TEST_F(SmtpServerTest, AuthLoginAndWrongPasswordsCloseTheSession) {
  StartServer({Submission()});
  Client client(server_->port(0));
  Hello(client);
  ASSERT_EQ(Code(client.Command("STARTTLS")), 220);
  ASSERT_TRUE(client.Handshake());
  client.Command("EHLO client.test");
  EXPECT_EQ(client.Command("AUTH LOGIN"), "334 VXNlcm5hbWU6\r\n");
  EXPECT_EQ(client.Command(Base64Encode(AsBytes("alice@example.org"))), "334 UGFzc3dvcmQ6\r\n");
  EXPECT_EQ(Code(client.Command(Base64Encode(AsBytes("wrong")))), 535);
  EXPECT_EQ(Code(client.Command("AUTH PLAIN " + Plain("alice@example.org", "wrong"))), 535);
  // The third failure ends the session.
  EXPECT_EQ(Code(client.Command("AUTH PLAIN " + Plain("alice@example.org", "wrong"))), 535);
  EXPECT_EQ(client.Reply().substr(0, 9), "421 4.7.0");
  EXPECT_TRUE(client.ClosedWithin(2s));
  std::lock_guard lock(rec_->mu);
  EXPECT_EQ(rec_->auth_failures, 3u);
}

TEST_F(SmtpServerTest, CommandsPipelinedBehindStartTlsAreDiscarded) {
  StartServer({Submission()});
  Client client(server_->port(0));
  Hello(client);
  // Injected in the clear after STARTTLS (CVE-2011-0411): must never run inside TLS.
  client.Send("STARTTLS\r\nRSET\r\nMAIL FROM:<evil@example.org>\r\n");
  EXPECT_EQ(Code(client.Reply()), 220);
  ASSERT_TRUE(client.Handshake());
  const std::string ehlo = client.Command("EHLO client.test");
  EXPECT_EQ(Code(ehlo), 250) << ehlo;  // not a reply to the injected commands
  EXPECT_NE(ehlo.find("AUTH PLAIN LOGIN"), std::string::npos);
  EXPECT_EQ(Code(client.Command("NOOP")), 250);
  std::lock_guard lock(rec_->mu);
  EXPECT_TRUE(rec_->mail_from.empty());
}

TEST_F(SmtpServerTest, PipeliningGroupGetsEveryReplyInOrder) {
  StartServer({Submission()});
  Client client(server_->port(0));
  StartTlsAndLogIn(client);
  client.Send(
      "MAIL FROM:<alice@example.org>\r\nRCPT TO:<a@example.org>\r\nRCPT TO:<unknown@example.org>"
      "\r\nRCPT TO:<b@example.org>\r\nDATA\r\n");
  EXPECT_EQ(Code(client.Reply()), 250);
  EXPECT_EQ(Code(client.Reply()), 250);
  EXPECT_EQ(Code(client.Reply()), 550);
  EXPECT_EQ(Code(client.Reply()), 250);
  EXPECT_EQ(Code(client.Reply()), 354);
  client.Send("x\r\n.\r\nNOOP\r\n");
  EXPECT_EQ(Code(client.Reply()), 250);
  EXPECT_EQ(Code(client.Reply()), 250);
  std::lock_guard lock(rec_->mu);
  EXPECT_EQ(rec_->rcpt_to, (std::vector<std::string>{"a@example.org", "b@example.org"}));
  EXPECT_EQ(rec_->committed.size(), 1u);
}

// Opens a plain-mode (MX-like) session in a transaction with one recipient.
class SmtpMxTest : public SmtpServerTest {
 protected:
  void SetUp() override {
    ListenerOptions inbound;
    inbound.name = "inbound";
    inbound.tls_mode = TlsMode::kPlain;
    inbound.max_message_bytes = 4096;
    inbound.max_recipients = 100;
    inbound.max_sessions_per_address = 3;
    StartServer({inbound}, 1500ms);
  }
  void Transaction(Client& client, std::string_view mail = "MAIL FROM:<a@example.org>") {
    Hello(client);
    ASSERT_EQ(Code(client.Command(mail)), 250);
    ASSERT_EQ(Code(client.Command("RCPT TO:<b@example.org>")), 250);
  }
};

TEST_F(SmtpMxTest, SmugglingAttemptsAreRefusedAndNothingIsPassedOn) {
  const char* kFakeEnds[] = {"\n.\n", "\n.\r\n", "\r\n.\n", "\r.\r", "\r\n.\r", "\r.\r\n"};
  for (const char* fake : kFakeEnds) {
    SCOPED_TRACE(::testing::PrintToString(fake));
    Client client(server_->port(0));
    Transaction(client);
    ASSERT_EQ(Code(client.Command("DATA")), 354);
    client.Send(std::string("Subject: x\r\n\r\nhello") + fake +
                "MAIL FROM:<evil@example.org>\r\nRCPT TO:<victim@example.org>\r\nDATA\r\n"
                "smuggled\r\n.\r\n");
    const std::string reply = client.Reply();
    EXPECT_EQ(reply.substr(0, 10), "550 5.6.11") << reply;
    // The session goes on, in step: no reply to the smuggled commands was sent.
    EXPECT_EQ(client.Command("NOOP"), "250 2.0.0 OK\r\n");
  }
  std::lock_guard lock(rec_->mu);
  EXPECT_TRUE(rec_->committed.empty());
  EXPECT_EQ(rec_->sinks_dropped, std::size(kFakeEnds));
  for (const std::string& from : rec_->mail_from) EXPECT_EQ(from, "a@example.org");
}

TEST_F(SmtpMxTest, NulAndEightBitWithoutEightBitMimeAreRefused) {
  Client client(server_->port(0));
  Transaction(client);
  ASSERT_EQ(Code(client.Command("DATA")), 354);
  client.Send(std::string("a\0b\r\n.\r\n", 8));
  EXPECT_EQ(client.Reply().substr(0, 9), "554 5.6.0");
  ASSERT_EQ(Code(client.Command("MAIL FROM:<a@example.org>")), 250);
  ASSERT_EQ(Code(client.Command("RCPT TO:<b@example.org>")), 250);
  ASSERT_EQ(Code(client.Command("DATA")), 354);
  client.Send("caf\xC3\xA9\r\n.\r\n");
  EXPECT_EQ(client.Reply().substr(0, 9), "554 5.6.1");
  std::lock_guard lock(rec_->mu);
  EXPECT_TRUE(rec_->committed.empty());
}

TEST_F(SmtpMxTest, SizeLimits) {
  Client client(server_->port(0));
  Hello(client);
  EXPECT_EQ(client.Command("MAIL FROM:<a@example.org> SIZE=4097").substr(0, 9), "552 5.3.4");
  ASSERT_EQ(Code(client.Command("MAIL FROM:<a@example.org> SIZE=100")), 250);
  ASSERT_EQ(Code(client.Command("RCPT TO:<b@example.org>")), 250);
  ASSERT_EQ(Code(client.Command("DATA")), 354);
  // Declared 100 bytes, sends 10,000: refused while streaming.
  for (int i = 0; i < 100; ++i) client.Send(std::string(98, 'x') + "\r\n");
  client.Send(".\r\n");
  EXPECT_EQ(client.Reply().substr(0, 9), "552 5.3.4");
  EXPECT_EQ(Code(client.Command("NOOP")), 250);
  std::lock_guard lock(rec_->mu);
  EXPECT_TRUE(rec_->committed.empty());
  EXPECT_EQ(rec_->sinks_dropped, 1u);
}

TEST_F(SmtpMxTest, LongCommandsBadAddressesAndTooManyRecipients) {
  Client client(server_->port(0));
  Hello(client);
  EXPECT_EQ(client.Command("NOOP " + std::string(10000, 'a')).substr(0, 9), "500 5.5.2");
  EXPECT_EQ(Code(client.Command("MAIL FROM:<no-at-sign>")), 501);
  EXPECT_EQ(Code(client.Command("MAIL FROM:<" + std::string(300, 'a') + "@example.org>")), 501);
  ASSERT_EQ(Code(client.Command("MAIL FROM:<a@example.org>")), 250);
  // 2,000 recipients pipelined: 100 accepted, the rest 452.
  std::string burst;
  for (int i = 0; i < 2000; ++i) burst += fmt::format("RCPT TO:<r{}@example.org>\r\n", i);
  client.Send(burst);
  int ok = 0, too_many = 0;
  for (int i = 0; i < 2000; ++i) {
    const int code = Code(client.Reply());
    ok += code == 250;
    too_many += code == 452;
  }
  EXPECT_EQ(ok, 100);
  EXPECT_EQ(too_many, 1900);
  EXPECT_EQ(Code(client.Command("NOOP")), 250);
}

TEST_F(SmtpMxTest, Bdat) {
  Client client(server_->port(0));
  Hello(client);
  // BDAT without a transaction: refused, and its chunk is read past.
  client.Send("BDAT 5\r\nabcdeNOOP\r\n");
  EXPECT_EQ(Code(client.Reply()), 503);
  EXPECT_EQ(Code(client.Reply()), 250);
  ASSERT_EQ(Code(client.Command("MAIL FROM:<a@example.org>")), 250);
  ASSERT_EQ(Code(client.Command("RCPT TO:<b@example.org>")), 250);
  client.Send("BDAT 12\r\nSubject: ");
  client.Send("x\r\nBDAT 6 LAST\r\n\r\nhi\r\n");
  EXPECT_EQ(client.Reply(), "250 2.0.0 12 octets received\r\n");
  EXPECT_EQ(client.Reply(), "250 2.0.0 Queued as 1\r\n");
  // A bare LF in a chunk is refused too.
  ASSERT_EQ(Code(client.Command("MAIL FROM:<a@example.org>")), 250);
  ASSERT_EQ(Code(client.Command("RCPT TO:<b@example.org>")), 250);
  client.Send("BDAT 4 LAST\r\na\nb\n");
  EXPECT_EQ(client.Reply().substr(0, 10), "550 5.6.11");
  // An announced chunk over the limit: 552 and the session ends.
  ASSERT_EQ(Code(client.Command("MAIL FROM:<a@example.org>")), 250);
  ASSERT_EQ(Code(client.Command("RCPT TO:<b@example.org>")), 250);
  EXPECT_EQ(client.Command("BDAT 5000 LAST").substr(0, 9), "552 5.3.4");
  EXPECT_TRUE(client.ClosedWithin(2s));
  std::lock_guard lock(rec_->mu);
  ASSERT_EQ(rec_->committed.size(), 1u);
  EXPECT_EQ(rec_->committed[0], "Subject: x\r\n\r\nhi\r\n");
}

TEST_F(SmtpMxTest, ConnectionCutInsideDataOrBdatCommitsNothing) {
  {
    Client client(server_->port(0));
    Transaction(client);
    ASSERT_EQ(Code(client.Command("DATA")), 354);
    client.Send("Subject: half\r\n\r\nbody");
    client.Close();
  }
  {
    Client client(server_->port(0));
    Transaction(client);
    client.Send("BDAT 100 LAST\r\nonly part");
    client.Close();
  }
  EXPECT_TRUE(rec_->WaitFor([&] { return rec_->sinks_dropped == 2; }));
  std::lock_guard lock(rec_->mu);
  EXPECT_TRUE(rec_->committed.empty());
}

TEST_F(SmtpMxTest, IdleSessionTimesOut) {
  Client client(server_->port(0));
  EXPECT_EQ(Code(client.Reply()), 220);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(client.ClosedWithin(5s));
  const auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_GE(waited, 1s);
  EXPECT_LT(waited, 4s);
}

TEST_F(SmtpMxTest, SessionsPerAddressAreLimited) {
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < 3; ++i) {
    clients.push_back(std::make_unique<Client>(server_->port(0)));
    EXPECT_EQ(Code(clients.back()->Reply()), 220);
  }
  Client fourth(server_->port(0));
  EXPECT_EQ(fourth.Reply().substr(0, 9), "421 4.7.0");
  EXPECT_TRUE(fourth.ClosedWithin(2s));
  // One leaves: a new one is served again.
  clients[0]->Command("QUIT");
  clients[0]->ClosedWithin(2s);
  bool served = false;
  for (int attempt = 0; attempt < 50 && !served; ++attempt) {
    Client again(server_->port(0));
    served = Code(again.Reply()) == 220;
    if (!served) std::this_thread::sleep_for(50ms);
  }
  EXPECT_TRUE(served);
}

TEST_F(SmtpServerTest, ImplicitTlsAndRefusingFace) {
  ListenerOptions submissions = Submission();
  submissions.name = "submissions";
  submissions.tls_mode = TlsMode::kImplicitTls;
  ListenerOptions refused;
  refused.name = "relay";
  refused.tls_mode = TlsMode::kPlain;
  refused.face = std::make_shared<testing::RecordingFace>(
      std::make_shared<testing::Recording>(), testing::RecordingRules{.refuse_open = true});
  StartServer({submissions, refused});

  Client tls(server_->port(0));
  ASSERT_TRUE(tls.Handshake());
  EXPECT_EQ(Code(tls.Reply()), 220);
  const std::string ehlo = tls.Command("EHLO client.test");
  EXPECT_NE(ehlo.find("AUTH PLAIN LOGIN"), std::string::npos);
  EXPECT_EQ(ehlo.find("STARTTLS"), std::string::npos);
  EXPECT_EQ(Code(tls.Command("AUTH PLAIN " + Plain("alice@example.org", "correct horse"))), 235);

  Client relay(server_->port(1));
  EXPECT_EQ(relay.Reply(), "554 5.7.1 Not from your address\r\n");
  EXPECT_TRUE(relay.ClosedWithin(2s));
  std::lock_guard lock(rec_->mu);
  ASSERT_EQ(rec_->opened.size(), 1u);
  EXPECT_TRUE(rec_->opened[0].tls);
}

TEST_F(SmtpServerTest, ClientCertificateIsReportedToTheFace) {
  testutil::TempDir dir;
  auto run = [&](std::vector<std::string> argv) {
    const auto r = testutil::RunTool(argv, dir.path());
    ASSERT_EQ(r.exit_code, 0) << r.output();
  };
  run({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
       "-keyout", "ca.key", "-out", "ca.pem", "-subj", "/CN=Test Relay CA", "-days", "2"});
  run({"openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
       "-keyout", "client.key", "-out", "client.csr", "-subj", "/CN=postfix.example.org"});
  run({"openssl", "x509", "-req", "-in", "client.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
       "-CAcreateserial", "-out", "client.pem", "-days", "2"});
  run({"openssl", "x509", "-in", "client.pem", "-noout", "-fingerprint", "-sha256"});
  const auto fp = testutil::RunTool(
      {"openssl", "x509", "-in", "client.pem", "-noout", "-fingerprint", "-sha256"}, dir.path());
  std::string expected;
  for (const char c : fp.out.substr(fp.out.find('=') + 1)) {
    if (std::isxdigit(static_cast<unsigned char>(c)))
      expected += static_cast<char>(std::tolower(c));
  }

  ListenerOptions relay;
  relay.name = "relay";
  relay.tls_mode = TlsMode::kPlain;
  relay.client_ca_pem = testutil::ReadFileBytes(dir.path() + "/ca.pem");
  StartServer({relay});

  Client with_cert(server_->port(0));
  ASSERT_TRUE(SSL_CTX_use_certificate_file(with_cert.tls_context(),
                                           (dir.path() + "/client.pem").c_str(), SSL_FILETYPE_PEM));
  ASSERT_TRUE(SSL_CTX_use_PrivateKey_file(with_cert.tls_context(),
                                          (dir.path() + "/client.key").c_str(), SSL_FILETYPE_PEM));
  Hello(with_cert);
  ASSERT_EQ(Code(with_cert.Command("STARTTLS")), 220);
  ASSERT_TRUE(with_cert.Handshake());
  EXPECT_EQ(Code(with_cert.Command("EHLO client.test")), 250);

  Client without(server_->port(0));
  Hello(without);
  ASSERT_EQ(Code(without.Command("STARTTLS")), 220);
  ASSERT_TRUE(without.Handshake());
  EXPECT_EQ(Code(without.Command("EHLO client.test")), 250);

  std::lock_guard lock(rec_->mu);
  ASSERT_EQ(rec_->opened.size(), 4u);
  EXPECT_EQ(rec_->opened[1].client_certificate_sha256, expected);
  EXPECT_EQ(expected.size(), 64u);
  EXPECT_EQ(rec_->opened[3].client_certificate_sha256, "");
}

TEST_F(SmtpServerTest, SessionsInAllAreLimited) {
  ListenerOptions l = Submission();
  l.max_sessions = 2;
  StartServer({l});
  Client first(server_->port(0));
  Client second(server_->port(0));
  EXPECT_EQ(Code(first.Reply()), 220);
  EXPECT_EQ(Code(second.Reply()), 220);
  Client third(server_->port(0));
  EXPECT_EQ(third.Reply().substr(0, 9), "421 4.3.2");
  EXPECT_TRUE(third.ClosedWithin(2s));
  EXPECT_EQ(Code(first.Command("NOOP")), 250);  // the others are unaffected
}

TEST_F(SmtpServerTest, StopEndsIdleSessionsPromptly) {
  StartServer({Submission()});
  Client client(server_->port(0));
  Hello(client);
  const auto start = std::chrono::steady_clock::now();
  server_->Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1500ms);
  EXPECT_TRUE(client.ClosedWithin(1s));
  server_.reset();
}

}  // namespace
}  // namespace sealpost::smtp
