#include "store/postgres/internal/tls_partners.h"

#include <string>

#include "store/internal/pin_list.h"

namespace sealpost::store::postgres {
namespace {

constexpr const char* kSelectPartner =
    "SELECT domain, mode, pins, override_host, override_port, added_by, added_ms, updated_by, "
    "updated_ms, owner_domain FROM tls_partners";
constexpr const char* kSelectSmtpPolicy =
    "SELECT domain, mode, tag, ready, regexes, updated_by, updated_ms FROM smtp_policies";

TlsPartnerRecord ReadPartner(const pqxx::row& r) {
  TlsPartnerRecord p;
  p.domain = r[0].as<std::string>();
  p.mode = static_cast<TlsPartnerModeCode>(r[1].as<int64_t>());
  p.pins_hex = internal::SplitPins(r[2].as<std::string>());
  p.override_host = r[3].as<std::string>();
  p.override_port = static_cast<uint16_t>(r[4].as<int64_t>());
  p.added_by = UserId::FromTrusted(r[5].as<std::string>());
  p.added_at = FromUnixMillis(r[6].as<int64_t>());
  p.updated_by = UserId::FromTrusted(r[7].as<std::string>());
  p.updated_at = FromUnixMillis(r[8].as<int64_t>());
  p.owner_domain = r[9].as<std::string>();
  return p;
}

SmtpPolicyRecord ReadSmtpPolicy(const pqxx::row& r) {
  SmtpPolicyRecord p;
  p.domain = r[0].as<std::string>();
  p.mode = static_cast<SmtpPolicyModeCode>(r[1].as<int64_t>());
  p.tag = r[2].as<std::string>();
  p.ready = internal::SplitPins(r[3].as<std::string>());
  p.regexes = internal::SplitPins(r[4].as<std::string>(), '\n');
  p.updated_by = UserId::FromTrusted(r[5].as<std::string>());
  p.updated_at = FromUnixMillis(r[6].as<int64_t>());
  return p;
}

}  // namespace

Result<std::vector<TlsPartnerRecord>> PgTlsPartnersReader::ListTlsPartners() {
  return reader_.Read<std::vector<TlsPartnerRecord>>([&](pqxx::transaction_base& tx) {
    // COLLATE "C": byte order, as SQLite sorts ("*" first).
    const auto r = tx.exec(std::string(kSelectPartner) +
                           " ORDER BY domain COLLATE \"C\", owner_domain COLLATE \"C\"");
    std::vector<TlsPartnerRecord> out;
    out.reserve(r.size());
    for (const auto& row : r) out.push_back(ReadPartner(row));
    return out;
  });
}

Result<TlsPartnerRecord> PgTlsPartnersReader::GetTlsPartner(const std::string& owner_domain,
                                                            const std::string& domain) {
  return reader_.Read<TlsPartnerRecord>(
      [&](pqxx::transaction_base& tx) -> Result<TlsPartnerRecord> {
        const auto r =
            tx.exec_params(std::string(kSelectPartner) + " WHERE owner_domain = $1 AND domain = $2",
                           owner_domain, domain);
        if (r.empty()) return NotFound("TLS partner not found");
        return ReadPartner(r[0]);
      });
}

Result<std::vector<SmtpPolicyRecord>> PgTlsPartnersReader::ListSmtpPolicies() {
  return reader_.Read<std::vector<SmtpPolicyRecord>>([&](pqxx::transaction_base& tx) {
    const auto r = tx.exec(std::string(kSelectSmtpPolicy) + " ORDER BY domain COLLATE \"C\"");
    std::vector<SmtpPolicyRecord> out;
    out.reserve(r.size());
    for (const auto& row : r) out.push_back(ReadSmtpPolicy(row));
    return out;
  });
}

Result<SmtpPolicyRecord> PgTlsPartnersReader::GetSmtpPolicy(const std::string& domain) {
  return reader_.Read<SmtpPolicyRecord>(
      [&](pqxx::transaction_base& tx) -> Result<SmtpPolicyRecord> {
        const auto r =
            tx.exec_params(std::string(kSelectSmtpPolicy) + " WHERE domain = $1", domain);
        if (r.empty()) return NotFound("SMTP policy not found");
        return ReadSmtpPolicy(r[0]);
      });
}

Result<std::vector<TlsOnlyRuleRecord>> PgTlsPartnersReader::ListTlsOnlyRules() {
  return reader_.Read<std::vector<TlsOnlyRuleRecord>>([&](pqxx::transaction_base& tx) {
    // COLLATE "C": byte order, as SQLite sorts ("*" first).
    const auto r = tx.exec(
        "SELECT domain, added_by, added_ms FROM tls_only_rules ORDER BY domain COLLATE \"C\"");
    std::vector<TlsOnlyRuleRecord> out;
    out.reserve(r.size());
    for (const auto& row : r) {
      out.push_back({row[0].as<std::string>(), UserId::FromTrusted(row[1].as<std::string>()),
                     FromUnixMillis(row[2].as<int64_t>())});
    }
    return out;
  });
}

Result<bool> PgTlsPartnersReader::IsTlsOnlyForbidden(const std::string& domain) {
  return reader_.Read<bool>([&](pqxx::transaction_base& tx) {
    return !tx.exec_params("SELECT 1 FROM tls_only_rules WHERE domain = $1 OR domain = $2", domain,
                           std::string(kTlsOnlyEverywhere))
                .empty();
  });
}

Result<bool> PgTlsPartnersWriter::PutTlsPartner(const TlsPartnerRecord& p) {
  return txn_.Guard<bool>([&]() -> Result<bool> {
    // xmax = 0 only on a freshly inserted row: tells an insert from an update in one statement.
    const auto r = tx_.exec_params(
        "INSERT INTO tls_partners(domain, mode, pins, override_host, override_port, added_by, "
        "added_ms, updated_by, updated_ms, owner_domain) "
        "VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) "
        "ON CONFLICT (owner_domain, domain) DO UPDATE SET mode = EXCLUDED.mode, pins = "
        "EXCLUDED.pins, "
        "override_host = EXCLUDED.override_host, override_port = EXCLUDED.override_port, "
        "updated_by = EXCLUDED.updated_by, updated_ms = EXCLUDED.updated_ms "
        "RETURNING (xmax = 0)",
        p.domain, static_cast<int64_t>(p.mode), internal::JoinPins(p.pins_hex), p.override_host,
        static_cast<int64_t>(p.override_port), p.added_by.str(), ToUnixMillis(p.added_at),
        p.updated_by.str(), ToUnixMillis(p.updated_at), p.owner_domain);
    return r[0][0].as<bool>();
  });
}

Status PgTlsPartnersWriter::DeleteTlsPartner(const std::string& owner_domain,
                                             const std::string& domain) {
  return txn_.GuardStatus([&] {
    return ExpectOneRow(
        tx_.exec_params("DELETE FROM tls_partners WHERE owner_domain = $1 AND domain = $2",
                        owner_domain, domain),
        "TLS partner");
  });
}

Result<int64_t> PgTlsPartnersWriter::CountTlsPartners(const std::string& owner_domain) {
  return txn_.Guard<int64_t>([&]() -> Result<int64_t> {
    return tx_
        .exec_params("SELECT count(*) FROM tls_partners WHERE owner_domain = $1",
                     owner_domain)[0][0]
        .as<int64_t>();
  });
}

Status PgTlsPartnersWriter::ReplaceTlsOnlyRules(const std::vector<TlsOnlyRuleRecord>& rules) {
  return txn_.GuardStatus([&] {
    tx_.exec("DELETE FROM tls_only_rules");
    for (const TlsOnlyRuleRecord& r : rules) {
      tx_.exec_params("INSERT INTO tls_only_rules(domain, added_by, added_ms) VALUES($1, $2, $3)",
                      r.domain, r.added_by.str(), ToUnixMillis(r.added_at));
    }
    return Status::Ok();
  });
}

Result<bool> PgTlsPartnersWriter::PutSmtpPolicy(const SmtpPolicyRecord& p) {
  return txn_.Guard<bool>([&]() -> Result<bool> {
    // xmax = 0 only on a freshly inserted row.
    const auto r = tx_.exec_params(
        "INSERT INTO smtp_policies(domain, mode, tag, ready, regexes, updated_by, updated_ms) "
        "VALUES($1, $2, $3, $4, $5, $6, $7) "
        "ON CONFLICT (domain) DO UPDATE SET mode = EXCLUDED.mode, tag = EXCLUDED.tag, "
        "ready = EXCLUDED.ready, regexes = EXCLUDED.regexes, updated_by = EXCLUDED.updated_by, "
        "updated_ms = EXCLUDED.updated_ms RETURNING (xmax = 0)",
        p.domain, static_cast<int64_t>(p.mode), p.tag, internal::JoinPins(p.ready),
        internal::JoinPins(p.regexes, '\n'), p.updated_by.str(), ToUnixMillis(p.updated_at));
    return r[0][0].as<bool>();
  });
}

Status PgTlsPartnersWriter::DeleteSmtpPolicy(const std::string& domain) {
  return txn_.GuardStatus([&] {
    return ExpectOneRow(tx_.exec_params("DELETE FROM smtp_policies WHERE domain = $1", domain),
                        "SMTP policy");
  });
}

}  // namespace sealpost::store::postgres
