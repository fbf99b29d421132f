// RFC 9162 (Certificate Transparency 2.0) Merkle tree hashing, section 2.1: the tree hash of a
// list of leaf hashes, and inclusion and consistency proofs with their verification.
//
// Hashing: a leaf is SHA-256(0x00 ‖ data), an interior node SHA-256(0x01 ‖ left ‖ right); the
// different prefixes keep a leaf from being passed off as a node (second preimages). The tree of n
// leaves splits at the largest power of two below n, so the log can only grow on the right.
//
// Proofs are built from the roots of subtrees, asked of a HashSource. Today the only source is
// LeafHashSpan (an in-memory span of leaf hashes); a storage-backed source that reads stored
// interior nodes (tiles) can be plugged in later without changing the proof code.
//
// SECURITY: the Verify* functions take untrusted proofs. A proof of the wrong length is refused as
// InvalidArgument; one of the right length that does not lead to the given root is refused as
// Unauthenticated("... proof does not verify"). Pure; thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/encoding.h"
#include "core/status.h"
#include "crypto/hash.h"

namespace sealpost::tlog {

using Hash = crypto::Digest256;

// SHA-256(0x00 ‖ data).
Hash LeafHash(ByteView data);
// SHA-256(0x01 ‖ left ‖ right).
Hash NodeHash(const Hash& left, const Hash& right);
// The root of the empty tree: SHA-256 of the empty string.
Hash EmptyRoot();

// The tree head (MTH) over `leaf_hashes`; EmptyRoot() for none.
Hash RootHash(std::span<const Hash> leaf_hashes);

// Where proof generation reads the tree from.
class HashSource {
 public:
  virtual ~HashSource() = default;
  // The number of leaves the source holds.
  virtual uint64_t size() const = 0;
  // MTH of the leaves [begin, end), 0 ≤ begin < end ≤ size(). Proofs only ask for ranges a tree
  // of some size has as a subtree, so a stored-node source can answer from its tiles.
  virtual Result<Hash> SubtreeRoot(uint64_t begin, uint64_t end) const = 0;
};

// A HashSource over leaf hashes held in memory (the caller keeps them alive).
class LeafHashSpan final : public HashSource {
 public:
  explicit LeafHashSpan(std::span<const Hash> leaf_hashes) : leaves_(leaf_hashes) {}
  uint64_t size() const override { return leaves_.size(); }
  Result<Hash> SubtreeRoot(uint64_t begin, uint64_t end) const override;

 private:
  std::span<const Hash> leaves_;
};

// The audit path of leaf `index` in the tree of the first `tree_size` leaves of `source`, leaf
// level first. InvalidArgument unless index < tree_size ≤ source.size().
Result<std::vector<Hash>> InclusionProof(const HashSource& source, uint64_t index,
                                         uint64_t tree_size);

// The proof that the tree of the first `old_size` leaves is a prefix of the tree of the first
// `new_size` leaves (RFC 9162 2.1.4.1; empty when old_size is 0 or equals new_size).
// InvalidArgument unless old_size ≤ new_size ≤ source.size().
Result<std::vector<Hash>> ConsistencyProof(const HashSource& source, uint64_t old_size,
                                           uint64_t new_size);

// The number of hashes a correct proof has (what the generators return).
uint64_t InclusionProofLength(uint64_t index, uint64_t tree_size);
uint64_t ConsistencyProofLength(uint64_t old_size, uint64_t new_size);

// RFC 9162 2.1.3.2: OK if `proof` shows `leaf_hash` at `index` in the tree of `tree_size` leaves
// whose root is `root`.
Status VerifyInclusion(const Hash& leaf_hash, uint64_t index, uint64_t tree_size,
                       std::span<const Hash> proof, const Hash& root);

// RFC 9162 2.1.4.2: OK if `proof` shows that the tree (`old_size`, `old_root`) is a prefix of the
// tree (`new_size`, `new_root`). An old size of 0 is consistent with any tree (empty proof).
Status VerifyConsistency(uint64_t old_size, uint64_t new_size, std::span<const Hash> proof,
                         const Hash& old_root, const Hash& new_root);

}  // namespace sealpost::tlog
