// A proof that a contiguous run of leaves [begin, end) sits at exactly those positions in a tree
// of `tree_size` leaves (RFC 9162 hashing, merkle.h): the roots of the tree's subtrees that lie
// wholly outside the run, in left-to-right order. With the run's leaf hashes they give back the
// tree's root, so no leaf of the run can be left out, added, reordered or changed without the
// root changing. What the audit export (audit/audit_export.h) uses to show that no entry of its
// index range is missing.
//
// RFC 9162 has no range proof; this is the same recursion as its PATH and SUBPROOF (split at the
// largest power of two below n), written by hand because no library we use offers it. The proof
// has at most 2·⌈log2(tree_size)⌉ hashes.
//
// SECURITY: VerifyRange takes untrusted hashes and an untrusted proof: a proof of the wrong
// length is InvalidArgument, one that does not lead to `root` Unauthenticated. Pure; thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/status.h"
#include "tlog/merkle.h"

namespace sealpost::tlog {

// The proof for the leaves [begin, end) of the tree of the first `tree_size` leaves of `source`.
// InvalidArgument unless begin < end ≤ tree_size ≤ source.size().
Result<std::vector<Hash>> RangeProof(const HashSource& source, uint64_t begin, uint64_t end,
                                     uint64_t tree_size);

// The number of hashes a correct proof has.
uint64_t RangeProofLength(uint64_t begin, uint64_t end, uint64_t tree_size);

// OK if `leaf_hashes` are the leaves [begin, begin + leaf_hashes.size()) of the tree of
// `tree_size` leaves whose root is `root`, by `proof`.
Status VerifyRange(std::span<const Hash> leaf_hashes, uint64_t begin, uint64_t tree_size,
                   std::span<const Hash> proof, const Hash& root);

}  // namespace sealpost::tlog
