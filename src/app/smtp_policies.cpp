#include "app/smtp_policies.h"

#include <algorithm>
#include <iterator>
#include <set>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "app/access.h"
#include "app/internal/audit_event.h"

namespace sealpost::app {
namespace {

constexpr const char* kSourceDomain = "domain";
constexpr const char* kSourceInstance = "instance";
// A bound on the compiled rule sets kept: one per domain that sent lately.
constexpr size_t kMaxCachedPolicies = 1024;

Status FieldError(std::string_view field, std::string_view why) {
  return InvalidArgument(fmt::format("{}: {}", field, why)).ShownToClient();
}

bool HasControlCharacter(std::string_view text) {
  return std::any_of(text.begin(), text.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f;
  });
}

store::SmtpPolicyModeCode CodeOf(SubmissionPolicy mode) {
  switch (mode) {
    case SubmissionPolicy::kAll:
      return store::SmtpPolicyModeCode::kAll;
    case SubmissionPolicy::kTag:
      return store::SmtpPolicyModeCode::kTag;
    case SubmissionPolicy::kRules:
      return store::SmtpPolicyModeCode::kRules;
  }
  return store::SmtpPolicyModeCode::kAll;
}

// An unknown code (a newer binary's, or a hand edit) is read as "all": the safe side.
SubmissionPolicy ModeOf(store::SmtpPolicyModeCode code) {
  switch (code) {
    case store::SmtpPolicyModeCode::kTag:
      return SubmissionPolicy::kTag;
    case store::SmtpPolicyModeCode::kRules:
      return SubmissionPolicy::kRules;
    default:
      return SubmissionPolicy::kAll;
  }
}

GatewayPolicy PolicyOf(const store::SmtpPolicyRecord& r) {
  GatewayPolicy p;
  p.mode = ModeOf(r.mode);
  p.tag = r.tag;
  p.rules.ready = r.ready;
  p.rules.regexes = r.regexes;
  return p;
}

// The names of the fields that differ, for the audit event.
std::vector<std::string> ChangedFields(const std::optional<GatewayPolicy>& before,
                                       const GatewayPolicy& after) {
  if (!before) return {"mode", "tag", "ready", "regexes"};
  std::vector<std::string> out;
  if (before->mode != after.mode) out.emplace_back("mode");
  if (before->tag != after.tag) out.emplace_back("tag");
  if (before->rules.ready != after.rules.ready) out.emplace_back("ready");
  if (before->rules.regexes != after.rules.regexes) out.emplace_back("regexes");
  return out;
}

}  // namespace

Result<SubmissionPolicy> ParseSubmissionPolicy(std::string_view text) {
  if (text == "all") return SubmissionPolicy::kAll;
  if (text == "tag") return SubmissionPolicy::kTag;
  if (text == "rules") return SubmissionPolicy::kRules;
  return InvalidArgument("submission policy must be \"all\", \"tag\" or \"rules\"");
}

const char* SubmissionPolicyName(SubmissionPolicy policy) {
  switch (policy) {
    case SubmissionPolicy::kAll:
      return "all";
    case SubmissionPolicy::kTag:
      return "tag";
    case SubmissionPolicy::kRules:
      return "rules";
  }
  return "all";
}

Status ValidateGatewayPolicy(const GatewayPolicy& p) {
  if (p.tag.empty() || p.tag.size() > kMaxGatewayTagBytes) {
    return FieldError("tag", fmt::format("must be 1 to {} bytes", kMaxGatewayTagBytes));
  }
  if (HasControlCharacter(p.tag)) return FieldError("tag", "must not hold control characters");
  std::set<std::string> ready;
  for (size_t i = 0; i < p.rules.ready.size(); ++i) {
    const std::string& name = p.rules.ready[i];
    const bool known = std::find(std::begin(kReadyPatternNames), std::end(kReadyPatternNames),
                                 name) != std::end(kReadyPatternNames);
    const std::string field = fmt::format("ready[{}]", i);
    if (!known) return FieldError(field, "unknown ready pattern (known: iban, card, ssn)");
    if (!ready.insert(name).second) return FieldError(field, "listed twice");
  }
  if (p.rules.regexes.size() > kMaxGatewayRegexes) {
    return FieldError("regexes", fmt::format("at most {} regular expressions, got {}",
                                             kMaxGatewayRegexes, p.rules.regexes.size()));
  }
  for (size_t i = 0; i < p.rules.regexes.size(); ++i) {
    const std::string& regex = p.rules.regexes[i];
    const std::string field = fmt::format("regexes[{}]", i);
    if (regex.empty() || regex.size() > kMaxGatewayRegexBytes) {
      return FieldError(field, fmt::format("must be 1 to {} bytes", kMaxGatewayRegexBytes));
    }
    if (HasControlCharacter(regex)) {
      return FieldError(field, "must not hold control characters (write \\n, \\t)");
    }
    // Compiled alone, so that the error names this one.
    auto compiled = ContentRules::Compile({{}, {regex}});
    if (!compiled.ok()) return FieldError(field, compiled.status().message());
  }
  return Status::Ok();
}

