// The retention domain (store/retention_store.h: policies, legal holds, tombstones, what is due)
// on PostgreSQL.
#pragma once

#include "store/postgres/internal/reader.h"
#include "store/postgres/internal/txn.h"
#include "store/retention_store.h"

namespace sealpost::store::postgres {

class PgRetentionReader final : public RetentionReader {
 public:
  explicit PgRetentionReader(Reader& reader) : reader_(reader) {}

  Result<std::vector<RetentionPolicyRecord>> ListPolicies() override;
  Result<RetentionPolicyRecord> GetPolicy(const std::string& domain) override;
  Result<std::vector<HoldRecord>> ListHolds(bool include_released, int limit) override;
  Result<HoldRecord> GetHold(const std::string& id) override;
  Result<bool> IsHeld(HoldTarget target, const std::string& subject) override;
  Result<std::vector<DueEntry>> ListDueEntries(const std::string& domain, TimePoint cutoff,
                                               int limit) override;
  Result<std::vector<DuePickup>> ListDuePickups(const std::string& domain, TimePoint cutoff,
                                                int limit) override;
  Result<std::vector<MessageId>> ListShreddedWithAttachments(int limit) override;
  Result<std::vector<TombstoneRecord>> ListTombstonesOfMessage(const MessageId& id) override;
  Result<std::vector<TombstoneRecord>> ListTombstonesOfRun(const std::string& run_id) override;

 private:
  Reader& reader_;
};

// On the batch's transaction (PgTxn: the first error sticks).
class PgRetentionWriter final : public RetentionWriter {
 public:
  explicit PgRetentionWriter(PgTxn& txn) : txn_(txn), tx_(txn.tx()) {}

  Status PutPolicy(const RetentionPolicyRecord& policy) override;
  Status DeletePolicy(const std::string& domain) override;
  Status PlaceHold(const HoldRecord& hold) override;
  Status ReleaseHold(const std::string& id, const std::string& released_by, TimePoint at) override;
  Result<bool> IsHeld(HoldTarget target, const std::string& subject) override;
  Status ShredEntry(const UserId& owner, const MessageId& id, Folder folder) override;
  Status ShredPickup(const std::string& lookup) override;
  Result<int64_t> CountKeyHolders(const MessageId& id) override;
  Status ShredContent(const MessageId& id) override;
  Status DeleteAttachmentRows(const MessageId& id) override;
  Status AddTombstone(const TombstoneRecord& tombstone) override;

 private:
  PgTxn& txn_;
  pqxx::transaction_base& tx_;
};

}  // namespace sealpost::store::postgres
