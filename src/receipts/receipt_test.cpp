// Receipts end to end: issued by ReceiptIssuer, checked by VerifyReceipt and by the stock
// OpenSSL tools (`openssl cms -verify`, `openssl ts -verify`) as independent verifiers.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <string>
#include <vector>

#include "crypto/hash.h"
#include "receipts/external_time_stamper.h"
#include "receipts/receipt.h"
#include "receipts/receipt_issuer.h"
#include "receipts/receipt_verifier.h"
#include "receipts/testing/evidence_pki.h"
#include "receipts/tsa.h"
#include "store/sqlite/sqlite_store.h"
#include "testing/run_tool.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"
#include "tlog/checkpoint.h"
#include "tlog/log_entry.h"
#include "tlog/tiles.h"

namespace sealpost::receipts {
namespace {

using ::testing::HasSubstr;
using testutil::RunTool;

constexpr std::string_view kOrigin = "example.org/sealpost-log";
constexpr int64_t kEventMs = 1'796'000'000'123;
constexpr std::string_view kMessageId = "m-0123456789abcdef";

// The same document a second way: a fixed-order text per the format page.
constexpr std::string_view kExpectedDocumentPrefix =
    "sealpost-evidence/v1\nevent: ContentConsignment\nmessage-id: m-0123456789abcdef\n";

constexpr std::string_view kFormer = "event: AcceptanceByRecipient\n";

class ReceiptTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto pki = MakeTestEvidencePki(now_);
    ASSERT_THAT(pki.status(), IsOk());
    root_.emplace(std::move(pki->root));
    issuing_.emplace(std::move(pki->issuing));
    tsa_key_.emplace(std::move(pki->tsa));
    evidence_.emplace(std::move(pki->evidence));
    auto authority = TimeStampAuthority::Create(*tsa_key_, {issuing_->certificate}, clock_, {});
    ASSERT_THAT(authority.status(), IsOk());
    tsa_ = std::move(*authority);
    stamper_ = std::make_unique<InProcessTimeStamper>(*tsa_);
    auto issuer =
        ReceiptIssuer::Create(*evidence_, {issuing_->certificate, root_->certificate}, *stamper_);
    ASSERT_THAT(issuer.status(), IsOk());
    issuer_ = std::move(*issuer);

    // A log of five events; the receipt is for leaf 2.
    for (int i = 0; i < 5; ++i) {
      tlog::LogEvent e{kEventMs - 2 + i, i == 2 ? "message.send" : "auth.login", "u-1",
                       i == 2 ? std::string(kMessageId) : "u-1", "{}"};
      auto leaf = tlog::EncodeLogEvent(e);
      ASSERT_THAT(leaf.status(), IsOk());
      leaves_.push_back(*leaf);
      hashes_.push_back(tlog::LeafHash(*leaf));
    }
    tlog::Checkpoint cp{std::string(kOrigin), 5, tlog::RootHash(hashes_), {}};
    auto note = tlog::SignCheckpoint(cp, kOrigin, log_key_);
    ASSERT_THAT(note.status(), IsOk());
    tlog::LeafHashSpan source(hashes_);
    auto path = tlog::InclusionProof(source, 2, 5);
    ASSERT_THAT(path.status(), IsOk());
    proof_ = LogProof{2, leaves_[2], *path, *note};

    document_.event = EvidenceEvent::kContentConsignment;
    document_.message_id = std::string(kMessageId);
    document_.sealed_digest_hex = HexEncode(crypto::Sha256(AsBytes("the seal statement")));
    document_.sender = "alice@example.org";
    document_.recipient = "bob@example.org";
    document_.delivery_method = DeliveryMethod::kMailbox;
    document_.time_ms = kEventMs;
    document_.log_origin = std::string(kOrigin);
    document_.log_index = 2;

    Write("root.pem", root_->certificate.ToPem());
    Write("chain.pem", issuing_->certificate.ToPem() + tsa_key_->certificate.ToPem());
  }

