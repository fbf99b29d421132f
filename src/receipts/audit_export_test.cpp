#include "receipts/audit_export.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "receipts/audit_export_verify.h"
#include "testing/run_tool.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"
#include "tlog/checkpoint.h"
#include "tlog/tiles.h"

namespace sealpost::receipts {
namespace {

using ::testing::HasSubstr;

constexpr const char* kOrigin = "example.org/audit";

// A log held in memory: leaves, the tiles made from them, one signed checkpoint of all of them.
class MemoryLog final : public store::LogReader {
 public:
  MemoryLog(std::vector<Bytes> leaves, const crypto::SigningKey& key) : leaves_(std::move(leaves)) {
    for (const Bytes& leaf : leaves_) hashes_.push_back(tlog::LeafHash(leaf));
    tlog::Checkpoint cp{kOrigin, leaves_.size(), tlog::RootHash(hashes_), {}};
    note_ = *tlog::SignCheckpoint(cp, kOrigin, key);
  }
  Result<std::vector<store::PendingLogEvent>> ReadPendingEvents(int) override {
    return std::vector<store::PendingLogEvent>{};
  }
  Result<std::vector<store::PendingLogEvent>> ReadPendingEventsBefore(int64_t, int) override {
    return std::vector<store::PendingLogEvent>{};
  }
  Result<std::vector<store::LogEntryRecord>> ReadLogEntries(uint64_t from, int limit) override {
    std::vector<store::LogEntryRecord> out;
    for (uint64_t i = from; i < leaves_.size() && out.size() < static_cast<size_t>(limit); ++i) {
      out.push_back({i, leaves_[i]});
    }
    return out;
  }
  Result<std::vector<store::LogEntryRecord>> ReadLogEntriesBefore(uint64_t, int) override {
    return std::vector<store::LogEntryRecord>{};
  }
  Result<Bytes> GetLogTile(uint32_t level, uint64_t index, uint32_t width) override {
    return tlog::MakeTile(tlog::LeafHashSpan(hashes_), {level, index, width});
  }
  Result<std::optional<store::LogCheckpointRecord>> GetLatestLogCheckpoint() override {
    const tlog::Hash root = tlog::RootHash(hashes_);
    return std::optional<store::LogCheckpointRecord>(
        store::LogCheckpointRecord{leaves_.size(), Bytes(root.begin(), root.end()), note_, {}});
  }
  Result<std::vector<store::LogCheckpointRecord>> ReadLogCheckpoints() override {
    return std::vector<store::LogCheckpointRecord>{};
  }
  Result<std::unique_ptr<store::SequencerLease>> TryAcquireSequencerLease() override {
    return Conflict("not in tests");
  }

  std::vector<Bytes> leaves_;
  std::vector<tlog::Hash> hashes_;
  std::string note_;
};

Bytes Leaf(int64_t time_ms, std::string type, std::string actor, std::string subject,
           std::string details) {
  return *tlog::EncodeLogEvent(
      {time_ms, std::move(type), std::move(actor), std::move(subject), std::move(details)});
}

// 40 events: alice and bob alternate, one send of message m-7 naming carol in its details.
std::vector<Bytes> Events() {
  std::vector<Bytes> leaves;
  for (int i = 0; i < 40; ++i) {
    const std::string who = i % 2 == 0 ? "u-alice" : "u-bob";
    if (i == 7) {
      leaves.push_back(
          Leaf(1000 * i, "message.send", who, "m-7", R"({"recipients":["u-carol"],"guests":0})"));
    } else {
      leaves.push_back(Leaf(1000 * i, "user.login", who, who, R"({"note":"=1+1"})"));
    }
  }
  return leaves;
}

class AuditExportTest : public ::testing::Test {
 protected:
  crypto::SigningKey key_ = crypto::SigningKey::Generate();
  MemoryLog log_{Events(), key_};
  std::vector<tlog::NoteVerifier> verifiers_{{kOrigin, key_.verify_key()}};
  TimePoint now_ = FromUnixMillis(1'800'000'000'000);