Result<std::unique_ptr<SmtpPolicies>> SmtpPolicies::Create(const Services& services,
                                                           GatewayPolicy instance_default) {
  if (instance_default.tag.empty()) {
    return InvalidArgument("smtp_policy: the subject tag must not be empty");
  }
  SP_ASSIGN_OR_RETURN(ContentRules rules, ContentRules::Compile(instance_default.rules));
  auto fallback = std::make_shared<const CompiledGatewayPolicy>(
      CompiledGatewayPolicy{std::move(instance_default), std::move(rules)});
  return std::unique_ptr<SmtpPolicies>(new SmtpPolicies(services, std::move(fallback)));
}

SmtpPolicies::SmtpPolicies(const Services& services,
                           std::shared_ptr<const CompiledGatewayPolicy> fallback)
    : s_(services), default_(std::move(fallback)) {}

Result<std::string> SmtpPolicies::DomainInScope(const AuthContext& ctx,
                                                std::string_view text) const {
  auto domain = NormaliseDomainScope(text);
  if (!domain.ok() || *domain == store::kAllDomains) {
    return InvalidArgument(
               "domain must be a mail domain (the instance default is the config "
               "file's [smtp_policy])")
        .ShownToClient();
  }
  const Status allowed = Access(s_.store).Require(ctx, Permission::kManagePolicies, *domain);
  if (!allowed.ok()) {
    return PermissionDenied(fmt::format("you do not administer the domain {}", *domain))
        .ShownToClient();
  }
  return *domain;
}

SmtpPolicyView SmtpPolicies::ViewOf(const std::string& domain,
                                    const std::optional<store::SmtpPolicyRecord>& own) const {
  SmtpPolicyView v;
  v.domain = domain;
  if (own) {
    v.policy = PolicyOf(*own);
    v.source = kSourceDomain;
    v.updated_by = own->updated_by.str();
    v.updated_at = own->updated_at;
  } else {
    v.policy = default_->policy;
    v.source = kSourceInstance;
  }
  return v;
}

Result<std::vector<SmtpPolicyView>> SmtpPolicies::List(const AuthContext& ctx) const {
  SP_ASSIGN_OR_RETURN(const std::vector<std::string> scope,
                      Access(s_.store).DomainsWith(ctx, Permission::kManagePolicies));
  if (scope.empty()) return PermissionDenied("administrators only");
  SP_ASSIGN_OR_RETURN(const auto stored, s_.store.tls_partners().ListSmtpPolicies());
  std::vector<SmtpPolicyView> out;
  const bool everywhere = std::find(scope.begin(), scope.end(), store::kAllDomains) != scope.end();
  if (everywhere) {
    for (const auto& r : stored) out.push_back(ViewOf(r.domain, r));
    return out;
  }
  // A domain administrator: each of their domains, with its own policy or the default.
  for (const std::string& domain : scope) {
    const auto it =
        std::find_if(stored.begin(), stored.end(),
                     [&](const store::SmtpPolicyRecord& r) { return r.domain == domain; });
    out.push_back(ViewOf(
        domain, it == stored.end() ? std::nullopt : std::optional<store::SmtpPolicyRecord>(*it)));
  }
  std::sort(out.begin(), out.end(),
            [](const SmtpPolicyView& a, const SmtpPolicyView& b) { return a.domain < b.domain; });
  return out;
}

