// Escrow (docs/escrow.md): the escrow public key a domain turned escrow on with, and each
// message's data key sealed to the escrow key of every domain it concerns. Part of the Store
// (store/store.h). The store keeps what app/escrow.h validated; it checks nothing but uniqueness.
//
// A wrap is a sealed box (crypto/sealed_box.h) of the message's data key to the domain's escrow
// key: only the holder of the private half, which never reaches the server, opens it.
//
// Thread-safe, like the rest of the Store.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/encoding.h"
#include "core/ids.h"
#include "core/status.h"
#include "core/time.h"

namespace sealpost::store {

struct EscrowKeyRecord {
  std::string domain;  // lower-case mail domain, the key
  Bytes public_key;    // X25519, 32 bytes
  std::string set_by;  // actor id
  TimePoint set_at;
};

struct EscrowWrapRecord {
  MessageId message_id;
  std::string domain;
  Bytes sealed_key;  // the data key sealed to the domain's escrow key
  TimePoint created_at;
};

// Which wraps an export takes: one domain's, of messages created in [from, to), and with
// `member`, only messages that member sent or holds a mailbox entry of.
struct EscrowWrapQuery {
  std::string domain;
  std::optional<TimePoint> from;
  std::optional<TimePoint> to;
  std::optional<UserId> member;
  std::optional<MessageId> after;  // the page cursor: only message ids above it
  int limit = 100;
};

class EscrowReader {
 public:
  virtual ~EscrowReader() = default;

  // NotFound when the domain has no escrow key (escrow is off).
  virtual Result<EscrowKeyRecord> GetEscrowKey(const std::string& domain) = 0;
  // By domain.
  virtual Result<std::vector<EscrowKeyRecord>> ListEscrowKeys() = 0;
  // By message id; at most query.limit.
  virtual Result<std::vector<EscrowWrapRecord>> ListEscrowWraps(const EscrowWrapQuery& query) = 0;
  // By domain.
  virtual Result<std::vector<EscrowWrapRecord>> ListEscrowWrapsOfMessage(const MessageId& id) = 0;
  // Every wrap of the instance (for tests and the threat model's "nothing sealed" check).
  virtual Result<int64_t> CountEscrowWraps() = 0;
};

class EscrowWriter {
 public:
  virtual ~EscrowWriter() = default;

  // Inserts or replaces the domain's key (wraps made under an earlier key stay as they are).
  virtual Status PutEscrowKey(const EscrowKeyRecord& key) = 0;
  // NotFound when the domain has none.
  virtual Status DeleteEscrowKey(const std::string& domain) = 0;
  // Conflict when the message already has a wrap for that domain.
  virtual Status PutEscrowWrap(const EscrowWrapRecord& wrap) = 0;
  // How many went (0 when none).
  virtual Result<int64_t> DeleteEscrowWrap(const MessageId& id, const std::string& domain) = 0;
  virtual Result<int64_t> DeleteEscrowWrapsOf(const MessageId& id) = 0;
};

}  // namespace sealpost::store