  std::string Export(const AuditExportFilter& filter) {
    auto exported = BuildAuditExport(log_, filter, now_);
    EXPECT_THAT(exported.status(), IsOk());
    return exported.ok() ? AuditExportJsonLines(*exported) : std::string();
  }
};

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  for (size_t at = 0; at < text.size();) {
    const size_t nl = text.find('\n', at);
    lines.push_back(text.substr(at, nl - at));
    at = nl + 1;
  }
  return lines;
}
std::string Join(const std::vector<std::string>& lines) {
  std::string out;
  for (const std::string& l : lines) out += l + "\n";
  return out;
}

TEST_F(AuditExportTest, TimeRangeCoversItsEntriesAndVerifies) {
  AuditExportFilter filter;
  filter.from_ms = 10'000;
  filter.to_ms = 20'000;
  filter.member = "u-alice";
  auto exported = BuildAuditExport(log_, filter, now_);
  ASSERT_THAT(exported.status(), IsOk());
  EXPECT_EQ(exported->begin, 10u);
  EXPECT_EQ(exported->end, 20u);
  ASSERT_EQ(exported->entries.size(), 5u);  // alice: 10, 12, 14, 16, 18
  EXPECT_EQ(exported->entries[0].index, 10u);
  const std::string jsonl = AuditExportJsonLines(*exported);
  EXPECT_EQ(Lines(jsonl).size(), 11u);
  auto verified = VerifyAuditExport(jsonl, verifiers_);
  ASSERT_THAT(verified.status(), IsOk());
  EXPECT_EQ(verified->entries.size(), 5u);
  EXPECT_EQ(AuditExportCsv(*verified), AuditExportCsv(*exported));
  EXPECT_EQ(verified->filter, filter);
}

TEST_F(AuditExportTest, MemberAndMessageMatchDetailsToo) {
  AuditExportFilter carol;
  carol.member = "u-carol";
  auto exported = BuildAuditExport(log_, carol, now_);
  ASSERT_THAT(exported.status(), IsOk());
  EXPECT_EQ(exported->begin, 0u);
  EXPECT_EQ(exported->end, 40u);
  ASSERT_EQ(exported->entries.size(), 1u);
  EXPECT_EQ(exported->entries[0].index, 7u);
  AuditExportFilter message;
  message.message = "m-7";
  auto by_message = BuildAuditExport(log_, message, now_);
  ASSERT_THAT(by_message.status(), IsOk());
  ASSERT_EQ(by_message->entries.size(), 1u);
  EXPECT_THAT(VerifyAuditExport(AuditExportJsonLines(*by_message), verifiers_).status(), IsOk());
}

TEST_F(AuditExportTest, EmptyTimeRangeIsAnEmptyExport) {
  AuditExportFilter filter;
  filter.from_ms = 100'000;
  auto verified = VerifyAuditExport(Export(filter), verifiers_);
  ASSERT_THAT(verified.status(), IsOk());
  EXPECT_TRUE(verified->entries.empty());
}

TEST_F(AuditExportTest, AlterationsAreRefused) {
  AuditExportFilter filter;
  filter.member = "u-bob";
  filter.from_ms = 3'000;
  filter.to_ms = 12'000;
  const std::string good = Export(filter);
  ASSERT_THAT(VerifyAuditExport(good, verifiers_).status(), IsOk());
  const std::vector<std::string> lines = Lines(good);

  // A removed line, hash line or full line.
  for (size_t i : {size_t{1}, size_t{2}, lines.size() - 1}) {
    std::vector<std::string> cut = lines;
    cut.erase(cut.begin() + static_cast<std::ptrdiff_t>(i));
    EXPECT_FALSE(VerifyAuditExport(Join(cut), verifiers_).ok()) << i;
  }
  // Two lines swapped.
  std::vector<std::string> swapped = lines;
  std::swap(swapped[2], swapped[3]);
  EXPECT_FALSE(VerifyAuditExport(Join(swapped), verifiers_).ok());
  // A changed field of a full entry: the actor.
  {
    std::string changed = good;
    const size_t at = changed.find("\"actor\":\"u-bob\"");
    ASSERT_NE(at, std::string::npos);
    changed.replace(at, 15, "\"actor\":\"u-eve\"");
    const Status s = VerifyAuditExport(changed, verifiers_).status();
    EXPECT_THAT(s, StatusIs(ErrorCode::kUnauthenticated));
    EXPECT_THAT(s.message(), HasSubstr("actor differs"));
  }
  // A full line turned into its hash only (hiding a matching entry) fails the header count.
  // Flip one byte anywhere in every base64 hash or leaf: each must fail.
  int flips = 0;
  for (size_t i = 1; i < lines.size(); ++i) {
    for (const char* key : {"\"leaf_hash\":\"", "\"leaf\":\"", "\"inclusion_proof\":[\""}) {
      const size_t at = lines[i].find(key);
      if (at == std::string::npos) continue;
      std::vector<std::string> bad = lines;
      char& c = bad[i][at + std::string(key).size() + 5];
      c = c == 'A' ? 'B' : 'A';
      EXPECT_FALSE(VerifyAuditExport(Join(bad), verifiers_).ok()) << i << " " << key;
      ++flips;
    }
  }
  EXPECT_GT(flips, 10);
  // The range proof in the header, and the checkpoint's signature.
  {
    std::vector<std::string> bad = lines;
    const size_t at = bad[0].find("\"range_proof\":[\"");
    ASSERT_NE(at, std::string::npos);
    char& c = bad[0][at + 20];
    c = c == 'A' ? 'B' : 'A';
    EXPECT_THAT(VerifyAuditExport(Join(bad), verifiers_).status(),
                StatusIs(ErrorCode::kUnauthenticated));
  }
  const crypto::SigningKey other = crypto::SigningKey::Generate();
  const std::vector<tlog::NoteVerifier> wrong{{kOrigin, other.verify_key()}};
  EXPECT_THAT(VerifyAuditExport(good, wrong).status(), StatusIs(ErrorCode::kUnauthenticated));
  // The filter widened in the header: the full entries no longer prove the count.
  {
    std::string widened = good;
    const size_t at = widened.find("\"member\":\"u-bob\"");
    ASSERT_NE(at, std::string::npos);
    widened.replace(at, 16, "\"member\":\"u-alice\"");
    EXPECT_FALSE(VerifyAuditExport(widened, verifiers_).ok());
  }
  // Garbage is a clear error, never a crash.
  EXPECT_THAT(VerifyAuditExport("", verifiers_).status(), StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(VerifyAuditExport("{}\n", verifiers_).status(),
              StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_FALSE(VerifyAuditExport(good.substr(0, good.size() / 2) + "\n", verifiers_).ok());
}

// A full line turned into its leaf hash after export (hiding a matching entry from the auditor)
// is refused: the header fixes the number of matching entries. (Whether the server itself listed
// a matching entry by hash cannot be seen offline: docs/formats/audit-export.md.)
TEST_F(AuditExportTest, HidingAMatchingEntryAsAHashIsRefused) {
  AuditExportFilter filter;
  filter.member = "u-alice";
  filter.to_ms = 6'000;
  auto exported = BuildAuditExport(log_, filter, now_);
  ASSERT_THAT(exported.status(), IsOk());
  ASSERT_EQ(exported->entries.size(), 3u);  // 0, 2, 4
  std::vector<std::string> lines = Lines(AuditExportJsonLines(*exported));
  ASSERT_EQ(lines.size(), 7u);  // the header and entries 0 to 5
  lines[3] = R"({"index":2,"leaf_hash":")" + Base64Encode(exported->leaf_hashes[2]) + "\"}";
  const Status s = VerifyAuditExport(Join(lines), verifiers_).status();
  EXPECT_THAT(s, StatusIs(ErrorCode::kUnauthenticated));
  EXPECT_THAT(s.message(), HasSubstr("matching"));
}

TEST_F(AuditExportTest, CsvNeutralisesFormulasAndQuotes) {
  AuditExportFilter filter;
  filter.to_ms = 2'000;
  auto exported = BuildAuditExport(log_, filter, now_);
  ASSERT_THAT(exported.status(), IsOk());
  const std::string csv = AuditExportCsv(*exported);
  EXPECT_THAT(csv, HasSubstr("\"{\"\"note\"\":\"\"=1+1\"\"}\""));
  EXPECT_THAT(csv,
              ::testing::StartsWith("index,time,kind,type,actor,subject,details,leaf_hash\r\n"));
}

TEST_F(AuditExportTest, BundleVerifiesAndATamperedCsvIsRefused) {
  auto exported = BuildAuditExport(log_, {}, now_);
  ASSERT_THAT(exported.status(), IsOk());
  auto zip = AuditExportBundle(*exported, tlog::FormatVerifierKey(verifiers_[0]));
  ASSERT_THAT(zip.status(), IsOk());
  ASSERT_THAT(VerifyAuditExportBundle(*zip, verifiers_).status(), IsOk());

  // Independent tools: unzip lists the entries, pdftotext reads the summary.
  testutil::TempDir dir;
  testutil::WriteFileBytes(dir.path() + "/e.zip", AsChars(*zip));
  auto unzip = testutil::RunTool({"unzip", "-o", "e.zip"}, dir.path());
  ASSERT_EQ(unzip.exit_code, 0) << unzip.output();
  auto text = testutil::RunTool({"pdftotext", "report.pdf", "-"}, dir.path());
  ASSERT_EQ(text.exit_code, 0) << text.output();
  EXPECT_THAT(text.output(), HasSubstr("Sealpost audit export"));
  EXPECT_THAT(text.output(), HasSubstr("message.send: 1"));

  std::string csv = AuditExportCsv(*exported);
  csv.replace(csv.find("u-bob"), 5, "u-eve");
  // Rebuild the ZIP with the altered CSV beside the untouched JSON Lines.
  testutil::WriteFileBytes(dir.path() + "/export.csv", csv);
  auto rezip = testutil::RunTool({"zip", "-q", "t.zip", "export.jsonl", "export.csv"}, dir.path());
  ASSERT_EQ(rezip.exit_code, 0) << rezip.output();
  const std::string tampered = testutil::ReadFileBytes(dir.path() + "/t.zip");
  const Status s = VerifyAuditExportBundle(AsBytes(tampered), verifiers_).status();
  EXPECT_THAT(s, StatusIs(ErrorCode::kUnauthenticated));
  EXPECT_THAT(s.message(), HasSubstr("export.csv"));
  EXPECT_FALSE(VerifyAuditExportBundle(AsBytes("PK not a zip"), verifiers_).ok());
}

TEST(ParseExportTimeTest, Rfc3339AndMillis) {
  EXPECT_EQ(*ParseExportTime("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(*ParseExportTime("2026-12-05T10:00:00.5Z"),
            ToUnixMillis(FromUnixSeconds(1796464800)) + 500);
  EXPECT_EQ(*ParseExportTime("1796464800123"), 1796464800123);
  for (const char* bad : {"", "2026-13-01T00:00:00Z", "2026-02-30T00:00:00Z",
                          "2026-12-05 10:00:00Z", "2026-12-05T10:00:00", "-5", "12x"}) {
    EXPECT_FALSE(ParseExportTime(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace sealpost::receipts
