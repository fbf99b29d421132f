// The submission policy's pure rules (app/submission_rules.h). IBANs are the examples of the
// ISO 13616 / SWIFT IBAN registry and of the national banking associations; card numbers are the
// networks' published test numbers; the Luhn example is the one of ISO/IEC 7812-1 annex B's
// usual illustration (79927398713).
#include "app/submission_rules.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "testing/status_matchers.h"

namespace sealpost::app {
namespace {

TEST(IbanTest, RegistryExamplesAreValid) {
  for (const char* iban :
       {"GB82WEST12345698765432", "DE89370400440532013000", "FR1420041010050500013M02606",
        "BE68539007547034", "NL91ABNA0417164300", "CH9300762011623852957", "AT611904300234573201",
        "MT84MALT011000012345MTLCAST001S", "NO9386011117947"}) {
    EXPECT_TRUE(IsValidIban(iban)) << iban;
  }
}

TEST(IbanTest, OneChangedCharacterFails) {
  const std::string good = "GB82WEST12345698765432";
  for (size_t i = 2; i < good.size(); ++i) {
    std::string bad = good;
    bad[i] = (bad[i] == '9') ? '8' : (bad[i] >= 'A' ? 'Z' : '9');
    if (bad[i] == good[i]) bad[i] = 'A';
    EXPECT_FALSE(IsValidIban(bad)) << bad;
  }
  // Two adjacent digits swapped (the error MOD 97-10 is made to catch).
  EXPECT_FALSE(IsValidIban("GB82WEST12345698765423"));
}

TEST(IbanTest, ShapeIsChecked) {
  EXPECT_FALSE(IsValidIban(""));
  EXPECT_FALSE(IsValidIban("GB82 WEST 1234 5698 7654 32"));  // the printed form: not compacted
  EXPECT_FALSE(IsValidIban("gb82west12345698765432"));       // lower case
  EXPECT_FALSE(IsValidIban("1282WEST12345698765432"));       // no country code
  EXPECT_FALSE(IsValidIban("GBX2WEST12345698765432"));       // no check digits
  EXPECT_FALSE(IsValidIban("GB82WEST1234"));                 // too short
  EXPECT_FALSE(IsValidIban("GB82WEST123456987654321234567890123"));  // 35: too long
  EXPECT_FALSE(IsValidIban("GB82WEST1234569876543!"));
}

TEST(LuhnTest, TestNumbersPass) {
  for (const char* n :
       {"79927398713", "4111111111111111", "5555555555554444", "378282246310005",
        "6011111111111117", "3530111333300000", "2223003122003222", "4000056655665556"}) {
    EXPECT_TRUE(PassesLuhn(n)) << n;
  }
}

TEST(LuhnTest, OneChangedDigitFails) {
  const std::string good = "4111111111111111";
  for (size_t i = 0; i < good.size(); ++i) {
    std::string bad = good;
    bad[i] = '2';
    EXPECT_FALSE(PassesLuhn(bad)) << bad;
  }
  EXPECT_FALSE(PassesLuhn("79927398710"));
  EXPECT_FALSE(PassesLuhn(""));
  EXPECT_FALSE(PassesLuhn("4111 1111 1111 1111"));  // digits only
}

TEST(SsnTest, AreaGroupAndSerialRules) {
  EXPECT_TRUE(IsPossibleSsn("123-45-6789"));
  EXPECT_TRUE(IsPossibleSsn("078-05-1120"));
  EXPECT_TRUE(IsPossibleSsn("899-99-9999"));
  EXPECT_FALSE(IsPossibleSsn("000-12-3456"));
  EXPECT_FALSE(IsPossibleSsn("666-12-3456"));
  EXPECT_FALSE(IsPossibleSsn("900-12-3456"));
  EXPECT_FALSE(IsPossibleSsn("999-12-3456"));
  EXPECT_FALSE(IsPossibleSsn("123-00-4567"));
  EXPECT_FALSE(IsPossibleSsn("123-45-0000"));
  EXPECT_FALSE(IsPossibleSsn("123456789"));
  EXPECT_FALSE(IsPossibleSsn("12a-45-6789"));
  EXPECT_FALSE(IsPossibleSsn("123-45-678"));
}

TEST(SubjectTagTest, RemovedCaseInsensitivelyWithItsSpaces) {
  EXPECT_EQ(RemoveSubjectTag("[secure] Salary", "[secure]"), "Salary");
  EXPECT_EQ(RemoveSubjectTag("Salary [SECURE]", "[secure]"), "Salary");
  EXPECT_EQ(RemoveSubjectTag("Re: [Secure]  your loan", "[secure]"), "Re: your loan");
  EXPECT_EQ(RemoveSubjectTag("[secure]", "[secure]"), "");
  EXPECT_EQ(RemoveSubjectTag("Salary", "[secure]"), std::nullopt);
  EXPECT_EQ(RemoveSubjectTag("[secur] Salary", "[secure]"), std::nullopt);
  EXPECT_EQ(RemoveSubjectTag("Salary", ""), std::nullopt);
}

ContentRules Rules(std::vector<std::string> ready, std::vector<std::string> regexes = {}) {
  auto rules = ContentRules::Compile({std::move(ready), std::move(regexes)});
  EXPECT_THAT(rules.status(), IsOk());
  return std::move(*rules);
}

TEST(ContentRulesTest, IbanInTextMarksOnlyWhenItsCheckHolds) {
  const ContentRules rules = Rules({"iban"});
  EXPECT_EQ(rules.FirstMatch("Invoice", "Please pay to DE89 3704 0044 0532 0130 00 by Friday."),
            "iban");
  EXPECT_EQ(rules.FirstMatch("Invoice", "IBAN: de89370400440532013000"), "iban");
  EXPECT_EQ(rules.FirstMatch("GB82 WEST 1234 5698 7654 32", ""), "iban");
  // Followed by another group of digits that is not part of it.
  EXPECT_EQ(rules.FirstMatch("", "DE89 3704 0044 0532 0130 00 1234"), "iban");
  EXPECT_EQ(rules.FirstMatch("Invoice", "Pay to DE89 3704 0044 0532 0130 01 by Friday."),
            std::nullopt);
  EXPECT_EQ(rules.FirstMatch("Invoice 2026", "Order AB12 3456 7890 1234 shipped"), std::nullopt);
}

TEST(ContentRulesTest, CardNumbersNeedLuhnAndANetworkPrefix) {
  const ContentRules rules = Rules({"card"});
  EXPECT_EQ(rules.FirstMatch("", "card 4111 1111 1111 1111 exp 12/29"), "card");
  EXPECT_EQ(rules.FirstMatch("", "card 5555-5555-5555-4444"), "card");
  EXPECT_EQ(rules.FirstMatch("", "amex 378282246310005."), "card");
  EXPECT_EQ(rules.FirstMatch("", "card 4111 1111 1111 1112"), std::nullopt);  // Luhn fails
  EXPECT_EQ(rules.FirstMatch("", "ref 79927398713"), std::nullopt);           // too short
  EXPECT_EQ(rules.FirstMatch("", "ref 0000000000000000"), std::nullopt);      // no network
  EXPECT_EQ(rules.FirstMatch("", "tracking 12345678901234567890123"), std::nullopt);
}

TEST(ContentRulesTest, SsnExcludesNumbersNeverIssued) {
  const ContentRules rules = Rules({"ssn"});
  EXPECT_EQ(rules.FirstMatch("", "SSN 078-05-1120, thanks"), "ssn");
  EXPECT_EQ(rules.FirstMatch("", "SSN 666-05-1120"), std::nullopt);
  EXPECT_EQ(rules.FirstMatch("", "SSN 912-05-1120"), std::nullopt);
  EXPECT_EQ(rules.FirstMatch("", "call 555-123-4567"), std::nullopt);  // a phone number
  EXPECT_EQ(rules.FirstMatch("", "part 123-45-6789-0"), std::nullopt);
}

TEST(ContentRulesTest, OwnRegexesAreNamedByPosition) {
  const ContentRules rules = Rules({"ssn"}, {"(?i)confidential", "\\bproject\\s+zebra\\b"});
  EXPECT_EQ(rules.FirstMatch("CONFIDENTIAL: numbers", ""), "regex 1");
  EXPECT_EQ(rules.FirstMatch("", "about Project  Zebra"), std::nullopt);  // case-sensitive
  EXPECT_EQ(rules.FirstMatch("", "about project  zebra"), "regex 2");
  EXPECT_EQ(rules.FirstMatch("Lunch", "See you at noon"), std::nullopt);
  EXPECT_FALSE(rules.empty());
  EXPECT_TRUE(Rules({}).empty());
}

TEST(ContentRulesTest, ConfigurationErrorsAreNamed) {
  auto unknown = ContentRules::Compile({{"iban", "passport"}, {}});
  EXPECT_THAT(unknown.status(), StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(unknown.status().message(), ::testing::HasSubstr("passport"));
  auto broken = ContentRules::Compile({{}, {"ok", "(unclosed"}});
  EXPECT_THAT(broken.status(), StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(broken.status().message(), ::testing::HasSubstr("regex 2"));
}

// Catastrophic backtracking hits the match limit: the message counts as marked (sent securely),
// and the call returns.
TEST(ContentRulesTest, RunawayRegexMarksInsteadOfHanging) {
  const ContentRules rules = Rules({}, {"(a+)+$"});
  const std::string text = std::string(5000, 'a') + "!";
  EXPECT_EQ(rules.FirstMatch("", text), "regex 1");
}

TEST(ContentRulesTest, LargeTextIsSearchedWithoutTrouble) {
  const ContentRules rules = Rules({"iban", "card", "ssn"});
  std::string text;
  for (int i = 0; i < 50'000; ++i) text += "12 3456 words ";
  EXPECT_EQ(rules.FirstMatch("", text), std::nullopt);
  text += "078-05-1120";
  EXPECT_EQ(rules.FirstMatch("", text), "ssn");
}

}  // namespace
}  // namespace sealpost::app
