// Direct TLS delivery against real peers: NSD (tests/dns/nsd.sh) serves the MX records of test
// partner domains, each pointing at a private Postfix (tests/postfix/postfix.sh) presenting one
// certificate case. Three groups, registered separately in CMakeLists.txt:
//   TlsDirectSenderTest   no network: what the sender refuses before connecting (label unit)
//   MxResolverNsd         the libunbound resolver against NSD (label dns; no root needed)
//   TlsDirectPostfix      delivery cases against Postfix (label postfix; root)
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "delivery/mx_resolver.h"
#include "delivery/tls_direct_sender.h"
#include "delivery/tls_partner_policy.h"
#include "testing/free_port.h"
#include "testing/run_tool.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

namespace sealpost::delivery {
namespace {

using ::testing::AnyOf;
using ::testing::ElementsAre;
using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::StartsWith;

namespace fs = std::filesystem;

const std::string kSourceDir = SEALPOST_SOURCE_DIR;

using testutil::FreeLoopbackPort;

EmailAddress Addr(const std::string& s) { return *EmailAddress::Parse(s); }

TlsPartnerPolicy Verify(const std::string& domain) {
  TlsPartnerPolicy p;
  p.domain = domain;
  return p;
}

// The zone every DNS test uses. 127.0.0.2x are the Postfix instances (one per certificate case,
// all on the same port); 127.0.0.29 has nothing listening.
constexpr char kZone[] = R"($ORIGIN test.
$TTL 60
@             IN SOA ns.test. hostmaster.test. 1 3600 600 86400 60
@             IN NS  ns.test.
ns            IN A   127.0.0.1
good          IN MX  10 mx.good.test.
mx.good       IN A   127.0.0.21
wrongname     IN MX  10 mx.wrongname.test.
mx.wrongname  IN A   127.0.0.22
selfsigned    IN MX  10 mx.selfsigned.test.
mx.selfsigned IN A   127.0.0.23
expired       IN MX  10 mx.expired.test.
mx.expired    IN A   127.0.0.24
notls         IN MX  10 mx.notls.test.
mx.notls      IN A   127.0.0.25
fallback      IN MX  20 mx.good.test.
fallback      IN MX  10 mx.dead.test.
mx.dead       IN A   127.0.0.29
order         IN MX  30 c.order.test.
order         IN MX  10 a.order.test.
order         IN MX  20 b.order.test.
a.order       IN A   127.0.0.31
b.order       IN A   127.0.0.32
b.order       IN AAAA ::1
c.order       IN A   127.0.0.33
implicit      IN A   127.0.0.40
nullmx        IN MX  0 .
nomail        IN TXT "neither MX nor address"
)";

// NSD serving kZone, shared by a whole test suite.
class NsdServer {
 public:
  bool Start(const std::string& dir) {
    dir_ = dir + "/nsd";
    port_ = FreeLoopbackPort();
    const std::string zone = testutil::WriteTestFile(dir, "test.zone", kZone);
    const testutil::ToolResult r = testutil::RunTool(
        {"bash", kSourceDir + "/tests/dns/nsd.sh", "start", dir_, std::to_string(port_), zone},
        dir);
    started_ = true;
    if (r.exit_code != 0) ADD_FAILURE() << "nsd.sh start failed:\n" << r.output();
    return r.exit_code == 0;
  }
  void Stop() {
    if (!started_) return;
    testutil::RunTool({"bash", kSourceDir + "/tests/dns/nsd.sh", "stop", dir_}, "/");
    started_ = false;
  }
  DnsResolverOptions Options() const {
    DnsResolverOptions o;
    o.resolver = "127.0.0.1@" + std::to_string(port_);
    o.stub_zones = {"test"};
    o.timeout = std::chrono::seconds(5);
    return o;
  }

