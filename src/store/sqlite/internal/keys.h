// The key directory domain (store/keys_store.h: contacts' keys, trust anchors) on SQLite.
#pragma once

#include "store/keys_store.h"
#include "store/sqlite/internal/connection.h"
#include "store/sqlite/internal/reader_pool.h"

namespace sealpost::store::sqlite {

class SqliteKeysReader final : public KeysReader {
 public:
  explicit SqliteKeysReader(ReaderPool& pool) : pool_(pool) {}

  Result<ContactKeyRecord> GetContactKey(const ContactKeyId& id) override;
  Result<std::vector<ContactKeyRecord>> ListContactKeys(
      const std::optional<UserId>& owner) override;
  Result<std::vector<ContactKeyRecord>> FindContactKeys(const UserId& owner,
                                                        const std::string& address) override;
  Result<std::vector<TrustAnchorRecord>> ListTrustAnchors() override;

 private:
  ReaderPool& pool_;
};

// Over the writer connection; used only by the writer thread inside a transaction.
class SqliteKeysWriter final : public KeysWriter {
 public:
  explicit SqliteKeysWriter(Connection& db) : db_(db) {}

  Status AddContactKey(const ContactKeyRecord& key) override;
  Result<int64_t> CountContactKeys(const std::optional<UserId>& owner) override;
  Status MarkContactKeyVerified(const ContactKeyId& id, const UserId& by, TimePoint at) override;
  Status MarkContactKeyRevoked(const ContactKeyId& id, TimePoint at,
                               const std::string& reason) override;
  Status DeleteContactKey(const ContactKeyId& id, TimePoint at) override;
  Status AddTrustAnchor(const TrustAnchorRecord& anchor) override;
  Status DeleteTrustAnchor(const TrustAnchorId& id) override;

 private:
  Connection& db_;
};

}  // namespace sealpost::store::sqlite
