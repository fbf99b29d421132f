// The enforced-TLS partner domain (store/tls_partners_store.h) on PostgreSQL. Its statements are
// sent with exec_params, outside the shared prepared catalogue, so the domain stays in its file.
#pragma once

#include "store/postgres/internal/reader.h"
#include "store/postgres/internal/txn.h"
#include "store/tls_partners_store.h"

namespace sealpost::store::postgres {

class PgTlsPartnersReader final : public TlsPartnersReader {
 public:
  explicit PgTlsPartnersReader(Reader& reader) : reader_(reader) {}

  Result<std::vector<TlsPartnerRecord>> ListTlsPartners() override;
  Result<TlsPartnerRecord> GetTlsPartner(const std::string& owner_domain,
                                         const std::string& domain) override;
  Result<std::vector<TlsOnlyRuleRecord>> ListTlsOnlyRules() override;
  Result<bool> IsTlsOnlyForbidden(const std::string& domain) override;
  Result<std::vector<SmtpPolicyRecord>> ListSmtpPolicies() override;
  Result<SmtpPolicyRecord> GetSmtpPolicy(const std::string& domain) override;

 private:
  Reader& reader_;
};

// On the batch's transaction (PgTxn: the first error sticks).
class PgTlsPartnersWriter final : public TlsPartnersWriter {
 public:
  explicit PgTlsPartnersWriter(PgTxn& txn) : txn_(txn), tx_(txn.tx()) {}

  Result<bool> PutTlsPartner(const TlsPartnerRecord& partner) override;
  Status DeleteTlsPartner(const std::string& owner_domain, const std::string& domain) override;
  Result<int64_t> CountTlsPartners(const std::string& owner_domain) override;
  Status ReplaceTlsOnlyRules(const std::vector<TlsOnlyRuleRecord>& rules) override;
  Result<bool> PutSmtpPolicy(const SmtpPolicyRecord& policy) override;
  Status DeleteSmtpPolicy(const std::string& domain) override;

 private:
  PgTxn& txn_;
  pqxx::transaction_base& tx_;
};

}  // namespace sealpost::store::postgres