 private:
  std::string dir_;
  uint16_t port_ = 0;
  bool started_ = false;
};

// ---------------------------------------------------------------------------------------------
// No network.

TEST(TlsDirectSenderTest, RefusesWhatItCannotSendBeforeConnecting) {
  TlsDirectOptions options;
  options.helo_name = "sealpost.test";
  options.mx_port = 9;  // discard: nothing must ever be connected to in this test
  auto sender = MakeTlsDirectSender(nullptr, options);
  ASSERT_THAT(sender.status(), IsOk());
  TlsPartnerPolicy policy = Verify("partner.test");
  policy.override_host = "127.0.0.1";

  TlsDirectMessage m{"Subject: x\n\nbody\n", Addr("a@sealpost.test"), {Addr("b@partner.test")}};
  auto expect_permanent = [&](const TlsPartnerPolicy& p, const TlsDirectMessage& msg,
                              const std::string& why) {
    const TlsDeliveryResult r = (*sender)->Deliver(p, msg);
    EXPECT_EQ(r.outcome, TlsDeliveryOutcome::kPermanent) << why;
    EXPECT_THAT(r.reason, HasSubstr(why));
    EXPECT_EQ(r.recipients.size(), msg.recipients.size());
    EXPECT_THAT(r.host, IsEmpty()) << "nothing may be contacted";
  };
  TlsDirectMessage other_domain = m;
  other_domain.recipients.push_back(Addr("c@elsewhere.test"));
  expect_permanent(policy, other_domain, "is not in the partner domain partner.test");
  TlsDirectMessage none = m;
  none.recipients.clear();
  expect_permanent(policy, none, "1 to 100 recipients");
  TlsDirectMessage nul = m;
  nul.raw = std::string("Subject: x\n\nbo\0dy\n", 18);
  expect_permanent(policy, nul, "NUL");
  TlsDirectMessage long_line = m;
  long_line.raw = "Subject: x\n\n" + std::string(1000, 'a') + "\n";
  expect_permanent(policy, long_line, "longer than 998");
  TlsPartnerPolicy pin_without_pins = policy;
  pin_without_pins.mode = TlsPartnerMode::kPin;
  expect_permanent(pin_without_pins, m, "needs at least one pin");
  TlsPartnerPolicy no_override = Verify("partner.test");
  expect_permanent(no_override, m, "no DNS resolver");

  options.helo_name = "bad name\r\n";
  EXPECT_THAT(MakeTlsDirectSender(nullptr, options).status(),
              StatusIs(ErrorCode::kInvalidArgument));
}

TEST(TlsDirectSenderTest, ResolverOptionsAreChecked) {
  const auto kInvalid = StatusIs(ErrorCode::kInvalidArgument);
  DnsResolverOptions o;
  o.resolver = "resolver.example";
  EXPECT_THAT(MakeUnboundMxResolver(o).status(), kInvalid);
  o.resolver = "127.0.0.1@0";
  EXPECT_THAT(MakeUnboundMxResolver(o).status(), kInvalid);
  o.resolver = "127.0.0.1@99999";
  EXPECT_THAT(MakeUnboundMxResolver(o).status(), kInvalid);
  o.resolver = "127.0.0.1@53";
  EXPECT_THAT(MakeUnboundMxResolver(o).status(), IsOk());
  o.timeout = std::chrono::milliseconds(0);
  EXPECT_THAT(MakeUnboundMxResolver(o).status(), kInvalid);
  DnsResolverOptions stub_without_resolver;
  stub_without_resolver.stub_zones = {"test"};
  EXPECT_THAT(MakeUnboundMxResolver(stub_without_resolver).status(), kInvalid);
}

// ---------------------------------------------------------------------------------------------
// The resolver against NSD.

class MxResolverNsd : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    tmp_ = new testutil::TempDir();
    nsd_ = new NsdServer();
    ok_ = nsd_->Start(tmp_->path());
  }
  static void TearDownTestSuite() {
    nsd_->Stop();
    delete nsd_;
    delete tmp_;
  }
  void SetUp() override {
    ASSERT_TRUE(ok_) << "NSD did not start (Debian package nsd)";
    auto r = MakeUnboundMxResolver(nsd_->Options());
    ASSERT_THAT(r.status(), IsOk());
    resolver_ = *std::move(r);
  }

  static std::vector<std::string> Names(const MxLookup& l) {
    std::vector<std::string> names;
    for (const MxHost& h : l.hosts) names.push_back(h.name);
    return names;
  }

  static inline testutil::TempDir* tmp_ = nullptr;
  static inline NsdServer* nsd_ = nullptr;
  static inline bool ok_ = false;
  std::unique_ptr<MxResolver> resolver_;
};

