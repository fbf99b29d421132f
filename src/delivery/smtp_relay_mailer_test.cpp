// Tests of the SMTP relay mailer.
//
// SmtpRelayScripted*: against a scripted fake relay on loopback (label `unit`): the dialogue, the
// error mapping, and the bounds on untrusted replies.
// SmtpRelayPostfix*: against a real Postfix started by tests/postfix/postfix.sh in a temporary
// directory (label `postfix`; needs root, installs Debian's postfix when missing). If Postfix
// cannot be started the test fails; it never passes without having talked to Postfix.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "core/encoding.h"
#include "delivery/mailer.h"
#include "testing/free_port.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

namespace sealpost::delivery {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

constexpr char kPassword[] = "correct horse battery staple";

OutgoingMail Mail(std::string_view to, std::string subject, std::string text) {
  return OutgoingMail{*EmailAddress::Parse(to), std::move(subject), std::move(text)};
}

SmtpRelayOptions Options(uint16_t port) {
  SmtpRelayOptions o;
  o.host = "localhost";
  o.port = port;
  o.from_address = "Sealpost <no-reply@example.org>";
  o.timeout = std::chrono::seconds(5);
  return o;
}

// ---------------------------------------------------------------------------------------------
// A throw-away self-signed certificate for the fake relay's STARTTLS.

struct PkeyDeleter {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct X509Deleter {
  void operator()(X509* p) const { X509_free(p); }
};
struct BioDeleter {
  void operator()(BIO* p) const { BIO_free(p); }
};
struct SslCtxDeleter {
  void operator()(SSL_CTX* p) const { SSL_CTX_free(p); }
};
struct SslDeleter {
  void operator()(SSL* p) const { SSL_free(p); }
};

struct TestCert {
  std::unique_ptr<EVP_PKEY, PkeyDeleter> key;
  std::unique_ptr<X509, X509Deleter> cert;
  std::string cert_pem;
};

TestCert MakeSelfSigned(const std::string& dns_name) {
  TestCert c;
  c.key.reset(EVP_EC_gen("P-256"));
  c.cert.reset(X509_new());
  X509* x = c.cert.get();
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
  X509_gmtime_adj(X509_getm_notBefore(x), -3600);
  X509_gmtime_adj(X509_getm_notAfter(x), 86400);
  X509_set_pubkey(x, c.key.get());
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(dns_name.c_str()), -1, -1, 0);
  X509_set_issuer_name(x, name);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, x, x, nullptr, nullptr, 0);
  const std::string san = "DNS:" + dns_name;
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, NID_subject_alt_name, san.c_str());
  X509_add_ext(x, ext, -1);
  X509_EXTENSION_free(ext);
  X509_sign(x, c.key.get(), EVP_sha256());
  std::unique_ptr<BIO, BioDeleter> bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(bio.get(), x);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);  // NOLINT(google-runtime-int)
  c.cert_pem.assign(data, static_cast<size_t>(n));
  return c;
}

// ---------------------------------------------------------------------------------------------
// A scripted SMTP server on 127.0.0.1. A "STARTTLS" step whose reply starts with 220 switches the
// server to TLS with `tls_cert` (which must then be set). A step whose reply is kHangUp closes the
// connection without answering and accepts the next one, where the script goes on.

class FakeRelay final {
 public:
  struct Step {
    std::string expect;  // prefix of the client's line; empty for the greeting
    std::string reply;   // sent verbatim (include CRLFs)
  };

