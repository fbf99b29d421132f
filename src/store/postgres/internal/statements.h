// Shared by the PostgreSQL store's translation units: statement catalogue, exception mapping,
// parameter and row conversion. Never included outside store/postgres/.
#pragma once

#include <pqxx/pqxx>

#include <exception>
#include <string>
#include <string_view>

#include "core/encoding.h"
#include "core/status.h"
#include "store/records.h"

namespace sealpost::store::postgres {

// Prepares every statement of the catalogue on a fresh connection.
void PrepareAll(pqxx::connection& conn);

// Maps an exception thrown by libpqxx (or anything else) to a Status. `retryable` is set when
// re-running the transaction may succeed (serialization failure, deadlock, lost connection
// before commit).
Status StatusFromException(const std::exception_ptr& e, bool* retryable);

pqxx::binarystring Bin(ByteView v);
Bytes ReadBytes(const pqxx::field& f);

inline constexpr pqxx::row::size_type kSessionColumnCount = 11;  // kSessionColumns
inline constexpr const char* kAuditColumns =
    "seq, time_ms, type, actor, subject, details, prev_hash, hash";

// The users columns ReadUser expects, in its order.
const char* UserColumns();
UserRecord ReadUser(const pqxx::row& r);
SessionRecord ReadSession(const pqxx::row& r);
TokenRecord ReadToken(const pqxx::row& r);
UploadRecord ReadUpload(const pqxx::row& r);
AuditEntry ReadAuditEntry(const pqxx::row& r);
MailboxItem ReadMailboxItem(const pqxx::row& r);
MailboxEntry ReadMailboxEntry(const pqxx::row& r);  // owner, message, folder, key, unread, created
OutboundMailRecord ReadOutboundMail(const pqxx::row& r);
GuestAddressRecord ReadGuestAddress(const pqxx::row& r);
PickupRecord ReadPickup(const pqxx::row& r);
MessageRecord ReadMessage(const pqxx::row& r);

// Key of the transaction-scoped advisory lock that serialises audit chain appends.
inline constexpr int64_t kAuditAppendLock = 0x5365616c41756431;  // "SealAud1"
inline constexpr int64_t kMigrationLock = 0x5365616c4d696731;    // "SealMig1"
// Key of the session advisory lock that elects the one log sequencer (docs/formats/log-entry.md).
inline constexpr int64_t kLogSequencerLock = 0x5365616c4c6f6731;  // "SealLog1"

}  // namespace sealpost::store::postgres
