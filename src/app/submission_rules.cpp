#define PCRE2_CODE_UNIT_WIDTH 8
#include "app/submission_rules.h"

#include <pcre2.h>

#include <algorithm>
#include <functional>

#include <fmt/format.h>

namespace sealpost::app {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsUpper(char c) { return c >= 'A' && c <= 'Z'; }
char ToUpper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }
char ToLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

// The candidate without its separators (spaces, hyphens), letters in upper case.
std::string Compact(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c != ' ' && c != '-') out.push_back(ToUpper(c));
  }
  return out;
}

// A printed IBAN may be followed by more groups that are not part of it ("… 00 BIC …" is not
// matched, but "… 0130 00 1234" is): every prefix that ends at a group boundary is tried.
bool ContainsValidIban(std::string_view candidate) {
  for (size_t end = candidate.size(); end > 0;) {
    if (IsValidIban(Compact(candidate.substr(0, end)))) return true;
    const size_t space = candidate.rfind(' ', end - 1);
    if (space == std::string_view::npos) break;
    end = space;
  }
  return false;
}

bool IsCardNumber(std::string_view candidate) {
  const std::string digits = Compact(candidate);
  return digits.size() >= 13 && digits.size() <= 19 && digits[0] >= '2' && digits[0] <= '6' &&
         PassesLuhn(digits);
}

struct ReadyPattern {
  const char* name;
  const char* regex;
  bool (*check)(std::string_view);
};

// The regexes find candidates; the checks decide (see the header).
constexpr ReadyPattern kReadyPatterns[] = {
    {"iban",
     R"((?i)\b[A-Z]{2}[0-9]{2}(?:[A-Z0-9]{11,30}|(?: [A-Z0-9]{4}){2,7}(?: [A-Z0-9]{1,4})?)\b)",
     &ContainsValidIban},
    {"card", R"((?<![0-9])[0-9](?:[ -]?[0-9]){12,18}(?![0-9]))", &IsCardNumber},
    {"ssn", R"((?<![0-9-])[0-9]{3}-[0-9]{2}-[0-9]{4}(?![0-9-]))", &IsPossibleSsn},
};

struct CodeDeleter {
  void operator()(pcre2_code* c) const { pcre2_code_free(c); }
};
struct MatchDataDeleter {
  void operator()(pcre2_match_data* m) const { pcre2_match_data_free(m); }
};
struct MatchContextDeleter {
  void operator()(pcre2_match_context* m) const { pcre2_match_context_free(m); }
};

}  // namespace

bool IsValidIban(std::string_view iban) {
  if (iban.size() < 15 || iban.size() > 34) return false;
  if (!IsUpper(iban[0]) || !IsUpper(iban[1]) || !IsDigit(iban[2]) || !IsDigit(iban[3])) {
    return false;
  }
  // ISO 7064 MOD 97-10 over BBAN ‖ country code ‖ check digits, letters as 10..35, computed
  // digit by digit so no big number is needed.
  uint32_t remainder = 0;
  auto feed = [&](char c) -> bool {
    if (IsDigit(c)) {
      remainder = (remainder * 10 + static_cast<uint32_t>(c - '0')) % 97;
    } else if (IsUpper(c)) {
      const uint32_t v = static_cast<uint32_t>(c - 'A') + 10;
      remainder = (remainder * 100 + v) % 97;
    } else {
      return false;
    }
    return true;
  };
  for (size_t i = 4; i < iban.size(); ++i) {
    if (!feed(iban[i])) return false;
  }
  for (size_t i = 0; i < 4; ++i) feed(iban[i]);
  return remainder == 1;
}

bool PassesLuhn(std::string_view digits) {
  if (digits.empty()) return false;
  uint32_t sum = 0;
  bool twice = false;
  for (size_t i = digits.size(); i-- > 0;) {
    if (!IsDigit(digits[i])) return false;
    uint32_t d = static_cast<uint32_t>(digits[i] - '0');
    if (twice) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    twice = !twice;
  }
  return sum % 10 == 0;
}

bool IsPossibleSsn(std::string_view ssn) {
  if (ssn.size() != 11 || ssn[3] != '-' || ssn[6] != '-') return false;
  for (size_t i : {0, 1, 2, 4, 5, 7, 8, 9, 10}) {
    if (!IsDigit(ssn[i])) return false;
  }
  const std::string_view area = ssn.substr(0, 3);
  if (area == "000" || area == "666" || area[0] == '9') return false;
  if (ssn.substr(4, 2) == "00") return false;
  return ssn.substr(7, 4) != "0000";
}

