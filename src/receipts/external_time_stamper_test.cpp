// ExternalTimeStamper against a TimeStampAuthority answering through a test transport: granted
// tokens pass (and `openssl ts -verify` accepts them), every kind of wrong answer is refused.
#include "receipts/external_time_stamper.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/bn.h>
#include <openssl/ts.h>

#include <fstream>
#include <string>

#include "crypto/hash.h"
#include "receipts/tsa.h"
#include "testing/run_tool.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

namespace sealpost::receipts {
namespace {

using ::testing::HasSubstr;
using testutil::RunTool;

using TsReqPtr = std::unique_ptr<TS_REQ, decltype(&TS_REQ_free)>;

// The query with its imprint or its nonce replaced: the answer to it is for another request.
Bytes Altered(ByteView query, bool imprint, bool nonce) {
  const unsigned char* p = query.data();
  TsReqPtr req(d2i_TS_REQ(nullptr, &p, static_cast<long>(query.size())), TS_REQ_free);  // NOLINT
  EXPECT_TRUE(req);
  if (!req) return {};
  if (imprint) {
    unsigned char other[32] = {0x42};
    TS_MSG_IMPRINT_set_msg(TS_REQ_get_msg_imprint(req.get()), other, sizeof other);
  }
  if (nonce) {
    ASN1_INTEGER* n = ASN1_INTEGER_new();
    ASN1_INTEGER_set(n, 12345);
    TS_REQ_set_nonce(req.get(), n);
    ASN1_INTEGER_free(n);
  }
  unsigned char* der = nullptr;
  const int len = i2d_TS_REQ(req.get(), &der);
  Bytes out(der, der + len);
  OPENSSL_free(der);
  return out;
}

class ExternalTimeStamperTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const smime::CaNames names;
    auto root = smime::CreateRootCa(names, now_);
    ASSERT_THAT(root.status(), IsOk());
    auto issuing = smime::CreateIssuingCa(*root, names, now_);
    ASSERT_THAT(issuing.status(), IsOk());
    auto tsa = smime::IssueLeafWithNewKey(
        *issuing, names, {smime::LeafProfile::kTimeStamping, "Remote TSA", std::nullopt}, now_);
    ASSERT_THAT(tsa.status(), IsOk());
    root_.emplace(std::move(*root));
    issuing_.emplace(std::move(*issuing));
    auto authority = TimeStampAuthority::Create(*tsa, {issuing_->certificate}, clock_, {});
    ASSERT_THAT(authority.status(), IsOk());
    tsa_ = std::move(*authority);
  }

  // A stamper trusting `root` whose transport is `transport`.
  std::unique_ptr<ExternalTimeStamper> Stamper(TimeStampTransport transport,
                                               const smime::Certificate* root = nullptr) {
    auto stamper =
        ExternalTimeStamper::Create({root ? *root : root_->certificate}, std::move(transport));
    EXPECT_THAT(stamper.status(), IsOk());
    return stamper.ok() ? std::move(stamper).value() : nullptr;
  }
  TimeStampTransport Honest() {
    return [this](ByteView query) { return tsa_->Respond(query); };
  }

  const crypto::Digest256 imprint_ = crypto::Sha256(AsBytes("the signature value"));
  testutil::TempDir dir_;
  TimePoint now_ = std::chrono::system_clock::now();
  platform::FakeClock clock_{now_};
  std::optional<smime::IssuedKey> root_;
  std::optional<smime::IssuedKey> issuing_;
  std::unique_ptr<TimeStampAuthority> tsa_;
};

TEST_F(ExternalTimeStamperTest, GrantedTokenIsReturnedAndOpensslAcceptsIt) {
  auto token = Stamper(Honest())->TimeStamp(imprint_);
  ASSERT_THAT(token.status(), IsOk());
  testutil::WriteFileBytes(dir_.path() + "/token.der", AsChars(*token));
  testutil::WriteFileBytes(dir_.path() + "/root.pem", root_->certificate.ToPem());
  const auto r = RunTool({"openssl", "ts", "-verify", "-token_in", "-in", "token.der", "-digest",
                          HexEncode(imprint_), "-CAfile", "root.pem"},
                         dir_.path());
  EXPECT_EQ(r.exit_code, 0) << r.output();
  EXPECT_THAT(r.output(), HasSubstr("Verification: OK"));
}