TEST_F(MxResolverNsd, HostsInPreferenceOrderWithTheirAddresses) {
  Result<MxLookup> l = resolver_->Lookup("Order.Test.");
  ASSERT_THAT(l.status(), IsOk());
  EXPECT_THAT(Names(*l), ElementsAre("a.order.test", "b.order.test", "c.order.test"));
  EXPECT_EQ(l->hosts[0].preference, 10);
  EXPECT_EQ(l->hosts[2].preference, 30);
  EXPECT_THAT(l->hosts[0].addresses, ElementsAre("127.0.0.31"));
  EXPECT_THAT(l->hosts[1].addresses, ElementsAre("127.0.0.32", "::1"));  // IPv4 first
  EXPECT_FALSE(l->implicit_mx);
  // No trust anchor is configured: nothing can be validated.
  EXPECT_EQ(l->dnssec, DnssecState::kInsecure);
  EXPECT_EQ(DnssecStateName(l->dnssec), "insecure");
}

TEST_F(MxResolverNsd, NoMxFallsBackToTheAddressRecord) {
  Result<MxLookup> l = resolver_->Lookup("implicit.test");
  ASSERT_THAT(l.status(), IsOk());
  EXPECT_TRUE(l->implicit_mx);
  EXPECT_THAT(Names(*l), ElementsAre("implicit.test"));
  EXPECT_THAT(l->hosts[0].addresses, ElementsAre("127.0.0.40"));
}

