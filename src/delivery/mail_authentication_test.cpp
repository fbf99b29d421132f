// SPF and DKIM of inbound mail against a private NSD (tests/dns/nsd.sh) serving the sender's
// records: the DKIM key is made by openssl, the signature by delivery/dkim_signer (libopendkim's
// signing side), the SPF policy is a plain TXT record. Label dns (no root needed).
#include "delivery/mail_authentication.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <string>

#include "delivery/dkim_signer.h"
#include "testing/free_port.h"
#include "testing/run_tool.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

namespace sealpost::delivery {
namespace {

using ::testing::Not;

const std::string kSourceDir = SEALPOST_SOURCE_DIR;

constexpr const char* kMessage =
    "From: Alice <alice@outside.test>\r\n"
    "To: bob@example.org\r\n"
    "Subject: Signed at the source\r\n"
    "Date: Sat, 05 Dec 2026 19:00:00 +0000\r\n"
    "Message-ID: <dkim-1@outside.test>\r\n"
    "\r\n"
    "The body the signature covers.\r\n";

// TXT character-strings of at most 255 bytes each (RFC 1035 3.3.14).
std::string TxtStrings(const std::string& text) {
  std::string out;
  for (size_t at = 0; at < text.size(); at += 200) out += " \"" + text.substr(at, 200) + "\"";
  return out;
}

class MailAuthenticationNsd : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    tmp_ = new testutil::TempDir();
    const std::string dir = tmp_->path();
    ok_ = testutil::RunTool({"openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt",
                             "rsa_keygen_bits:2048", "-out", "dkim.key"},
                            dir)
              .exit_code == 0;
    const auto pub = testutil::RunTool(
        {"sh", "-c", "openssl pkey -in dkim.key -pubout -outform DER | base64 -w0"}, dir);
    ok_ = ok_ && pub.exit_code == 0 && !pub.out.empty();
    const std::string zone = std::string("$ORIGIN test.\n$TTL 60\n") +
                             "@ IN SOA ns.test. hostmaster.test. 1 3600 600 86400 60\n"
                             "@ IN NS ns.test.\n"
                             "ns IN A 127.0.0.1\n"
                             "outside IN TXT \"v=spf1 ip4:192.0.2.10 ip6:2001:db8::10 -all\"\n"
                             "soft IN TXT \"v=spf1 ~all\"\n"
                             "mx.outside IN A 192.0.2.10\n"
                             "sel._domainkey.outside IN TXT" +
                             TxtStrings("v=DKIM1; k=rsa; p=" + pub.out) + "\n";
    port_ = testutil::FreeLoopbackPort();
    const std::string file = testutil::WriteTestFile(dir, "test.zone", zone);
    const auto started = testutil::RunTool({"bash", kSourceDir + "/tests/dns/nsd.sh", "start",
                                            dir + "/nsd", std::to_string(port_), file},
                                           dir);
    started_ = started.exit_code == 0;
    if (!started_) ADD_FAILURE() << "nsd.sh start failed:\n" << started.output();
    ok_ = ok_ && started_;
  }
  static void TearDownTestSuite() {
    if (started_) {
      testutil::RunTool({"bash", kSourceDir + "/tests/dns/nsd.sh", "stop", tmp_->path() + "/nsd"},
                        "/");
    }
    delete tmp_;
  }

  void SetUp() override {
    ASSERT_TRUE(ok_) << "openssl or NSD did not start (Debian package nsd)";
    DnsResolverOptions o;
    o.resolver = "127.0.0.1@" + std::to_string(port_);
    o.stub_zones = {"test"};
    auto made = MakeMailAuthenticator(o);
    ASSERT_THAT(made.status(), IsOk());
    auth_ = std::move(*made);
  }

  static std::string Signed(const std::string& message) {
    std::ifstream in(tmp_->path() + "/dkim.key", std::ios::binary);
    const std::string pem((std::istreambuf_iterator<char>(in)), {});
    auto signer = MakeDkimSigner(crypto::SecretBytes::CopyOf(AsBytes(pem)), "sel", "outside.test");
    EXPECT_THAT(signer.status(), IsOk());
    auto header = (*signer)->Sign(message);
    EXPECT_THAT(header.status(), IsOk());
    return *header + message;
  }

  static inline testutil::TempDir* tmp_ = nullptr;
  static inline uint16_t port_ = 0;
  static inline bool ok_ = false;
  static inline bool started_ = false;
  std::unique_ptr<MailAuthenticator> auth_;
};

TEST_F(MailAuthenticationNsd, SpfPassFromAnAllowedAddress) {
  const auto r = auth_->Check("192.0.2.10", "mx.outside.test", "alice@outside.test", kMessage);
  EXPECT_EQ(r.spf, "pass");
  EXPECT_EQ(r.spf_domain, "outside.test");
  const auto v6 = auth_->Check("2001:db8::10", "mx.outside.test", "alice@outside.test", kMessage);
  EXPECT_EQ(v6.spf, "pass");
}

TEST_F(MailAuthenticationNsd, SpfFailFromAnyOtherAddress) {
  const auto r = auth_->Check("198.51.100.1", "mx.evil.test", "alice@outside.test", kMessage);
  EXPECT_EQ(r.spf, "fail");
  EXPECT_EQ(r.spf_domain, "outside.test");
}

TEST_F(MailAuthenticationNsd, SpfSoftfailAndNone) {
  EXPECT_EQ(auth_->Check("198.51.100.1", "", "x@soft.test", kMessage).spf, "softfail");
  EXPECT_EQ(auth_->Check("198.51.100.1", "", "x@nospf.test", kMessage).spf, "none");
  // The null reverse path without a HELO name: nothing to check.
  EXPECT_EQ(auth_->Check("198.51.100.1", "", "", kMessage).spf, "none");
}

TEST_F(MailAuthenticationNsd, DkimPassWithTheKeyInDns) {
  const auto r = auth_->Check("192.0.2.10", "", "alice@outside.test", Signed(kMessage));
  EXPECT_EQ(r.dkim, "pass");
  EXPECT_EQ(r.dkim_domain, "outside.test");
}

TEST_F(MailAuthenticationNsd, DkimFailWhenOneByteChanged) {
  std::string mail = Signed(kMessage);
  const size_t at = mail.find("The body");
  ASSERT_NE(at, std::string::npos);
  mail[at] = 't';
  const auto r = auth_->Check("192.0.2.10", "", "alice@outside.test", mail);
  EXPECT_EQ(r.dkim, "fail");
  EXPECT_EQ(r.dkim_domain, "outside.test");
}

TEST_F(MailAuthenticationNsd, DkimNoneWithoutSignature) {
  EXPECT_EQ(auth_->Check("192.0.2.10", "", "alice@outside.test", kMessage).dkim, "none");
}

TEST(MailAuthentication, BadResolverAddressIsRefused) {
  DnsResolverOptions o;
  o.resolver = "not an address";
  EXPECT_THAT(MakeMailAuthenticator(o).status(), Not(IsOk()));
}

}  // namespace
}  // namespace sealpost::delivery