  Bytes Issue() {
    auto receipt = issuer_->IssueWithProof(document_, proof_);
    EXPECT_THAT(receipt.status(), IsOk());
    return receipt.ok() ? *receipt : Bytes{};
  }

  ReceiptVerifyOptions Options(bool with_digest = true) {
    ReceiptVerifyOptions o;
    o.roots = {root_->certificate};
    o.log_key = tlog::NoteVerifier{std::string(kOrigin), log_key_.verify_key()};
    if (with_digest) o.sealed_digest_hex = document_.sealed_digest_hex;
    return o;
  }

  void Write(const std::string& name, std::string_view text) {
    testutil::WriteTestFile(dir_.path(), name, text);
  }

  static std::string Failures(const ReceiptReport& r) {
    std::string out;
    for (const auto& c : r.checks) {
      if (c.outcome == CheckOutcome::kFailed) out += c.part + ": " + c.detail + "\n";
    }
    return out;
  }

  // Flips one bit of the first occurrence of `needle` in `receipt`, at `offset` within it.
  static Bytes Flip(Bytes receipt, ByteView needle, size_t offset) {
    const auto at = std::search(receipt.begin(), receipt.end(), needle.begin(), needle.end());
    EXPECT_NE(at, receipt.end());
    if (at == receipt.end()) return receipt;
    *(at + static_cast<std::ptrdiff_t>(offset)) ^= 0x01;
    return receipt;
  }

  testutil::TempDir dir_;
  TimePoint now_ = std::chrono::system_clock::now();
  platform::FakeClock clock_{now_};
  std::optional<smime::IssuedKey> root_, issuing_, tsa_key_, evidence_;
  std::unique_ptr<TimeStampAuthority> tsa_;
  std::unique_ptr<InProcessTimeStamper> stamper_;
  std::unique_ptr<ReceiptIssuer> issuer_;
  crypto::SigningKey log_key_ = crypto::SigningKey::Generate();
  std::vector<Bytes> leaves_;
  std::vector<tlog::Hash> hashes_;
  LogProof proof_;
  EvidenceDocument document_;
};

TEST_F(ReceiptTest, IssuedReceiptVerifiesInEveryPart) {
  const Bytes receipt = Issue();
  const ReceiptReport report = VerifyReceipt(receipt, Options());
  EXPECT_TRUE(report.valid()) << Failures(report);
  for (const char* part : {"structure", "signature", "document", "time-stamp", "sealed digest",
                           "log proof", "checkpoint signature", "log entry"}) {
    const ReceiptCheck* c = report.Find(part);
    ASSERT_NE(c, nullptr) << part;
    EXPECT_EQ(c->outcome, CheckOutcome::kPassed) << part << ": " << c->detail;
  }
  ASSERT_TRUE(report.document.has_value());
  EXPECT_EQ(*report.document, document_);
  EXPECT_THAT(report.document_text, ::testing::StartsWith(std::string(kExpectedDocumentPrefix)));
  auto parts = ParseReceipt(receipt);
  ASSERT_THAT(parts.status(), IsOk());
  EXPECT_THAT(report.Find("signature")->detail, HasSubstr("Evidence"));
  EXPECT_THAT(report.Find("time-stamp")->detail,
              HasSubstr("imprint " + HexEncode(crypto::Sha256(parts->signature))));
}

TEST_F(ReceiptTest, ParserReturnsTheParts) {
  const Bytes receipt = Issue();
  auto parts = ParseReceipt(receipt);
  ASSERT_THAT(parts.status(), IsOk());
  EXPECT_EQ(parts->proof, proof_);
  EXPECT_EQ(parts->document, *EncodeEvidenceDocument(document_));
  EXPECT_FALSE(parts->signature.empty());
  EXPECT_FALSE(parts->time_stamp_token.empty());
}