TEST_F(MxResolverNsd, DomainsThatTakeNoMail) {
  Result<MxLookup> null_mx = resolver_->Lookup("nullmx.test");
  EXPECT_THAT(null_mx.status(), StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(null_mx.status().message(), HasSubstr("null MX"));
  Result<MxLookup> missing = resolver_->Lookup("missing.test");
  EXPECT_THAT(missing.status(), StatusIs(ErrorCode::kNotFound));
  EXPECT_THAT(missing.status().message(), HasSubstr("does not exist"));
  Result<MxLookup> nomail = resolver_->Lookup("nomail.test");
  EXPECT_THAT(nomail.status(), StatusIs(ErrorCode::kNotFound));
  EXPECT_THAT(nomail.status().message(), HasSubstr("neither MX nor address"));
  EXPECT_THAT(resolver_->Lookup("bad_name.test").status(), StatusIs(ErrorCode::kInvalidArgument));
}

TEST_F(MxResolverNsd, AServerThatDoesNotAnswerIsTransientAndBounded) {
  // A UDP socket that never replies: the lookup must end at its deadline.
  const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  DnsResolverOptions o = nsd_->Options();
  o.resolver = "127.0.0.1@" + std::to_string(ntohs(addr.sin_port));
  o.timeout = std::chrono::milliseconds(1500);
  auto silent = MakeUnboundMxResolver(o);
  ASSERT_THAT(silent.status(), IsOk());
  const auto start = std::chrono::steady_clock::now();
  const Result<MxLookup> l = (*silent)->Lookup("good.test");
  const auto took = std::chrono::steady_clock::now() - start;
  ::close(fd);
  EXPECT_THAT(l.status(), StatusIs(ErrorCode::kUnavailable));
  EXPECT_LT(took, std::chrono::seconds(4));
}

// ---------------------------------------------------------------------------------------------
// Delivery against Postfix.

struct Instance {
  std::string name;  // directory name and partner domain
  std::string addr;
  std::vector<std::string> args;
};

class TlsDirectPostfix : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    tmp_ = new testutil::TempDir();
    nsd_ = new NsdServer();
    // Postfix's daemons run unprivileged and must reach the instances below the temp dir.
    fs::permissions(tmp_->path(), fs::perms::others_exec, fs::perm_options::add);
    const std::string& dir = tmp_->path();
    if (!nsd_->Start(dir)) return;
    port_ = FreeLoopbackPort();
    const std::string script = kSourceDir + "/tests/postfix/postfix.sh";
    const std::string ca = dir + "/ca";
    testutil::ToolResult r = testutil::RunTool({"bash", script, "make-ca", ca}, dir);
    if (r.exit_code != 0) {
      ADD_FAILURE() << r.output();
      return;
    }
    const std::vector<Instance> instances = {
        {"good",
         "127.0.0.21",
         {"--ca", ca, "--cert-name", "mx.good.test", "--accept-domain", "fallback.test"}},
        {"wrongname", "127.0.0.22", {"--ca", ca, "--cert-name", "mx.other.test"}},
        {"selfsigned", "127.0.0.23", {"--cert-name", "mx.selfsigned.test"}},
        {"expired", "127.0.0.24", {"--ca", ca, "--cert-name", "mx.expired.test", "--expired"}},
        {"notls", "127.0.0.25", {"--no-tls"}},
    };
    for (const Instance& in : instances) {
      std::vector<std::string> argv = {
          "bash",   script,  "start",           dir + "/" + in.name, std::to_string(port_),
          "--addr", in.addr, "--accept-domain", in.name + ".test"};
      argv.insert(argv.end(), in.args.begin(), in.args.end());
      r = testutil::RunTool(argv, dir);
      started_.push_back(dir + "/" + in.name);
      if (r.exit_code != 0) {
        ADD_FAILURE() << "could not start Postfix " << in.name << " (needs root):\n" << r.output();
        return;
      }
    }
    ok_ = true;
  }

  static void TearDownTestSuite() {
    const std::string script = kSourceDir + "/tests/postfix/postfix.sh";
    for (const std::string& d : started_) testutil::RunTool({"bash", script, "stop", d}, "/");
    nsd_->Stop();
    delete nsd_;
    delete tmp_;
  }

  void SetUp() override {
    ASSERT_TRUE(ok_) << "the NSD/Postfix fixture did not start";
    auto resolver = MakeUnboundMxResolver(nsd_->Options());
    ASSERT_THAT(resolver.status(), IsOk());
    resolver_ = std::shared_ptr<const MxResolver>(std::move(*resolver));
  }

  std::unique_ptr<TlsDirectSender> Sender(std::shared_ptr<const MxResolver> resolver) const {
    TlsDirectOptions o;
    o.helo_name = "sealpost.test";
    o.ca_file = tmp_->path() + "/ca/ca.pem";
    o.timeout = std::chrono::seconds(10);
    o.mx_port = port_;
    return *MakeTlsDirectSender(std::move(resolver), o);
  }
  std::unique_ptr<TlsDirectSender> Sender() const { return Sender(resolver_); }

  static TlsDirectMessage Message(const std::string& domain, const std::string& tag) {
    TlsDirectMessage m{"", Addr("sender@sealpost.test"), {}};
    m.raw = "From: Sender <sender@sealpost.test>\nTo: <someone@" + domain +
            ">\nSubject: TLS direct " + tag + "\nMessage-ID: <" + tag +
            "@sealpost.test>\nDate: Sat, 05 Dec 2026 12:00:00 +0000\n\nHello partner,\n.a line "
            "that starts with a dot\n\nBye " +
            tag + "\n";
    m.recipients = {Addr("someone@" + domain)};
    return m;
  }

  static std::string Dir(const std::string& instance) { return tmp_->path() + "/" + instance; }

  // The Maildir of `domain` at `instance`, waiting up to `limit` for `count` messages.
  static std::vector<std::string> Mail(const std::string& instance, const std::string& domain,
                                       size_t count, std::chrono::seconds limit) {
    const fs::path maildir = fs::path(Dir(instance)) / "mail" / domain / "all" / "new";
    const auto deadline = std::chrono::steady_clock::now() + limit;
    std::vector<std::string> found;
    do {
      found.clear();
      std::error_code ec;
      if (fs::is_directory(maildir, ec)) {
        for (const auto& e : fs::directory_iterator(maildir, ec)) {
          found.push_back(testutil::ReadFileBytes(e.path().string()));
        }
      }
      if (found.size() >= count) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    } while (std::chrono::steady_clock::now() < deadline);
    return found;
  }

  // Nothing was delivered or even queued at `instance`: no Maildir file, and the log shows no
  // message entering the queue (cleanup logs every message-id it sees).
  static void ExpectNothingDelivered(const std::string& instance, const std::string& domain) {
    EXPECT_THAT(Mail(instance, domain, 1, std::chrono::seconds(1)), IsEmpty());
    const std::string log = testutil::ReadFileBytes(Dir(instance) + "/maillog");
    EXPECT_THAT(log, Not(HasSubstr("message-id=")));
  }

  // The SPKI SHA-256 of a PEM certificate in base64, computed by the openssl tool.
  static std::string OpensslPin(const std::string& cert) {
    const std::string script = "openssl x509 -in '" + cert +
                               "' -pubkey -noout | openssl pkey -pubin -outform DER | "
                               "openssl dgst -sha256 -binary | base64";
    const testutil::ToolResult r = testutil::RunTool({"sh", "-c", script}, tmp_->path());
    EXPECT_EQ(r.exit_code, 0) << r.output();
    std::string out = r.out;
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
    return out;
  }

  static inline testutil::TempDir* tmp_ = nullptr;
  static inline NsdServer* nsd_ = nullptr;
  static inline uint16_t port_ = 0;
  static inline bool ok_ = false;
  static inline std::vector<std::string> started_;
  std::shared_ptr<const MxResolver> resolver_;
};

