// The enforced-TLS partner table (docs/tls-partners.md) as administrators keep it through the
// admin API, and the TLS-only policy: where delivery by enforced TLS alone is forbidden. Part of
// the Store (store/store.h). Partners from the config file are not stored here (app/tls_partners.h
// combines both).
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

struct TlsPartnerRecord {
  std::string domain;  // lower-case, the key
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

struct TlsOnlyRuleRecord {
  std::string domain;  // lower-case, or kTlsOnlyEverywhere
  UserId added_by;
  TimePoint added_at;
};

class TlsPartnersReader {
 public:
  virtual ~TlsPartnersReader() = default;

  // By domain.
  virtual Result<std::vector<TlsPartnerRecord>> ListTlsPartners() = 0;
  // NotFound when the domain has no entry.
  virtual Result<TlsPartnerRecord> GetTlsPartner(const std::string& domain) = 0;
  // Every rule, by domain (kTlsOnlyEverywhere first).
  virtual Result<std::vector<TlsOnlyRuleRecord>> ListTlsOnlyRules() = 0;
  // Whether a rule forbids TLS-only delivery to `domain` (its own or kTlsOnlyEverywhere).
  virtual Result<bool> IsTlsOnlyForbidden(const std::string& domain) = 0;
};

class TlsPartnersWriter {
 public:
  virtual ~TlsPartnersWriter() = default;

  // Adds the entry or replaces the one of the same domain (keeping its added_by/added_at; the
  // record's added_* are used only for a new entry). True when it was new.
  virtual Result<bool> PutTlsPartner(const TlsPartnerRecord& partner) = 0;
  // NotFound when the domain has no entry.
  virtual Status DeleteTlsPartner(const std::string& domain) = 0;
  virtual Result<int64_t> CountTlsPartners() = 0;
  // Replaces every rule with `rules` (domains unique).
  virtual Status ReplaceTlsOnlyRules(const std::vector<TlsOnlyRuleRecord>& rules) = 0;
};

}  // namespace sealpost::store
