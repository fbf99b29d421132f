#include "tlog/merkle.h"

#include <bit>
#include <string>

namespace sealpost::tlog {
namespace {

constexpr uint8_t kLeafPrefix = 0x00;
constexpr uint8_t kNodePrefix = 0x01;

// The RFC's k for a tree of n ≥ 2 leaves: the largest power of two smaller than n.
uint64_t SplitPoint(uint64_t n) { return std::bit_floor(n - 1); }

Hash RootOf(std::span<const Hash> leaves) {
  if (leaves.empty()) return EmptyRoot();
  if (leaves.size() == 1) return leaves[0];
  const uint64_t k = SplitPoint(leaves.size());
  return NodeHash(RootOf(leaves.first(k)), RootOf(leaves.subspan(k)));
}

// RFC 9162 2.1.3.1 PATH(m, D[begin:end]), appending leaf level first.
Status AppendPath(const HashSource& source, uint64_t m, uint64_t begin, uint64_t end,
                  std::vector<Hash>& proof) {
  if (end - begin <= 1) return Status::Ok();
  const uint64_t k = SplitPoint(end - begin);
  if (m < k) {
    SP_RETURN_IF_ERROR(AppendPath(source, m, begin, begin + k, proof));
    SP_ASSIGN_OR_RETURN(Hash sibling, source.SubtreeRoot(begin + k, end));
    proof.push_back(sibling);
  } else {
    SP_RETURN_IF_ERROR(AppendPath(source, m - k, begin + k, end, proof));
    SP_ASSIGN_OR_RETURN(Hash sibling, source.SubtreeRoot(begin, begin + k));
    proof.push_back(sibling);
  }
  return Status::Ok();
}

// RFC 9162 2.1.4.1 SUBPROOF(m, D[begin:end], b). `whole_old_tree` is the RFC's b: the old tree's
// root is known to the verifier, so it is left out.
Status AppendSubproof(const HashSource& source, uint64_t m, uint64_t begin, uint64_t end,
                      bool whole_old_tree, std::vector<Hash>& proof) {
  const uint64_t n = end - begin;
  if (m == n) {
    if (!whole_old_tree) {
      SP_ASSIGN_OR_RETURN(Hash node, source.SubtreeRoot(begin, end));
      proof.push_back(node);
    }
    return Status::Ok();
  }
  const uint64_t k = SplitPoint(n);
  if (m <= k) {
    SP_RETURN_IF_ERROR(AppendSubproof(source, m, begin, begin + k, whole_old_tree, proof));
    SP_ASSIGN_OR_RETURN(Hash right, source.SubtreeRoot(begin + k, end));
    proof.push_back(right);
  } else {
    SP_RETURN_IF_ERROR(AppendSubproof(source, m - k, begin + k, end, false, proof));
    SP_ASSIGN_OR_RETURN(Hash left, source.SubtreeRoot(begin, begin + k));
    proof.push_back(left);
  }
  return Status::Ok();
}

Status WrongLength(const char* what, size_t got, uint64_t want) {
  return InvalidArgument(std::string(what) + " proof has " + std::to_string(got) +
                         " hashes, expected " + std::to_string(want));
}

}  // namespace

Hash LeafHash(ByteView data) {
  crypto::Sha256Hasher hasher;
  const uint8_t prefix = kLeafPrefix;
  hasher.Update(ByteView(&prefix, 1));
  hasher.Update(data);
  return hasher.Finish();
}

Hash NodeHash(const Hash& left, const Hash& right) {
  crypto::Sha256Hasher hasher;
  const uint8_t prefix = kNodePrefix;
  hasher.Update(ByteView(&prefix, 1));
  hasher.Update(left);
  hasher.Update(right);
  return hasher.Finish();
}

Hash EmptyRoot() { return crypto::Sha256(ByteView()); }

Hash RootHash(std::span<const Hash> leaf_hashes) { return RootOf(leaf_hashes); }

Result<Hash> LeafHashSpan::SubtreeRoot(uint64_t begin, uint64_t end) const {
  if (begin >= end || end > leaves_.size()) {
    return InvalidArgument("subtree [" + std::to_string(begin) + ", " + std::to_string(end) +
                           ") is outside the " + std::to_string(leaves_.size()) + " leaves");
  }
  return RootOf(leaves_.subspan(begin, end - begin));
}

Result<std::vector<Hash>> InclusionProof(const HashSource& source, uint64_t index,
                                         uint64_t tree_size) {
  if (index >= tree_size) {
    return InvalidArgument("leaf index " + std::to_string(index) + " is not below tree size " +
                           std::to_string(tree_size));
  }
  if (tree_size > source.size()) {
    return InvalidArgument("tree size " + std::to_string(tree_size) + " exceeds the log's " +
                           std::to_string(source.size()) + " leaves");
  }
  std::vector<Hash> proof;
  proof.reserve(InclusionProofLength(index, tree_size));
  SP_RETURN_IF_ERROR(AppendPath(source, index, 0, tree_size, proof));
  return proof;
}

Result<std::vector<Hash>> ConsistencyProof(const HashSource& source, uint64_t old_size,
                                           uint64_t new_size) {
  if (old_size > new_size) {
    return InvalidArgument("old tree size " + std::to_string(old_size) + " exceeds new size " +
                           std::to_string(new_size));
  }
  if (new_size > source.size()) {
    return InvalidArgument("tree size " + std::to_string(new_size) + " exceeds the log's " +
                           std::to_string(source.size()) + " leaves");
  }
  std::vector<Hash> proof;
  if (old_size == 0 || old_size == new_size) return proof;
  proof.reserve(ConsistencyProofLength(old_size, new_size));
  SP_RETURN_IF_ERROR(AppendSubproof(source, old_size, 0, new_size, true, proof));
  return proof;
}

// The path climbs from the leaf: below the level where `index` and the last leaf's paths part
// ("inner") every level has a sibling; above it, only the levels where `index` is a right child
// ("border") do, since the rightmost subtrees there are complete.
uint64_t InclusionProofLength(uint64_t index, uint64_t tree_size) {
  if (index >= tree_size) return 0;
  const int inner = std::bit_width(index ^ (tree_size - 1));
  return inner + std::popcount(index >> inner);
}

// The old tree's largest complete rightmost subtree (its lowest set bit) is the proof's seed; it
// is sent unless it is the whole old tree. From there on it is an inclusion path.
uint64_t ConsistencyProofLength(uint64_t old_size, uint64_t new_size) {
  if (old_size == 0 || old_size >= new_size) return 0;
  const int level = std::countr_zero(old_size);
  const uint64_t index = (old_size - 1) >> level;
  const uint64_t last = (new_size - 1) >> level;
  const int inner = std::bit_width(index ^ last);
  return (index == 0 ? 0 : 1) + inner + std::popcount(index >> inner);
}

Status VerifyInclusion(const Hash& leaf_hash, uint64_t index, uint64_t tree_size,
                       std::span<const Hash> proof, const Hash& root) {
  if (index >= tree_size) {
    return InvalidArgument("leaf index " + std::to_string(index) + " is not below tree size " +
                           std::to_string(tree_size));
  }
  const uint64_t want = InclusionProofLength(index, tree_size);
  if (proof.size() != want) return WrongLength("inclusion", proof.size(), want);

  // RFC 9162 2.1.3.2, step by step.
  uint64_t fn = index;
  uint64_t sn = tree_size - 1;
  Hash r = leaf_hash;
  for (const Hash& p : proof) {
    if (sn == 0) return WrongLength("inclusion", proof.size(), want);
    if ((fn & 1) != 0 || fn == sn) {
      r = NodeHash(p, r);
      if ((fn & 1) == 0) {
        while ((fn & 1) == 0 && fn != 0) {
          fn >>= 1;
          sn >>= 1;
        }
      }
    } else {
      r = NodeHash(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) return WrongLength("inclusion", proof.size(), want);
  if (r != root) return Unauthenticated("inclusion proof does not verify");
  return Status::Ok();
}

Status VerifyConsistency(uint64_t old_size, uint64_t new_size, std::span<const Hash> proof,
                         const Hash& old_root, const Hash& new_root) {
  if (old_size > new_size) {
    return InvalidArgument("old tree size " + std::to_string(old_size) + " exceeds new size " +
                           std::to_string(new_size));
  }
  const uint64_t want = ConsistencyProofLength(old_size, new_size);
  if (proof.size() != want) return WrongLength("consistency", proof.size(), want);
  if (old_size == 0) return Status::Ok();
  if (old_size == new_size) {
    if (old_root != new_root) return Unauthenticated("consistency proof does not verify");
    return Status::Ok();
  }

  // RFC 9162 2.1.4.2, step by step. A power-of-two old tree is its own seed: the RFC prepends
  // old_root to the path.
  std::vector<Hash> path;
  path.reserve(proof.size() + 1);
  if (std::has_single_bit(old_size)) path.push_back(old_root);
  path.insert(path.end(), proof.begin(), proof.end());

  uint64_t fn = old_size - 1;
  uint64_t sn = new_size - 1;
  while ((fn & 1) != 0) {
    fn >>= 1;
    sn >>= 1;
  }
  Hash fr = path[0];
  Hash sr = path[0];
  for (size_t i = 1; i < path.size(); ++i) {
    const Hash& c = path[i];
    if (sn == 0) return WrongLength("consistency", proof.size(), want);
    if ((fn & 1) != 0 || fn == sn) {
      fr = NodeHash(c, fr);
      sr = NodeHash(c, sr);
      if ((fn & 1) == 0) {
        while ((fn & 1) == 0 && fn != 0) {
          fn >>= 1;
          sn >>= 1;
        }
      }
    } else {
      sr = NodeHash(sr, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) return WrongLength("consistency", proof.size(), want);
  if (fr != old_root || sr != new_root) {
    return Unauthenticated("consistency proof does not verify");
  }
  return Status::Ok();
}

}  // namespace sealpost::tlog
