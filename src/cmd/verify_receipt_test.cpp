// `sealpost verify receipt` on files: exit 0 for a valid receipt, 1 naming a failed part, 2 when
// it cannot check.
#include "cmd/verify_receipt.h"

#include <gtest/gtest.h>

#include "crypto/hash.h"
#include "receipts/receipt_issuer.h"
#include "receipts/testing/evidence_pki.h"
#include "testing/run_tool.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"
#include "tlog/checkpoint.h"
#include "tlog/log_entry.h"

namespace sealpost::cmd {
namespace {

constexpr std::string_view kOrigin = "example.org/log";

class VerifyReceiptTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const TimePoint now = std::chrono::system_clock::now();
    auto pki = receipts::MakeTestEvidencePki(now);
    ASSERT_THAT(pki.status(), IsOk());
    auto tsa =
        receipts::TimeStampAuthority::Create(pki->tsa, {pki->issuing.certificate}, clock_, {});
    ASSERT_THAT(tsa.status(), IsOk());
    const receipts::InProcessTimeStamper stamper(**tsa);
    auto issuer = receipts::ReceiptIssuer::Create(pki->evidence, pki->Chain(), stamper);
    ASSERT_THAT(issuer.status(), IsOk());

    const int64_t ms = ToUnixMillis(now);
    auto leaf = tlog::EncodeLogEvent({ms, "message.send", "u-1", "m-1", "{}"});
    ASSERT_THAT(leaf.status(), IsOk());
    const tlog::Hash h = tlog::LeafHash(*leaf);
    auto note = tlog::SignCheckpoint({std::string(kOrigin), 1, h, {}}, kOrigin, log_key_);
    ASSERT_THAT(note.status(), IsOk());
    receipts::EvidenceDocument d;
    d.event = receipts::EvidenceEvent::kSubmissionAcceptance;
    d.message_id = "m-1";
    d.sealed_digest_hex = HexEncode(crypto::Sha256(AsBytes(kStatement)));
    d.sender = "alice@example.org";
    d.recipient = "bob@example.org";
    d.time_ms = ms;
    d.log_origin = std::string(kOrigin);
    d.log_index = 0;
    auto receipt = (*issuer)->IssueWithProof(d, {0, *leaf, {}, *note});
    ASSERT_THAT(receipt.status(), IsOk());
    receipt_ = *receipt;
    Write("receipt.p7m", AsChars(receipt_));
    Write("root.pem", pki->root.certificate.ToPem());
    Write("statement", kStatement);
    Write("log.vkey",
          tlog::FormatVerifierKey({std::string(kOrigin), log_key_.verify_key()}) + "\n");
  }

  std::string Path(const std::string& name) { return dir_.path() + "/" + name; }
  void Write(const std::string& name, std::string_view bytes) {
    testutil::WriteTestFile(dir_.path(), name, bytes);
  }
  VerifyReceiptArgs Args() {
    VerifyReceiptArgs a;
    a.receipt_path = Path("receipt.p7m");
    a.root_path = Path("root.pem");
    a.log_key = Path("log.vkey");
    a.statement_path = Path("statement");
    return a;
  }

  static constexpr std::string_view kStatement = "sealpost-seal/v1\n{\"id\":\"m-1\"}";
  testutil::TempDir dir_;
  platform::SystemClock clock_;
  crypto::SigningKey log_key_ = crypto::SigningKey::Generate();
  Bytes receipt_;
};

TEST_F(VerifyReceiptTest, ValidReceiptExitsZero) {
  EXPECT_EQ(VerifyReceiptCommand(Args()), 0);
  VerifyReceiptArgs a = Args();
  a.statement_path.reset();
  a.digest_hex = HexEncode(crypto::Sha256(AsBytes(kStatement)));
  EXPECT_EQ(VerifyReceiptCommand(a), 0);
}

TEST_F(VerifyReceiptTest, FailedCheckExitsOne) {
  VerifyReceiptArgs a = Args();
  Write("other", "another statement");
  a.statement_path = Path("other");
  EXPECT_EQ(VerifyReceiptCommand(a), 1);
  Bytes flipped = receipt_;
  flipped[flipped.size() - 2] ^= 1;  // inside the checkpoint's signature line
  Write("flipped.p7m", AsChars(flipped));
  a = Args();
  a.receipt_path = Path("flipped.p7m");
  EXPECT_EQ(VerifyReceiptCommand(a), 1);
}

TEST_F(VerifyReceiptTest, CannotCheckExitsTwo) {
  VerifyReceiptArgs a = Args();
  a.root_path = Path("missing.pem");
  EXPECT_EQ(VerifyReceiptCommand(a), 2);
  a = Args();
  a.log_key = "not a key";
  EXPECT_EQ(VerifyReceiptCommand(a), 2);
  a = Args();
  a.digest_hex = "abcd";
  a.statement_path.reset();
  EXPECT_EQ(VerifyReceiptCommand(a), 2);
  a = Args();
  a.tsa_root_path = Path("missing-tsa.pem");
  EXPECT_EQ(VerifyReceiptCommand(a), 2);
  a.tsa_root_path = Path("statement");  // not a certificate
  EXPECT_EQ(VerifyReceiptCommand(a), 2);
}

// An extra TSA root (here one that signed nothing in the receipt) changes no verdict.
TEST_F(VerifyReceiptTest, TsaRootIsAnExtraAnchorForTheTimeStamp) {
  auto other = smime::CreateRootCa({"Other", "Other Root", "Other Issuing"},
                                   std::chrono::system_clock::now());
  ASSERT_THAT(other.status(), IsOk());
  Write("other-root.pem", other->certificate.ToPem());
  VerifyReceiptArgs a = Args();
  a.tsa_root_path = Path("other-root.pem");
  EXPECT_EQ(VerifyReceiptCommand(a), 0);
  a.root_path = Path("other-root.pem");  // as the platform root: the signature fails
  EXPECT_EQ(VerifyReceiptCommand(a), 1);
}

}  // namespace
}  // namespace sealpost::cmd
