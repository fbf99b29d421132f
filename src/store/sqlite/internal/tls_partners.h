// The enforced-TLS partner domain (store/tls_partners_store.h) on SQLite.
#pragma once

#include "store/sqlite/internal/connection.h"
#include "store/sqlite/internal/reader_pool.h"
#include "store/tls_partners_store.h"

namespace sealpost::store::sqlite {

class SqliteTlsPartnersReader final : public TlsPartnersReader {
 public:
  explicit SqliteTlsPartnersReader(ReaderPool& pool) : pool_(pool) {}

  Result<std::vector<TlsPartnerRecord>> ListTlsPartners() override;
  Result<TlsPartnerRecord> GetTlsPartner(const std::string& owner_domain,
                                         const std::string& domain) override;
  Result<std::vector<TlsOnlyRuleRecord>> ListTlsOnlyRules() override;
  Result<bool> IsTlsOnlyForbidden(const std::string& domain) override;
  Result<std::vector<SmtpPolicyRecord>> ListSmtpPolicies() override;
  Result<SmtpPolicyRecord> GetSmtpPolicy(const std::string& domain) override;

 private:
  ReaderPool& pool_;
};

// Over the writer connection; used only by the writer thread inside a transaction.
class SqliteTlsPartnersWriter final : public TlsPartnersWriter {
 public:
  explicit SqliteTlsPartnersWriter(Connection& db) : db_(db) {}

  Result<bool> PutTlsPartner(const TlsPartnerRecord& partner) override;
  Status DeleteTlsPartner(const std::string& owner_domain, const std::string& domain) override;
  Result<int64_t> CountTlsPartners(const std::string& owner_domain) override;
  Status ReplaceTlsOnlyRules(const std::vector<TlsOnlyRuleRecord>& rules) override;
  Result<bool> PutSmtpPolicy(const SmtpPolicyRecord& policy) override;
  Status DeleteSmtpPolicy(const std::string& domain) override;

 private:
  Connection& db_;
};

}  // namespace sealpost::store::sqlite
