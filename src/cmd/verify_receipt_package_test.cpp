// `sealpost verify receipt` run as an evidence package's README.txt says
// (docs/formats/evidence-package.md): the package is unpacked with `unzip`, and every
// "$ sealpost verify receipt …" line is run, its paths taken relative to the unpacked folder.
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "cmd/verify_receipt.h"
#include "crypto/hash.h"
#include "receipts/evidence_package.h"
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
constexpr std::string_view kMessageId = "m-1";

std::vector<std::string> Split(const std::string& text, char sep) {
  std::vector<std::string> out;
  std::string item;
  std::istringstream in(text);
  while (std::getline(in, item, sep)) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

// "$ sealpost verify receipt FILE --root R [--log-key K] --digest D" as VerifyReceiptArgs, with
// the files under `dir`.
VerifyReceiptArgs ParseReadmeLine(const std::string& line, const std::string& dir) {
  const std::vector<std::string> words = Split(line, ' ');
  VerifyReceiptArgs args;
  EXPECT_GE(words.size(), 4u);
  if (words.size() < 4) return args;
  args.receipt_path = dir + "/" + words[3];
  for (size_t i = 4; i + 1 < words.size(); i += 2) {
    if (words[i] == "--root") {
      args.root_path = dir + "/" + words[i + 1];
    } else if (words[i] == "--log-key") {
      args.log_key = dir + "/" + words[i + 1];
    } else if (words[i] == "--digest") {
      args.digest_hex = words[i + 1];
    } else {
      ADD_FAILURE() << "unknown option " << words[i];
    }
  }
  return args;
}

TEST(VerifyReceiptPackageTest, EveryReadmeCommandPassesAndATamperedReceiptFails) {
  const TimePoint now = std::chrono::system_clock::now();
  auto pki = receipts::MakeTestEvidencePki(now);
  ASSERT_THAT(pki.status(), IsOk());
  const platform::SystemClock clock;
  auto tsa = receipts::TimeStampAuthority::Create(pki->tsa, {pki->issuing.certificate}, clock, {});
  ASSERT_THAT(tsa.status(), IsOk());
  const receipts::InProcessTimeStamper stamper(**tsa);
  auto issuer = receipts::ReceiptIssuer::Create(pki->evidence, pki->Chain(), stamper);
  ASSERT_THAT(issuer.status(), IsOk());

  // Two leaves (send, then the guest's unlock) and a receipt for each.
  const crypto::SigningKey log_key = crypto::SigningKey::Generate();
  const int64_t ms = ToUnixMillis(now);
  std::vector<Bytes> leaves;
  std::vector<tlog::Hash> hashes;
  for (const char* type : {"message.send", "pickup.unlock"}) {
    auto leaf = tlog::EncodeLogEvent({ms, type, "u-1", std::string(kMessageId), "{}"});
    ASSERT_THAT(leaf.status(), IsOk());
    leaves.push_back(*leaf);
    hashes.push_back(tlog::LeafHash(*leaf));
  }
  auto note =
      tlog::SignCheckpoint({std::string(kOrigin), 2, tlog::RootHash(hashes), {}}, kOrigin, log_key);
  ASSERT_THAT(note.status(), IsOk());
  const std::string digest = HexEncode(crypto::Sha256(AsBytes("the seal statement")));
  receipts::EvidencePackageInput input;
  input.message_id = std::string(kMessageId);
  input.sealed_digest_hex = digest;
  input.sender = "alice@example.org";
  input.signed_eml = Bytes{'x'};
  input.seal = Bytes(64, 1);
  input.checkpoint = *note;
  input.log_key = tlog::NoteVerifier{std::string(kOrigin), log_key.verify_key()};
  input.generated_at = now;
  const tlog::LeafHashSpan source(hashes);
  for (uint64_t i = 0; i < 2; ++i) {
    receipts::EvidenceDocument d;
    d.event = i == 0 ? receipts::EvidenceEvent::kSubmissionAcceptance
                     : receipts::EvidenceEvent::kContentHandover;
    d.message_id = std::string(kMessageId);
    d.sealed_digest_hex = digest;
    d.sender = "alice@example.org";
    d.recipient = "guest@example.net";
    d.delivery_method = receipts::DeliveryMethod::kPickup;
    d.time_ms = ms;
    d.log_origin = std::string(kOrigin);
    d.log_index = i;
    auto path = tlog::InclusionProof(source, i, 2);
    ASSERT_THAT(path.status(), IsOk());
    auto receipt = (*issuer)->IssueWithProof(d, {i, leaves[i], *path, *note});
    ASSERT_THAT(receipt.status(), IsOk());
    input.receipts.push_back(*receipt);
  }
  auto package = receipts::BuildEvidencePackage(input, {pki->root.certificate,
                                                        {pki->issuing.certificate},
                                                        pki->evidence.certificate,
                                                        pki->tsa.certificate});
  ASSERT_THAT(package.status(), IsOk());

  testutil::TempDir dir;
  testutil::WriteTestFile(dir.path(), "package.zip", AsChars(*package));
  const auto unzip = testutil::RunTool({"unzip", "-q", "package.zip", "-d", "out"}, dir.path());
  ASSERT_EQ(unzip.exit_code, 0) << unzip.output();
  const std::string out = dir.path() + "/out";
  const std::string readme = testutil::ReadFileBytes(out + "/README.txt");
  std::vector<VerifyReceiptArgs> commands;
  for (const std::string& line : Split(readme, '\n')) {
    if (line.rfind("$ sealpost verify receipt ", 0) == 0) {
      commands.push_back(ParseReadmeLine(line.substr(2), out));
    }
  }
  ASSERT_EQ(commands.size(), 2u);
  for (const VerifyReceiptArgs& args : commands) {
    EXPECT_EQ(VerifyReceiptCommand(args), 0) << args.receipt_path;
  }
  // One byte flipped in the unpacked receipt's document: the same command exits 1.
  std::string der = testutil::ReadFileBytes(commands[0].receipt_path);
  const size_t at = der.find("message-id: ");
  ASSERT_NE(at, std::string::npos);
  der[at + 12] ^= 0x01;
  testutil::WriteFileBytes(commands[0].receipt_path, der);
  EXPECT_EQ(VerifyReceiptCommand(commands[0]), 1);
}

}  // namespace
}  // namespace sealpost::cmd
