#include "receipts/tsa.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/bn.h>
#include <openssl/ts.h>

#include <ctime>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <thread>

#include "crypto/security_policy.h"
#include "testing/run_tool.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

namespace sealpost::receipts {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testutil::RunTool;

// --- A tiny DER writer, to build queries openssl ts -query refuses to make. -----------------

Bytes Tlv(uint8_t tag, const Bytes& body) {
  Bytes out{tag};
  if (body.size() < 128) {
    out.push_back(static_cast<uint8_t>(body.size()));
  } else {
    out.push_back(0x82);
    out.push_back(static_cast<uint8_t>(body.size() >> 8));
    out.push_back(static_cast<uint8_t>(body.size()));
  }
  out.insert(out.end(), body.begin(), body.end());
  return out;
}
Bytes Cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

const Bytes kSha256Oid = {0x60, 0x86, 0x48, 0x01, 0x65,
                          0x03, 0x04, 0x02, 0x01};      // 2.16.840.1.101.3.4.2.1
const Bytes kSha1Oid = {0x2b, 0x0e, 0x03, 0x02, 0x1a};  // 1.3.14.3.2.26
const Bytes kUnknownOid = {0x2a, 0x03, 0x04};           // 1.2.3.4

// TimeStampReq ::= SEQUENCE { version INTEGER, messageImprint SEQUENCE { AlgorithmIdentifier,
// OCTET STRING } } (RFC 3161 section 2.4.1), no nonce, no certReq.
Bytes Request(const Bytes& oid, size_t digest_len, int version = 1,
              const Bytes& params = {0x05, 0x00}) {
  const Bytes algorithm = Tlv(0x30, Cat({Tlv(0x06, oid), params}));
  const Bytes imprint = Tlv(0x30, Cat({algorithm, Tlv(0x04, Bytes(digest_len, 0xab))}));
  return Tlv(0x30, Cat({Tlv(0x02, {static_cast<uint8_t>(version)}), imprint}));
}

class TsaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const smime::CaNames names;
    auto root = smime::CreateRootCa(names, now_);
    ASSERT_THAT(root.status(), IsOk());
    auto issuing = smime::CreateIssuingCa(*root, names, now_);
    ASSERT_THAT(issuing.status(), IsOk());
    auto tsa = smime::IssueLeafWithNewKey(
        *issuing, names, {smime::LeafProfile::kTimeStamping, "Sealpost TSA", std::nullopt}, now_);
    ASSERT_THAT(tsa.status(), IsOk());
    root_.emplace(std::move(*root));
    issuing_.emplace(std::move(*issuing));
    tsa_key_.emplace(std::move(*tsa));
    auto authority = TimeStampAuthority::Create(*tsa_key_, {issuing_->certificate}, clock_, {});
    ASSERT_THAT(authority.status(), IsOk());
    tsa_ = std::move(*authority);
    Write("root.pem", root_->certificate.ToPem());
    Write("intermediate.pem", issuing_->certificate.ToPem());
    Write("chain.pem", issuing_->certificate.ToPem() + tsa_key_->certificate.ToPem());
    Write("data.txt", "the document to be time-stamped\n");
  }

  void Write(const std::string& name, const std::string& text) {
    testutil::WriteTestFile(dir_.path(), name, text);
  }
  void WriteBytes(const std::string& name, const Bytes& bytes) {
    Write(name, std::string(AsChars(bytes)));
  }
  Bytes ReadBytes(const std::string& name) {
    std::ifstream in(dir_.path() + "/" + name, std::ios::binary);
    return Bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }

  // `openssl ts -query -data data.txt <flags>`, as bytes.
  Bytes Query(std::vector<std::string> flags) {
    std::vector<std::string> argv = {"openssl", "ts", "-query", "-data", "data.txt"};
    argv.insert(argv.end(), flags.begin(), flags.end());
    argv.insert(argv.end(), {"-out", "q.tsq"});
    const auto r = RunTool(argv, dir_.path());
    EXPECT_EQ(r.exit_code, 0) << r.output();
    return ReadBytes("q.tsq");
  }

  // Responds and writes the reply to r.tsr.
  Bytes Reply(const Bytes& query) {
    auto reply = tsa_->Respond(query);
    EXPECT_THAT(reply.status(), IsOk());
    if (!reply.ok()) return {};
    WriteBytes("r.tsr", *reply);
    return *reply;
  }
  std::string ReplyText() {
    const auto r = RunTool({"openssl", "ts", "-reply", "-in", "r.tsr", "-text"}, dir_.path());
    EXPECT_EQ(r.exit_code, 0) << r.output();
    return r.output();
  }
  testutil::ToolResult VerifyReply(const std::string& untrusted = "chain.pem") {
    return RunTool({"openssl", "ts", "-verify", "-data", "data.txt", "-in", "r.tsr", "-CAfile",
                    "root.pem", "-untrusted", untrusted},
                   dir_.path());
  }
  // The "Nonce:" line of an openssl -text output.
  static std::string NonceLine(const std::string& text) {
    const size_t at = text.find("Nonce:");
    return at == std::string::npos ? "" : text.substr(at, text.find('\n', at) - at);
  }

  testutil::TempDir dir_;
  TimePoint now_ = std::chrono::system_clock::now();
  platform::FakeClock clock_{now_};
  std::optional<smime::IssuedKey> root_;
  std::optional<smime::IssuedKey> issuing_;
  std::optional<smime::IssuedKey> tsa_key_;
  std::unique_ptr<TimeStampAuthority> tsa_;
};

