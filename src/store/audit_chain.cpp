#include "store/audit_chain.h"

#include "crypto/hash.h"

namespace sealpost::store {
namespace {

void PutU64(Bytes& out, uint64_t v) {
  for (int i = 7; i >= 0; --i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

void PutField(Bytes& out, std::string_view s) {
  PutU64(out, s.size());
  out.insert(out.end(), s.begin(), s.end());
}

}  // namespace

Bytes AuditEntryHash(ByteView prev_hash, int64_t seq, const AuditEvent& event) {
  Bytes canonical;
  PutField(canonical, "sealpost-audit-entry/v1");
  PutU64(canonical, static_cast<uint64_t>(seq));
  PutU64(canonical, static_cast<uint64_t>(ToUnixMillis(event.time)));
  PutField(canonical, event.type);
  PutField(canonical, event.actor);
  PutField(canonical, event.subject);
  PutField(canonical, event.details);
  PutField(canonical, AsChars(prev_hash));
  const crypto::Digest256 digest = crypto::Sha256(canonical);
  return Bytes(digest.begin(), digest.end());
}

}  // namespace sealpost::store
