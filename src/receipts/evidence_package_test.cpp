// The evidence package and its PDF report, checked from the outside: receipts issued here by the
// real ReceiptIssuer (platform CA, in-process TSA, a small log) are packaged, the ZIP is opened
// with `unzip`, every openssl command of its README.txt is run as written, and the report is
// read back with `pdftotext` (poppler).
#include "receipts/evidence_package.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "crypto/hash.h"
#include "crypto/security_policy.h"
#include "receipts/evidence_report_pdf.h"
#include "receipts/receipt.h"
#include "receipts/receipt_issuer.h"
#include "receipts/receipt_verifier.h"
#include "receipts/testing/evidence_pki.h"
#include "receipts/tsa.h"
#include "testing/run_tool.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"
#include "tlog/checkpoint.h"
#include "tlog/log_entry.h"

namespace sealpost::receipts {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testutil::ReadFileBytes;
using testutil::RunTool;

constexpr std::string_view kOrigin = "example.org/sealpost-log";
constexpr int64_t kSendMs = 1'796'000'000'123;  // 2026-11-29T…
constexpr std::string_view kMessageId = "m-0123456789abcdef";
constexpr std::string_view kSender = "alice@example.org";
constexpr std::string_view kTraversal = "../../../tmp/evil@example.org";

std::vector<std::string> Split(const std::string& text, char sep) {
  std::vector<std::string> out;
  std::string item;
  std::istringstream in(text);
  while (std::getline(in, item, sep)) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

// Whitespace runs (a line wrapped in the PDF) as one space.
std::string Squeeze(std::string_view text) {
  std::string out;
  for (const char c : text) {
    const bool space = c == ' ' || c == '\n' || c == '\t' || c == '\f' || c == '\r';
    if (space) {
      if (!out.empty() && out.back() != ' ') out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

class EvidencePackageTest : public ::testing::Test {
 protected:
  struct Event {
    EvidenceEvent event;
    std::string log_type;
    std::string recipient;
    DeliveryMethod method;
  };

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
    sealed_digest_ = HexEncode(crypto::Sha256(AsBytes("the seal statement")));
  }

  // Logs `events` (one leaf each, a second apart, after an unrelated login), signs a checkpoint
  // over the log and issues one receipt per event with its proof.
  std::vector<Bytes> IssueReceipts(const std::vector<Event>& events) {
    std::vector<tlog::Hash> hashes;
    std::vector<Bytes> leaves;
    const auto append = [&](const tlog::LogEvent& e) {
      auto leaf = tlog::EncodeLogEvent(e);
      EXPECT_THAT(leaf.status(), IsOk());
      leaves.push_back(*leaf);
      hashes.push_back(tlog::LeafHash(leaves.back()));
    };
    append({kSendMs - 5000, "auth.login", "u-1", "u-1", "{}"});
    for (size_t i = 0; i < events.size(); ++i) {
      append({kSendMs + static_cast<int64_t>(i) * 1000, events[i].log_type, "u-1",
              std::string(kMessageId), "{}"});
    }
    const tlog::Checkpoint cp{std::string(kOrigin), leaves.size(), tlog::RootHash(hashes), {}};
    auto note = tlog::SignCheckpoint(cp, kOrigin, log_key_);
    EXPECT_THAT(note.status(), IsOk());
    checkpoint_ = *note;
    const tlog::LeafHashSpan source(hashes);
    std::vector<Bytes> receipts;
    for (size_t i = 0; i < events.size(); ++i) {
      const uint64_t index = i + 1;
      auto path = tlog::InclusionProof(source, index, leaves.size());
      EXPECT_THAT(path.status(), IsOk());
      EvidenceDocument d;
      d.event = events[i].event;
      d.message_id = std::string(kMessageId);
      d.sealed_digest_hex = sealed_digest_;
      d.sender = std::string(kSender);
      d.recipient = events[i].recipient;
      d.delivery_method = events[i].method;
      d.time_ms = kSendMs + static_cast<int64_t>(i) * 1000;
      d.log_origin = std::string(kOrigin);
      d.log_index = index;
      auto receipt = issuer_->IssueWithProof(d, LogProof{index, leaves[index], *path, *note});
      EXPECT_THAT(receipt.status(), IsOk());
      receipts.push_back(receipt.ok() ? *receipt : Bytes{});
    }
    return receipts;
  }

  std::vector<Event> StandardEvents() const {
    return {
        {EvidenceEvent::kSubmissionAcceptance, "message.send", "bob@example.org",
         DeliveryMethod::kMailbox},
        {EvidenceEvent::kSubmissionAcceptance, "message.send", "carol@example.net",
         DeliveryMethod::kPickup},
        {EvidenceEvent::kContentConsignment, "message.send", "bob@example.org",
         DeliveryMethod::kMailbox},
        {EvidenceEvent::kContentConsignment, "pickup.notified", "carol@example.net",
         DeliveryMethod::kPickup},
        {EvidenceEvent::kContentHandover, "pickup.unlock", "carol@example.net",
         DeliveryMethod::kPickup},
    };
  }

  EvidencePackageInput Input(std::vector<Bytes> receipts) const {
    EvidencePackageInput in;
    in.message_id = std::string(kMessageId);
    in.sealed_digest_hex = sealed_digest_;
    in.sender = std::string(kSender);
    in.signed_eml = Bytes(eml_.begin(), eml_.end());
    in.seal = Bytes(64, 0x5e);
    in.seal_public_key = Bytes(32, 0x42);
    in.receipts = std::move(receipts);
    in.checkpoint = checkpoint_;
    in.log_key = tlog::NoteVerifier{std::string(kOrigin), log_key_.verify_key()};
    in.generated_at = FromUnixMillis(kSendMs + 3'600'000);
    return in;
  }

  EvidenceCertificates Certificates() const {
    return {
        root_->certificate, {issuing_->certificate}, evidence_->certificate, tsa_key_->certificate};
  }

  // Writes the package and unpacks it with unzip into dir/out; returns that folder.
  std::string Unzip(const Bytes& package) {
    testutil::WriteTestFile(dir_.path(), "package.zip", AsChars(package));
    const auto r = RunTool({"unzip", "-q", "package.zip", "-d", "out"}, dir_.path());
    EXPECT_EQ(r.exit_code, 0) << r.output();
    return dir_.path() + "/out";
  }

  std::string PdfText(const std::string& pdf_path) {
    const auto r = RunTool({"pdftotext", "-enc", "UTF-8", pdf_path, "-"}, dir_.path());
    EXPECT_EQ(r.exit_code, 0) << r.output();
    // poppler reports a damaged PDF on stderr.
    EXPECT_EQ(r.err, "");
    return r.out;
  }

  static std::vector<std::string> ZipNames(const std::string& dir) {
    const auto r = RunTool({"unzip", "-Z1", "package.zip"}, dir);
    EXPECT_EQ(r.exit_code, 0) << r.output();
    return Split(r.out, '\n');
  }

  testutil::TempDir dir_;
  TimePoint now_ = std::chrono::system_clock::now();
  platform::FakeClock clock_{now_};
  std::optional<smime::IssuedKey> root_, issuing_, tsa_key_, evidence_;
  std::unique_ptr<TimeStampAuthority> tsa_;
  std::unique_ptr<InProcessTimeStamper> stamper_;
  std::unique_ptr<ReceiptIssuer> issuer_;
  crypto::SigningKey log_key_ = crypto::SigningKey::Generate();
  std::string sealed_digest_;
  std::string checkpoint_;
  std::string eml_ = "From: alice@example.org\r\nTo: bob@example.org\r\n\r\nsigned body\r\n";
};

TEST_F(EvidencePackageTest, HoldsEveryFileAndTheReadmeCommandsVerifyWithOpenssl) {
  const auto receipts = IssueReceipts(StandardEvents());
  auto package = BuildEvidencePackage(Input(receipts), Certificates());
  ASSERT_THAT(package.status(), IsOk());
  const std::string out = Unzip(*package);

  const std::vector<std::string> names = ZipNames(dir_.path());
  for (const char* expected :
       {"README.txt", "report.pdf", "message.eml", "seal", "checkpoint.txt", "log-key.txt",
        "certificates/root.pem", "certificates/chain.pem", "certificates/evidence-signer.pem",
        "certificates/tsa.pem", "receipts/001-SubmissionAcceptance-bob@example.org.p7m",
        "receipts/001-SubmissionAcceptance-bob@example.org.tst",
        "receipts/002-ContentConsignment-bob@example.org.p7m",
        "receipts/005-ContentHandover-carol@example.net.p7m"}) {
    EXPECT_THAT(names, ::testing::Contains(std::string(expected)));
  }
  EXPECT_EQ(names.size(), 10u + 2 * receipts.size());
  EXPECT_EQ(ReadFileBytes(out + "/message.eml"), eml_);
  EXPECT_EQ(ReadFileBytes(out + "/seal"), std::string(64, '\x5e'));
  EXPECT_EQ(ReadFileBytes(out + "/checkpoint.txt"), checkpoint_);
  EXPECT_EQ(ReadFileBytes(out + "/certificates/root.pem"), root_->certificate.ToPem());
  EXPECT_EQ(ReadFileBytes(out + "/certificates/chain.pem"), issuing_->certificate.ToPem());

  // Every openssl command of the README, run as written in the unpacked folder.
  const std::string readme = ReadFileBytes(out + "/README.txt");
  size_t cms = 0;
  size_t ts = 0;
  size_t sealpost = 0;
  for (const std::string& line : Split(readme, '\n')) {
    if (line.rfind("$ sealpost verify receipt ", 0) == 0) ++sealpost;
    if (line.rfind("$ openssl ", 0) != 0) continue;
    const std::vector<std::string> argv = Split(line.substr(2), ' ');
    const auto r = RunTool(argv, out);
    ASSERT_EQ(r.exit_code, 0) << line << "\n" << r.output();
    if (argv[1] == "cms") {
      ++cms;
      EXPECT_THAT(r.err, HasSubstr("Verification successful")) << line;
      EXPECT_THAT(r.out, HasSubstr("message-id: " + std::string(kMessageId))) << line;
    } else if (argv[1] == "ts") {
      ++ts;
      EXPECT_THAT(r.output(), HasSubstr("Verification: OK")) << line;
    } else {
      EXPECT_THAT(r.out, HasSubstr(":"));  // the root's fingerprint
    }
  }
  EXPECT_EQ(cms, receipts.size());
  EXPECT_EQ(ts, receipts.size());
  EXPECT_EQ(sealpost, receipts.size());
  EXPECT_THAT(readme, HasSubstr("--log-key log-key.txt --digest " + sealed_digest_));

  // What `sealpost verify receipt` runs, on the unpacked files, with the unpacked log key.
  auto root = smime::Certificate::FromPem(ReadFileBytes(out + "/certificates/root.pem"));
  ASSERT_THAT(root.status(), IsOk());
  std::string vkey = ReadFileBytes(out + "/log-key.txt");
  ASSERT_FALSE(vkey.empty());
  vkey.pop_back();  // the newline
  auto log_key = tlog::ParseVerifierKey(vkey);
  ASSERT_THAT(log_key.status(), IsOk());
  for (const std::string& name : names) {
    if (name.rfind("receipts/", 0) != 0 || !name.ends_with(".p7m")) continue;
    const std::string der = ReadFileBytes(out + "/" + name);
    const ReceiptReport report = VerifyReceipt(
        AsBytes(der),
        {.roots = {*root}, .log_key = *log_key, .sealed_digest_hex = std::string(sealed_digest_)});
    EXPECT_TRUE(report.valid()) << name;
  }
}

// A flipped byte in an unpacked receipt fails the README's openssl cms command.
TEST_F(EvidencePackageTest, ReadmeCommandFailsOnATamperedReceipt) {
  const auto receipts = IssueReceipts(StandardEvents());
  auto package = BuildEvidencePackage(Input(receipts), Certificates());
  ASSERT_THAT(package.status(), IsOk());
  const std::string out = Unzip(*package);
  const std::string file = "receipts/001-SubmissionAcceptance-bob@example.org.p7m";
  std::string der = ReadFileBytes(out + "/" + file);
  const size_t at = der.find("message-id: ");
  ASSERT_NE(at, std::string::npos);
  der[at + 13] ^= 0x01;
  testutil::WriteFileBytes(out + "/" + file, der);
  const auto r = RunTool({"openssl", "cms", "-verify", "-inform", "DER", "-in", file, "-binary",
                          "-CAfile", "certificates/root.pem", "-purpose", "any"},
                         out);
  EXPECT_NE(r.exit_code, 0) << r.output();
}

TEST_F(EvidencePackageTest, ReportShowsEventsFingerprintsCheckpointAndCommands) {
  const auto receipts = IssueReceipts(StandardEvents());
  const EvidencePackageInput input = Input(receipts);
  auto package = BuildEvidencePackage(input, Certificates());
  ASSERT_THAT(package.status(), IsOk());
  const std::string out = Unzip(*package);
  const std::string text = PdfText(out + "/report.pdf");
  const std::string flat = Squeeze(text);

  EXPECT_THAT(text, HasSubstr("Sealpost evidence report"));
  EXPECT_THAT(text, HasSubstr(std::string(kMessageId)));
  EXPECT_THAT(flat, HasSubstr(sealed_digest_));
  EXPECT_THAT(text, HasSubstr(std::string(kSender)));
  for (const char* recipient : {"bob@example.org", "carol@example.net"}) {
    EXPECT_THAT(text, HasSubstr(std::string("Recipient: ") + recipient));
  }
  for (const char* event : {"SubmissionAcceptance", "ContentConsignment", "ContentHandover"}) {
    EXPECT_THAT(text, HasSubstr(event));
  }
  // Times in UTC with their log indexes: the handover is the fifth event, leaf 5.
  EXPECT_THAT(flat, HasSubstr(FormatRfc3339(FromUnixMillis(kSendMs + 4000)) +
                              " ContentHandover log index 5"));
  for (const std::string& fp :
       {evidence_->certificate.FingerprintHex(), tsa_key_->certificate.FingerprintHex(),
        root_->certificate.FingerprintHex(), issuing_->certificate.FingerprintHex(),
        HexEncode(crypto::Sha256(input.seal_public_key))}) {
    EXPECT_THAT(flat, HasSubstr(fp));
  }
  auto note = tlog::ParseNote(checkpoint_);
  ASSERT_THAT(note.status(), IsOk());
  auto cp = tlog::ParseCheckpoint(note->text);
  ASSERT_THAT(cp.status(), IsOk());
  EXPECT_THAT(text, HasSubstr(std::string(kOrigin)));
  EXPECT_THAT(flat, HasSubstr("Tree size: " + std::to_string(cp->size)));
  EXPECT_THAT(flat, HasSubstr(Base64Encode(cp->root_hash)));
  // Every command of the README, as one line once the PDF's wrapping is undone.
  const std::string readme = ReadFileBytes(out + "/README.txt");
  size_t commands = 0;
  for (const std::string& line : Split(readme, '\n')) {
    if (line.rfind("$ ", 0) != 0) continue;
    ++commands;
    EXPECT_THAT(flat, HasSubstr(line.substr(2)));
  }
  EXPECT_EQ(commands, 1 + 3 * receipts.size());
}

TEST_F(EvidencePackageTest, NonAsciiNamesRenderAndDisguisingCharactersAreEscaped) {
  EvidencePackageInput input = Input(IssueReceipts(StandardEvents()));
  input.display_names = {
      {"alice@example.org", "Jörg Müller-Łukasiewicz"},
      {"bob@example.org", "Дмитрий Иванов"},
      // A right-to-left override would show "evil" reversed; a CJK name the font lacks.
      {"carol@example.net", "\u202Elive \u674E"},
  };
  auto package = BuildEvidencePackage(input, Certificates());
  ASSERT_THAT(package.status(), IsOk());
  const std::string text = PdfText(Unzip(*package) + "/report.pdf");
  EXPECT_THAT(text, HasSubstr("Jörg Müller-Łukasiewicz <alice@example.org>"));
  EXPECT_THAT(text, HasSubstr("Дмитрий Иванов <bob@example.org>"));
  EXPECT_THAT(text, HasSubstr("<U+202E>live <U+674E> <carol@example.net>"));
  EXPECT_THAT(text, Not(HasSubstr("\u202E")));
}

TEST_F(EvidencePackageTest, SameInputGivesTheSameBytes) {
  const EvidencePackageInput input = Input(IssueReceipts(StandardEvents()));
  auto a = BuildEvidencePackage(input, Certificates());
  auto b = BuildEvidencePackage(input, Certificates());
  ASSERT_THAT(a.status(), IsOk());
  ASSERT_THAT(b.status(), IsOk());
  EXPECT_EQ(*a, *b);
  EvidencePackageInput later = input;
  later.generated_at += std::chrono::hours(24);
  auto c = BuildEvidencePackage(later, Certificates());
  ASSERT_THAT(c.status(), IsOk());
  EXPECT_NE(*a, *c);
}

TEST_F(EvidencePackageTest, TraversalInAnAddressIsSanitized) {
  std::vector<Event> events = StandardEvents();
  events.push_back({EvidenceEvent::kContentConsignment, "mail.sent", std::string(kTraversal),
                    DeliveryMethod::kSmtp});
  events.push_back(
      {EvidenceEvent::kContentConsignment, "mail.sent", "/etc/passwd", DeliveryMethod::kSmtp});
  auto package = BuildEvidencePackage(Input(IssueReceipts(events)), Certificates());
  ASSERT_THAT(package.status(), IsOk());
  const std::string out = Unzip(*package);
  const std::vector<std::string> names = ZipNames(dir_.path());
  // Sorted by recipient: "../" and "/etc" sort before letters.
  EXPECT_THAT(names, ::testing::Contains(std::string(
                         "receipts/001-ContentConsignment-_________tmp_evil@example.org.p7m")));
  EXPECT_THAT(names,
              ::testing::Contains(std::string("receipts/002-ContentConsignment-_etc_passwd.p7m")));
  for (const std::string& name : names) {
    EXPECT_THAT(name, Not(HasSubstr(".."))) << name;
    EXPECT_NE(name[0], '/') << name;
    const std::string folder = name.substr(0, name.rfind('/') + 1);
    EXPECT_TRUE(folder.empty() || folder == "receipts/" || folder == "certificates/") << name;
  }
  // unzip put everything under out/: nothing escaped into the test directory or /tmp.
  EXPECT_FALSE(std::filesystem::exists(dir_.path() + "/tmp"));
  size_t files = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir_.path())) {
    if (!entry.is_regular_file()) continue;
    const std::string path = entry.path().string();
    EXPECT_TRUE(path.rfind(out + "/", 0) == 0 || entry.path().filename() == "package.zip" ||
                entry.path().filename().string().rfind(".tool-", 0) == 0)
        << path;
    ++files;
  }
  EXPECT_EQ(files, names.size() + 4);  // + the zip and the three capture files
}

TEST(SafeFileNamePartTest, KeepsPlainAddressesAndReplacesTheRest) {
  EXPECT_EQ(SafeFileNamePart("Bob.Smith+tag@Example.org"), "bob.smith+tag@example.org");
  EXPECT_EQ(SafeFileNamePart("../x"), "___x");
  EXPECT_EQ(SafeFileNamePart("a..b"), "a._b");
  EXPECT_EQ(SafeFileNamePart(".hidden"), "_hidden");
  EXPECT_EQ(SafeFileNamePart("a\\b\x01\xc3\xa9"), "a_b___");
  EXPECT_EQ(SafeFileNamePart(""), "_");
  EXPECT_EQ(SafeFileNamePart(std::string(200, 'a')).size(), 64u);
}

TEST_F(EvidencePackageTest, OversizeInputIsRefused) {
  const auto receipts = IssueReceipts(StandardEvents());
  EvidencePackageInput input = Input(receipts);
  input.signed_eml.resize(crypto::policy::kEvidencePackage.max_message_bytes + 1);
  EXPECT_THAT(BuildEvidencePackage(input, Certificates()).status(), StatusIs(ErrorCode::kTooLarge));

  input = Input(receipts);
  input.seal.resize(crypto::policy::kEvidencePackage.max_seal_bytes + 1);
  EXPECT_THAT(BuildEvidencePackage(input, Certificates()).status(), StatusIs(ErrorCode::kTooLarge));

  input = Input({});
  input.receipts.assign(crypto::policy::kEvidencePackage.max_receipts + 1, receipts[0]);
  EXPECT_THAT(BuildEvidencePackage(input, Certificates()).status(), StatusIs(ErrorCode::kTooLarge));

  input = Input(receipts);
  input.receipts[0].resize(crypto::policy::kReceipts.max_receipt_bytes + 1);
  EXPECT_THAT(BuildEvidencePackage(input, Certificates()).status(), StatusIs(ErrorCode::kTooLarge));

  input = Input(receipts);
  input.display_names["bob@example.org"] =
      std::string(crypto::policy::kEvidencePackage.max_display_name_bytes + 1, 'a');
  EXPECT_THAT(BuildEvidencePackage(input, Certificates()).status(), StatusIs(ErrorCode::kTooLarge));
}

TEST_F(EvidencePackageTest, ReceiptsOfAnotherMessageOrGarbageAreRefused) {
  const auto receipts = IssueReceipts(StandardEvents());
  EvidencePackageInput input = Input(receipts);
  input.message_id = "m-another";
  EXPECT_THAT(BuildEvidencePackage(input, Certificates()).status(),
              StatusIs(ErrorCode::kInvalidArgument));
  input = Input(receipts);
  input.sealed_digest_hex = HexEncode(crypto::Sha256(AsBytes("another statement")));
  EXPECT_THAT(BuildEvidencePackage(input, Certificates()).status(),
              StatusIs(ErrorCode::kInvalidArgument));
  input = Input(receipts);
  input.sender = "mallory@example.org";
  EXPECT_THAT(BuildEvidencePackage(input, Certificates()).status(),
              StatusIs(ErrorCode::kInvalidArgument));
  input = Input(receipts);
  input.receipts.push_back(Bytes(100, 0x41));
  EXPECT_THAT(BuildEvidencePackage(input, Certificates()).status(),
              StatusIs(ErrorCode::kInvalidArgument));
  input = Input({});
  EXPECT_THAT(BuildEvidencePackage(input, Certificates()).status(),
              StatusIs(ErrorCode::kInvalidArgument));
  input = Input(receipts);
  input.checkpoint = "not a checkpoint";
  EXPECT_THAT(BuildEvidencePackage(input, Certificates()).status(),
              StatusIs(ErrorCode::kInvalidArgument));
}

TEST_F(EvidencePackageTest, WithoutACheckpointTheReceiptsOneIsUsedAndFontsMustExist) {
  const auto receipts = IssueReceipts(StandardEvents());
  EvidencePackageInput input = Input(receipts);
  input.checkpoint.clear();
  input.log_key.reset();
  auto package = BuildEvidencePackage(input, Certificates());
  ASSERT_THAT(package.status(), IsOk());
  const std::string out = Unzip(*package);
  EXPECT_EQ(ReadFileBytes(out + "/checkpoint.txt"), checkpoint_);
  EXPECT_FALSE(std::filesystem::exists(out + "/log-key.txt"));
  EXPECT_THAT(ReadFileBytes(out + "/README.txt"), Not(HasSubstr("--log-key")));

  ReportFonts missing;
  missing.regular = dir_.path() + "/no-such-font.ttf";
  EXPECT_THAT(BuildEvidencePackage(Input(receipts), Certificates(), missing).status(),
              StatusIs(ErrorCode::kUnavailable));
}

}  // namespace
}  // namespace sealpost::receipts
