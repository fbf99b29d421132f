// Escrow (docs/escrow.md; opt-in per domain, zero access stays the default). A domain that must be
// able to produce its members' messages turns escrow on by giving its escrow public key (X25519);
// from then on every new message's data key is also sealed to it (SealToEscrow). The private half
// stays with the organisation: `sealpost escrow keygen` makes the pair offline, `sealpost escrow
// export` (server side, no secret) writes the sealed messages, `sealpost escrow open` (offline,
// with the private key) turns them into EML files (app/escrow_export.h).
//
// SECURITY: domains and keys come from requests. Setting or clearing a domain's key needs
// manage_policies over that domain (app/access.h); each change is audited (escrow.key_set,
// escrow.key_cleared, with the key's SHA-256 fingerprint). A key that is not a valid X25519 public
// key (32 bytes, not a low-order point) is InvalidArgument shown to the client. Thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "app/access.h"
#include "app/services.h"
#include "crypto/key_roles.h"
#include "store/escrow_store.h"

namespace sealpost::app {

// A domain's escrow key as shown to administrators.
struct EscrowKeyView {
  std::string domain;
  std::string public_key;   // base64 (standard, padded) of the 32 bytes
  std::string fingerprint;  // hex SHA-256 of the 32 bytes
  std::string set_by;
  TimePoint set_at;
};

// An escrow public key as administrators type it: base64 (standard or URL-safe alphabet, padding
// optional) or 64 hex digits of a 32-byte X25519 key. InvalidArgument (shown) otherwise.
Result<crypto::BoxPublicKey> ParseEscrowPublicKey(std::string_view text);
std::string EscrowFingerprint(ByteView public_key);

class Escrow final {
 public:
  explicit Escrow(const Services& services) : s_(services) {}

  // manage_policies over `domain`; none when escrow is off there.
  Result<std::optional<EscrowKeyView>> GetKey(const Caller& caller, std::string_view domain);
  // Turns escrow on (or replaces the key: wraps already made stay under the old one).
  Result<EscrowKeyView> SetKey(const Caller& caller, std::string_view domain,
                               std::string_view public_key);
  // Turns escrow off for new messages (wraps already made stay, until retention shreds them).
  // NotFound when it was off.
  Status ClearKey(const Caller& caller, std::string_view domain);

 private:
  Result<std::string> Authorise(const Caller& caller, std::string_view domain);
  Services s_;
};

// The hook for every place a message's data key is wrapped for its readers (member sends, portal
// replies, messages the SMTP gateway takes in): the data key sealed to the escrow key of each
// domain among `addresses` (sender and recipients, normalised) that has escrow on. Empty when none
// has (the default): then nothing is sealed to any escrow key. Store the result in the message's
// own transaction (tx.escrow().PutEscrowWrap).
Result<std::vector<store::EscrowWrapRecord>> SealToEscrow(store::Store& store, const MessageId& id,
                                                          const crypto::DataKey& data_key,
                                                          const std::vector<std::string>& addresses,
                                                          TimePoint now);

}  // namespace sealpost::app