TEST_F(TlsDirectPostfix, VerifiedDeliveryLandsByteForByte) {
  const TlsDirectMessage m = Message("good.test", "valid-4711");
  const TlsDeliveryResult r = Sender()->Deliver(Verify("good.test"), m);
  ASSERT_EQ(r.outcome, TlsDeliveryOutcome::kDelivered) << r.reason;
  EXPECT_EQ(r.host, "mx.good.test");
  EXPECT_THAT(r.reply, StartsWith("250 2.0.0 Ok: queued as "));
  EXPECT_THAT(r.tls_version, ::testing::AnyOf("TLSv1.2", "TLSv1.3"));
  ASSERT_EQ(r.recipients.size(), 1u);
  EXPECT_EQ(r.recipients[0].outcome, TlsDeliveryOutcome::kDelivered);

  const std::vector<std::string> mail = Mail("good", "good.test", 1, std::chrono::seconds(20));
  ASSERT_EQ(mail.size(), 1u);
  // Postfix prepends its trace headers; everything we sent follows them unchanged (the dot line
  // un-stuffed again).
  EXPECT_THAT(mail[0], EndsWith("\n" + m.raw));
  EXPECT_THAT(mail[0], HasSubstr("(using TLSv1."));  // Postfix's Received: header saw TLS
}

TEST_F(TlsDirectPostfix, UnreachablePreferredMxFallsBackToTheNext) {
  const TlsDeliveryResult r =
      Sender()->Deliver(Verify("fallback.test"), Message("fallback.test", "fallback"));
  ASSERT_EQ(r.outcome, TlsDeliveryOutcome::kDelivered) << r.reason;
  EXPECT_EQ(r.host, "mx.good.test");
  EXPECT_EQ(Mail("good", "fallback.test", 1, std::chrono::seconds(20)).size(), 1u);
}

TEST_F(TlsDirectPostfix, WrongNameIsRefusedAndNothingSent) {
  const TlsDeliveryResult r =
      Sender()->Deliver(Verify("wrongname.test"), Message("wrongname.test", "wrongname"));
  EXPECT_EQ(r.outcome, TlsDeliveryOutcome::kTransient);
  EXPECT_THAT(r.reason, StartsWith("TLS required: TLS certificate of mx.wrongname.test not "
                                   "accepted: hostname mismatch"));
  EXPECT_EQ(r.recipients[0].outcome, TlsDeliveryOutcome::kTransient);
  ExpectNothingDelivered("wrongname", "wrongname.test");
}

