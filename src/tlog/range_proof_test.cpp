#include "tlog/range_proof.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "testing/status_matchers.h"

namespace sealpost::tlog {
namespace {

std::vector<Hash> Leaves(uint64_t n) {
  std::vector<Hash> leaves;
  for (uint64_t i = 0; i < n; ++i) {
    const std::string data = "leaf " + std::to_string(i);
    leaves.push_back(LeafHash(AsBytes(data)));
  }
  return leaves;
}

TEST(RangeProofTest, EveryRangeOfSmallTreesVerifies) {
  for (uint64_t n = 1; n <= 33; ++n) {
    const std::vector<Hash> leaves = Leaves(n);
    const LeafHashSpan source(leaves);
    const Hash root = RootHash(leaves);
    for (uint64_t b = 0; b < n; ++b) {
      for (uint64_t e = b + 1; e <= n; ++e) {
        auto proof = RangeProof(source, b, e, n);
        ASSERT_THAT(proof.status(), IsOk());
        EXPECT_EQ(proof->size(), RangeProofLength(b, e, n));
        const std::span<const Hash> run(leaves.data() + b, e - b);
        EXPECT_THAT(VerifyRange(run, b, n, *proof, root), IsOk()) << n << " " << b << " " << e;
      }
    }
  }
}

// A single leaf's range proof holds the same hashes as its RFC 9162 inclusion proof (the
// independent check: VerifyInclusion is tested against third-party vectors in merkle_test.cpp).
TEST(RangeProofTest, SingleLeafAgreesWithInclusionProof) {
  const std::vector<Hash> leaves = Leaves(21);
  const LeafHashSpan source(leaves);
  for (uint64_t i = 0; i < leaves.size(); ++i) {
    auto range = RangeProof(source, i, i + 1, leaves.size());
    auto path = InclusionProof(source, i, leaves.size());
    ASSERT_THAT(range.status(), IsOk());
    ASSERT_THAT(path.status(), IsOk());
    std::vector<Hash> reversed(path->rbegin(), path->rend());  // range: left to right, top down
    std::sort(reversed.begin(), reversed.end());
    std::vector<Hash> sorted = *range;
    std::sort(sorted.begin(), sorted.end());
    EXPECT_EQ(sorted, reversed) << i;
  }
}

TEST(RangeProofTest, WholeTreeNeedsNoProof) {
  const std::vector<Hash> leaves = Leaves(13);
  auto proof = RangeProof(LeafHashSpan(leaves), 0, 13, 13);
  ASSERT_THAT(proof.status(), IsOk());
  EXPECT_TRUE(proof->empty());
  EXPECT_THAT(VerifyRange(leaves, 0, 13, {}, RootHash(leaves)), IsOk());
}

TEST(RangeProofTest, AlterationsAreRefused) {
  const std::vector<Hash> leaves = Leaves(27);
  const Hash root = RootHash(leaves);
  const uint64_t b = 5, e = 17;
  auto proof = RangeProof(LeafHashSpan(leaves), b, e, 27);
  ASSERT_THAT(proof.status(), IsOk());
  std::vector<Hash> run(leaves.begin() + b, leaves.begin() + e);
  ASSERT_THAT(VerifyRange(run, b, 27, *proof, root), IsOk());

  for (size_t i = 0; i < run.size(); ++i) {  // one flipped bit in any leaf
    std::vector<Hash> bad = run;
    bad[i][7] ^= 0x01;
    EXPECT_THAT(VerifyRange(bad, b, 27, *proof, root), StatusIs(ErrorCode::kUnauthenticated));
  }
  for (size_t i = 0; i < proof->size(); ++i) {  // one flipped bit in any proof hash
    std::vector<Hash> bad = *proof;
    bad[i][0] ^= 0x80;
    EXPECT_THAT(VerifyRange(run, b, 27, bad, root), StatusIs(ErrorCode::kUnauthenticated));
  }
  // A leaf removed from the middle (the run then ends one earlier): refused.
  std::vector<Hash> removed = run;
  removed.erase(removed.begin() + 4);
  EXPECT_FALSE(VerifyRange(removed, b, 27, *proof, root).ok());
  // Two leaves swapped, the run shifted by one, another root, a proof hash dropped.
  std::vector<Hash> swapped = run;
  std::swap(swapped[2], swapped[3]);
  EXPECT_THAT(VerifyRange(swapped, b, 27, *proof, root), StatusIs(ErrorCode::kUnauthenticated));
  EXPECT_FALSE(VerifyRange(run, b + 1, 27, *proof, root).ok());
  EXPECT_THAT(VerifyRange(run, b, 27, *proof, RootHash(Leaves(26))),
              StatusIs(ErrorCode::kUnauthenticated));
  std::vector<Hash> shorter(proof->begin(), proof->end() - 1);
  EXPECT_THAT(VerifyRange(run, b, 27, shorter, root), StatusIs(ErrorCode::kInvalidArgument));
}

TEST(RangeProofTest, BadRangesAreInvalid) {
  const std::vector<Hash> leaves = Leaves(8);
  const LeafHashSpan source(leaves);
  EXPECT_THAT(RangeProof(source, 3, 3, 8).status(), StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(RangeProof(source, 3, 9, 8).status(), StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(RangeProof(source, 0, 4, 9).status(), StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(VerifyRange({}, 0, 8, {}, RootHash(leaves)), StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(VerifyRange(leaves, 1, 8, {}, RootHash(leaves)),
              StatusIs(ErrorCode::kInvalidArgument));
}

}  // namespace
}  // namespace sealpost::tlog
