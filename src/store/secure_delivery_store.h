// Secure delivery: one row per copy of a member's message that leaves Sealpost for one
// recipient by S/MIME, OpenPGP or enforced TLS (app/secure_delivery.h). The row is the per-
// recipient delivery state the sender sees and the queue the deliverers lease from; the copy
// itself (RFC 5322 bytes, sealed under the master key by app/) is erased once it was delivered
// or given up. Part of the Store (store/store.h).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/encoding.h"
#include "core/ids.h"
#include "core/status.h"
#include "core/time.h"

namespace sealpost {
using SecureCopyId = Id<struct SecureCopyIdTag>;
}  // namespace sealpost

namespace sealpost::store {

// Stored as integers; never renumber.
// kReportedDelayed: delivered (a server took it), then a delivery status notification said a
// server further on is still trying (RFC 3464 Action: delayed) — not ours to retry.
// kPreparing: recorded with its message, the copy itself still being made by the send request
// (a large send queues its copies chunk by chunk, so delivery starts on the first ones); method
// is the route slug ("smime", "openpgp", "tls"), sealed_copy empty, lease_until the time by
// which the request must have queued it. Never claimed; one left past its lease (the process
// died mid-send) is failed by the deliverers, its sender told.
enum class SecureCopyState {
  kQueued = 0,
  kDelivered = 1,
  kDeferred = 2,
  kFailed = 3,
  kReportedDelayed = 4,
  kPreparing = 5
};

struct SecureCopyRecord {
  SecureCopyId id;
  MessageId message_id;
  UserId sender_id;
  std::string recipient;  // normalised address
  // "smime-authenveloped-aes256gcm", "smime-enveloped-aes256cbc", "pgp-mime" (delivery::
  // SecureMethodSlug) or "tls".
  std::string method;
  SecureCopyState state = SecureCopyState::kQueued;
  std::string host;   // delivered: who took it ("mx.partner.example", or the relay / outbox)
  std::string reply;  // delivered: its reply ("250 2.0.0 Ok: queued as ABC")
  std::string last_error;
  TimePoint created_at;
  TimePoint next_attempt_at;
  int attempts = 0;
  std::optional<TimePoint> lease_until;
  std::optional<TimePoint> finished_at;  // delivered or failed
  Bytes sealed_copy;                     // empty once delivered or failed
};

class SecureDeliveryReader {
 public:
  virtual ~SecureDeliveryReader() = default;

  // The copies of one message, by recipient; sealed_copy is left empty (not read).
  virtual Result<std::vector<SecureCopyRecord>> ListCopiesOfMessage(const MessageId& id) = 0;
  // Copies still to go (queued or deferred), soonest due first; sealed_copy left empty.
  virtual Result<std::vector<SecureCopyRecord>> ListPendingCopies(int limit) = 0;
  // One copy, sealed_copy left empty; NotFound.
  virtual Result<SecureCopyRecord> GetCopy(const SecureCopyId& id) = 0;
};

class SecureDeliveryWriter {
 public:
  virtual ~SecureDeliveryWriter() = default;

  virtual Status EnqueueCopy(const SecureCopyRecord& copy) = 0;
  // Leases up to `limit` copies that are queued or deferred, due (next_attempt_at <= now) and not
  // leased by anyone else (or whose lease ran out), oldest due first, with their sealed copy.
  virtual Result<std::vector<SecureCopyRecord>> ClaimDueCopies(TimePoint now, TimePoint lease_until,
                                                               int limit) = 0;
  // A preparing copy made: queued (due at once) with its method slug and sealed bytes, the lease
  // ends. NotFound when the copy is not preparing (its preparation was given up as abandoned).
  virtual Status QueuePreparedCopy(const SecureCopyId& id, const std::string& method,
                                   const Bytes& sealed_copy, TimePoint now) = 0;
  // Moves the lease of message `message`'s copies still preparing to `lease_until`: the send
  // request making them is alive.
  virtual Status ExtendPreparation(const MessageId& message, TimePoint lease_until) = 0;
  // Up to `limit` copies still preparing whose lease ran out (the request making them died),
  // oldest lease first; sealed_copy empty.
  virtual Result<std::vector<SecureCopyRecord>> ListAbandonedCopies(TimePoint now, int limit) = 0;
  // A transient failure: state deferred, the lease ends. NotFound when no such pending copy.
  virtual Status DeferCopy(const SecureCopyId& id, TimePoint next_attempt_at, int attempts,
                           const std::string& last_error) = 0;
  // Delivered (host, reply) or failed (last_error): the sealed copy is erased, the lease ends.
  // NotFound when no such pending copy (queued, deferred or preparing: an abandoned one fails).
  virtual Status FinishCopy(const SecureCopyId& id, SecureCopyState state, int attempts,
                            const std::string& host, const std::string& reply,
                            const std::string& last_error, TimePoint at) = 0;
  // What a delivery status notification reported about a copy that already left (delivered or
  // reported delayed): kFailed (finished_at = at) or kReportedDelayed, with the reason in
  // last_error; host and reply stay. NotFound when no such copy in those states (still ours to
  // send, or already failed); InvalidArgument for another state.
  virtual Status ReportCopyOutcome(const SecureCopyId& id, SecureCopyState state,
                                   const std::string& last_error, TimePoint at) = 0;
};

}  // namespace sealpost::store