TEST_F(TlsDirectPostfix, SelfSignedIsRefusedAndNothingSent) {
  const TlsDeliveryResult r =
      Sender()->Deliver(Verify("selfsigned.test"), Message("selfsigned.test", "selfsigned"));
  EXPECT_EQ(r.outcome, TlsDeliveryOutcome::kTransient);
  EXPECT_THAT(r.reason, HasSubstr("TLS required: TLS certificate of mx.selfsigned.test not "
                                  "accepted: self-signed certificate"));
  ExpectNothingDelivered("selfsigned", "selfsigned.test");
}

TEST_F(TlsDirectPostfix, ExpiredIsRefusedAndNothingSent) {
  const TlsDeliveryResult r =
      Sender()->Deliver(Verify("expired.test"), Message("expired.test", "expired"));
  EXPECT_EQ(r.outcome, TlsDeliveryOutcome::kTransient);
  EXPECT_THAT(r.reason, HasSubstr("TLS required: TLS certificate of mx.expired.test not "
                                  "accepted: certificate has expired"));
  ExpectNothingDelivered("expired", "expired.test");
}

TEST_F(TlsDirectPostfix, NoStartTlsIsRefusedAndNothingSent) {
  const TlsDeliveryResult r =
      Sender()->Deliver(Verify("notls.test"), Message("notls.test", "notls"));
  EXPECT_EQ(r.outcome, TlsDeliveryOutcome::kTransient);
  EXPECT_EQ(r.reason, "TLS required: mx.notls.test offered no STARTTLS");
  ExpectNothingDelivered("notls", "notls.test");
  // Postfix's session summary: EHLO and QUIT, no MAIL command ever reached it.
  const std::string log = testutil::ReadFileBytes(Dir("notls") + "/maillog");
  EXPECT_THAT(log, HasSubstr("ehlo=1 quit=1 commands=2"));
  EXPECT_THAT(log, Not(HasSubstr(" mail=")));
}

TEST_F(TlsDirectPostfix, PinnedKeyIsAcceptedEvenSelfSigned) {
  TlsPartnerPolicy policy = Verify("selfsigned.test");
  policy.mode = TlsPartnerMode::kPin;
  // A decoy pin first, then the one openssl computes from the served certificate.
  policy.pins = {*ParseSpkiPin(OpensslPin(Dir("selfsigned") + "/tls/other.pem")),
                 *ParseSpkiPin(OpensslPin(Dir("selfsigned") + "/tls/cert.pem"))};
  const TlsDirectMessage m = Message("selfsigned.test", "pinned");
  const TlsDeliveryResult r = Sender()->Deliver(policy, m);
  ASSERT_EQ(r.outcome, TlsDeliveryOutcome::kDelivered) << r.reason;
  const std::vector<std::string> mail =
      Mail("selfsigned", "selfsigned.test", 1, std::chrono::seconds(20));
  ASSERT_EQ(mail.size(), 1u);
  EXPECT_THAT(mail[0], EndsWith("\n" + m.raw));
}

TEST_F(TlsDirectPostfix, PinMismatchIsRefusedAndNothingSent) {
  // good's certificate chains and names correctly, but the pin is another key's: pin mode does
  // not fall back to verification.
  TlsPartnerPolicy policy = Verify("good.test");
  policy.mode = TlsPartnerMode::kPin;
  const std::string other = OpensslPin(Dir("good") + "/tls/other.pem");
  policy.pins = {*ParseSpkiPin(other)};
  const TlsDeliveryResult r = Sender()->Deliver(policy, Message("good.test", "pin-mismatch"));
  EXPECT_EQ(r.outcome, TlsDeliveryOutcome::kTransient);
  EXPECT_THAT(r.reason, StartsWith("TLS required: the key of mx.good.test matches none of the 1 "
                                   "configured pins (its SPKI SHA-256 is " +
                                   OpensslPin(Dir("good") + "/tls/cert.pem") + ")"));
  std::this_thread::sleep_for(std::chrono::seconds(1));
  for (const std::string& mail : Mail("good", "good.test", 0, std::chrono::seconds(0))) {
    EXPECT_THAT(mail, Not(HasSubstr("pin-mismatch")));
  }
}