TEST_F(ExternalTimeStamperTest, TokenOfAnotherCaIsRefused) {
  const smime::CaNames names{"Other", "Other Root CA", "Other Issuing CA"};
  auto other = smime::CreateRootCa(names, now_);
  ASSERT_THAT(other.status(), IsOk());
  auto token = Stamper(Honest(), &other->certificate)->TimeStamp(imprint_);
  EXPECT_THAT(token.status(), StatusIs(ErrorCode::kUnavailable));
  EXPECT_THAT(token.status().message(), HasSubstr("does not verify against the configured CA"));
}

TEST_F(ExternalTimeStamperTest, GarbageAndRefusalsAreRefused) {
  auto garbage = Stamper([](ByteView) -> Result<Bytes> {
                   return Bytes{0x30, 0x03, 1, 2, 3};
                 })->TimeStamp(imprint_);
  EXPECT_THAT(garbage.status(), StatusIs(ErrorCode::kUnavailable));
  EXPECT_THAT(garbage.status().message(), HasSubstr("not a TimeStampResp"));
  // A granted answer with trailing bytes is not exactly one TimeStampResp either.
  auto trailing = Stamper([this](ByteView q) -> Result<Bytes> {
                    SP_ASSIGN_OR_RETURN(Bytes r, tsa_->Respond(q));
                    r.push_back(0);
                    return r;
                  })->TimeStamp(imprint_);
  EXPECT_THAT(trailing.status().message(), HasSubstr("not a TimeStampResp"));
  // The TSA rejects the query (here: it saw garbage): status rejection, no token.
  auto rejected = Stamper([this](ByteView) {
                    return tsa_->Respond(Bytes{0x30, 0x00});
                  })->TimeStamp(imprint_);
  EXPECT_THAT(rejected.status(), StatusIs(ErrorCode::kUnavailable));
  EXPECT_THAT(rejected.status().message(), HasSubstr("refused"));
  auto unreachable = Stamper([](ByteView) -> Result<Bytes> {
                       return Unavailable("connecting: Connection refused");
                     })->TimeStamp(imprint_);
  EXPECT_THAT(unreachable.status(), StatusIs(ErrorCode::kUnavailable));
  EXPECT_THAT(unreachable.status().message(), HasSubstr("Connection refused"));
}

TEST_F(ExternalTimeStamperTest, AnswerToAnotherRequestIsRefused) {
  auto other_nonce = Stamper([this](ByteView q) {
                       return tsa_->Respond(Altered(q, /*imprint=*/false, /*nonce=*/true));
                     })->TimeStamp(imprint_);
  EXPECT_THAT(other_nonce.status(), StatusIs(ErrorCode::kUnavailable));
  EXPECT_THAT(other_nonce.status().message(), HasSubstr("nonce mismatch"));
  auto other_imprint = Stamper([this](ByteView q) {
                         return tsa_->Respond(Altered(q, /*imprint=*/true, /*nonce=*/false));
                       })->TimeStamp(imprint_);
  EXPECT_THAT(other_imprint.status(), StatusIs(ErrorCode::kUnavailable));
  EXPECT_THAT(other_imprint.status().message(), HasSubstr("imprint mismatch"));
  // A replayed earlier answer (same imprint, old nonce).
  Bytes first_query;
  auto first = Stamper([&](ByteView q) {
                 first_query.assign(q.begin(), q.end());
                 return tsa_->Respond(q);
               })->TimeStamp(imprint_);
  ASSERT_THAT(first.status(), IsOk());
  auto replay = Stamper([&](ByteView) { return tsa_->Respond(first_query); })->TimeStamp(imprint_);
  EXPECT_THAT(replay.status().message(), HasSubstr("nonce mismatch"));
}

TEST_F(ExternalTimeStamperTest, FlippedSignatureByteIsRefused) {
  // The token's signature value is the last field of the response.
  auto flipped = Stamper([this](ByteView q) -> Result<Bytes> {
                   SP_ASSIGN_OR_RETURN(Bytes r, tsa_->Respond(q));
                   r[r.size() - 5] ^= 0x01;
                   return r;
                 })->TimeStamp(imprint_);
  EXPECT_THAT(flipped.status(), StatusIs(ErrorCode::kUnavailable));
  EXPECT_THAT(flipped.status().message(), HasSubstr("does not verify"));
}

TEST_F(ExternalTimeStamperTest, CreateNeedsRootsAndATransport) {
  EXPECT_THAT(ExternalTimeStamper::Create({}, Honest()).status(),
              StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(ExternalTimeStamper::Create({root_->certificate}, nullptr).status(),
              StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(Stamper(Honest())->TimeStamp(Bytes(31, 0)).status(),
              StatusIs(ErrorCode::kInvalidArgument));
}

}  // namespace
}  // namespace sealpost::receipts