TEST_F(ReceiptTest, OpensslCmsVerifyPrintsTheDocument) {
  const Bytes receipt = Issue();
  Write("receipt.p7m", AsChars(receipt));
  // The evidence certificate's EKU is documentSigning: OpenSSL 3.0 needs -purpose any.
  const auto r = RunTool({"openssl", "cms", "-verify", "-inform", "DER", "-in", "receipt.p7m",
                          "-binary", "-CAfile", "root.pem", "-purpose", "any"},
                         dir_.path());
  ASSERT_EQ(r.exit_code, 0) << r.output();
  EXPECT_EQ(r.out, *EncodeEvidenceDocument(document_));
  EXPECT_THAT(r.err, HasSubstr("Verification successful"));
}

TEST_F(ReceiptTest, OpensslCmsVerifyRefusesAFlippedDocument) {
  const Bytes receipt = Flip(Issue(), AsBytes("message-id: "), 13);
  Write("receipt.p7m", AsChars(receipt));
  const auto r = RunTool({"openssl", "cms", "-verify", "-inform", "DER", "-in", "receipt.p7m",
                          "-binary", "-CAfile", "root.pem", "-purpose", "any"},
                         dir_.path());
  EXPECT_NE(r.exit_code, 0) << r.output();
}

TEST_F(ReceiptTest, OpensslShowsTheAttributesAndVerifiesTheTimeStamp) {
  const Bytes receipt = Issue();
  Write("receipt.p7m", AsChars(receipt));
  const auto printed = RunTool(
      {"openssl", "cms", "-cmsout", "-print", "-inform", "DER", "-in", "receipt.p7m"}, dir_.path());
  ASSERT_EQ(printed.exit_code, 0) << printed.output();
  EXPECT_THAT(printed.out, HasSubstr("id-smime-aa-timeStampToken"));
  EXPECT_THAT(printed.out, HasSubstr("id-smime-aa-signingCertificateV2"));
  EXPECT_THAT(printed.out, HasSubstr("signingTime"));
  EXPECT_THAT(printed.out, HasSubstr(std::string(kLogProofAttributeOid)));

  auto parts = ParseReceipt(receipt);
  ASSERT_THAT(parts.status(), IsOk());
  Write("token.der", AsChars(parts->time_stamp_token));
  const std::string imprint = HexEncode(crypto::Sha256(parts->signature));
  const auto r = RunTool({"openssl", "ts", "-verify", "-in", "token.der", "-token_in", "-digest",
                          imprint, "-CAfile", "root.pem", "-untrusted", "chain.pem"},
                         dir_.path());
  ASSERT_EQ(r.exit_code, 0) << r.output();
  EXPECT_THAT(r.output(), HasSubstr("Verification: OK"));
  // The same token does not verify for another imprint.
  const auto other = RunTool(
      {"openssl", "ts", "-verify", "-in", "token.der", "-token_in", "-digest",
       HexEncode(crypto::Sha256(AsBytes("x"))), "-CAfile", "root.pem", "-untrusted", "chain.pem"},
      dir_.path());
  EXPECT_NE(other.exit_code, 0) << other.output();
}

TEST_F(ReceiptTest, FlippedDocumentFailsTheSignature) {
  const Bytes receipt = Flip(Issue(), AsBytes("message-id: "), 13);
  const ReceiptReport report = VerifyReceipt(receipt, Options());
  EXPECT_FALSE(report.valid());
  ASSERT_NE(report.Find("signature"), nullptr);
  EXPECT_EQ(report.Find("signature")->outcome, CheckOutcome::kFailed);
}

TEST_F(ReceiptTest, FlippedSignatureFailsSignatureAndTimeStamp) {
  const Bytes receipt = Issue();
  auto parts = ParseReceipt(receipt);
  ASSERT_THAT(parts.status(), IsOk());
  const ReceiptReport report =
      VerifyReceipt(Flip(receipt, parts->signature, parts->signature.size() - 1), Options());
  EXPECT_FALSE(report.valid());
  EXPECT_EQ(report.Find("signature")->outcome, CheckOutcome::kFailed);
  EXPECT_EQ(report.Find("time-stamp")->outcome, CheckOutcome::kFailed);
}