  explicit FakeRelay(std::vector<Step> script, const TestCert* tls_cert = nullptr)
      : script_(std::move(script)), tls_cert_(tls_cert) {
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    EXPECT_EQ(::listen(listener_, 1), 0);
    socklen_t len = sizeof addr;
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~FakeRelay() {
    Join();
    ::close(listener_);
  }

  uint16_t port() const { return port_; }
  void Join() {
    if (thread_.joinable()) thread_.join();
  }
  // Valid after Join().
  const std::vector<std::string>& commands() const { return commands_; }
  const std::string& data() const { return data_; }
  // Everything received, after TLS decryption where TLS was used.
  const std::string& raw() const { return raw_; }
  int tls_sessions() const { return tls_sessions_; }
  int connections() const { return connections_; }
  // Commands already received when the reply to the one before was sent: sent by a client
  // that pipelines (RFC 2920), never by one that waits for each reply.
  int pipelined_commands() const { return pipelined_commands_; }
  static constexpr const char* kHangUp = "<hang up>";

 private:
  bool ReadLine(std::string* line) {
    for (;;) {
      const size_t lf = buf_.find('\n');
      if (lf != std::string::npos) {
        *line = buf_.substr(0, lf + 1);
        buf_.erase(0, lf + 1);
        return true;
      }
      char tmp[4096];
      const ssize_t n =
          ssl_ ? SSL_read(ssl_.get(), tmp, sizeof tmp) : ::recv(conn_, tmp, sizeof tmp, 0);
      if (n <= 0) return false;
      raw_.append(tmp, static_cast<size_t>(n));
      buf_.append(tmp, static_cast<size_t>(n));
    }
  }
  void Send(const std::string& s) {
    if (ssl_) {
      (void)SSL_write(ssl_.get(), s.data(), static_cast<int>(s.size()));
    } else {
      (void)::send(conn_, s.data(), s.size(), MSG_NOSIGNAL);
    }
  }

  bool AcceptTls() {
    if (tls_cert_ == nullptr) return false;
    ctx_.reset(SSL_CTX_new(TLS_server_method()));
    SSL_CTX_use_certificate(ctx_.get(), tls_cert_->cert.get());
    SSL_CTX_use_PrivateKey(ctx_.get(), tls_cert_->key.get());
    ssl_.reset(SSL_new(ctx_.get()));
    SSL_set_fd(ssl_.get(), conn_);
    if (SSL_accept(ssl_.get()) != 1) {
      ssl_.reset();
      return false;
    }
    tls_sessions_++;
    return true;
  }

  bool Accept() {
    pollfd p{listener_, POLLIN, 0};
    if (::poll(&p, 1, 10000) != 1) return false;
    conn_ = ::accept(listener_, nullptr, nullptr);
    timeval tv{3, 0};
    ::setsockopt(conn_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ++connections_;
    return true;
  }

  void HangUp() {
    ssl_.reset();  // no close_notify: the connection just drops
    ::close(conn_);
    buf_.clear();
  }

  void Serve() {
    if (!Accept()) return;
    std::string line;
    bool ok = true;
    for (const Step& step : script_) {
      if (step.reply == kHangUp) {
        HangUp();
        if (&step == &script_.back() || !Accept()) return;
        continue;
      }
      if (!step.expect.empty()) {
        if (buf_.find('\n') != std::string::npos) ++pipelined_commands_;
        if (!ReadLine(&line)) {
          ok = false;
          break;
        }
        commands_.push_back(line.substr(0, line.find_last_not_of("\r\n") + 1));
        if (commands_.back().rfind(step.expect, 0) != 0) {
          ok = false;
          break;
        }
      }
      Send(step.reply);
      if (step.expect == "STARTTLS" && step.reply.rfind("220", 0) == 0 && !AcceptTls()) {
        ok = false;
        break;
      }
      if (step.expect == "DATA" && step.reply.rfind("354", 0) == 0) {
        while (ReadLine(&line) && line != ".\r\n") data_ += line;
      }
    }
    // Whatever else the client says (QUIT, or a command it should not have sent).
    while (ok && ReadLine(&line)) {
      commands_.push_back(line.substr(0, line.find_last_not_of("\r\n") + 1));
      if (commands_.back() == "QUIT") {
        Send("221 2.0.0 bye\r\n");
        break;
      }
      Send("503 5.5.1 unexpected\r\n");
    }
    if (ssl_) SSL_shutdown(ssl_.get());
    ssl_.reset();
    ::close(conn_);
  }

  std::vector<Step> script_;
  const TestCert* tls_cert_;
  std::unique_ptr<SSL_CTX, SslCtxDeleter> ctx_;
  std::unique_ptr<SSL, SslDeleter> ssl_;
  int tls_sessions_ = 0;
  int connections_ = 0;
  int pipelined_commands_ = 0;
  int listener_ = -1;
  int conn_ = -1;
  uint16_t port_ = 0;
  std::thread thread_;
  std::string buf_;
  std::string raw_;
  std::vector<std::string> commands_;
  std::string data_;
};

const FakeRelay::Step kGreeting{"", "220 fake.test ESMTP\r\n"};
const FakeRelay::Step kEhloPlain{"EHLO ", "250-fake.test\r\n250-8BITMIME\r\n250 SIZE 100000\r\n"};

class SmtpRelayScripted : public ::testing::Test {
 protected:
  platform::FakeClock clock_{FromUnixMillis(1'790'000'000'000)};
  platform::SystemRng rng_;
};

TEST_F(SmtpRelayScripted, AMailsOwnEnvelopeSenderIsItsMailFromButNotItsFromHeader) {
  FakeRelay relay({kGreeting,
                   kEhloPlain,
                   {"MAIL FROM:", "250 2.1.0 ok\r\n"},
                   {"RCPT TO:", "250 2.1.5 ok\r\n"},
                   {"DATA", "354 go\r\n"},
                   {"", "250 2.0.0 queued as 1\r\n"}});
  SmtpRelayOptions options = Options(relay.port());
  options.tls = SmtpRelayOptions::Tls::kOpportunistic;
  auto mailer = MakeSmtpRelayMailer(clock_, rng_, options);
  OutgoingMail mail = Mail("alice@example.org", "Hi", "text");
  mail.envelope_sender = "bounces+m0123-45@example.org";
  EXPECT_THAT(mailer->Send(mail), IsOk());
  relay.Join();
  ASSERT_GE(relay.commands().size(), 2u);
  EXPECT_THAT(relay.commands()[1], StartsWith("MAIL FROM:<bounces+m0123-45@example.org> SIZE="));
  EXPECT_THAT(relay.data(), StartsWith("From: Sealpost <no-reply@example.org>\r\n"));
  // Not an address: refused before connecting.
  mail.envelope_sender = "not an address";
  EXPECT_FALSE(mailer->Send(mail).ok());
}

TEST_F(SmtpRelayScripted, OpportunisticPlaintextDialogueWithDotStuffing) {
  FakeRelay relay({kGreeting,
                   kEhloPlain,
                   {"MAIL FROM:", "250 2.1.0 ok\r\n"},
                   {"RCPT TO:", "250 2.1.5 ok\r\n"},
                   {"DATA", "354 go\r\n"},
                   {"", "250 2.0.0 queued as 1\r\n"}});
  SmtpRelayOptions options = Options(relay.port());
  options.tls = SmtpRelayOptions::Tls::kOpportunistic;
  auto mailer = MakeSmtpRelayMailer(clock_, rng_, options);
  OutgoingMail mail = Mail("alice@example.org", "Hi", ".hidden\n..two\nbare\rcr\nlast");
  mail.message_id = std::string(32, 'c');  // as the outbound queue passes its job id
  EXPECT_THAT(mailer->Send(mail), IsOk());
  relay.Join();
  ASSERT_GE(relay.commands().size(), 5u);
  EXPECT_EQ(relay.commands()[0], "EHLO sealpost.localhost");
  EXPECT_THAT(relay.commands()[1], StartsWith("MAIL FROM:<no-reply@example.org> SIZE="));
  EXPECT_EQ(relay.commands()[2], "RCPT TO:<alice@example.org>");
  EXPECT_EQ(relay.commands()[3], "DATA");
  EXPECT_EQ(relay.commands().back(), "QUIT");
  EXPECT_EQ(relay.pipelined_commands(), 0);  // the relay does not offer PIPELINING
  EXPECT_THAT(relay.data(), HasSubstr("\r\nSubject: Hi\r\n"));
  EXPECT_THAT(relay.data(),
              HasSubstr("\r\nMessage-ID: <" + std::string(32, 'c') + "@example.org>\r\n"));
  EXPECT_THAT(relay.data(), HasSubstr("\r\n\r\n..hidden\r\n...two\r\nbarecr\r\nlast\r\n"));
  // Every line ends in CRLF; no bare CR or LF reaches the wire.
  for (size_t i = 0; i < relay.data().size(); ++i) {
    if (relay.data()[i] == '\n') {
      ASSERT_TRUE(i > 0 && relay.data()[i - 1] == '\r') << i;
    }
    if (relay.data()[i] == '\r') {
      ASSERT_EQ(relay.data()[i + 1], '\n') << i;
    }
  }
}

TEST_F(SmtpRelayScripted, RequiredTlsWithoutStartTlsSendsNothing) {
  FakeRelay relay({kGreeting, kEhloPlain});
  auto mailer = MakeSmtpRelayMailer(clock_, rng_, Options(relay.port()));
  const Status s = mailer->Send(Mail("alice@example.org", "Hi", "secret"));
  EXPECT_THAT(s, StatusIs(ErrorCode::kUnavailable));
  EXPECT_EQ(s.message(), "relay does not offer STARTTLS");
  relay.Join();
  EXPECT_THAT(relay.commands(), ElementsAre("EHLO sealpost.localhost", "QUIT"));
  EXPECT_THAT(relay.raw(), Not(HasSubstr("secret")));
}

const FakeRelay::Step kEhloPipelining{"EHLO ",
                                      "250-fake.test\r\n250-PIPELINING\r\n250 SIZE 100000\r\n"};

// Offered PIPELINING, the client sends MAIL, RCPT and DATA in one group and reads the three
// replies after it.
TEST_F(SmtpRelayScripted, PipelinedEnvelopeIsOneGroup) {
  FakeRelay relay({kGreeting,
                   kEhloPipelining,
                   {"MAIL FROM:", "250 2.1.0 ok\r\n"},
                   {"RCPT TO:<alice@example.org>", "250 2.1.5 ok\r\n"},
                   {"DATA", "354 go\r\n"},
                   {"", "250 2.0.0 queued as 1\r\n"}});
  SmtpRelayOptions options = Options(relay.port());
  options.tls = SmtpRelayOptions::Tls::kOpportunistic;
  EXPECT_THAT(
      MakeSmtpRelayMailer(clock_, rng_, options)->Send(Mail("alice@example.org", "Hi", "x")),
      IsOk());
  relay.Join();
  EXPECT_EQ(relay.pipelined_commands(), 2);  // RCPT and DATA came with MAIL
  EXPECT_THAT(relay.data(), HasSubstr("\r\nSubject: Hi\r\n"));
  EXPECT_EQ(relay.commands().back(), "QUIT");
}

// In a pipelined group every reply is read, whatever the first said: a refused MAIL fails its
// mail with MAIL's reply (not the RCPT's "need MAIL"); a DATA that a server answers with 354
// although no recipient was taken gets an empty message. Either way the session stays in step
// and the next mail of the batch goes through.
TEST_F(SmtpRelayScripted, PipelinedRefusalsKeepTheSessionInStep) {
  FakeRelay relay({kGreeting,
                   kEhloPipelining,
                   {"MAIL FROM:", "552 5.3.4 message too big\r\n"},
                   {"RCPT TO:<a@example.org>", "503 5.5.1 need MAIL\r\n"},
                   {"DATA", "503 5.5.1 need RCPT\r\n"},
                   {"RSET", "250 ok\r\n"},
                   {"MAIL FROM:", "250 ok\r\n"},
                   {"RCPT TO:<b@example.org>", "550 5.1.1 no such user\r\n"},
                   {"DATA", "354 go ahead anyway\r\n"},
                   {"", "554 5.5.1 no valid recipients\r\n"},
                   {"RSET", "250 ok\r\n"},
                   {"MAIL FROM:", "250 ok\r\n"},
                   {"RCPT TO:<c@example.org>", "250 ok\r\n"},
                   {"DATA", "354 go\r\n"},
                   {"", "250 queued 3\r\n"}});
  SmtpRelayOptions options = Options(relay.port());
  options.tls = SmtpRelayOptions::Tls::kOpportunistic;
  const std::vector<OutgoingMail> mails = {Mail("a@example.org", "1", "one"),
                                           Mail("b@example.org", "2", "two"),
                                           Mail("c@example.org", "3", "three")};
  const std::vector<Status> results = MakeSmtpRelayMailer(clock_, rng_, options)->SendBatch(mails);
  relay.Join();
  ASSERT_EQ(results.size(), 3u);
  EXPECT_THAT(results[0], StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(results[0].message(), AllOf(HasSubstr("MAIL FROM"), HasSubstr("552 5.3.4")));
  EXPECT_THAT(results[1], StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(results[1].message(), AllOf(HasSubstr("RCPT TO"), HasSubstr("550 5.1.1")));
  EXPECT_THAT(results[2], IsOk());
  EXPECT_EQ(relay.connections(), 1);
  EXPECT_EQ(relay.commands().back(), "QUIT");
  EXPECT_THAT(relay.data(), Not(HasSubstr("one")));
  EXPECT_THAT(relay.data(), Not(HasSubstr("two")));
  EXPECT_THAT(relay.data(), HasSubstr("\r\n\r\nthree\r\n"));
}

// A batch shares one session: one transaction per mail; a refused RCPT fails that mail only, and
// RSET clears the transaction before the next.
TEST_F(SmtpRelayScripted, BatchUsesOneSessionAndARefusalFailsOnlyItsMail) {
  FakeRelay relay({kGreeting,
                   kEhloPlain,
                   {"MAIL FROM:", "250 ok\r\n"},
                   {"RCPT TO:<a@example.org>", "250 ok\r\n"},
                   {"DATA", "354 go\r\n"},
                   {"", "250 queued 1\r\n"},
                   {"MAIL FROM:", "250 ok\r\n"},
                   {"RCPT TO:<b@example.org>", "550 5.1.1 no such user\r\n"},
                   {"RSET", "250 ok\r\n"},
                   {"MAIL FROM:", "250 ok\r\n"},
                   {"RCPT TO:<c@example.org>", "450 4.2.0 later\r\n"},
                   {"RSET", "250 ok\r\n"},
                   {"MAIL FROM:", "250 ok\r\n"},
                   {"RCPT TO:<d@example.org>", "250 ok\r\n"},
                   {"DATA", "354 go\r\n"},
                   {"", "250 queued 2\r\n"}});
  SmtpRelayOptions options = Options(relay.port());
  options.tls = SmtpRelayOptions::Tls::kOpportunistic;
  const std::vector<OutgoingMail> mails = {
      Mail("a@example.org", "1", "one"), Mail("b@example.org", "2", "two"),
      Mail("c@example.org", "3", "three"), Mail("d@example.org", "4", "four")};
  // With handoffs: the same outcomes, and each accepted mail's own 250 reply, named by host.
  std::vector<MailHandoff> handoffs;
  const std::vector<Status> results =
      MakeSmtpRelayMailer(clock_, rng_, options)->SendBatchWithHandoffs(mails, handoffs);
  relay.Join();
  ASSERT_EQ(results.size(), 4u);
  ASSERT_EQ(handoffs.size(), 4u);
  EXPECT_EQ(handoffs[0].receiver, "localhost");
  EXPECT_EQ(handoffs[0].reply, "250 queued 1");
  EXPECT_EQ(handoffs[1].reply, "");
  EXPECT_EQ(handoffs[2].reply, "");
  EXPECT_EQ(handoffs[3].reply, "250 queued 2");
  EXPECT_THAT(results[0], IsOk());
  EXPECT_THAT(results[1], StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(results[1].message(), HasSubstr("550 5.1.1"));
  EXPECT_THAT(results[2], StatusIs(ErrorCode::kUnavailable));
  EXPECT_THAT(results[3], IsOk());
  EXPECT_EQ(relay.connections(), 1);
  EXPECT_EQ(std::count(relay.commands().begin(), relay.commands().end(), "RSET"), 2);
  EXPECT_EQ(relay.commands().back(), "QUIT");
  EXPECT_THAT(relay.data(), HasSubstr("\r\n\r\none\r\n"));
  EXPECT_THAT(relay.data(), HasSubstr("\r\n\r\nfour\r\n"));
  EXPECT_THAT(relay.data(), Not(HasSubstr("two")));
}

// A connection lost after a mail's DATA leaves that mail unknown (Unavailable, retried later by
// the queue, never resent in this batch); one lost before a mail's DATA costs that mail nothing:
// the rest go on over a new session.
TEST_F(SmtpRelayScripted, BatchSurvivesDroppedConnectionsWithoutSendingAnythingTwice) {
  FakeRelay relay({kGreeting,
                   kEhloPlain,
                   {"MAIL FROM:", "250 ok\r\n"},
                   {"RCPT TO:<a@example.org>", "250 ok\r\n"},
                   {"DATA", "354 go\r\n"},
                   {"", FakeRelay::kHangUp},  // after a's body: no answer
                   kGreeting,
                   kEhloPlain,
                   {"MAIL FROM:", "250 ok\r\n"},
                   {"RCPT TO:<b@example.org>", "250 ok\r\n"},
                   {"DATA", "354 go\r\n"},
                   {"", "250 queued b\r\n"},
                   {"MAIL FROM:", FakeRelay::kHangUp},  // before c's DATA
                   kGreeting,
                   kEhloPlain,
                   {"MAIL FROM:", "250 ok\r\n"},
                   {"RCPT TO:<c@example.org>", "250 ok\r\n"},
                   {"DATA", "354 go\r\n"},
                   {"", "250 queued c\r\n"}});
  SmtpRelayOptions options = Options(relay.port());
  options.tls = SmtpRelayOptions::Tls::kOpportunistic;
  std::vector<OutgoingMail> mails = {Mail("a@example.org", "1", "one"),
                                     Mail("b@example.org", "2", "two"),
                                     Mail("c@example.org", "3", "three")};
  mails[0].message_id = std::string(32, 'a');
  mails[1].message_id = std::string(32, 'b');
  mails[2].message_id = std::string(32, 'c');
  const std::vector<Status> results = MakeSmtpRelayMailer(clock_, rng_, options)->SendBatch(mails);
  relay.Join();
  ASSERT_EQ(results.size(), 3u);
  EXPECT_THAT(results[0], StatusIs(ErrorCode::kUnavailable));
  EXPECT_THAT(results[1], IsOk());
  EXPECT_THAT(results[2], IsOk());
  EXPECT_EQ(relay.connections(), 3);
  const auto count = [&](const std::string& needle) {
    size_t n = 0;
    for (size_t at = relay.data().find(needle); at != std::string::npos;
         at = relay.data().find(needle, at + 1)) {
      ++n;
    }
    return n;
  };
  EXPECT_EQ(count("Message-ID: <" + std::string(32, 'a')), 1u);
  EXPECT_EQ(count("Message-ID: <" + std::string(32, 'b')), 1u);
  EXPECT_EQ(count("Message-ID: <" + std::string(32, 'c')), 1u);
}

TEST_F(SmtpRelayScripted, BatchGivesUpAfterRepeatedDropsAndReportsTheRestAsTransient) {
  std::vector<FakeRelay::Step> script;
  for (int i = 0; i < 3; ++i) {
    script.push_back(kGreeting);
    script.push_back(kEhloPlain);
    script.push_back({"MAIL FROM:", FakeRelay::kHangUp});
  }
  FakeRelay relay(std::move(script));
  SmtpRelayOptions options = Options(relay.port());
  options.tls = SmtpRelayOptions::Tls::kOpportunistic;
  const std::vector<OutgoingMail> mails = {Mail("a@example.org", "1", "one"),
                                           Mail("b@example.org", "2", "two")};
  const std::vector<Status> results = MakeSmtpRelayMailer(clock_, rng_, options)->SendBatch(mails);
  relay.Join();
  ASSERT_EQ(results.size(), 2u);
  EXPECT_THAT(results[0], StatusIs(ErrorCode::kUnavailable));
  EXPECT_THAT(results[1], StatusIs(ErrorCode::kUnavailable));
  EXPECT_EQ(relay.connections(), 3);
  EXPECT_TRUE(relay.data().empty());
}

TEST_F(SmtpRelayScripted, CredentialsAreNeverSentWithoutTls) {
  FakeRelay relay({kGreeting, {"EHLO ", "250-fake.test\r\n250 AUTH PLAIN LOGIN\r\n"}});
  SmtpRelayOptions options = Options(relay.port());
  options.tls = SmtpRelayOptions::Tls::kOpportunistic;
  options.username = "sealpost";
  options.password = kPassword;
  auto mailer = MakeSmtpRelayMailer(clock_, rng_, options);
  const Status s = mailer->Send(Mail("alice@example.org", "Hi", "text"));
  EXPECT_THAT(s, StatusIs(ErrorCode::kUnavailable));
  EXPECT_THAT(s.message(), Not(HasSubstr(kPassword)));
  relay.Join();
  EXPECT_THAT(relay.commands(), ElementsAre("EHLO sealpost.localhost", "QUIT"));
  EXPECT_THAT(relay.raw(), Not(HasSubstr("AUTH")));
}

struct ReplyCase {
  std::string rcpt_reply;
  ErrorCode code;
};

class SmtpRelayScriptedReplies : public SmtpRelayScripted,
                                 public ::testing::WithParamInterface<ReplyCase> {};

TEST_P(SmtpRelayScriptedReplies, RcptReplyMapsToStatus) {
  FakeRelay relay(
      {kGreeting, kEhloPlain, {"MAIL FROM:", "250 ok\r\n"}, {"RCPT TO:", GetParam().rcpt_reply}});
  SmtpRelayOptions options = Options(relay.port());
  options.tls = SmtpRelayOptions::Tls::kOpportunistic;
  const Status s =
      MakeSmtpRelayMailer(clock_, rng_, options)->Send(Mail("bob@example.org", "Hi", "text"));
  EXPECT_THAT(s, StatusIs(GetParam().code));
  // The relay's text is kept for the log, minus its line break.
  EXPECT_THAT(s.message(),
              AllOf(HasSubstr("RCPT TO"), HasSubstr(GetParam().rcpt_reply.substr(0, 3)),
                    Not(HasSubstr("\r")), Not(HasSubstr("\n"))));
  relay.Join();
  EXPECT_EQ(relay.commands().back(), "QUIT");  // a refusal still ends the session politely
  EXPECT_THAT(relay.commands(), Not(::testing::Contains("DATA")));
}

INSTANTIATE_TEST_SUITE_P(
    Codes, SmtpRelayScriptedReplies,
    ::testing::Values(ReplyCase{"450 4.2.0 mailbox busy\r\n", ErrorCode::kUnavailable},
                      ReplyCase{"421 4.3.2 shutting down\r\n", ErrorCode::kUnavailable},
                      ReplyCase{"550 5.1.1 user unknown\r\n", ErrorCode::kInvalidArgument},
                      ReplyCase{"554 5.7.1 relay access denied\r\n", ErrorCode::kPermissionDenied},
                      ReplyCase{"530-5.7.0 must\r\n530 issue STARTTLS\r\n",
                                ErrorCode::kPermissionDenied},
                      ReplyCase{"354 what?\r\n", ErrorCode::kUnavailable}));

TEST_F(SmtpRelayScripted, ReplyTextIsSanitisedForLogs) {
  FakeRelay relay({kGreeting, kEhloPlain, {"MAIL FROM:", "550 5.1.0 bad\x1b[31m\x01 sender\r\n"}});
  SmtpRelayOptions options = Options(relay.port());
  options.tls = SmtpRelayOptions::Tls::kOpportunistic;
  const Status s =
      MakeSmtpRelayMailer(clock_, rng_, options)->Send(Mail("bob@example.org", "Hi", "text"));
  EXPECT_THAT(s, StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(s.message(), HasSubstr("550 5.1.0 bad?[31m? sender"));
}

TEST_F(SmtpRelayScripted, OverlongReplyLineIsRefused) {
  FakeRelay relay(std::vector<FakeRelay::Step>{{"", "220 " + std::string(5000, 'x') + "\r\n"}});
  const Status s =
      MakeSmtpRelayMailer(clock_, rng_, Options(relay.port()))->Send(Mail("a@example.org", "", ""));
  EXPECT_THAT(s, StatusIs(ErrorCode::kUnavailable));
  EXPECT_THAT(s.message(), HasSubstr("longer than 1000"));
}

TEST_F(SmtpRelayScripted, EndlessMultiLineReplyIsRefused) {
  std::string many;
  for (int i = 0; i < 500; ++i) many += "250-fake.test\r\n";
  FakeRelay relay({kGreeting, {"EHLO ", many}});
  const Status s =
      MakeSmtpRelayMailer(clock_, rng_, Options(relay.port()))->Send(Mail("a@example.org", "", ""));
  EXPECT_THAT(s, StatusIs(ErrorCode::kUnavailable));
  EXPECT_THAT(s.message(), HasSubstr("more than 100 lines"));
}

TEST_F(SmtpRelayScripted, MalformedReplyIsRefused) {
  FakeRelay relay(std::vector<FakeRelay::Step>{{"", "HELLO THERE\r\n"}});
  const Status s =
      MakeSmtpRelayMailer(clock_, rng_, Options(relay.port()))->Send(Mail("a@example.org", "", ""));
  EXPECT_THAT(s, StatusIs(ErrorCode::kUnavailable));
  EXPECT_THAT(s.message(), HasSubstr("malformed reply"));
}

TEST_F(SmtpRelayScripted, SilentRelayTimesOut) {
  FakeRelay relay(std::vector<FakeRelay::Step>{});  // accepts, never speaks
  SmtpRelayOptions options = Options(relay.port());
  options.timeout = std::chrono::seconds(1);
  const auto start = std::chrono::steady_clock::now();
  const Status s = MakeSmtpRelayMailer(clock_, rng_, options)->Send(Mail("a@example.org", "", ""));
  EXPECT_THAT(s, StatusIs(ErrorCode::kUnavailable));
  EXPECT_THAT(s.message(), HasSubstr("timed out"));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
}

TEST_F(SmtpRelayScripted, DataAfterStartTlsReplyAbortsTheSession) {
  FakeRelay relay({kGreeting,
                   {"EHLO ", "250-fake.test\r\n250 STARTTLS\r\n"},
                   {"STARTTLS", "220 2.0.0 go ahead\r\n250 injected\r\n"}});
  const Status s =
      MakeSmtpRelayMailer(clock_, rng_, Options(relay.port()))->Send(Mail("a@example.org", "", ""));
  EXPECT_THAT(s, StatusIs(ErrorCode::kUnavailable));
  EXPECT_THAT(s.message(), HasSubstr("after its STARTTLS reply"));
}

class SmtpRelayScriptedTls : public SmtpRelayScripted {
 protected:
  void SetUp() override {
    ca_file_ = tmp_.path() + "/relay.pem";
    std::ofstream(ca_file_) << cert_.cert_pem;
  }
  SmtpRelayOptions TlsOptions(uint16_t port) const {
    SmtpRelayOptions o = Options(port);
    o.ca_file = ca_file_;
    o.username = "sealpost";
    o.password = kPassword;
    return o;
  }
  static std::vector<FakeRelay::Step> UpToAuth(std::string auth_reply) {
    return {kGreeting,
            {"EHLO ", "250-fake.test\r\n250-AUTH LOGIN\r\n250 STARTTLS\r\n"},
            {"STARTTLS", "220 2.0.0 ready\r\n"},
            {"EHLO ", "250-fake.test\r\n250-8BITMIME\r\n250 AUTH LOGIN PLAIN\r\n"},
            {"AUTH PLAIN ", std::move(auth_reply)}};
  }

  testutil::TempDir tmp_;
  TestCert cert_ = MakeSelfSigned("localhost");
  std::string ca_file_;
};

TEST_F(SmtpRelayScriptedTls, AuthPlainOnlyAfterVerifiedStartTls) {
  std::vector<FakeRelay::Step> script = UpToAuth("235 2.7.0 ok\r\n");
  script.push_back({"MAIL FROM:", "250 ok\r\n"});
  script.push_back({"RCPT TO:", "250 ok\r\n"});
  script.push_back({"DATA", "354 go\r\n"});
  script.push_back({"", "250 2.0.0 queued\r\n"});
  FakeRelay relay(std::move(script), &cert_);
  EXPECT_THAT(MakeSmtpRelayMailer(clock_, rng_, TlsOptions(relay.port()))
                  ->Send(Mail("alice@example.org", "Grüße", "über TLS\n")),
              IsOk());
  relay.Join();
  EXPECT_EQ(relay.tls_sessions(), 1);
  const std::string credentials = std::string("\0sealpost\0", 10) + kPassword;
  ASSERT_GE(relay.commands().size(), 5u);
  EXPECT_EQ(relay.commands()[0], "EHLO sealpost.localhost");
  EXPECT_EQ(relay.commands()[1], "STARTTLS");
  EXPECT_EQ(relay.commands()[2], "EHLO sealpost.localhost");  // asked again after TLS
  EXPECT_EQ(relay.commands()[3], "AUTH PLAIN " + Base64Encode(AsBytes(credentials)));
  // The body is quoted-printable, so 7-bit: no BODY=8BITMIME needed.
  EXPECT_EQ(relay.commands()[4].rfind("MAIL FROM:<no-reply@example.org>", 0), 0u);
  EXPECT_THAT(relay.commands()[4], Not(HasSubstr("8BITMIME")));
  EXPECT_THAT(relay.data(), HasSubstr("Subject: =?UTF-8?B?"));
  EXPECT_THAT(relay.data(), HasSubstr("\r\n\r\n=C3=BCber TLS\r\n"));
}

TEST_F(SmtpRelayScriptedTls, RejectedCredentialsArePermanentAndNotLogged) {
  FakeRelay relay(UpToAuth("535 5.7.8 authentication failed\r\n"), &cert_);
  const Status s = MakeSmtpRelayMailer(clock_, rng_, TlsOptions(relay.port()))
                       ->Send(Mail("a@example.org", "", ""));
  EXPECT_THAT(s, StatusIs(ErrorCode::kPermissionDenied));
  EXPECT_THAT(s.message(), HasSubstr("535 5.7.8"));
  const std::string credentials = std::string("\0sealpost\0", 10) + kPassword;
  EXPECT_THAT(s.message(), Not(HasSubstr(kPassword)));
  EXPECT_THAT(s.message(), Not(HasSubstr(Base64Encode(AsBytes(credentials)))));
  relay.Join();
  EXPECT_THAT(relay.commands(), Not(::testing::Contains(StartsWith("MAIL"))));
}

TEST_F(SmtpRelayScriptedTls, UntrustedCertificateFailsEvenWhenOpportunistic) {
  FakeRelay relay(UpToAuth("235 ok\r\n"), &cert_);
  SmtpRelayOptions options = TlsOptions(relay.port());
  options.tls = SmtpRelayOptions::Tls::kOpportunistic;
  options.username.clear();
  options.password.clear();
  options.ca_file.clear();  // the system store does not know our throw-away certificate
  const Status s = MakeSmtpRelayMailer(clock_, rng_, options)->Send(Mail("a@example.org", "", ""));
  EXPECT_THAT(s, StatusIs(ErrorCode::kUnavailable));
  EXPECT_THAT(s.message(), HasSubstr("certificate"));
  relay.Join();
  EXPECT_EQ(relay.tls_sessions(), 0);
  EXPECT_THAT(relay.commands(), ElementsAre("EHLO sealpost.localhost", "STARTTLS"));
}

TEST_F(SmtpRelayScripted, RelayDownIsUnavailable) {
  // A port that was free a moment ago: bind, learn the port, close.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  const Status s = MakeSmtpRelayMailer(clock_, rng_, Options(ntohs(addr.sin_port)))
                       ->Send(Mail("a@example.org", "", ""));
  EXPECT_THAT(s, StatusIs(ErrorCode::kUnavailable));
  EXPECT_THAT(s.message(), HasSubstr("cannot connect"));
}

TEST(SmtpRelayOptionsTest, Validation) {
  SmtpRelayOptions good = Options(25);
  EXPECT_THAT(ValidateSmtpRelayOptions(good), IsOk());
  good.from_address = "no-reply@example.org";
  EXPECT_THAT(ValidateSmtpRelayOptions(good), IsOk());

  auto with = [&](auto change) {
    SmtpRelayOptions o = Options(25);
    change(o);
    return ValidateSmtpRelayOptions(o);
  };
  const auto kInvalid = StatusIs(ErrorCode::kInvalidArgument);
  EXPECT_THAT(with([](auto& o) { o.host = ""; }), kInvalid);
  EXPECT_THAT(with([](auto& o) { o.host = "relay\r\nMAIL"; }), kInvalid);
  EXPECT_THAT(with([](auto& o) { o.port = 0; }), kInvalid);
  EXPECT_THAT(with([](auto& o) { o.helo_name = "a b"; }), kInvalid);
  EXPECT_THAT(with([](auto& o) { o.helo_name = "x\r\nRCPT TO:<a@b.c>"; }), kInvalid);
  EXPECT_THAT(with([](auto& o) { o.helo_name = "[127.0.0.1]"; }), IsOk());
  EXPECT_THAT(with([](auto& o) { o.from_address = "Sealpost <no-reply@example.org"; }), kInvalid);
  EXPECT_THAT(with([](auto& o) { o.from_address = "Sealpost <a\r\n@example.org>"; }), kInvalid);
  EXPECT_THAT(with([](auto& o) { o.from_address = ""; }), kInvalid);
  EXPECT_THAT(with([](auto& o) { o.password = "x"; }), kInvalid);
  EXPECT_THAT(with([](auto& o) { o.timeout = std::chrono::seconds(0); }), kInvalid);
}

// ---------------------------------------------------------------------------------------------
// Against a real Postfix.

std::string ReadFile(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

using testutil::FreeLoopbackPort;

std::string Quote(const std::string& s) { return "'" + s + "'"; }

class SmtpRelayPostfixBase : public ::testing::Test {
 protected:
  explicit SmtpRelayPostfixBase(bool tls) : tls_(tls) {}

  void SetUp() override {
    script_ = std::string(SEALPOST_SOURCE_DIR) + "/tests/postfix/postfix.sh";
    // Postfix's daemons run unprivileged and must reach the instance below the (0700) temp dir.
    std::filesystem::permissions(tmp_.path(), std::filesystem::perms::others_exec,
                                 std::filesystem::perm_options::add);
    dir_ = tmp_.path() + "/postfix";
    port_ = FreeLoopbackPort();
    ASSERT_NE(port_, 0);
    const std::string cmd = "bash " + Quote(script_) + " start " + Quote(dir_) + " " +
                            std::to_string(port_) + (tls_ ? "" : " --no-tls");
    const int rc = std::system(cmd.c_str());
    started_ = true;
    ASSERT_EQ(rc, 0) << "could not start Postfix with: " << cmd
                     << "\n(the postfix tests need root and Debian's postfix package)";
  }

  void TearDown() override {
    if (!started_) return;
    const std::string cmd = "bash " + Quote(script_) + " stop " + Quote(dir_);
    EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
  }

  SmtpRelayOptions RelayOptions() const {
    SmtpRelayOptions o = Options(port_);
    o.ca_file = dir_ + "/tls/cert.pem";
    o.timeout = std::chrono::seconds(10);
    return o;
  }

  std::filesystem::path Maildir(const std::string& domain, const std::string& user) const {
    return std::filesystem::path(dir_) / "mail" / domain / user / "new";
  }

  // Waits for Postfix to deliver `count` messages into the Maildir; returns what is there.
  std::vector<std::string> WaitForMail(const std::filesystem::path& maildir, size_t count,
                                       std::chrono::seconds limit) const {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    std::vector<std::string> found;
    do {
      found.clear();
      std::error_code ec;
      if (std::filesystem::is_directory(maildir, ec)) {
        for (const auto& entry : std::filesystem::directory_iterator(maildir, ec)) {
          found.push_back(ReadFile(entry.path()));
        }
      }
      if (found.size() >= count) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    } while (std::chrono::steady_clock::now() < deadline);
    return found;
  }

  // smtpd's one-line summary of the latest client session, e.g. "disconnect from localhost[…]
  // ehlo=1 quit=1 commands=2". The script's own readiness probe is the first session, so this
  // waits for the second one.
  std::string LastSessionSummary() const {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    std::string last;
    do {
      std::istringstream log(ReadFile(std::filesystem::path(dir_) / "maillog"));
      // Ours always say EHLO; postfix.sh's readiness probes (one or more, under load) only QUIT.
      for (std::string line; std::getline(log, line);) {
        if (line.find("smtpd") != std::string::npos &&
            line.find("disconnect from") != std::string::npos &&
            line.find(" ehlo=") != std::string::npos) {
          last = line;
        }
      }
      if (!last.empty()) return last;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    } while (std::chrono::steady_clock::now() < deadline);
    return "(no session of ours in the log)";
  }

  platform::SystemClock clock_;
  platform::SystemRng rng_;
  testutil::TempDir tmp_;
  std::string script_;
  std::string dir_;
  uint16_t port_ = 0;
  bool tls_;
  bool started_ = false;
};

class SmtpRelayPostfix : public SmtpRelayPostfixBase {
 protected:
  SmtpRelayPostfix() : SmtpRelayPostfixBase(/*tls=*/true) {}
};

class SmtpRelayPostfixNoTls : public SmtpRelayPostfixBase {
 protected:
  SmtpRelayPostfixNoTls() : SmtpRelayPostfixBase(/*tls=*/false) {}
};

TEST_F(SmtpRelayPostfix, DeliversOverVerifiedStartTls) {
  auto mailer = MakeSmtpRelayMailer(clock_, rng_, RelayOptions());
  const std::string body =
      "Hello Alice,\n.a line that starts with a dot\n..and two\n\nKind regards\n";
  ASSERT_THAT(mailer->Send(Mail("alice@example.org", "Relay test 4711", body)), IsOk());

  const std::vector<std::string> mails =
      WaitForMail(Maildir("example.org", "alice"), 1, std::chrono::seconds(20));
  ASSERT_EQ(mails.size(), 1u) << ReadFile(std::filesystem::path(dir_) / "maillog");
  const std::string& m = mails[0];
  EXPECT_THAT(m, HasSubstr("\nTo: alice@example.org\n"));
  EXPECT_THAT(m, HasSubstr("\nFrom: Sealpost <no-reply@example.org>\n"));
  EXPECT_THAT(m, HasSubstr("\nSubject: Relay test 4711\n"));
  EXPECT_THAT(m, HasSubstr("Return-Path: <no-reply@example.org>"));
  // Postfix stores with LF line ends and has undone the dot-stuffing.
  EXPECT_THAT(m, HasSubstr("\n\nHello Alice,\n.a line that starts with a dot\n..and two\n\n"
                           "Kind regards\n"));
  // smtpd_tls_received_header = yes: the Received: line records the TLS session.
  EXPECT_THAT(m, HasSubstr("(using TLSv1."));
  EXPECT_THAT(m, HasSubstr("with ESMTPS id"));
}

TEST_F(SmtpRelayPostfix, RefusedRecipientsMapToPermanentAndTransientErrors) {
  auto mailer = MakeSmtpRelayMailer(clock_, rng_, RelayOptions());
  const Status rejected = mailer->Send(Mail("reject@example.org", "x", "x"));
  EXPECT_THAT(rejected, StatusIs(ErrorCode::kPermissionDenied));
  EXPECT_THAT(rejected.message(), HasSubstr("554 5.7.1"));
  EXPECT_THAT(rejected.message(), HasSubstr("rejected by test policy"));

  const Status unknown = mailer->Send(Mail("nobody@example.org", "x", "x"));
  EXPECT_THAT(unknown, StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(unknown.message(), HasSubstr("550 5.1.1"));

  const Status outside = mailer->Send(Mail("someone@example.com", "x", "x"));
  EXPECT_THAT(outside, StatusIs(ErrorCode::kPermissionDenied));  // 554 5.7.1 relay access denied

  const Status later = mailer->Send(Mail("tempfail@example.org", "x", "x"));
  EXPECT_THAT(later, StatusIs(ErrorCode::kUnavailable));
  EXPECT_THAT(later.message(), HasSubstr("450 4.7.1"));

  // A good recipient after all that still works, and only it gets mail.
  ASSERT_THAT(mailer->Send(Mail("carol@example.net", "after refusals", "ok")), IsOk());
  EXPECT_EQ(WaitForMail(Maildir("example.net", "carol"), 1, std::chrono::seconds(20)).size(), 1u);
  EXPECT_TRUE(WaitForMail(Maildir("example.org", "reject"), 1, std::chrono::seconds(0)).empty());
  EXPECT_TRUE(WaitForMail(Maildir("example.org", "tempfail"), 1, std::chrono::seconds(0)).empty());
}

// A batch against the real Postfix: one TLS session for all five mails; each refusal fails only
// its own mail, and every accepted mail arrives exactly once.
TEST_F(SmtpRelayPostfix, BatchUsesOneTlsSessionWithPerMailOutcomes) {
  auto mailer = MakeSmtpRelayMailer(clock_, rng_, RelayOptions());
  const std::vector<OutgoingMail> mails = {
      Mail("alice@example.org", "batch 1", "one"), Mail("reject@example.org", "batch 2", "two"),
      Mail("tempfail@example.org", "batch 3", "three"), Mail("carol@example.net", "batch 4", "4"),
      Mail("bob@example.org", "batch 5", "five")};
  const std::vector<Status> results = mailer->SendBatch(mails);
  ASSERT_EQ(results.size(), 5u);
  EXPECT_THAT(results[0], IsOk());
  EXPECT_THAT(results[1], StatusIs(ErrorCode::kPermissionDenied));
  EXPECT_THAT(results[2], StatusIs(ErrorCode::kUnavailable));
  EXPECT_THAT(results[3], IsOk());
  EXPECT_THAT(results[4], IsOk());
  const std::string summary = LastSessionSummary();
  EXPECT_THAT(summary, HasSubstr("starttls=1"));
  EXPECT_THAT(summary, HasSubstr("mail=5"));
  EXPECT_THAT(summary, HasSubstr("data=3"));
  for (const auto& [domain, user] : std::vector<std::pair<std::string, std::string>>{
           {"example.org", "alice"}, {"example.net", "carol"}, {"example.org", "bob"}}) {
    EXPECT_EQ(WaitForMail(Maildir(domain, user), 1, std::chrono::seconds(20)).size(), 1u) << user;
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // nothing more arrives
  EXPECT_EQ(WaitForMail(Maildir("example.org", "alice"), 2, std::chrono::seconds(0)).size(), 1u);
  EXPECT_TRUE(WaitForMail(Maildir("example.org", "reject"), 1, std::chrono::seconds(0)).empty());
}

// What the queue records as consignment evidence: Postfix's own answer to the end of DATA, whose
// queue id its log names for that very mail; a refused mail gets no handoff.
TEST_F(SmtpRelayPostfix, EachAcceptedMailReportsPostfixsQueuedAsReply) {
  auto mailer = MakeSmtpRelayMailer(clock_, rng_, RelayOptions());
  const std::vector<OutgoingMail> mails = {Mail("alice@example.org", "handoff 1", "one"),
                                           Mail("reject@example.org", "handoff 2", "two")};
  std::vector<MailHandoff> handoffs;
  const std::vector<Status> results = mailer->SendBatchWithHandoffs(mails, handoffs);
  ASSERT_EQ(results.size(), 2u);
  ASSERT_EQ(handoffs.size(), 2u);
  EXPECT_THAT(results[0], IsOk());
  EXPECT_THAT(results[1], StatusIs(ErrorCode::kPermissionDenied));
  EXPECT_EQ(handoffs[0].receiver, "localhost");
  const std::string prefix = "250 2.0.0 Ok: queued as ";
  ASSERT_EQ(handoffs[0].reply.rfind(prefix, 0), 0u) << handoffs[0].reply;
  const std::string queue_id = handoffs[0].reply.substr(prefix.size());
  ASSERT_FALSE(queue_id.empty());
  EXPECT_EQ(handoffs[1].reply, "");
  ASSERT_EQ(WaitForMail(Maildir("example.org", "alice"), 1, std::chrono::seconds(20)).size(), 1u);
  // Postfix logs the same queue id for the mail it took.
  EXPECT_THAT(ReadFile(std::filesystem::path(dir_) / "maillog"), HasSubstr(queue_id + ": "));
}

TEST_F(SmtpRelayPostfix, UntrustedCertificateIsRefused) {
  SmtpRelayOptions options = RelayOptions();
  options.ca_file = dir_ + "/tls/other.pem";  // a different self-signed "localhost" certificate
  const Status s = MakeSmtpRelayMailer(clock_, rng_, options)
                       ->Send(Mail("alice@example.org", "must not arrive", "x"));
  EXPECT_THAT(s, StatusIs(ErrorCode::kUnavailable));
  EXPECT_THAT(s.message(), HasSubstr("certificate"));
  // The connection ended during the handshake: Postfix saw no MAIL command.
  const std::string session = LastSessionSummary();
  EXPECT_THAT(session, HasSubstr("starttls=0/1"));
  EXPECT_THAT(session, Not(HasSubstr(" mail=")));
  EXPECT_TRUE(WaitForMail(Maildir("example.org", "alice"), 1, std::chrono::seconds(1)).empty());
}

TEST_F(SmtpRelayPostfix, HostNameMismatchIsRefused) {
  SmtpRelayOptions options = RelayOptions();
  options.host = "127.0.0.1";  // the certificate names only DNS:localhost
  const Status s = MakeSmtpRelayMailer(clock_, rng_, options)
                       ->Send(Mail("alice@example.org", "must not arrive", "x"));
  EXPECT_THAT(s, StatusIs(ErrorCode::kUnavailable));
  EXPECT_THAT(s.message(), HasSubstr("certificate"));
  EXPECT_TRUE(WaitForMail(Maildir("example.org", "alice"), 1, std::chrono::seconds(1)).empty());
}

TEST_F(SmtpRelayPostfixNoTls, RequiredTlsFailsAndNothingIsSent) {
  const Status s = MakeSmtpRelayMailer(clock_, rng_, RelayOptions())
                       ->Send(Mail("alice@example.org", "must not arrive", "x"));
  EXPECT_THAT(s, StatusIs(ErrorCode::kUnavailable));
  EXPECT_EQ(s.message(), "relay does not offer STARTTLS");
  // smtpd's summary of the session: EHLO and QUIT, nothing else.
  EXPECT_THAT(LastSessionSummary(), HasSubstr(" ehlo=1 quit=1 commands=2"));
  EXPECT_TRUE(WaitForMail(Maildir("example.org", "alice"), 1, std::chrono::seconds(1)).empty());
}

TEST_F(SmtpRelayPostfixNoTls, OpportunisticFallsBackToPlaintext) {
  SmtpRelayOptions options = RelayOptions();
  options.tls = SmtpRelayOptions::Tls::kOpportunistic;
  ASSERT_THAT(MakeSmtpRelayMailer(clock_, rng_, options)
                  ->Send(Mail("alice@example.org", "plaintext on purpose", "hello")),
              IsOk());
  const std::vector<std::string> mails =
      WaitForMail(Maildir("example.org", "alice"), 1, std::chrono::seconds(20));
  ASSERT_EQ(mails.size(), 1u);
  EXPECT_THAT(mails[0], HasSubstr("\nSubject: plaintext on purpose\n"));
  EXPECT_THAT(mails[0], HasSubstr("with ESMTP id"));
  EXPECT_THAT(mails[0], Not(HasSubstr("using TLS")));
}

}  // namespace
}  // namespace sealpost::delivery