TEST_F(TsaTest, GrantedTokenVerifiesWithOpensslTs) {
  const Bytes query = Query({"-sha256", "-cert"});
  Reply(query);
  const auto verify = VerifyReply();
  EXPECT_EQ(verify.exit_code, 0) << verify.output();
  EXPECT_THAT(verify.output(), HasSubstr("Verification: OK"));

  const std::string text = ReplyText();
  EXPECT_THAT(text, HasSubstr("Status: Granted."));
  EXPECT_THAT(text, HasSubstr("Policy OID: " + std::string(kDefaultTsaPolicyOid)));
  EXPECT_THAT(text, HasSubstr("Hash Algorithm: sha256"));
  EXPECT_THAT(text, HasSubstr("Accuracy: 0x01 seconds"));
  // The nonce openssl put into the query comes back.
  const auto q = RunTool({"openssl", "ts", "-query", "-in", "q.tsq", "-text"}, dir_.path());
  ASSERT_EQ(q.exit_code, 0);
  ASSERT_THAT(NonceLine(q.output()), HasSubstr("0x"));
  EXPECT_EQ(NonceLine(text), NonceLine(q.output()));

  // The token carries the TSA certificate and the issuing CA: the root alone verifies it.
  const auto alone = RunTool(
      {"openssl", "ts", "-verify", "-data", "data.txt", "-in", "r.tsr", "-CAfile", "root.pem"},
      dir_.path());
  EXPECT_EQ(alone.exit_code, 0) << alone.output();
}

TEST_F(TsaTest, WithoutCertReqTheTokenNeedsTheTsaCertificate) {
  Reply(Query({"-sha256", "-no_nonce"}));
  EXPECT_THAT(NonceLine(ReplyText()), HasSubstr("unspecified"));
  EXPECT_EQ(VerifyReply("chain.pem").exit_code, 0);
  // No certificate inside: the intermediate alone does not name the signer.
  EXPECT_NE(VerifyReply("intermediate.pem").exit_code, 0);
}

TEST_F(TsaTest, Sha384AndSha512AreGranted) {
  for (const std::string hash : {"-sha384", "-sha512"}) {
    Reply(Query({hash, "-cert"}));
    EXPECT_THAT(ReplyText(), HasSubstr("Status: Granted.")) << hash;
    EXPECT_EQ(VerifyReply().exit_code, 0) << hash;
  }
}

