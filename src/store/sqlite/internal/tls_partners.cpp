#include "store/sqlite/internal/tls_partners.h"

#include <string>

#include "store/internal/pin_list.h"

namespace sealpost::store::sqlite {
namespace {

constexpr const char* kSelectPartner =
    "SELECT domain, mode, pins, override_host, override_port, added_by, added_ms, updated_by, "
    "updated_ms, owner_domain FROM tls_partners";
constexpr const char* kSelectSmtpPolicy =
    "SELECT domain, mode, tag, ready, regexes, updated_by, updated_ms FROM smtp_policies";

TlsPartnerRecord ReadPartner(const Statement& s) {
  TlsPartnerRecord p;
  p.domain = s.Text(0);
  p.mode = static_cast<TlsPartnerModeCode>(s.Int(1));
  p.pins_hex = internal::SplitPins(s.Text(2));
  p.override_host = s.Text(3);
  p.override_port = static_cast<uint16_t>(s.Int(4));
  p.added_by = UserId::FromTrusted(s.Text(5));
  p.added_at = FromUnixMillis(s.Int(6));
  p.updated_by = UserId::FromTrusted(s.Text(7));
  p.updated_at = FromUnixMillis(s.Int(8));
  p.owner_domain = s.Text(9);
  return p;
}

SmtpPolicyRecord ReadSmtpPolicy(const Statement& s) {
  SmtpPolicyRecord p;
  p.domain = s.Text(0);
  p.mode = static_cast<SmtpPolicyModeCode>(s.Int(1));
  p.tag = s.Text(2);
  p.ready = internal::SplitPins(s.Text(3));
  p.regexes = internal::SplitPins(s.Text(4), '\n');
  p.updated_by = UserId::FromTrusted(s.Text(5));
  p.updated_at = FromUnixMillis(s.Int(6));
  return p;
}

}  // namespace

Result<std::vector<TlsPartnerRecord>> SqliteTlsPartnersReader::ListTlsPartners() {
  using Out = std::vector<TlsPartnerRecord>;
  return pool_.WithReader<Out>([&](Connection& db) -> Result<Out> {
    SP_ASSIGN_OR_RETURN(auto s,
                        db.Prepare(std::string(kSelectPartner) + " ORDER BY domain, owner_domain"));
    Out out;
    for (;;) {
      SP_ASSIGN_OR_RETURN(const bool row, s.Step());
      if (!row) return out;
      out.push_back(ReadPartner(s));
    }
  });
}

Result<TlsPartnerRecord> SqliteTlsPartnersReader::GetTlsPartner(const std::string& owner_domain,
                                                                const std::string& domain) {
  return pool_.ReadOne<TlsPartnerRecord>(
      std::string(kSelectPartner) + " WHERE owner_domain = ? AND domain = ?",
      [&](Statement& s) { s.Bind(1, owner_domain).Bind(2, domain); }, ReadPartner, "TLS partner");
}

Result<std::vector<SmtpPolicyRecord>> SqliteTlsPartnersReader::ListSmtpPolicies() {
  using Out = std::vector<SmtpPolicyRecord>;
  return pool_.WithReader<Out>([&](Connection& db) -> Result<Out> {
    SP_ASSIGN_OR_RETURN(auto s, db.Prepare(std::string(kSelectSmtpPolicy) + " ORDER BY domain"));
    Out out;
    for (;;) {
      SP_ASSIGN_OR_RETURN(const bool row, s.Step());
      if (!row) return out;
      out.push_back(ReadSmtpPolicy(s));
    }
  });
}

Result<SmtpPolicyRecord> SqliteTlsPartnersReader::GetSmtpPolicy(const std::string& domain) {
  return pool_.ReadOne<SmtpPolicyRecord>(
      std::string(kSelectSmtpPolicy) + " WHERE domain = ?",
      [&](Statement& s) { s.Bind(1, domain); }, ReadSmtpPolicy, "SMTP policy");
}

Result<std::vector<TlsOnlyRuleRecord>> SqliteTlsPartnersReader::ListTlsOnlyRules() {
  using Out = std::vector<TlsOnlyRuleRecord>;
  return pool_.WithReader<Out>([&](Connection& db) -> Result<Out> {
    SP_ASSIGN_OR_RETURN(auto s, db.Prepare("SELECT domain, added_by, added_ms FROM tls_only_rules "
                                           "ORDER BY domain"));
    Out out;
    for (;;) {
      SP_ASSIGN_OR_RETURN(const bool row, s.Step());
      if (!row) return out;
      out.push_back({s.Text(0), UserId::FromTrusted(s.Text(1)), FromUnixMillis(s.Int(2))});
    }
  });
}

Result<bool> SqliteTlsPartnersReader::IsTlsOnlyForbidden(const std::string& domain) {
  return pool_.WithReader<bool>([&](Connection& db) -> Result<bool> {
    SP_ASSIGN_OR_RETURN(auto s,
                        db.Prepare("SELECT 1 FROM tls_only_rules WHERE domain = ? OR domain = ?"));
    s.Bind(1, domain).Bind(2, std::string_view(kTlsOnlyEverywhere));
    return s.Step();
  });
}

Result<bool> SqliteTlsPartnersWriter::PutTlsPartner(const TlsPartnerRecord& p) {
  SP_ASSIGN_OR_RETURN(
      auto probe, db_.Prepare("SELECT 1 FROM tls_partners WHERE owner_domain = ? AND domain = ?"));
  probe.Bind(1, p.owner_domain).Bind(2, p.domain);
  SP_ASSIGN_OR_RETURN(const bool exists, probe.Step());
  if (exists) {
    SP_ASSIGN_OR_RETURN(auto s, db_.Prepare("UPDATE tls_partners SET mode = ?, pins = ?, "
                                            "override_host = ?, override_port = ?, "
                                            "updated_by = ?, updated_ms = ? WHERE owner_domain = ? "
                                            "AND domain = ?"));
    SP_RETURN_IF_ERROR(s.Bind(1, static_cast<int64_t>(p.mode))
                           .Bind(2, internal::JoinPins(p.pins_hex))
                           .Bind(3, p.override_host)
                           .Bind(4, static_cast<int64_t>(p.override_port))
                           .Bind(5, p.updated_by.str())
                           .Bind(6, ToUnixMillis(p.updated_at))
                           .Bind(7, p.owner_domain)
                           .Bind(8, p.domain)
                           .Run());
    return false;
  }
  SP_ASSIGN_OR_RETURN(auto s, db_.Prepare("INSERT INTO tls_partners(domain, mode, pins, "
                                          "override_host, override_port, added_by, added_ms, "
                                          "updated_by, updated_ms, owner_domain) "
                                          "VALUES(?,?,?,?,?,?,?,?,?,?)"));
  SP_RETURN_IF_ERROR(s.Bind(1, p.domain)
                         .Bind(2, static_cast<int64_t>(p.mode))
                         .Bind(3, internal::JoinPins(p.pins_hex))
                         .Bind(4, p.override_host)
                         .Bind(5, static_cast<int64_t>(p.override_port))
                         .Bind(6, p.added_by.str())
                         .Bind(7, ToUnixMillis(p.added_at))
                         .Bind(8, p.updated_by.str())
                         .Bind(9, ToUnixMillis(p.updated_at))
                         .Bind(10, p.owner_domain)
                         .Run());
  return true;
}

Status SqliteTlsPartnersWriter::DeleteTlsPartner(const std::string& owner_domain,
                                                 const std::string& domain) {
  SP_ASSIGN_OR_RETURN(
      auto s, db_.Prepare("DELETE FROM tls_partners WHERE owner_domain = ? AND domain = ?"));
  SP_RETURN_IF_ERROR(s.Bind(1, owner_domain).Bind(2, domain).Run());
  return ExpectOneRow(db_, "TLS partner");
}

Result<int64_t> SqliteTlsPartnersWriter::CountTlsPartners(const std::string& owner_domain) {
  SP_ASSIGN_OR_RETURN(auto s,
                      db_.Prepare("SELECT count(*) FROM tls_partners WHERE owner_domain = ?"));
  s.Bind(1, owner_domain);
  SP_ASSIGN_OR_RETURN(const bool row, s.Step());
  if (!row) return Internal("count returned no row");
  return s.Int(0);
}

Status SqliteTlsPartnersWriter::ReplaceTlsOnlyRules(const std::vector<TlsOnlyRuleRecord>& rules) {
  SP_RETURN_IF_ERROR(db_.Exec("DELETE FROM tls_only_rules"));
  for (const TlsOnlyRuleRecord& r : rules) {
    SP_ASSIGN_OR_RETURN(auto s, db_.Prepare("INSERT INTO tls_only_rules(domain, added_by, "
                                            "added_ms) VALUES(?,?,?)"));
    SP_RETURN_IF_ERROR(
        s.Bind(1, r.domain).Bind(2, r.added_by.str()).Bind(3, ToUnixMillis(r.added_at)).Run());
  }
  return Status::Ok();
}

Result<bool> SqliteTlsPartnersWriter::PutSmtpPolicy(const SmtpPolicyRecord& p) {
  SP_ASSIGN_OR_RETURN(auto probe, db_.Prepare("SELECT 1 FROM smtp_policies WHERE domain = ?"));
  probe.Bind(1, p.domain);
  SP_ASSIGN_OR_RETURN(const bool exists, probe.Step());
  SP_ASSIGN_OR_RETURN(auto s, db_.Prepare("INSERT OR REPLACE INTO smtp_policies(domain, mode, tag, "
                                          "ready, regexes, updated_by, updated_ms) "
                                          "VALUES(?,?,?,?,?,?,?)"));
  SP_RETURN_IF_ERROR(s.Bind(1, p.domain)
                         .Bind(2, static_cast<int64_t>(p.mode))
                         .Bind(3, p.tag)
                         .Bind(4, internal::JoinPins(p.ready))
                         .Bind(5, internal::JoinPins(p.regexes, '\n'))
                         .Bind(6, p.updated_by.str())
                         .Bind(7, ToUnixMillis(p.updated_at))
                         .Run());
  return !exists;
}

Status SqliteTlsPartnersWriter::DeleteSmtpPolicy(const std::string& domain) {
  SP_ASSIGN_OR_RETURN(auto s, db_.Prepare("DELETE FROM smtp_policies WHERE domain = ?"));
  SP_RETURN_IF_ERROR(s.Bind(1, domain).Run());
  return ExpectOneRow(db_, "SMTP policy");
}

}  // namespace sealpost::store::sqlite
