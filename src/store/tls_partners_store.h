// The delivery policies administrators keep through the admin API: the enforced-TLS partner table
// (docs/tls-partners.md), the TLS-only policy (where delivery by enforced TLS alone is forbidden)
// and the organisation domains' own SMTP gateway policies (docs/smtp-submission.md). Part of the
// Store (store/store.h). Partners and the gateway policy from the config file are not stored here
// (app/tls_partners.h and app/smtp_policies.h combine both).
//
// A partner entry belongs to an organisation domain (owner_domain: the mail domain of the members
// whose mail it routes) or to the whole instance (kInstanceWide); the key is (owner, domain).
//
// The store keeps what app/ validated (delivery::ValidateTlsPartnerPolicy); it checks nothing but
// uniqueness. Pins travel as 64 lower-case hex digits each.
//
// Thread-safe, like the rest of the Store.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/ids.h"
#include "core/status.h"
#include "core/time.h"

namespace sealpost::store {

// Stored as integers: never renumber.
enum class TlsPartnerModeCode : uint8_t { kVerify = 1, kPin = 2 };

// The owner of an instance-wide partner entry: it applies to every organisation domain.
inline constexpr const char* kInstanceWide = "*";

struct TlsPartnerRecord {
  std::string owner_domain = kInstanceWide;  // lower-case mail domain, or kInstanceWide
  std::string domain;                        // lower-case partner domain
  TlsPartnerModeCode mode = TlsPartnerModeCode::kVerify;
  std::vector<std::string> pins_hex;  // SHA-256 SPKI pins, 64 hex digits each
  std::string override_host;          // "" = look up MX
  uint16_t override_port = 0;         // 0 = the default
  UserId added_by;
  TimePoint added_at;
  UserId updated_by;  // equal to added_* until the entry is changed
  TimePoint updated_at;
};

// A domain in this list may not be reached by enforced TLS alone; kTlsOnlyEverywhere stands for
// every domain.
inline constexpr const char* kTlsOnlyEverywhere = "*";

// Stored as integers: never renumber.
enum class SmtpPolicyModeCode : uint8_t { kAll = 1, kTag = 2, kRules = 3 };

// One organisation domain's SMTP gateway policy (which submitted or relayed messages go out
// securely). Holds what app/ validated; patterns hold no control characters.
struct SmtpPolicyRecord {
  std::string domain;  // lower-case mail domain, the key
  SmtpPolicyModeCode mode = SmtpPolicyModeCode::kAll;
  std::string tag;
  std::vector<std::string> ready;    // ready pattern names
  std::vector<std::string> regexes;  // PCRE2 patterns
  UserId updated_by;
  TimePoint updated_at;
};

struct TlsOnlyRuleRecord {
  std::string domain;  // lower-case, or kTlsOnlyEverywhere
  UserId added_by;
  TimePoint added_at;
};

class TlsPartnersReader {
 public:
  virtual ~TlsPartnersReader() = default;

  // Every owner's, by domain then owner.
  virtual Result<std::vector<TlsPartnerRecord>> ListTlsPartners() = 0;
  // NotFound when `owner_domain` has no entry for `domain`.
  virtual Result<TlsPartnerRecord> GetTlsPartner(const std::string& owner_domain,
                                                 const std::string& domain) = 0;
  // Every rule, by domain (kTlsOnlyEverywhere first).
  virtual Result<std::vector<TlsOnlyRuleRecord>> ListTlsOnlyRules() = 0;
  // Whether a rule forbids TLS-only delivery to `domain` (its own or kTlsOnlyEverywhere).
  virtual Result<bool> IsTlsOnlyForbidden(const std::string& domain) = 0;

  // By domain.
  virtual Result<std::vector<SmtpPolicyRecord>> ListSmtpPolicies() = 0;
  // NotFound when the domain has set none.
  virtual Result<SmtpPolicyRecord> GetSmtpPolicy(const std::string& domain) = 0;
};

class TlsPartnersWriter {
 public:
  virtual ~TlsPartnersWriter() = default;

  // Adds the entry or replaces the one of the same owner and domain (keeping its
  // added_by/added_at; the record's added_* are used only for a new entry). True when it was new.
  virtual Result<bool> PutTlsPartner(const TlsPartnerRecord& partner) = 0;
  // NotFound when `owner_domain` has no entry for `domain`.
  virtual Status DeleteTlsPartner(const std::string& owner_domain, const std::string& domain) = 0;
  // The entries `owner_domain` holds.
  virtual Result<int64_t> CountTlsPartners(const std::string& owner_domain) = 0;
  // Replaces every rule with `rules` (domains unique).
  virtual Status ReplaceTlsOnlyRules(const std::vector<TlsOnlyRuleRecord>& rules) = 0;

  // Adds or replaces the domain's policy. True when it was new.
  virtual Result<bool> PutSmtpPolicy(const SmtpPolicyRecord& policy) = 0;
  // NotFound when the domain has set none.
  virtual Status DeleteSmtpPolicy(const std::string& domain) = 0;
};

}  // namespace sealpost::store
