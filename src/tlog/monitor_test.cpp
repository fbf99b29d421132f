#include "tlog/monitor.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "testing/status_matchers.h"

namespace sealpost::tlog {
namespace {

using ::testing::HasSubstr;

constexpr const char* kOrigin = "monitor.test/log";

// A log held in memory: its leaves, tiles built on demand, checkpoints signed with its key.
class FakeLog {
 public:
  explicit FakeLog(const crypto::SigningKey& key) : key_(key) {}
  void Append(int n, const std::string& tag = "entry") {
    for (int i = 0; i < n; ++i) {
      const std::string data = tag + std::to_string(hashes_.size());
      hashes_.push_back(LeafHash(AsBytes(data)));
    }
  }
  void Truncate(size_t size) { hashes_.resize(size); }
  void Rewrite(size_t index) { hashes_[index] = LeafHash(AsBytes("forged")); }
  std::string Note() const {
    auto note = SignCheckpoint({kOrigin, hashes_.size(), RootHash(hashes_), {}}, kOrigin, key_);
    EXPECT_THAT(note.status(), IsOk());
    return note.ok() ? *note : "";
  }
  TileReader Reader() const {
    return [this](const TileId& tile) -> Result<Bytes> {
      ++reads;
      return MakeTile(LeafHashSpan(hashes_), tile);
    };
  }
  mutable int reads = 0;

 private:
  const crypto::SigningKey& key_;
  std::vector<Hash> hashes_;
};

class MonitorTest : public ::testing::Test {
 protected:
  Result<MonitorResult> Check(std::optional<std::string> saved, const std::string& latest,
                              const FakeLog& log) {
    std::optional<std::string_view> saved_view;
    if (saved) saved_view = *saved;
    return CheckLogUpdate(saved_view, latest, verifiers_, log.Reader());
  }

  crypto::SigningKey key_ = crypto::SigningKey::Generate();
  std::vector<NoteVerifier> verifiers_ = {{kOrigin, key_.verify_key()}};
  FakeLog log_{key_};
};

TEST_F(MonitorTest, AGrowingLogIsConsistent) {
  log_.Append(10);
  const std::string first = log_.Note();
  auto initial = Check(std::nullopt, first, log_);
  ASSERT_THAT(initial.status(), IsOk());
  EXPECT_EQ(initial->verdict, MonitorVerdict::kConsistent) << initial->problem;
  EXPECT_EQ(initial->latest.size, 10u);

  log_.Append(70'000 - 10);
  auto grown = Check(first, log_.Note(), log_);
  ASSERT_THAT(grown.status(), IsOk());
  EXPECT_EQ(grown->verdict, MonitorVerdict::kConsistent) << grown->problem;
  EXPECT_EQ(grown->saved->size, 10u);
  EXPECT_EQ(grown->latest.size, 70'000u);
  // At most two tiles per level for the proof, a few more for the root: not the whole tree.
  EXPECT_LE(grown->tile_reads, 10u);

  auto same = Check(log_.Note(), log_.Note(), log_);
  ASSERT_THAT(same.status(), IsOk());
  EXPECT_EQ(same->verdict, MonitorVerdict::kConsistent);
}

// The attack of issue 14: the operator rewrites an old entry and re-signs with the real key.
TEST_F(MonitorTest, RewrittenAndResignedHistoryIsCaught) {
  log_.Append(300);
  const std::string saved = log_.Note();
  log_.Rewrite(3);
  log_.Append(5);
  const std::string forged = log_.Note();
  // The forged checkpoint is validly signed and its tiles match it: only the saved root tells.
  auto fresh = Check(std::nullopt, forged, log_);
  ASSERT_THAT(fresh.status(), IsOk());
  EXPECT_EQ(fresh->verdict, MonitorVerdict::kConsistent);
  auto result = Check(saved, forged, log_);
  ASSERT_THAT(result.status(), IsOk());
  EXPECT_EQ(result->verdict, MonitorVerdict::kInconsistent);
  EXPECT_THAT(result->problem, HasSubstr("old root not a prefix"));

  // Same size, other root: a fork.
  log_.Truncate(300);
  auto fork = Check(saved, log_.Note(), log_);
  ASSERT_THAT(fork.status(), IsOk());
  EXPECT_EQ(fork->verdict, MonitorVerdict::kInconsistent);
  EXPECT_THAT(fork->problem, HasSubstr("old root not a prefix"));
}

TEST_F(MonitorTest, TruncationIsCaught) {
  log_.Append(300);
  const std::string saved = log_.Note();
  log_.Truncate(250);
  auto result = Check(saved, log_.Note(), log_);
  ASSERT_THAT(result.status(), IsOk());
  EXPECT_EQ(result->verdict, MonitorVerdict::kInconsistent);
  EXPECT_THAT(result->problem, HasSubstr("size went backwards"));
}

TEST_F(MonitorTest, BadSignaturesAreCaught) {
  log_.Append(20);
  const std::string good = log_.Note();
  // Flip bits of the signature (a base64 character well inside it), and a digit of the signed
  // text (the size).
  std::string bad_signature = good;
  char& c = bad_signature[bad_signature.size() - 20];
  c = c == 'A' ? 'B' : 'A';
  std::string bad_text = good;
  bad_text[bad_text.find('\n') + 1] = '3';
  // A checkpoint signed by another key under the log's name.
  const crypto::SigningKey other = crypto::SigningKey::Generate();
  FakeLog impostor(other);
  impostor.Append(20);
  for (const std::string& note : {bad_signature, bad_text, impostor.Note()}) {
    auto result = Check(good, note, log_);
    ASSERT_THAT(result.status(), IsOk());
    EXPECT_EQ(result->verdict, MonitorVerdict::kInconsistent);
    EXPECT_THAT(result->problem, HasSubstr("bad signature"));
  }
}

TEST_F(MonitorTest, TilesThatDisagreeWithTheCheckpointAreCaught) {
  log_.Append(40);
  const std::string signed_note = log_.Note();
  FakeLog other(key_);
  other.Append(40, "other");
  auto result = Check(std::nullopt, signed_note, other);
  ASSERT_THAT(result.status(), IsOk());
  EXPECT_EQ(result->verdict, MonitorVerdict::kInconsistent);
  EXPECT_THAT(result->problem, HasSubstr("served tiles do not hash to the signed root"));
}

TEST_F(MonitorTest, WhatCannotBeCheckedIsAnError) {
  log_.Append(5);
  const std::string note = log_.Note();
  EXPECT_THAT(Check(std::nullopt, "not a note", log_).status(),
              StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(Check(std::string("garbage state"), note, log_).status(),
              StatusIs(ErrorCode::kInvalidArgument));
  const TileReader failing = [](const TileId&) -> Result<Bytes> {
    return Unavailable("network down");
  };
  EXPECT_THAT(CheckLogUpdate(std::nullopt, note, verifiers_, failing).status(),
              StatusIs(ErrorCode::kUnavailable));
}

}  // namespace
}  // namespace sealpost::tlog