TEST_F(TlsDirectPostfix, OverrideHostBypassesDns) {
  TlsPartnerPolicy policy = Verify("selfsigned.test");
  policy.mode = TlsPartnerMode::kPin;
  policy.pins = {*ParseSpkiPin(OpensslPin(Dir("selfsigned") + "/tls/cert.pem"))};
  policy.override_host = "127.0.0.23";
  policy.override_port = port_;
  const TlsDeliveryResult r =
      Sender(nullptr)->Deliver(policy, Message("selfsigned.test", "override"));
  ASSERT_EQ(r.outcome, TlsDeliveryOutcome::kDelivered) << r.reason;
  EXPECT_EQ(r.host, "127.0.0.23");
}

TEST_F(TlsDirectPostfix, EachRecipientHasItsOwnOutcome) {
  TlsDirectMessage m = Message("good.test", "per-recipient");
  m.recipients = {Addr("first@good.test"), Addr("reject@good.test"), Addr("tempfail@good.test"),
                  Addr("second@good.test")};
  const TlsDeliveryResult r = Sender()->Deliver(Verify("good.test"), m);
  // One transient recipient makes the whole attempt transient (the queue retries that one).
  EXPECT_EQ(r.outcome, TlsDeliveryOutcome::kTransient);
  ASSERT_EQ(r.recipients.size(), 4u);
  EXPECT_EQ(r.recipients[0].outcome, TlsDeliveryOutcome::kDelivered);
  EXPECT_EQ(r.recipients[1].outcome, TlsDeliveryOutcome::kPermanent);
  EXPECT_THAT(r.recipients[1].reason,
              HasSubstr("mx.good.test answered RCPT TO with: 554 5.7.1 <reject@good.test>"));
  EXPECT_EQ(r.recipients[2].outcome, TlsDeliveryOutcome::kTransient);
  EXPECT_THAT(r.recipients[2].reason, HasSubstr("450 4.7.1"));
  EXPECT_EQ(r.recipients[3].outcome, TlsDeliveryOutcome::kDelivered);
  EXPECT_THAT(r.reply, StartsWith("250 "));
  // One copy went in, for the two accepted recipients.
  const std::vector<std::string> mail = Mail("good", "good.test", 3, std::chrono::seconds(5));
  size_t copies = 0;
  for (const std::string& one : mail) {
    if (one.find("per-recipient") == std::string::npos) continue;
    ++copies;
    EXPECT_THAT(one, AnyOf(HasSubstr("Delivered-To: first@good.test"),
                           HasSubstr("Delivered-To: second@good.test")));
  }
  EXPECT_EQ(copies, 2u);  // the catch-all Maildir gets one file per accepted recipient
}

// Counts `needle` in `instance`'s Postfix log.
size_t CountInLog(const std::string& log, const std::string& needle) {
  size_t n = 0;
  for (size_t at = log.find(needle); at != std::string::npos; at = log.find(needle, at + 1)) ++n;
  return n;
}