TEST_F(ReceiptTest, FlippedTimeStampFailsTheTimeStampOnly) {
  const Bytes receipt = Issue();
  auto parts = ParseReceipt(receipt);
  ASSERT_THAT(parts.status(), IsOk());
  // The last byte of the token is in the TSA's signature.
  const ReceiptReport report = VerifyReceipt(
      Flip(receipt, parts->time_stamp_token, parts->time_stamp_token.size() - 1), Options());
  EXPECT_FALSE(report.valid());
  EXPECT_EQ(report.Find("time-stamp")->outcome, CheckOutcome::kFailed) << Failures(report);
  EXPECT_EQ(report.Find("signature")->outcome, CheckOutcome::kPassed);
  EXPECT_EQ(report.Find("log proof")->outcome, CheckOutcome::kPassed);
}

TEST_F(ReceiptTest, FlippedProofHashFailsTheLogProof) {
  const Bytes receipt = Issue();
  // The first path hash, in base64: flipping its low bit turns one base64 letter into another.
  const std::string hash_line = Base64Encode(proof_.path[0]);
  const ReceiptReport report = VerifyReceipt(Flip(receipt, AsBytes(hash_line), 0), Options());
  EXPECT_FALSE(report.valid());
  EXPECT_EQ(report.Find("log proof")->outcome, CheckOutcome::kFailed) << Failures(report);
  EXPECT_EQ(report.Find("signature")->outcome, CheckOutcome::kPassed);
}

TEST_F(ReceiptTest, FlippedCheckpointFailsItsSignature) {
  const Bytes receipt = Issue();
  // The first byte of the checkpoint note (its origin line), after the proof's "checkpoint" line.
  const ReceiptReport report =
      VerifyReceipt(Flip(receipt, AsBytes("\ncheckpoint\n"), 12), Options());
  EXPECT_FALSE(report.valid());
  EXPECT_EQ(report.Find("checkpoint signature")->outcome, CheckOutcome::kFailed)
      << Failures(report);
}

TEST_F(ReceiptTest, ReceiptOfAnotherMessageFailsTheDigest) {
  const Bytes receipt = Issue();
  ReceiptVerifyOptions o = Options();
  o.sealed_digest_hex = HexEncode(crypto::Sha256(AsBytes("another message")));
  const ReceiptReport report = VerifyReceipt(receipt, o);
  EXPECT_FALSE(report.valid());
  EXPECT_EQ(report.Find("sealed digest")->outcome, CheckOutcome::kFailed);
  // Without a digest the check is skipped, not passed.
  const ReceiptReport no_digest = VerifyReceipt(receipt, Options(false));
  EXPECT_TRUE(no_digest.valid());
  EXPECT_EQ(no_digest.Find("sealed digest")->outcome, CheckOutcome::kSkipped);
}

TEST_F(ReceiptTest, AnotherRootOrLogKeyFails) {
  const Bytes receipt = Issue();
  auto other_root = smime::CreateRootCa({}, now_);
  ASSERT_THAT(other_root.status(), IsOk());
  ReceiptVerifyOptions o = Options();
  o.roots = {other_root->certificate};
  ReceiptReport report = VerifyReceipt(receipt, o);
  EXPECT_EQ(report.Find("signature")->outcome, CheckOutcome::kFailed);
  EXPECT_EQ(report.Find("time-stamp")->outcome, CheckOutcome::kFailed);

  o = Options();
  o.log_key = tlog::NoteVerifier{std::string(kOrigin), crypto::SigningKey::Generate().verify_key()};
  report = VerifyReceipt(receipt, o);
  EXPECT_EQ(report.Find("checkpoint signature")->outcome, CheckOutcome::kFailed);
}

