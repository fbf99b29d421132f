#include "tlog/range_proof.h"

#include <bit>
#include <string>

namespace sealpost::tlog {
namespace {

uint64_t SplitPoint(uint64_t n) { return std::bit_floor(n - 1); }

// Appends, left to right, the roots of the maximal subtrees of [lo, hi) outside [begin, end).
Status AppendOutside(const HashSource& source, uint64_t lo, uint64_t hi, uint64_t begin,
                     uint64_t end, std::vector<Hash>& proof) {
  if (hi <= begin || lo >= end) {
    SP_ASSIGN_OR_RETURN(Hash node, source.SubtreeRoot(lo, hi));
    proof.push_back(node);
    return Status::Ok();
  }
  if (lo >= begin && hi <= end) return Status::Ok();
  const uint64_t k = SplitPoint(hi - lo);
  SP_RETURN_IF_ERROR(AppendOutside(source, lo, lo + k, begin, end, proof));
  return AppendOutside(source, lo + k, hi, begin, end, proof);
}

uint64_t CountOutside(uint64_t lo, uint64_t hi, uint64_t begin, uint64_t end) {
  if (hi <= begin || lo >= end) return 1;
  if (lo >= begin && hi <= end) return 0;
  const uint64_t k = SplitPoint(hi - lo);
  return CountOutside(lo, lo + k, begin, end) + CountOutside(lo + k, hi, begin, end);
}

// The root of [lo, hi) from the run's leaves and the proof hashes (consumed in order).
Hash Recompute(uint64_t lo, uint64_t hi, uint64_t begin, uint64_t end, std::span<const Hash> leaves,
               std::span<const Hash> proof, size_t& next) {
  if (hi <= begin || lo >= end) return proof[next++];
  if (hi - lo == 1) return leaves[lo - begin];
  const uint64_t k = SplitPoint(hi - lo);
  const Hash left = Recompute(lo, lo + k, begin, end, leaves, proof, next);
  const Hash right = Recompute(lo + k, hi, begin, end, leaves, proof, next);
  return NodeHash(left, right);
}

}  // namespace

uint64_t RangeProofLength(uint64_t begin, uint64_t end, uint64_t tree_size) {
  if (begin >= end || end > tree_size) return 0;
  return CountOutside(0, tree_size, begin, end);
}

Result<std::vector<Hash>> RangeProof(const HashSource& source, uint64_t begin, uint64_t end,
                                     uint64_t tree_size) {
  if (begin >= end || end > tree_size || tree_size > source.size()) {
    return InvalidArgument("range proof: need begin < end <= tree size <= source size");
  }
  std::vector<Hash> proof;
  SP_RETURN_IF_ERROR(AppendOutside(source, 0, tree_size, begin, end, proof));
  return proof;
}

Status VerifyRange(std::span<const Hash> leaf_hashes, uint64_t begin, uint64_t tree_size,
                   std::span<const Hash> proof, const Hash& root) {
  const uint64_t end = begin + leaf_hashes.size();
  if (leaf_hashes.empty() || end < begin || end > tree_size) {
    return InvalidArgument("range proof: the range is empty or beyond the tree");
  }
  const uint64_t want = RangeProofLength(begin, end, tree_size);
  if (proof.size() != want) {
    return InvalidArgument("range proof has " + std::to_string(proof.size()) +
                           " hashes, expected " + std::to_string(want));
  }
  size_t next = 0;
  const Hash computed = Recompute(0, tree_size, begin, end, leaf_hashes, proof, next);
  if (computed != root) return Unauthenticated("range proof does not verify");
  return Status::Ok();
}

}  // namespace sealpost::tlog