std::optional<std::string> RemoveSubjectTag(std::string_view subject, std::string_view tag) {
  if (tag.empty() || tag.size() > subject.size()) return std::nullopt;
  size_t at = std::string_view::npos;
  for (size_t i = 0; i + tag.size() <= subject.size(); ++i) {
    bool same = true;
    for (size_t k = 0; k < tag.size() && same; ++k) {
      same = ToLower(subject[i + k]) == ToLower(tag[k]);
    }
    if (same) {
      at = i;
      break;
    }
  }
  if (at == std::string_view::npos) return std::nullopt;
  std::string before(subject.substr(0, at));
  std::string after(subject.substr(at + tag.size()));
  while (!before.empty() && before.back() == ' ') before.pop_back();
  size_t skip = 0;
  while (skip < after.size() && after[skip] == ' ') ++skip;
  after.erase(0, skip);
  size_t lead = 0;
  while (lead < before.size() && before[lead] == ' ') ++lead;
  before.erase(0, lead);
  if (before.empty()) return after;
  if (after.empty()) return before;
  return before + " " + after;
}

struct ContentRules::Rule {
  std::string name;
  std::unique_ptr<pcre2_code, CodeDeleter> code;
  bool (*check)(std::string_view) = nullptr;  // none: every match marks

  // Whether the rule marks `text`. A match that runs into a limit marks it (see the header).
  bool Marks(std::string_view text) const {
    std::unique_ptr<pcre2_match_data, MatchDataDeleter> data(
        pcre2_match_data_create_from_pattern(code.get(), nullptr));
    std::unique_ptr<pcre2_match_context, MatchContextDeleter> context(
        pcre2_match_context_create(nullptr));
    if (!data || !context) return true;
    pcre2_set_match_limit(context.get(), kMatchLimit);
    pcre2_set_depth_limit(context.get(), kDepthLimit);
    const auto* subject = reinterpret_cast<PCRE2_SPTR>(text.data());
    size_t offset = 0;
    while (offset <= text.size()) {
      const int rc =
          pcre2_match(code.get(), subject, text.size(), offset, 0, data.get(), context.get());
      if (rc == PCRE2_ERROR_NOMATCH) return false;
      if (rc < 0) return true;
      const PCRE2_SIZE* ovector = pcre2_get_ovector_pointer(data.get());
      const size_t start = ovector[0];
      const size_t end = ovector[1];
      if (check == nullptr || check(text.substr(start, end - start))) return true;
      offset = end > start ? end : start + 1;
      // Stay on a character boundary: the regexes run in UTF mode.
      while (offset < text.size() && (static_cast<unsigned char>(text[offset]) & 0xC0) == 0x80) {
        ++offset;
      }
    }
    return false;
  }
};

ContentRules::ContentRules() = default;
ContentRules::ContentRules(ContentRules&&) noexcept = default;
ContentRules& ContentRules::operator=(ContentRules&&) noexcept = default;
ContentRules::~ContentRules() = default;

Result<ContentRules> ContentRules::Compile(const ContentRulesConfig& config) {
  ContentRules out;
  auto compile = [&](std::string name, std::string_view regex,
                     bool (*check)(std::string_view)) -> Status {
    int error = 0;
    PCRE2_SIZE error_offset = 0;
    std::unique_ptr<pcre2_code, CodeDeleter> code(
        pcre2_compile(reinterpret_cast<PCRE2_SPTR>(regex.data()), regex.size(), PCRE2_UTF, &error,
                      &error_offset, nullptr));
    if (!code) {
      PCRE2_UCHAR message[256];
      pcre2_get_error_message(error, message, sizeof message);
      return InvalidArgument(fmt::format("content rule {}: {} at offset {}", name,
                                         reinterpret_cast<const char*>(message), error_offset));
    }
    auto rule = std::make_unique<Rule>();
    rule->name = std::move(name);
    rule->code = std::move(code);
    rule->check = check;
    out.rules_.push_back(std::move(rule));
    return Status::Ok();
  };
  for (const std::string& name : config.ready) {
    const auto* pattern = std::find_if(std::begin(kReadyPatterns), std::end(kReadyPatterns),
                                       [&](const ReadyPattern& p) { return name == p.name; });
    if (pattern == std::end(kReadyPatterns)) {
      return InvalidArgument("unknown ready content rule \"" + name +
                             "\" (known: iban, card, ssn)");
    }
    SP_RETURN_IF_ERROR(compile(pattern->name, pattern->regex, pattern->check));
  }
  for (size_t i = 0; i < config.regexes.size(); ++i) {
    SP_RETURN_IF_ERROR(compile(fmt::format("regex {}", i + 1), config.regexes[i], nullptr));
  }
  return out;
}

std::optional<std::string> ContentRules::FirstMatch(std::string_view subject,
                                                    std::string_view text) const {
  for (const auto& rule : rules_) {
    if (rule->Marks(subject) || rule->Marks(text)) return rule->name;
  }
  return std::nullopt;
}

bool ContentRules::empty() const { return rules_.empty(); }

}  // namespace sealpost::app