TEST_F(ReceiptTest, IssuerRefusesADocumentTheLeafDoesNotRecord) {
  EvidenceDocument other = document_;
  other.message_id = "m-another";
  EXPECT_THAT(issuer_->IssueWithProof(other, proof_).status(),
              StatusIs(ErrorCode::kUnauthenticated));
  other = document_;
  other.event = EvidenceEvent::kContentHandover;  // the leaf is a message.send
  EXPECT_THAT(issuer_->IssueWithProof(other, proof_).status(),
              StatusIs(ErrorCode::kUnauthenticated));
  LogProof bad = proof_;
  bad.path[0][0] ^= 1;
  EXPECT_THAT(issuer_->IssueWithProof(document_, bad).status(),
              StatusIs(ErrorCode::kUnauthenticated));
}

// A registered-mail receipt issued before the event names followed ETSI EN 319 522
// ("AcceptanceByRecipient") still verifies in every part, and reads as ConsignmentAcceptance.
TEST_F(ReceiptTest, AReceiptWithTheFormerAcceptanceNameStillVerifies) {
  tlog::LogEvent accepted{kEventMs, "message.accepted", "u-2", std::string(kMessageId),
                          R"({"recipient":"bob@example.org","method":"mailbox"})"};
  auto leaf = tlog::EncodeLogEvent(accepted);
  ASSERT_THAT(leaf.status(), IsOk());
  const std::vector<tlog::Hash> one{tlog::LeafHash(*leaf)};
  auto note =
      tlog::SignCheckpoint({std::string(kOrigin), 1, tlog::RootHash(one), {}}, kOrigin, log_key_);
  ASSERT_THAT(note.status(), IsOk());
  const LogProof proof{0, *leaf, {}, *note};
  document_.event = EvidenceEvent::kConsignmentAcceptance;
  document_.log_index = 0;
  document_.legacy_event_name = true;  // as issued then
  auto receipt = issuer_->IssueWithProof(document_, proof);
  ASSERT_THAT(receipt.status(), IsOk());
  ASSERT_NE(std::search(receipt->begin(), receipt->end(), kFormer.begin(), kFormer.end()),
            receipt->end());

  const ReceiptReport report = VerifyReceipt(*receipt, Options());
  EXPECT_TRUE(report.valid()) << Failures(report);
  ASSERT_TRUE(report.document.has_value());
  EXPECT_EQ(report.document->event, EvidenceEvent::kConsignmentAcceptance);
  EXPECT_TRUE(report.document->legacy_event_name);
  // And one byte of it flipped still fails, as for any receipt.
  EXPECT_FALSE(VerifyReceipt(Flip(*receipt, AsBytes(kFormer), 3), Options()).valid());
}

TEST_F(ReceiptTest, GarbageIsAStructureFailure) {
  for (const Bytes& input : {Bytes{}, Bytes{0x30, 0x03, 0x02, 0x01, 0x01}, Bytes(100, 0x41)}) {
    const ReceiptReport report = VerifyReceipt(input, Options());
    EXPECT_FALSE(report.valid());
    ASSERT_EQ(report.checks.size(), 1u);
    EXPECT_EQ(report.checks[0].part, "structure");
    EXPECT_FALSE(ParseReceipt(input).ok());
  }
  // Trailing bytes after the CMS.
  Bytes receipt = Issue();
  receipt.push_back(0);
  EXPECT_FALSE(VerifyReceipt(receipt, Options()).valid());
}

TEST_F(ReceiptTest, LogProofTextRoundTripsAndRefusesNonCanonicalForms) {
  const std::string text = EncodeLogProof(proof_);
  auto back = ParseLogProof(text);
  ASSERT_THAT(back.status(), IsOk());
  EXPECT_EQ(*back, proof_);
  EXPECT_FALSE(ParseLogProof("sealpost-log-proof/v1\nindex 02\n").ok());
  std::string wrong_count = text;
  wrong_count.replace(wrong_count.find("path 3"), 6, "path 4");
  EXPECT_FALSE(ParseLogProof(wrong_count).ok());
}

