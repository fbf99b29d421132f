// The key directory domain (store/keys_store.h: contacts' keys, trust anchors) on PostgreSQL.
// Its statements are sent with exec_params (not the shared prepared catalogue): they are few and
// the domain stays in its own file.
#pragma once

#include "store/keys_store.h"
#include "store/postgres/internal/reader.h"
#include "store/postgres/internal/txn.h"

namespace sealpost::store::postgres {

class PgKeysReader final : public KeysReader {
 public:
  explicit PgKeysReader(Reader& reader) : reader_(reader) {}

  Result<ContactKeyRecord> GetContactKey(const ContactKeyId& id) override;
  Result<std::vector<ContactKeyRecord>> ListContactKeys(
      const std::optional<UserId>& owner) override;
  Result<std::vector<ContactKeyRecord>> FindContactKeys(const UserId& owner,
                                                        const std::string& address) override;
  Result<std::vector<TrustAnchorRecord>> ListTrustAnchors() override;

 private:
  Reader& reader_;
};

// On the batch's transaction (PgTxn: the first error sticks).
class PgKeysWriter final : public KeysWriter {
 public:
  explicit PgKeysWriter(PgTxn& txn) : txn_(txn), tx_(txn.tx()) {}

  Status AddContactKey(const ContactKeyRecord& key) override;
  Result<int64_t> CountContactKeys(const std::optional<UserId>& owner) override;
  Status MarkContactKeyVerified(const ContactKeyId& id, const UserId& by, TimePoint at) override;
  Status MarkContactKeyRevoked(const ContactKeyId& id, TimePoint at,
                               const std::string& reason) override;
  Status DeleteContactKey(const ContactKeyId& id, TimePoint at) override;
  Status AddTrustAnchor(const TrustAnchorRecord& anchor) override;
  Status DeleteTrustAnchor(const TrustAnchorId& id) override;

 private:
  PgTxn& txn_;
  pqxx::transaction_base& tx_;
};

}  // namespace sealpost::store::postgres
