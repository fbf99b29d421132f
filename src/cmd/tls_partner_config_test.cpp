// [[delivery.tls_partner]] through the whole config loader (ParseConfig).
#include "cmd/tls_partner_config.h"

#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cmd/config.h"
#include "testing/status_matchers.h"

namespace sealpost::cmd {
namespace {

using ::testing::HasSubstr;

constexpr char kHexPin[] = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
constexpr char kB64Pin[] = "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=";

std::string ErrorOf(const std::string& toml) {
  Result<Config> c = ParseConfig(toml, "test.toml");
  EXPECT_THAT(c.status(), StatusIs(ErrorCode::kInvalidArgument)) << toml;
  return c.status().message();
}

TEST(TlsPartnerConfigTest, DefaultsHaveNoPartners) {
  Result<Config> c = ParseConfig("", "empty.toml");
  ASSERT_THAT(c.status(), IsOk());
  EXPECT_TRUE(c->tls_partners.empty());
  EXPECT_TRUE(c->delivery_dns_resolver.empty());
}

TEST(TlsPartnerConfigTest, ParsesEntries) {
  Result<Config> c = ParseConfig(std::string(R"([delivery]
dns_resolver = "127.0.0.1@5353"
tls_ca_file = "/etc/sealpost/partners-ca.pem"

[[delivery.tls_partner]]
domain = "Partner.Example"

[[delivery.tls_partner]]
domain = "bank.example"
tls = "pin"
pins = ["sha256/)") + kB64Pin + R"(", ")" +
                                     kHexPin + R"("]
host = "mx.bank.example:2525"
)",
                                 "partners.toml");
  ASSERT_THAT(c.status(), IsOk());
  EXPECT_EQ(c->delivery_dns_resolver, "127.0.0.1@5353");
  EXPECT_EQ(c->delivery_tls_ca_file, "/etc/sealpost/partners-ca.pem");
  ASSERT_EQ(c->tls_partners.size(), 2u);
  EXPECT_EQ(c->tls_partners[0].domain, "partner.example");
  EXPECT_EQ(c->tls_partners[0].mode, delivery::TlsPartnerMode::kVerify);
  EXPECT_TRUE(c->tls_partners[0].override_host.empty());
  const delivery::TlsPartnerPolicy& bank = c->tls_partners[1];
  EXPECT_EQ(bank.mode, delivery::TlsPartnerMode::kPin);
  ASSERT_EQ(bank.pins.size(), 2u);
  EXPECT_EQ(bank.pins[0], bank.pins[1]);  // the same hash, written both ways
  EXPECT_EQ(bank.override_host, "mx.bank.example");
  EXPECT_EQ(bank.override_port, 2525);
}

TEST(TlsPartnerConfigTest, BadEntriesNameTheEntryAndKey) {
  const std::string head = "[[delivery.tls_partner]]\n";
  EXPECT_THAT(ErrorOf(head + "tls = \"verify\"\n"),
              HasSubstr("delivery.tls_partner[0]: domain (a string) is required"));
  EXPECT_THAT(ErrorOf(head + "domain = \"a..b\"\n"), HasSubstr("delivery.tls_partner[0]: domain"));
  EXPECT_THAT(ErrorOf(head + "domain = \"p.example\"\ntls = \"dane\"\n"),
              HasSubstr("(p.example): tls must be \"verify\" or \"pin\""));
  EXPECT_THAT(ErrorOf(head + "domain = \"p.example\"\ntls = \"pin\"\n"),
              HasSubstr("needs at least one pin"));
  EXPECT_THAT(ErrorOf(head + "domain = \"p.example\"\ntls = \"pin\"\npins = [\"abc\"]\n"),
              HasSubstr("(p.example): pins[0]: pin must be a SHA-256 hash"));
  EXPECT_THAT(ErrorOf(head + "domain = \"p.example\"\ntls = \"pin\"\npins = [1]\n"),
              HasSubstr("pins[0] must be a string"));
  EXPECT_THAT(ErrorOf(head + "domain = \"p.example\"\npins = [\"" + kHexPin + "\"]\n"),
              HasSubstr("only used with tls = \"pin\""));
  EXPECT_THAT(ErrorOf(head + "domain = \"p.example\"\nhost = \"mx:0\"\n"),
              HasSubstr("(p.example): host: port must be 1 to 65535"));
  EXPECT_THAT(ErrorOf(head + "domain = \"p.example\"\nport = 25\n"), HasSubstr("unknown key port"));
  EXPECT_THAT(ErrorOf(head + "domain = \"p.example\"\n" + head + "domain = \"P.example\"\n"),
              HasSubstr("delivery.tls_partner[1]: domain p.example is listed twice"));
  EXPECT_THAT(ErrorOf("[delivery]\ntls_partner = \"p.example\"\n"),
              HasSubstr("must be an array of tables"));
  EXPECT_THAT(ErrorOf("[delivery]\ntls_partner = [1]\n"), HasSubstr("[0] must be a table"));
  EXPECT_THAT(ErrorOf("[delivery]\ndns_resolver = \"dns.example\"\n"),
              HasSubstr("delivery.dns_resolver: dns: resolver must be an IP address"));
  EXPECT_THAT(ErrorOf("[delivery]\nunknown = 1\n"),
              HasSubstr("unknown config key delivery.unknown"));
}

}  // namespace
}  // namespace sealpost::cmd