TEST_F(TsaTest, GenTimeComesFromTheClock) {
  const std::time_t at = std::chrono::system_clock::to_time_t(now_) / 60 * 60 + 3 * 86400;
  clock_.Set(std::chrono::system_clock::from_time_t(at));
  Reply(Query({"-sha256", "-cert"}));
  char expected[64];
  std::tm tm{};
  gmtime_r(&at, &tm);
  std::strftime(expected, sizeof expected, "Time stamp: %b %e %H:%M:%S %Y GMT", &tm);
  EXPECT_THAT(ReplyText(), HasSubstr(expected));
}

TEST_F(TsaTest, UnsupportedHashesAreRejectedWithBadAlg) {
  for (const Bytes& query :
       {Query({"-sha1"}), Request(kUnknownOid, 32),
        Request(kSha256Oid, 32, 1, /*params=*/{0x04, 0x00}), Request(kSha1Oid, 20)}) {
    Reply(query);
    const std::string text = ReplyText();
    EXPECT_THAT(text, HasSubstr("Status: Rejected."));
    EXPECT_THAT(text, HasSubstr("unrecognized or unsupported algorithm identifier"));
    EXPECT_THAT(text, HasSubstr("TST info:\nNot included."));
  }
}

TEST_F(TsaTest, MalformedQueriesAreRejectedWithBadDataFormat) {
  const Bytes good = Request(kSha256Oid, 32);
  Reply(good);
  ASSERT_THAT(ReplyText(), HasSubstr("Status: Granted."));  // the builder itself is right

  Bytes trailing = good;
  trailing.push_back(0x00);
  Bytes truncated = good;
  truncated.pop_back();
  for (const Bytes& query :
       {Request(kSha256Oid, 31), Request(kSha256Oid, 33), Request(kSha256Oid, 0), trailing,
        truncated, Bytes{}, Bytes{0x30}, Bytes(1000, 0x41),
        Bytes(crypto::policy::kTsa.max_query_bytes, 0x30)}) {
    Reply(query);
    const std::string text = ReplyText();
    EXPECT_THAT(text, HasSubstr("Status: Rejected."));
    EXPECT_THAT(text, HasSubstr("the data submitted has the wrong format"));
  }
}

TEST_F(TsaTest, OtherVersionsAreRejectedWithBadRequest) {
  Reply(Request(kSha256Oid, 32, /*version=*/2));
  const std::string text = ReplyText();
  EXPECT_THAT(text, HasSubstr("Status: Rejected."));
  EXPECT_THAT(text, HasSubstr("transaction not permitted or supported"));
}

TEST_F(TsaTest, OversizedQueriesAreRefusedBeforeParsing) {
  Bytes big = Query({"-sha256"});
  big.resize(crypto::policy::kTsa.max_query_bytes + 1, 0);
  EXPECT_THAT(tsa_->Respond(big).status(), StatusIs(ErrorCode::kTooLarge));
}

TEST_F(TsaTest, OnlyItsOwnPolicyIsAccepted) {
  Reply(Query({"-sha256", "-tspolicy", std::string(kDefaultTsaPolicyOid)}));
  EXPECT_THAT(ReplyText(), HasSubstr("Status: Granted."));
  Reply(Query({"-sha256", "-tspolicy", "1.2.3.4.5"}));
  const std::string text = ReplyText();
  EXPECT_THAT(text, HasSubstr("Status: Rejected."));
  EXPECT_THAT(text, HasSubstr("the requested TSA policy is not supported by the TSA"));
}

TEST_F(TsaTest, AFlippedByteInTheTokenFailsVerification) {
  const Bytes reply = Reply(Query({"-sha256", "-cert"}));
  ASSERT_EQ(VerifyReply().exit_code, 0);
  for (const size_t at : {reply.size() - 1, reply.size() - 40}) {
    Bytes forged = reply;
    forged[at] ^= 0x01;
    WriteBytes("r.tsr", forged);
    EXPECT_NE(VerifyReply().exit_code, 0) << "byte " << at;
  }
  // And the token does not cover other data.
  WriteBytes("r.tsr", reply);
  Write("data.txt", "another document\n");
  EXPECT_NE(VerifyReply().exit_code, 0);
}

