// What makes a message submitted by a mail program go out securely (issue 13, "Policy"): the
// subject tag and the content rules, as pure functions and one compiled rule set.
//
// The ready patterns look for a candidate with a regular expression and then check it, so that
// an ordinary number does not mark a message:
//   iban  ISO 13616: two letters, two check digits, 11 to 30 letters or digits (groups of four
//         separated by single spaces allowed); the check is ISO 7064 MOD 97-10 (remainder 1).
//   card  13 to 19 digits (single spaces or hyphens between them allowed) whose first digit is one
//         of the major networks' (2 to 6: Mastercard 2-series, Amex/Diners/JCB, Visa, Mastercard,
//         Discover/UnionPay) and that pass the Luhn check (ISO/IEC 7812-1 annex B).
//   ssn   a US Social Security number written AAA-GG-SSSS, excluding what the SSA never issues:
//         area 000, 666 or 900-999, group 00, serial 0000.
// Administrators' own rules are PCRE2 regular expressions, matched against the subject and the
// text (the HTML part's text is not searched separately: mail programs send both).
//
// Thread-safe: a compiled ContentRules is immutable; each match uses its own match data.
//
// SECURITY: subject and text are untrusted (any member's mail program). Matching is bounded:
// PCRE2 runs with a match limit and a depth limit (kMatchLimit, kDepthLimit), and a rule that
// hits a limit counts as a match — a message an administrator's rule cannot decide about is sent
// securely rather than in the clear.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace sealpost::app {

// ISO 13616 check of an IBAN in its electronic form (no spaces; letters in upper case).
bool IsValidIban(std::string_view iban);
// The Luhn check over a string of ASCII digits (false for anything else or empty).
bool PassesLuhn(std::string_view digits);
// "AAA-GG-SSSS" with digits and a number the SSA could have issued (see above).
bool IsPossibleSsn(std::string_view ssn);

// The subject without `tag` (ASCII case-insensitive, its first occurrence), with the spaces
// around it collapsed to one and trimmed; nullopt when the subject does not carry the tag.
std::optional<std::string> RemoveSubjectTag(std::string_view subject, std::string_view tag);

inline constexpr const char* kReadyPatternNames[] = {"iban", "card", "ssn"};

struct ContentRulesConfig {
  std::vector<std::string> ready;    // names from kReadyPatternNames
  std::vector<std::string> regexes;  // PCRE2 syntax, UTF-8
};

class ContentRules final {
 public:
  static constexpr uint32_t kMatchLimit = 1'000'000;
  static constexpr uint32_t kDepthLimit = 10'000;

  // InvalidArgument (naming the rule) for an unknown ready pattern or a regex that does not
  // compile: configuration errors, reported when the server starts.
  static Result<ContentRules> Compile(const ContentRulesConfig& config);

  ContentRules(ContentRules&&) noexcept;
  ContentRules& operator=(ContentRules&&) noexcept;
  ~ContentRules();

  // The name of the first rule that marks the message ("iban", "card", "ssn", or "regex 2" for
  // the second configured regex), or nullopt when none does.
  std::optional<std::string> FirstMatch(std::string_view subject, std::string_view text) const;
  bool empty() const;

 private:
  struct Rule;
  ContentRules();
  std::vector<std::unique_ptr<Rule>> rules_;
};

}  // namespace sealpost::app