TEST_F(TlsDirectPostfix, BatchSharesOneSessionAndARefusalStaysWithItsMessage) {
  const std::string log_path = Dir("good") + "/maillog";
  const size_t sessions_before = CountInLog(testutil::ReadFileBytes(log_path), "]: connect from");
  const std::vector<std::string> to = {"first", "reject", "tempfail", "second"};
  std::vector<TlsDirectMessage> batch;
  for (const std::string& who : to) {
    TlsDirectMessage m = Message("good.test", "batch-" + who);
    m.recipients = {Addr(who + "@good.test")};
    batch.push_back(std::move(m));
  }
  const std::vector<TlsDeliveryResult> r = Sender()->DeliverBatch(Verify("good.test"), batch);
  ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(r[0].outcome, TlsDeliveryOutcome::kDelivered) << r[0].reason;
  EXPECT_THAT(r[0].reply, StartsWith("250 2.0.0 Ok: queued as "));
  // The refusals are their own messages' only: permanent (5xx) and transient (4xx).
  EXPECT_EQ(r[1].outcome, TlsDeliveryOutcome::kPermanent);
  EXPECT_THAT(r[1].reason, HasSubstr("554 5.7.1 <reject@good.test>"));
  EXPECT_EQ(r[2].outcome, TlsDeliveryOutcome::kTransient);
  EXPECT_THAT(r[2].reason, HasSubstr("450 4.7.1"));
  EXPECT_EQ(r[3].outcome, TlsDeliveryOutcome::kDelivered) << r[3].reason;
  EXPECT_NE(r[3].reply, r[0].reply);  // two transactions, two queue ids
  for (const TlsDeliveryResult& one : r) {
    EXPECT_EQ(one.host, "mx.good.test");
    EXPECT_THAT(one.tls_version, AnyOf("TLSv1.2", "TLSv1.3"));
  }
  // Both accepted messages arrived (the Maildir also holds the other tests' mail).
  size_t arrived = 0;
  const auto mail_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  do {
    arrived = 0;
    for (const std::string& mail : Mail("good", "good.test", 0, std::chrono::seconds(0))) {
      if (mail.find("TLS direct batch-first") != std::string::npos ||
          mail.find("TLS direct batch-second") != std::string::npos) {
        ++arrived;
      }
    }
    if (arrived >= 2) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  } while (std::chrono::steady_clock::now() < mail_deadline);
  EXPECT_EQ(arrived, 2u);
  // One session carried all four transactions: Postfix logged one connection, and its summary
  // counts four MAIL commands, one TLS handshake and the RSETs after the two refusals. The
  // envelopes are pipelined (Postfix offers PIPELINING): the refused ones' DATA went out in the
  // same group as their RCPT and was refused too (data=2/4).
  std::string log;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  do {
    log = testutil::ReadFileBytes(log_path);
    if (log.find("mail=4 rcpt=2/4") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  } while (std::chrono::steady_clock::now() < deadline);
  EXPECT_EQ(CountInLog(log, "]: connect from"), sessions_before + 1);
  EXPECT_THAT(log, HasSubstr("starttls=1 mail=4 rcpt=2/4 data=2/4 rset=2"));
}

TEST_F(TlsDirectPostfix, BatchOfOneIsDeliver) {
  // Deliver is a batch of one: same answer, same session shape.
  const std::vector<TlsDirectMessage> one = {Message("good.test", "batch-of-one")};
  const std::vector<TlsDeliveryResult> r = Sender()->DeliverBatch(Verify("good.test"), one);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].outcome, TlsDeliveryOutcome::kDelivered) << r[0].reason;
  ASSERT_EQ(r[0].recipients.size(), 1u);
  EXPECT_EQ(r[0].recipients[0].outcome, TlsDeliveryOutcome::kDelivered);
}

TEST_F(TlsDirectPostfix, BatchToAnUnusableHostDefersEveryMessage) {
  std::vector<TlsDirectMessage> batch = {Message("notls.test", "batch-a"),
                                         Message("notls.test", "batch-b")};
  const std::vector<TlsDeliveryResult> r = Sender()->DeliverBatch(Verify("notls.test"), batch);
  ASSERT_EQ(r.size(), 2u);
  for (const TlsDeliveryResult& one : r) {
    EXPECT_EQ(one.outcome, TlsDeliveryOutcome::kTransient);
    EXPECT_EQ(one.reason, "TLS required: mx.notls.test offered no STARTTLS");
    EXPECT_EQ(one.host, "mx.notls.test");
  }
  ExpectNothingDelivered("notls", "notls.test");
}

TEST_F(TlsDirectPostfix, UnknownDomainIsPermanent) {
  const TlsDeliveryResult r =
      Sender()->Deliver(Verify("missing.test"), Message("missing.test", "x"));
  EXPECT_EQ(r.outcome, TlsDeliveryOutcome::kPermanent);
  EXPECT_THAT(r.reason, HasSubstr("does not exist"));
}

}  // namespace
}  // namespace sealpost::delivery