TEST_F(ReceiptTest, ExternalTsaExchangeChecksTheAnswer) {
  const Bytes imprint(32, 0x5a);
  // A well-behaved TSA (ours, over the wire format): the token carries the imprint.
  auto token = TimeStampWith(imprint, [this](ByteView q) { return tsa_->Respond(q); });
  ASSERT_THAT(token.status(), IsOk());
  Write("token.der", AsChars(*token));
  const auto r = RunTool({"openssl", "ts", "-verify", "-in", "token.der", "-token_in", "-digest",
                          HexEncode(imprint), "-CAfile", "root.pem", "-untrusted", "chain.pem"},
                         dir_.path());
  EXPECT_EQ(r.exit_code, 0) << r.output();
  // Garbage, an unreachable TSA, and an answer to another request are refused.
  EXPECT_THAT(TimeStampWith(imprint,
                            [](ByteView) -> Result<Bytes> {
                              return Bytes{1, 2, 3};
                            })
                  .status(),
              StatusIs(ErrorCode::kUnavailable));
  EXPECT_THAT(
      TimeStampWith(imprint, [](ByteView) -> Result<Bytes> { return Unavailable("no route"); })
          .status(),
      StatusIs(ErrorCode::kUnavailable));
  Bytes other_query;
  ASSERT_THAT(TimeStampWith(Bytes(32, 1),
                            [&](ByteView q) {
                              other_query.assign(q.begin(), q.end());
                              return tsa_->Respond(q);
                            })
                  .status(),
              IsOk());
  EXPECT_THAT(TimeStampWith(imprint, [&](ByteView) { return tsa_->Respond(other_query); }).status(),
              StatusIs(ErrorCode::kUnavailable));
  // A refused query (garbage) gives no token in process either.
  EXPECT_THAT(tsa_->RespondWithToken(AsBytes("garbage")).status(),
              StatusIs(ErrorCode::kUnavailable));
}

// The proof read from a store's tiles (what the sequencer writes) gives a receipt that verifies.
// A receipt time-stamped by an external TSA under another root: its root is trusted for the
// time-stamp only (tsa_roots), never for the receipt's signature.
TEST_F(ReceiptTest, ExternalTsaRootIsTrustedForTheTimeStampOnly) {
  const smime::CaNames names{"Other TSA", "Other TSA Root", "Other TSA Issuing CA"};
  auto other_root = smime::CreateRootCa(names, now_);
  ASSERT_THAT(other_root.status(), IsOk());
  auto other_issuing = smime::CreateIssuingCa(*other_root, names, now_);
  ASSERT_THAT(other_issuing.status(), IsOk());
  auto other_key = smime::IssueLeafWithNewKey(
      *other_issuing, names, {smime::LeafProfile::kTimeStamping, "Other TSA", std::nullopt}, now_);
  ASSERT_THAT(other_key.status(), IsOk());
  auto other_tsa = TimeStampAuthority::Create(*other_key, {other_issuing->certificate}, clock_, {});
  ASSERT_THAT(other_tsa.status(), IsOk());
  auto stamper = ExternalTimeStamper::Create(
      {other_root->certificate}, [&](ByteView query) { return (*other_tsa)->Respond(query); });
  ASSERT_THAT(stamper.status(), IsOk());
  auto issuer =
      ReceiptIssuer::Create(*evidence_, {issuing_->certificate, root_->certificate}, **stamper);
  ASSERT_THAT(issuer.status(), IsOk());
  auto receipt = (*issuer)->IssueWithProof(document_, proof_);
  ASSERT_THAT(receipt.status(), IsOk());

  ReceiptVerifyOptions o = Options();
  EXPECT_EQ(VerifyReceipt(*receipt, o).Find("time-stamp")->outcome, CheckOutcome::kFailed);
  o.tsa_roots = {other_root->certificate};
  const ReceiptReport ok = VerifyReceipt(*receipt, o);
  EXPECT_TRUE(ok.valid()) << Failures(ok);
  // The TSA's root does not vouch for the evidence signer.
  o.roots = {other_root->certificate};
  o.tsa_roots = {};
  const ReceiptReport swapped = VerifyReceipt(*receipt, o);
  EXPECT_EQ(swapped.Find("signature")->outcome, CheckOutcome::kFailed);
  EXPECT_EQ(swapped.Find("time-stamp")->outcome, CheckOutcome::kPassed);
}

