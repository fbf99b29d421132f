#include "app/escrow.h"

#include <set>

#include <nlohmann/json.hpp>

#include "app/internal/audit_event.h"
#include "core/encoding.h"
#include "crypto/hash.h"
#include "keys/data_key.h"

namespace sealpost::app {
namespace {

EscrowKeyView ViewOf(const store::EscrowKeyRecord& r) {
  return {r.domain, Base64Encode(r.public_key), EscrowFingerprint(r.public_key), r.set_by,
          r.set_at};
}

// Base64 in either alphabet, with or without padding: what key tools and people paste.
Result<Bytes> DecodeLooseBase64(std::string_view text) {
  std::string standard(text);
  for (char& c : standard) {
    if (c == '-') c = '+';
    if (c == '_') c = '/';
  }
  while (standard.size() % 4 != 0) standard += '=';
  return Base64Decode(standard);
}

}  // namespace

Result<crypto::BoxPublicKey> ParseEscrowPublicKey(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
    text.remove_suffix(1);
  }
  const auto refuse = [] {
    return InvalidArgument(
               "public_key must be an X25519 public key: 32 bytes in base64 or 64 hex digits "
               "(sealpost escrow keygen prints one)")
        .ShownToClient();
  };
  if (text.empty() || text.size() > 100) return refuse();
  Result<Bytes> raw = text.size() == 64 ? HexDecode(text) : DecodeLooseBase64(text);
  if (!raw.ok() || raw->size() != crypto::kBoxPublicKeyBytes) return refuse();
  auto key = crypto::BoxPublicKey::FromBytes(*raw);
  if (!key.ok()) return refuse();  // a low-order point
  return *key;
}

std::string EscrowFingerprint(ByteView public_key) { return HexEncode(crypto::Sha256(public_key)); }

Result<std::string> Escrow::Authorise(const Caller& caller, std::string_view domain) {
  SP_ASSIGN_OR_RETURN(std::string name, NormaliseDomainScope(domain));
  if (name == store::kAllDomains) {
    return InvalidArgument("escrow is set per mail domain, not for \"*\"").ShownToClient();
  }
  SP_RETURN_IF_ERROR(Access(s_.store).Require(caller, Permission::kManagePolicies, name));
  return name;
}

Result<std::optional<EscrowKeyView>> Escrow::GetKey(const Caller& caller, std::string_view domain) {
  SP_ASSIGN_OR_RETURN(const std::string name, Authorise(caller, domain));
  auto key = s_.store.escrow().GetEscrowKey(name);
  if (key.status().code() == ErrorCode::kNotFound) return std::optional<EscrowKeyView>();
  SP_RETURN_IF_ERROR(key.status());
  return std::optional<EscrowKeyView>(ViewOf(*key));
}

Result<EscrowKeyView> Escrow::SetKey(const Caller& caller, std::string_view domain,
                                     std::string_view public_key) {
  SP_ASSIGN_OR_RETURN(const std::string name, Authorise(caller, domain));
  SP_ASSIGN_OR_RETURN(const crypto::BoxPublicKey key, ParseEscrowPublicKey(public_key));
  const store::EscrowKeyRecord record{name, Bytes(key.bytes().begin(), key.bytes().end()),
                                      caller.user.id.str(), s_.clock.Now()};
  nlohmann::json details{{"fingerprint", EscrowFingerprint(record.public_key)}};
  if (!caller.token_id.empty()) details["api_token"] = caller.token_id;
  SP_RETURN_IF_ERROR(s_.store.Write([&](store::WriteTxn& tx) {
    SP_RETURN_IF_ERROR(tx.escrow().PutEscrowKey(record));
    return RecordEvent(s_, tx, "escrow.key_set", caller.user.id.str(), name, details.dump());
  }));
  return ViewOf(record);
}

Status Escrow::ClearKey(const Caller& caller, std::string_view domain) {
  SP_ASSIGN_OR_RETURN(const std::string name, Authorise(caller, domain));
  nlohmann::json details = nlohmann::json::object();
  if (!caller.token_id.empty()) details["api_token"] = caller.token_id;
  return s_.store.Write([&](store::WriteTxn& tx) {
    SP_RETURN_IF_ERROR(tx.escrow().DeleteEscrowKey(name));
    return RecordEvent(s_, tx, "escrow.key_cleared", caller.user.id.str(), name, details.dump());
  });
}

Result<std::vector<store::EscrowWrapRecord>> SealToEscrow(store::Store& store, const MessageId& id,
                                                          const crypto::DataKey& data_key,
                                                          const std::vector<std::string>& addresses,
                                                          TimePoint now) {
  std::set<std::string> domains;
  for (const std::string& a : addresses) {
    const std::string_view domain = DomainOf(a);
    if (!domain.empty()) domains.emplace(domain);
  }
  std::vector<store::EscrowWrapRecord> wraps;
  for (const std::string& domain : domains) {
    auto key = store.escrow().GetEscrowKey(domain);
    if (key.status().code() == ErrorCode::kNotFound) continue;  // escrow off: the default
    SP_RETURN_IF_ERROR(key.status());
    // Checked again: a stored key that no longer parses fails the send rather than skip escrow.
    SP_ASSIGN_OR_RETURN(const crypto::BoxPublicKey pub,
                        crypto::BoxPublicKey::FromBytes(key->public_key));
    wraps.push_back({id, domain, keys::SealDataKeyTo(pub, data_key), now});
  }
  return wraps;
}

}  // namespace sealpost::app