TEST_F(TsaTest, ConcurrentRequestsGetDistinctSerials) {
  const Bytes query = Query({"-sha256", "-cert"});
  constexpr int kThreads = 4;
  constexpr int kEach = 25;
  std::vector<std::vector<Bytes>> replies(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        auto r = tsa_->Respond(query);
        if (r.ok()) replies[t].push_back(std::move(*r));
      }
    });
  }
  for (auto& t : threads) t.join();
  std::set<std::string> serials;
  for (const auto& list : replies) {
    ASSERT_EQ(list.size(), static_cast<size_t>(kEach));
    for (const Bytes& der : list) {
      const unsigned char* p = der.data();
      std::unique_ptr<TS_RESP, decltype(&TS_RESP_free)> resp(
          d2i_TS_RESP(nullptr, &p, static_cast<long>(der.size())), &TS_RESP_free);
      ASSERT_TRUE(resp);
      ASSERT_EQ(ASN1_INTEGER_get(TS_STATUS_INFO_get0_status(TS_RESP_get_status_info(resp.get()))),
                TS_STATUS_GRANTED);
      std::unique_ptr<BIGNUM, decltype(&BN_free)> bn(
          ASN1_INTEGER_to_BN(TS_TST_INFO_get_serial(TS_RESP_get_tst_info(resp.get())), nullptr),
          &BN_free);
      char* hex = BN_bn2hex(bn.get());
      serials.insert(hex);
      OPENSSL_free(hex);
    }
  }
  EXPECT_EQ(serials.size(), static_cast<size_t>(kThreads * kEach));
}

TEST_F(TsaTest, CreateRefusesUnfitCertificatesAndOptions) {
  const smime::CaNames names;
  auto evidence = smime::IssueLeafWithNewKey(
      *issuing_, names, {smime::LeafProfile::kEvidenceSigner, "evidence", std::nullopt}, now_);
  ASSERT_THAT(evidence.status(), IsOk());
  EXPECT_THAT(TimeStampAuthority::Create(*evidence, {}, clock_, {}).status(),
              StatusIs(ErrorCode::kInvalidArgument));
  const smime::IssuedKey mismatched{tsa_key_->certificate, evidence->key};
  EXPECT_THAT(TimeStampAuthority::Create(mismatched, {}, clock_, {}).status(),
              StatusIs(ErrorCode::kInvalidArgument));
  TsaOptions bad_policy;
  bad_policy.policy_oid = "not an oid";
  EXPECT_THAT(TimeStampAuthority::Create(*tsa_key_, {}, clock_, bad_policy).status(),
              StatusIs(ErrorCode::kInvalidArgument));
  TsaOptions bad_accuracy;
  bad_accuracy.accuracy = std::chrono::milliseconds(0);
  EXPECT_THAT(TimeStampAuthority::Create(*tsa_key_, {}, clock_, bad_accuracy).status(),
              StatusIs(ErrorCode::kInvalidArgument));
  TsaOptions own;
  own.policy_oid = "1.3.6.1.4.1.99999.1.2";
  own.accuracy = std::chrono::milliseconds(500);
  auto custom = TimeStampAuthority::Create(*tsa_key_, {issuing_->certificate}, clock_, own);
  ASSERT_THAT(custom.status(), IsOk());
  auto reply = (*custom)->Respond(Query({"-sha256", "-cert"}));
  ASSERT_THAT(reply.status(), IsOk());
  WriteBytes("r.tsr", *reply);
  const std::string text = ReplyText();
  EXPECT_THAT(text, HasSubstr("Policy OID: 1.3.6.1.4.1.99999.1.2"));
  EXPECT_THAT(text, HasSubstr("0x01F4 millis"));
}

}  // namespace
}  // namespace sealpost::receipts