TEST_F(ReceiptTest, StoreLogProofSourceReadsTheProofFromTiles) {
  auto store = store::sqlite::OpenSqliteStore(dir_.path() + "/log.db");
  ASSERT_THAT(store.status(), IsOk());
  // 300 leaves (a full level-0 tile and a partial one), the receipt's event at index 260.
  std::vector<Bytes> leaves;
  std::vector<tlog::Hash> hashes;
  for (int i = 0; i < 300; ++i) {
    tlog::LogEvent e{kEventMs, "message.send", "u-1", "m-" + std::to_string(i), "{}"};
    leaves.push_back(*tlog::EncodeLogEvent(e));
    hashes.push_back(tlog::LeafHash(leaves.back()));
  }
  const tlog::LeafHashSpan source(hashes);
  auto note = tlog::SignCheckpoint({std::string(kOrigin), 300, tlog::RootHash(hashes), {}}, kOrigin,
                                   log_key_);
  ASSERT_THAT(note.status(), IsOk());
  ASSERT_THAT((*store)->Write([&](store::WriteTxn& tx) -> Status {
    SP_RETURN_IF_ERROR(tx.log().AppendLogEntries(0, leaves));
    for (const tlog::TileId& t : tlog::TilesForTree(300)) {
      SP_ASSIGN_OR_RETURN(const Bytes tile, tlog::MakeTile(source, t));
      SP_RETURN_IF_ERROR(tx.log().PutLogTile(t.level, t.index, t.width, tile));
    }
    const tlog::Hash root = tlog::RootHash(hashes);
    return tx.log().AddLogCheckpoint({300, Bytes(root.begin(), root.end()), *note, clock_.Now()});
  }),
              IsOk());
  StoreLogProofSource proofs((*store)->log());
  EXPECT_THAT(proofs.Prove(300).status(), StatusIs(ErrorCode::kNotFound));
  document_.message_id = "m-260";
  document_.log_index = 260;
  auto receipt = issuer_->Issue(document_, proofs);
  ASSERT_THAT(receipt.status(), IsOk());
  const ReceiptReport report = VerifyReceipt(*receipt, Options());
  EXPECT_TRUE(report.valid()) << Failures(report);
  EXPECT_THAT(report.Find("log proof")->detail, HasSubstr("leaf 260 of 300"));
}

// Writes the fuzz seeds of tests/fuzz/corpus/receipt/ when SEALPOST_FUZZ_SEED_DIR is set
// (docs/fuzzing.md); otherwise checks only that the seeds parse.
TEST_F(ReceiptTest, FuzzSeeds) {
  const Bytes receipt = Issue();
  auto parts = ParseReceipt(receipt);
  ASSERT_THAT(parts.status(), IsOk());
  const std::string proof = EncodeLogProof(parts->proof);
  ASSERT_THAT(ParseEvidenceDocument(parts->document).status(), IsOk());
  if (const char* dir = std::getenv("SEALPOST_FUZZ_SEED_DIR")) {
    testutil::WriteTestFile(dir, "receipt.p7m", AsChars(receipt));
    testutil::WriteTestFile(dir, "document.txt", parts->document);
    testutil::WriteTestFile(dir, "log-proof.txt", proof);
  }
}

}  // namespace
}  // namespace sealpost::receipts
