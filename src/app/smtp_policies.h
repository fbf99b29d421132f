// The SMTP gateway policy per organisation domain (issue 15, "Roles and domains";
// docs/smtp-submission.md): which messages members' mail programs submit, or the organisation's
// mail server relays, go out securely — every message ("all"), those whose subject carries a tag
// ("tag"), or those with the tag and those a content rule marks ("rules").
//
// Two sources combine here:
//   instance  the config file's [smtp_policy], given at construction: the default of every
//             domain that set none of its own. Read-only.
//   domain    a domain's own policy, kept in the store (store/tls_partners_store.h) by that
//             domain's administrators through the admin API.
// The policy of a message is its sender's domain's (the part of the member's address after '@').
//
// Who manages what (app/access.h, Permission::kManagePolicies): an administrator of a domain sets
// and clears that domain's policy and reads it; an administrator of "*" every domain's. Another
// domain's policy is PermissionDenied (403): nobody learns another organisation's rules.
//
// Validation (ValidateGatewayPolicy): the tag 1..kMaxTagBytes bytes without control characters;
// ready patterns known (kReadyPatternNames) and listed once; at most kMaxRegexes regular
// expressions of 1..kMaxRegexBytes bytes each, without control characters (write "\n"), each of
// which must compile (PCRE2). A refusal is InvalidArgument naming the field ("regexes[2]: ...").
//
// Thread-safe. Compiled rule sets are cached per domain (immutable, shared) and recompiled when
// the stored policy changes; a stored policy that no longer compiles (edited by hand) counts as
// "all" — a message the domain's rules cannot decide about is sent securely.
//
// SECURITY: domains and every field are administrator input from the network, bounded and
// validated here before anything is stored. Each change is audited in the same transaction as
// the change (smtp_policy.set / smtp_policy.cleared), naming the fields that changed and counts,
// never the tag text or the patterns (they describe what the organisation treats as sensitive).
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "app/auth_context.h"
#include "app/services.h"
#include "app/submission_rules.h"

namespace sealpost::app {

// Which submitted messages go out securely.
enum class SubmissionPolicy {
  kAll,    // every message (the default)
  kTag,    // only those whose subject carries the tag (removed from the subject)
  kRules,  // those with the tag, and those a content rule marks
};

// "all", "tag", "rules"; InvalidArgument otherwise.
Result<SubmissionPolicy> ParseSubmissionPolicy(std::string_view text);
const char* SubmissionPolicyName(SubmissionPolicy policy);

struct GatewayPolicy {
  SubmissionPolicy mode = SubmissionPolicy::kAll;
  std::string tag = "[secure]";
  ContentRulesConfig rules;

  bool operator==(const GatewayPolicy& o) const {
    return mode == o.mode && tag == o.tag && rules.ready == o.rules.ready &&
           rules.regexes == o.rules.regexes;
  }
};

inline constexpr size_t kMaxGatewayTagBytes = 100;
inline constexpr size_t kMaxGatewayRegexes = 20;
inline constexpr size_t kMaxGatewayRegexBytes = 500;

// The rules above; InvalidArgument naming the field, shown to the client.
Status ValidateGatewayPolicy(const GatewayPolicy& policy);

// A policy ready to apply to messages.
struct CompiledGatewayPolicy {
  GatewayPolicy policy;
  ContentRules rules;
};

struct SmtpPolicyView {
  std::string domain;
  GatewayPolicy policy;
  std::string source;  // "domain" (its own) or "instance" (the config file's default)
  std::optional<std::string> updated_by;
  std::optional<TimePoint> updated_at;
};

class SmtpPolicies final {
 public:
  // `instance_default` is the config file's [smtp_policy]; InvalidArgument when its rules do not
  // compile or its tag is empty.
  static Result<std::unique_ptr<SmtpPolicies>> Create(const Services& services,
                                                      GatewayPolicy instance_default);

  const GatewayPolicy& instance_default() const { return default_->policy; }

  // Administrators (kManagePolicies). The policy in force for each domain the caller administers
  // (an administrator of "*": each domain that set its own), by domain.
  Result<std::vector<SmtpPolicyView>> List(const AuthContext& ctx) const;
  // The policy in force for `domain`: its own, else the instance default.
  Result<SmtpPolicyView> Get(const AuthContext& ctx, std::string_view domain) const;
  // Sets the domain's own policy. InvalidArgument naming the field; PermissionDenied for a
  // domain the caller does not administer ("*" included: the default is the config file's).
  Result<SmtpPolicyView> Set(const AuthContext& ctx, std::string_view domain,
                             const GatewayPolicy& policy);
  // Back to the instance default. NotFound when the domain has none of its own.
  Status Clear(const AuthContext& ctx, std::string_view domain);

  // The policy for mail of a member of `sender_domain` (any case). Store failures are errors
  // (the message is then refused for now, never sent under a policy that may not be its own).
  Result<std::shared_ptr<const CompiledGatewayPolicy>> For(std::string_view sender_domain) const;

 private:
  SmtpPolicies(const Services& services, std::shared_ptr<const CompiledGatewayPolicy> fallback);
  Result<std::string> DomainInScope(const AuthContext& ctx, std::string_view domain) const;
  SmtpPolicyView ViewOf(const std::string& domain,
                        const std::optional<store::SmtpPolicyRecord>& own) const;

  Services s_;
  std::shared_ptr<const CompiledGatewayPolicy> default_;
  mutable std::mutex mu_;
  mutable std::map<std::string, std::shared_ptr<const CompiledGatewayPolicy>> cache_;
};

}  // namespace sealpost::app
