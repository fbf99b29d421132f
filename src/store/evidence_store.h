// Evidence for senders (docs/formats/receipt.md, "Receipts in the store"): what the platform
// recorded about each sent message to issue its receipts later, the receipts issued, and how far
// the receipt issuer has read the transparency log. Part of the Store (store/store.h).
//
// The issuer (app/receipt_issuing.h) reads sequenced log leaves from its cursor on, issues the
// receipts those leaves attest, and stores them together with the advanced cursor in one write
// transaction: a crash before that commit re-reads the same leaves (nothing lost), and a receipt
// stored twice under its deterministic id is kept once (nothing doubled).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/encoding.h"
#include "core/ids.h"
#include "core/status.h"
#include "core/time.h"

namespace sealpost::store {

// Written in the send transaction: what every receipt of the message names besides the recipient.
// Holds no content: a digest and the sender's address.
struct MessageEvidenceRecord {
  MessageId message_id;
  std::string sender;             // the sender's address
  std::string sealed_digest_hex;  // SHA-256 of the seal statement, 64 lower-case hex digits
  TimePoint created_at;
};

// One issued receipt: a DER CMS SignedData (receipts/receipt.h).
struct ReceiptRecord {
  std::string id;  // "<log index>-<n>": the n-th receipt that log leaf attests; unique
  MessageId message_id;
  std::string recipient;
  std::string event;  // ETSI EN 319 522 event name, e.g. "ContentConsignment"
  uint64_t log_index = 0;
  TimePoint created_at;
  Bytes der;
};

class EvidenceReader {
 public:
  virtual ~EvidenceReader() = default;

  // NotFound for a message sent before evidence was recorded (or not at all).
  virtual Result<MessageEvidenceRecord> GetMessageEvidence(const MessageId& message_id) = 0;
  // The message's receipts, by log index then id (DER included).
  virtual Result<std::vector<ReceiptRecord>> ListReceipts(const MessageId& message_id) = 0;
  // NotFound unless the receipt `id` belongs to `message_id`.
  virtual Result<ReceiptRecord> GetReceipt(const MessageId& message_id, const std::string& id) = 0;
  // The first log index the issuer has not handled yet (0 at first).
  virtual Result<uint64_t> GetReceiptCursor() = 0;
};

class EvidenceWriter {
 public:
  virtual ~EvidenceWriter() = default;

  // Conflict if the message has a row already.
  virtual Status PutMessageEvidence(const MessageEvidenceRecord& record) = 0;
  // Stores a receipt; one with the same id already stored is kept as it is (idempotent).
  virtual Status AddReceipt(const ReceiptRecord& receipt) = 0;
  // Sets the cursor to `next_index` unless it is already further (two issuers cannot move it
  // back).
  virtual Status AdvanceReceiptCursor(uint64_t next_index) = 0;
};

}  // namespace sealpost::store
