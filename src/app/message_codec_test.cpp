#include "app/message_codec.h"

#include <gtest/gtest.h>

#include <limits>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "app/internal/json_text.h"

namespace sealpost::app {
namespace {

using nlohmann::json;

// The encoders as they were written with nlohmann::json before the direct writer: stored seals
// were made over these bytes, so the codec must keep producing exactly them.
json ReferenceSummaryWithoutSeal(const MessageSummary& s) {
  json attachments = json::array();
  for (const auto& a : s.attachments) {
    attachments.push_back({{"name", a.name},
                           {"content_type", a.content_type},
                           {"size", a.size},
                           {"sha256", a.sha256_hex},
                           {"key", Base64Encode(a.key.ExposeSecret().view())}});
  }
  json j = {{"v", 1},
            {"id", s.id.str()},
            {"from", {{"email", s.from_email}, {"name", s.from_name}}},
            {"to", s.to},
            {"created_ms", s.created_ms},
            {"subject", s.subject},
            {"body_sha256", s.body_sha256_hex},
            {"attachments", attachments}};
  if (!s.in_reply_to.empty()) j["in_reply_to"] = s.in_reply_to;
  if (!s.thread_id.empty()) j["thread"] = s.thread_id;
  if (!s.cc.empty()) j["cc"] = s.cc;
  if (!s.bcc.empty()) j["bcc"] = s.bcc;
  if (const auto& r = s.received) {
    j["received"] = {{"envelope_from", r->envelope_from},
                     {"client", r->client_address},
                     {"spf", r->spf},
                     {"spf_domain", r->spf_domain},
                     {"dkim", r->dkim},
                     {"dkim_domain", r->dkim_domain},
                     {"protection", r->protection}};
  }
  if (!s.sealed_by.empty()) j["sealed_by"] = s.sealed_by;
  return j;
}

std::string ReferenceStatement(const MessageSummary& s) {
  return "sealpost-seal/v1\n" + ReferenceSummaryWithoutSeal(s).dump();
}

std::string ReferenceSummary(const MessageSummary& s) {
  json j = ReferenceSummaryWithoutSeal(s);
  j["seal"] = Base64Encode(s.seal);
  return j.dump();
}

std::string Text(const crypto::SecretBytes& b) { return std::string(b.AsStringView()); }

MessageSummary Minimal() {
  MessageSummary s;
  s.id = MessageId::FromTrusted("0123456789abcdef0123456789abcdef");
  s.from_email = "alice@example.org";
  s.created_ms = 1795000000000;
  s.body_sha256_hex = std::string(64, 'a');
  return s;
}

MessageSummary Full() {
  MessageSummary s = Minimal();
  s.from_name = "Zoë \"Z\" O'Neil\\\t";
  s.to = {"bob@example.org", "carol@example.org", "dürer@example.org"};
  s.subject = std::string("Quarterly figures \xF0\x9F\x93\x88 line\r\nnext\x01\x1f\x7f end");
  s.in_reply_to = "fedcba9876543210fedcba9876543210";
  s.thread_id = "00000000000000000000000000000001";
  s.sealed_by = kSealedByGateway;
  s.received =
      ReceivedFromOutside{"", "192.0.2.10", "softfail", "outside.example", "none", "", "smime"};
  s.attachments.push_back(
      {"original.eml", "message/rfc822", 10240, std::string(64, 'b'), crypto::BlobKey::Generate()});
  s.attachments.push_back({"report \"final\".pdf", "application/pdf", 18446744073709551615ull,
                           std::string(64, 'c'), crypto::BlobKey::Generate()});
  s.seal = Bytes(64, 0xA5);
  return s;
}

TEST(MessageCodecTest, SummaryAndStatementAreTheBytesNlohmannWrote) {
  std::vector<MessageSummary> cases;
  cases.push_back(Minimal());
  cases.push_back(Full());
  MessageSummary negative = Minimal();
  negative.created_ms = -42;
  negative.to = {};
  cases.push_back(std::move(negative));
  MessageSummary only_received = Minimal();
  only_received.received = ReceivedFromOutside{};
  cases.push_back(std::move(only_received));
  MessageSummary with_cc = Full();
  with_cc.cc = {"dave@example.org", "erin\"@example.org"};
  cases.push_back(std::move(with_cc));
  MessageSummary blind = Minimal();
  blind.to = {};
  blind.bcc = {"frank@example.org"};
  cases.push_back(std::move(blind));
  for (const MessageSummary& s : cases) {
    EXPECT_EQ(Text(SealStatement(s)), ReferenceStatement(s));
    EXPECT_EQ(Text(EncodeSummary(s)), ReferenceSummary(s));
  }
}

TEST(MessageCodecTest, SummaryRoundTrips) {
  const MessageSummary s = Full();
  auto decoded = DecodeSummary(EncodeSummary(s).AsStringView());
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(decoded->subject, s.subject);
  EXPECT_EQ(decoded->from_name, s.from_name);
  EXPECT_EQ(decoded->to, s.to);
  ASSERT_EQ(decoded->attachments.size(), 2u);
  EXPECT_EQ(decoded->attachments[1].size, s.attachments[1].size);
  EXPECT_TRUE(crypto::ConstantTimeEquals(decoded->attachments[0].key.ExposeSecret().view(),
                                         s.attachments[0].key.ExposeSecret().view()));
  // The statement made from the decoded summary is the one signed: the seal keeps verifying.
  EXPECT_EQ(Text(SealStatement(*decoded)), Text(SealStatement(s)));
}

TEST(MessageCodecTest, CcAndBccAreSealedAndRoundTrip) {
  MessageSummary s = Full();
  s.cc = {"dave@example.org"};
  s.bcc = {"frank@example.org"};
  const std::string statement = Text(SealStatement(s));
  // Under the seal: a changed Cc or Bcc is a different statement.
  EXPECT_NE(statement.find(R"("cc":["dave@example.org"])"), std::string::npos) << statement;
  EXPECT_NE(statement.find(R"("bcc":["frank@example.org"])"), std::string::npos) << statement;
  MessageSummary other_cc = Full();
  other_cc.cc = {"mallory@example.org"};
  other_cc.bcc = s.bcc;
  EXPECT_NE(Text(SealStatement(other_cc)), statement);
  auto decoded = DecodeSummary(EncodeSummary(s).AsStringView());
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(decoded->cc, s.cc);
  EXPECT_EQ(decoded->bcc, s.bcc);
  EXPECT_EQ(Text(SealStatement(*decoded)), statement);
}

TEST(MessageCodecTest, SummariesWithoutCcReadAsBeforeWithEmptyLists) {
  // A summary as written before Cc and Bcc existed: no keys for them, and its statement is the
  // one its stored seal was made over.
  const MessageSummary s = Full();
  const std::string old_statement = ReferenceStatement(s);
  EXPECT_EQ(old_statement.find("\"cc\""), std::string::npos);
  EXPECT_EQ(old_statement.find("\"bcc\""), std::string::npos);
  auto decoded = DecodeSummary(ReferenceSummary(s));
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_TRUE(decoded->cc.empty());
  EXPECT_TRUE(decoded->bcc.empty());
  EXPECT_EQ(Text(SealStatement(*decoded)), old_statement);
}

TEST(MessageCodecTest, TextThatIsNotUtf8StillThrowsAsBefore) {
  MessageSummary s = Minimal();
  s.subject = "broken \xC3";
  EXPECT_THROW(SealStatement(s), json::exception);
  EXPECT_THROW(EncodeSummary(s), json::exception);
  EXPECT_THROW(EncodeBody({"\xED\xA0\x80 surrogate", ""}), json::exception);
}

TEST(MessageCodecTest, BodyIsTheBytesNlohmannWrote) {
  std::string text = "Hello \"Bob\",\r\n\tthe figures: 12\\13 \xE2\x82\xAC";
  text += std::string(1, '\0') + "\x08\x0c end";
  EXPECT_EQ(EncodeBody({text, "<p>hi</p>"}), (json{{"text", text}, {"html", "<p>hi</p>"}}.dump()));
  EXPECT_EQ(EncodeBody({"", ""}), (json{{"text", ""}, {"html", ""}}.dump()));
  auto decoded = DecodeBody(EncodeBody({text, "x"}));
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->text, text);
}

// Random strings, mostly near-UTF-8: wherever dump() writes a string, AppendJsonString writes the
// same bytes, and wherever dump() throws, AppendJsonString says false.
TEST(MessageCodecTest, JsonStringsAgreeWithNlohmannOnRandomBytes) {
  std::mt19937 rng(1234);
  const std::vector<uint8_t> interesting = {0x00, 0x01, 0x08, 0x09, 0x0a, 0x0c, 0x0d, 0x1f, 0x20,
                                            '"',  '\\', '/',  'a',  0x7f, 0x80, 0x8f, 0x90, 0x9f,
                                            0xa0, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xe1, 0xec,
                                            0xed, 0xee, 0xef, 0xf0, 0xf1, 0xf3, 0xf4, 0xf5, 0xff};
  int valid = 0;
  int valid_long = 0;
  for (int round = 0; round < 200000; ++round) {
    std::string s;
    // Short strings of odd bytes, and longer ones (past the 16-byte blocks of the fast scan) of
    // mostly plain text with a few of them.
    const bool long_text = round % 2 == 1;
    const size_t n = long_text ? rng() % 70 : rng() % 7;
    for (size_t i = 0; i < n; ++i) {
      if (long_text && rng() % 12 != 0) {
        s.push_back(static_cast<char>(' ' + rng() % 95));
      } else {
        s.push_back(static_cast<char>(rng() % 4 == 0 ? rng() % 256
                                                     : interesting[rng() % interesting.size()]));
      }
    }
    std::string ours;
    const bool ok = internal::AppendJsonString(ours, s);
    std::string theirs;
    bool threw = false;
    try {
      theirs = json(s).dump();
    } catch (const json::exception&) {
      threw = true;
    }
    ASSERT_EQ(ok, !threw) << "input of " << s.size() << " bytes, round " << round;
    if (ok) {
      ASSERT_EQ(ours, theirs);
      ++valid;
      if (s.size() > 32) ++valid_long;
    }
  }
  EXPECT_GT(valid, 10000);  // both outcomes were exercised
  EXPECT_GT(valid_long, 1000);
}

TEST(MessageCodecTest, IntegersAsNlohmannWritesThem) {
  for (const int64_t v :
       {int64_t{0}, int64_t{-1}, int64_t{7}, int64_t{1795000000000},
        std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max()}) {
    std::string out;
    internal::AppendJsonInteger(out, v);
    EXPECT_EQ(out, json(v).dump());
  }
  for (const uint64_t v : {uint64_t{0}, uint64_t{10}, std::numeric_limits<uint64_t>::max()}) {
    std::string out;
    internal::AppendJsonUnsigned(out, v);
    EXPECT_EQ(out, json(v).dump());
  }
}

}  // namespace
}  // namespace sealpost::app
