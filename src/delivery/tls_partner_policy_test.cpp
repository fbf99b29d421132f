#include "delivery/tls_partner_policy.h"

#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "testing/status_matchers.h"

namespace sealpost::delivery {
namespace {

using ::testing::HasSubstr;

// SHA-256("abc") (FIPS 180-2 appendix B.1), used only as 32 known bytes in two spellings.
constexpr char kHex[] = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
constexpr char kBase64[] = "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=";

TEST(TlsPartnerPolicyTest, ModeNames) {
  EXPECT_EQ(*ParseTlsPartnerMode("verify"), TlsPartnerMode::kVerify);
  EXPECT_EQ(*ParseTlsPartnerMode("pin"), TlsPartnerMode::kPin);
  EXPECT_THAT(ParseTlsPartnerMode("Verify").status(), StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(ParseTlsPartnerMode("").status(), StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(ParseTlsPartnerMode("dane").status().message(), HasSubstr("\"verify\" or \"pin\""));
}

TEST(TlsPartnerPolicyTest, PinsInHexAndBase64MeanTheSameBytes) {
  Result<SpkiSha256> hex = ParseSpkiPin(kHex);
  Result<SpkiSha256> b64 = ParseSpkiPin(kBase64);
  ASSERT_THAT(hex.status(), IsOk());
  ASSERT_THAT(b64.status(), IsOk());
  EXPECT_EQ(*hex, *b64);
  EXPECT_EQ((*hex)[0], 0xba);
  EXPECT_EQ((*hex)[31], 0xad);
  EXPECT_EQ(*ParseSpkiPin(std::string("sha256/") + kBase64), *b64);
  std::string upper = kHex;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_EQ(*ParseSpkiPin(upper), *hex);
}

TEST(TlsPartnerPolicyTest, BadPinsAreRefused) {
  const auto kInvalid = StatusIs(ErrorCode::kInvalidArgument);
  EXPECT_THAT(ParseSpkiPin("").status(), kInvalid);
  EXPECT_THAT(ParseSpkiPin(std::string(kHex).substr(2)).status(), kInvalid);  // 31 bytes
  std::string bad_hex = kHex;
  bad_hex[10] = 'g';
  EXPECT_THAT(ParseSpkiPin(bad_hex).status(), kInvalid);
  std::string bad_b64 = kBase64;
  bad_b64[5] = '*';
  EXPECT_THAT(ParseSpkiPin(bad_b64).status(), kInvalid);
  // 44 characters that decode to 33 bytes are not a SHA-256 hash.
  EXPECT_THAT(ParseSpkiPin("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA").status(), kInvalid);
  EXPECT_THAT(ParseSpkiPin(std::string(5 << 20, 'a')).status(), kInvalid);
}

TEST(TlsPartnerPolicyTest, DomainNames) {
  EXPECT_EQ(*NormalizeDomainName("Partner.Example."), "partner.example");
  EXPECT_EQ(*NormalizeDomainName("mx-1.a.b"), "mx-1.a.b");
  const auto kInvalid = StatusIs(ErrorCode::kInvalidArgument);
  for (const char* bad : {"", ".", "a..b", "-a.b", "a-.b", "a b", "a_b.c", "a\r\nb", "ä.example"}) {
    EXPECT_THAT(NormalizeDomainName(bad).status(), kInvalid) << bad;
  }
  EXPECT_THAT(NormalizeDomainName(std::string(64, 'a') + ".b").status(), kInvalid);
  EXPECT_THAT(NormalizeDomainName(std::string(63, 'a') + ".b").status(), IsOk());
  std::string long_name;
  while (long_name.size() < 260) long_name += "abcdefghi.";
  EXPECT_THAT(NormalizeDomainName(long_name).status(), kInvalid);
}

TEST(TlsPartnerPolicyTest, HostPort) {
  Result<HostPort> hp = ParseHostPort("MX.Partner.Example:2525");
  ASSERT_THAT(hp.status(), IsOk());
  EXPECT_EQ(hp->host, "mx.partner.example");
  EXPECT_EQ(hp->port, 2525);
  EXPECT_EQ(ParseHostPort("mx.partner.example")->port, 0);
  EXPECT_EQ(ParseHostPort("127.0.0.1:25")->host, "127.0.0.1");
  EXPECT_EQ(ParseHostPort("[::1]:587")->host, "::1");
  EXPECT_EQ(ParseHostPort("[::1]:587")->port, 587);
  const auto kInvalid = StatusIs(ErrorCode::kInvalidArgument);
  for (const char* bad : {"", "mx:", "mx:0", "mx:65536", "mx:25x", "::1", "[::1", "[mx]:25",
                          "[::1]25", "mx:-1", "a b:25"}) {
    EXPECT_THAT(ParseHostPort(bad).status(), kInvalid) << bad;
  }
}

TEST(TlsPartnerPolicyTest, WholeEntries) {
  TlsPartnerPolicy p;
  p.domain = "partner.example";
  EXPECT_THAT(ValidateTlsPartnerPolicy(p), IsOk());

  TlsPartnerPolicy pin = p;
  pin.mode = TlsPartnerMode::kPin;
  EXPECT_THAT(ValidateTlsPartnerPolicy(pin).message(), HasSubstr("needs at least one pin"));
  pin.pins.push_back(*ParseSpkiPin(kHex));
  EXPECT_THAT(ValidateTlsPartnerPolicy(pin), IsOk());
  pin.pins.resize(kMaxTlsPartnerPins + 1);
  EXPECT_THAT(ValidateTlsPartnerPolicy(pin), StatusIs(ErrorCode::kInvalidArgument));

  TlsPartnerPolicy verify_with_pin = p;
  verify_with_pin.pins.push_back(*ParseSpkiPin(kHex));
  EXPECT_THAT(ValidateTlsPartnerPolicy(verify_with_pin).message(),
              HasSubstr("only used with tls = \"pin\""));

  TlsPartnerPolicy upper = p;
  upper.domain = "Partner.Example";
  EXPECT_THAT(ValidateTlsPartnerPolicy(upper), StatusIs(ErrorCode::kInvalidArgument));

  TlsPartnerPolicy port_only = p;
  port_only.override_port = 25;
  EXPECT_THAT(ValidateTlsPartnerPolicy(port_only), StatusIs(ErrorCode::kInvalidArgument));
  TlsPartnerPolicy override = p;
  override.override_host = "mx.partner.example";
  override.override_port = 2525;
  EXPECT_THAT(ValidateTlsPartnerPolicy(override), IsOk());
  override.override_host = "mx.partner.example:25";
  EXPECT_THAT(ValidateTlsPartnerPolicy(override), StatusIs(ErrorCode::kInvalidArgument));
}

}  // namespace
}  // namespace sealpost::delivery