Result<SmtpPolicyView> SmtpPolicies::Get(const AuthContext& ctx, std::string_view text) const {
  SP_ASSIGN_OR_RETURN(const std::string domain, DomainInScope(ctx, text));
  auto own = s_.store.tls_partners().GetSmtpPolicy(domain);
  if (!own.ok() && own.status().code() != ErrorCode::kNotFound) return own.status();
  return ViewOf(domain, own.ok() ? std::optional<store::SmtpPolicyRecord>(*own) : std::nullopt);
}

Result<SmtpPolicyView> SmtpPolicies::Set(const AuthContext& ctx, std::string_view text,
                                         const GatewayPolicy& policy) {
  SP_ASSIGN_OR_RETURN(const std::string domain, DomainInScope(ctx, text));
  SP_RETURN_IF_ERROR(ValidateGatewayPolicy(policy));
  store::SmtpPolicyRecord record;
  record.domain = domain;
  record.mode = CodeOf(policy.mode);
  record.tag = policy.tag;
  record.ready = policy.rules.ready;
  record.regexes = policy.rules.regexes;
  record.updated_by = ctx.user.id;
  record.updated_at = s_.clock.Now();
  // What it was before, for the audit event's list of changed fields.
  auto before = s_.store.tls_partners().GetSmtpPolicy(domain);
  if (!before.ok() && before.status().code() != ErrorCode::kNotFound) return before.status();
  const std::optional<GatewayPolicy> previous =
      before.ok() ? std::optional<GatewayPolicy>(PolicyOf(*before)) : std::nullopt;
  const nlohmann::json details = {{"domain", domain},
                                  {"changed", ChangedFields(previous, policy)},
                                  {"mode", SubmissionPolicyName(policy.mode)},
                                  {"ready_count", policy.rules.ready.size()},
                                  {"regex_count", policy.rules.regexes.size()}};
  SP_RETURN_IF_ERROR(s_.store.Write([&](store::WriteTxn& tx) -> Status {
    SP_RETURN_IF_ERROR(tx.tls_partners().PutSmtpPolicy(record).status());
    return RecordEvent(s_, tx, "smtp_policy.set", ctx.user.id.str(), domain, details.dump());
  }));
  return ViewOf(domain, record);
}

Status SmtpPolicies::Clear(const AuthContext& ctx, std::string_view text) {
  SP_ASSIGN_OR_RETURN(const std::string domain, DomainInScope(ctx, text));
  return s_.store.Write([&](store::WriteTxn& tx) -> Status {
    SP_RETURN_IF_ERROR(tx.tls_partners().DeleteSmtpPolicy(domain));
    return RecordEvent(s_, tx, "smtp_policy.cleared", ctx.user.id.str(), domain,
                       nlohmann::json{{"domain", domain}}.dump());
  });
}

Result<std::shared_ptr<const CompiledGatewayPolicy>> SmtpPolicies::For(
    std::string_view sender_domain) const {
  auto domain = NormaliseDomainScope(sender_domain);
  if (!domain.ok() || *domain == store::kAllDomains) return default_;
  auto own = s_.store.tls_partners().GetSmtpPolicy(*domain);
  if (!own.ok()) {
    if (own.status().code() == ErrorCode::kNotFound) return default_;
    return own.status();
  }
  const GatewayPolicy policy = PolicyOf(*own);
  {
    std::lock_guard<std::mutex> lock(mu_);
    const auto it = cache_.find(*domain);
    if (it != cache_.end() && it->second->policy == policy) return it->second;
  }
  auto rules = ContentRules::Compile(policy.rules);
  std::shared_ptr<const CompiledGatewayPolicy> compiled;
  if (rules.ok()) {
    compiled = std::make_shared<const CompiledGatewayPolicy>(
        CompiledGatewayPolicy{policy, std::move(*rules)});
  } else {
    spdlog::warn(
        "SMTP policy of {}: the stored rules do not compile; every message goes out "
        "securely",
        *domain);
    GatewayPolicy all = policy;
    all.mode = SubmissionPolicy::kAll;
    all.rules = {};
    SP_ASSIGN_OR_RETURN(ContentRules none, ContentRules::Compile({}));
    compiled = std::make_shared<const CompiledGatewayPolicy>(
        CompiledGatewayPolicy{std::move(all), std::move(none)});
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (cache_.size() >= kMaxCachedPolicies) cache_.clear();
  cache_[*domain] = compiled;
  return compiled;
}

}  // namespace sealpost::app
