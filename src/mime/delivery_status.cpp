#include "mime/delivery_status.h"

#include <gmime/gmime.h>

#include <optional>
#include <utility>

#include "crypto/security_policy.h"
#include "mime/internal/gmime_handles.h"
#include "mime/internal/gmime_init.h"
#include "mime/message_parser.h"

namespace sealpost::mime {
namespace {

using crypto::policy::kDeliveryReport;
using crypto::policy::kMimeParse;
using internal::GCharPtr;
using internal::GObjectPtr;
using internal::Own;

using Field = std::pair<std::string, std::string>;  // name (lower case), raw unfolded value
using FieldGroup = std::vector<Field>;

bool IsBlank(std::string_view line) {
  for (const char c : line) {
    if (c != ' ' && c != '\t') return false;
  }
  return true;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = g_ascii_tolower(c);
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Valid UTF-8 (invalid sequences become U+FFFD), controls become a space, runs of white space
// one space, at most max_value_bytes (cut on a character boundary).
std::string Clean(std::string_view raw) {
  GCharPtr valid(g_utf8_make_valid(raw.data(), static_cast<gssize>(raw.size())));
  std::string out;
  for (const char* p = valid.get(); *p != '\0'; ++p) {
    const auto c = static_cast<unsigned char>(*p);
    const bool space = c < 0x20 || c == 0x7f || c == ' ';
    if (space) {
      if (!out.empty() && out.back() != ' ') out.push_back(' ');
      continue;
    }
    out.push_back(static_cast<char>(c));
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  if (out.size() > kDeliveryReport.max_value_bytes) {
    size_t cut = kDeliveryReport.max_value_bytes;
    while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;
    out.resize(cut);
  }
  return out;
}

// Groups of "Name: value" fields separated by blank lines (RFC 3464 §2.1); a line starting with
// white space continues the field before it. Lines that are not fields are skipped (some MTAs
// write stray text). Stops at `max_groups`.
std::vector<FieldGroup> ReadGroups(std::string_view text, size_t max_groups) {
  std::vector<FieldGroup> groups;
  FieldGroup current;
  bool in_field = false;
  auto close = [&] {
    if (!current.empty()) groups.push_back(std::move(current));
    current.clear();
    in_field = false;
  };
  size_t pos = 0;
  while (pos <= text.size() && groups.size() < max_groups) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (IsBlank(line)) {
      close();
    } else if ((line.front() == ' ' || line.front() == '\t') && in_field) {
      std::string& value = current.back().second;
      if (value.size() < kDeliveryReport.max_value_bytes * 4) {
        value.push_back(' ');
        value.append(Trim(line));
      }
    } else if (const size_t colon = line.find(':');
               colon != std::string_view::npos && colon > 0 && !IsBlank(line.substr(0, colon))) {
      current.emplace_back(
          Lower(Trim(line.substr(0, colon))),
          std::string(line.substr(colon + 1, kDeliveryReport.max_value_bytes * 4)));
      in_field = true;
    } else {
      in_field = false;
    }
    if (end == text.size()) break;
  }
  close();
  if (groups.size() > max_groups) groups.resize(max_groups);
  return groups;
}

std::optional<std::string> FieldOf(const FieldGroup& group, std::string_view name) {
  for (const auto& [n, v] : group) {
    if (n == name) return v;
  }
  return std::nullopt;
}

// "type; value" (address-type, mta-name-type, diagnostic-type) → the value; a value without a
// type is taken whole (lenient: some MTAs leave it out).
std::string_view AfterType(std::string_view value) {
  const size_t semi = value.find(';');
  return Trim(semi == std::string_view::npos ? value : value.substr(semi + 1));
}

// An address field's value → the address alone: no type, no <>, no trailing comment.
std::string AddressOf(std::string_view value) {
  std::string_view a = AfterType(value);
  if (const size_t comment = a.find(" ("); comment != std::string_view::npos) {
    a = Trim(a.substr(0, comment));
  }
  if (a.size() >= 2 && a.front() == '<' && a.back() == '>') a = a.substr(1, a.size() - 2);
  return Clean(a);
}

DeliveryAction ActionOf(std::string_view value) {
  std::string_view word = Trim(value);
  const size_t end = word.find_first_of(" \t(");
  if (end != std::string_view::npos) word = word.substr(0, end);
  const std::string a = Lower(word);
  if (a == "failed") return DeliveryAction::kFailed;
  if (a == "delayed") return DeliveryAction::kDelayed;
  if (a == "delivered") return DeliveryAction::kDelivered;
  if (a == "relayed") return DeliveryAction::kRelayed;
  if (a == "expanded") return DeliveryAction::kExpanded;
  return DeliveryAction::kUnknown;
}

// RFC 3463 class "." subject "." detail: class 2, 4 or 5; 1-3 digits each for the others.
std::string StatusOf(std::string_view value) {
  std::string_view s = Trim(value);
  const size_t end = s.find_first_of(" \t(");
  if (end != std::string_view::npos) s = s.substr(0, end);
  if (s.size() < 5 || (s[0] != '2' && s[0] != '4' && s[0] != '5') || s[1] != '.') return "";
  size_t digits = 0;
  int dots = 1;
  for (size_t i = 2; i < s.size(); ++i) {
    if (s[i] == '.') {
      if (digits == 0 || ++dots > 2) return "";
      digits = 0;
    } else if (g_ascii_isdigit(s[i]) && ++digits <= 3) {
      continue;
    } else {
      return "";
    }
  }
  return dots == 2 && digits > 0 ? std::string(s) : "";
}

// The header block of a message (up to the first blank line).
std::string_view HeaderBlock(std::string_view message) {
  for (size_t pos = 0; pos < message.size();) {
    size_t end = message.find('\n', pos);
    if (end == std::string_view::npos) return message;
    std::string_view line = message.substr(pos, end - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) return message.substr(0, pos);
    pos = end + 1;
  }
  return message;
}

bool IsReport(std::string_view message) {
  const std::vector<FieldGroup> top = ReadGroups(HeaderBlock(message), 1);
  if (top.empty()) return false;
  const std::optional<std::string> value = FieldOf(top.front(), "content-type");
  if (!value) return false;
  internal::EnsureGMimeInitialized();
  auto type = Own(g_mime_content_type_parse(nullptr, value->c_str()));
  if (!type || !g_mime_content_type_is_type(type.get(), "multipart", "report")) return false;
  const char* report_type = g_mime_content_type_get_parameter(type.get(), "report-type");
  return report_type != nullptr && (g_ascii_strcasecmp(report_type, "delivery-status") == 0 ||
                                    g_ascii_strcasecmp(report_type, "global-delivery-status") == 0);
}

std::string MessageIdOf(std::string_view headers) {
  const std::vector<FieldGroup> groups = ReadGroups(HeaderBlock(headers), 1);
  if (groups.empty()) return "";
  const std::optional<std::string> id = FieldOf(groups.front(), "message-id");
  if (!id) return "";
  std::string_view v = Trim(*id);
  const size_t open = v.find('<');
  const size_t close = v.find('>', open == std::string_view::npos ? 0 : open);
  if (open != std::string_view::npos && close != std::string_view::npos) {
    v = v.substr(open + 1, close - open - 1);
  }
  return Clean(v);
}

}  // namespace

std::string_view DeliveryActionName(DeliveryAction action) {
  switch (action) {
    case DeliveryAction::kFailed:
      return "failed";
    case DeliveryAction::kDelayed:
      return "delayed";
    case DeliveryAction::kDelivered:
      return "delivered";
    case DeliveryAction::kRelayed:
      return "relayed";
    case DeliveryAction::kExpanded:
      return "expanded";
    case DeliveryAction::kUnknown:
      break;
  }
  return "unknown";
}

Result<DeliveryReport> ParseDeliveryReport(std::string_view message) {
  if (message.size() > kMimeParse.max_message_bytes) return TooLarge("the report is too large");
  if (!IsReport(message)) {
    return InvalidArgument("not a delivery status notification (multipart/report)");
  }
  // The bounds of every MIME read (depth, parts, header fields) are ParseMessage's.
  SP_ASSIGN_OR_RETURN(const ParsedMessage parsed, ParseMessage(message));
  const ParsedAttachment* status = nullptr;
  const ParsedAttachment* returned = nullptr;
  for (const ParsedAttachment& a : parsed.attachments) {
    const bool is_status = a.content_type == "message/delivery-status" ||
                           a.content_type == "message/global-delivery-status";
    if (is_status && status == nullptr) status = &a;
    const bool is_returned =
        a.content_type == "text/rfc822-headers" || a.content_type == "message/rfc822" ||
        a.content_type == "message/global" || a.content_type == "message/global-headers";
    if (is_returned && returned == nullptr) returned = &a;
  }
  if (status == nullptr) return InvalidArgument("the report has no delivery-status part");

  // One per-message group, then the recipients (RFC 3464 §2.2, §2.3).
  const std::vector<FieldGroup> groups =
      ReadGroups(status->data, kDeliveryReport.max_recipients + 1);
  DeliveryReport report;
  for (size_t i = 0; i < groups.size(); ++i) {
    const FieldGroup& g = groups[i];
    const std::optional<std::string> final_recipient = FieldOf(g, "final-recipient");
    const std::optional<std::string> action = FieldOf(g, "action");
    if (i == 0 && !final_recipient) {
      if (auto v = FieldOf(g, "reporting-mta")) report.reporting_mta = Clean(AfterType(*v));
      if (auto v = FieldOf(g, "original-envelope-id")) report.original_envelope_id = Clean(*v);
      continue;
    }
    if (!final_recipient || !action) continue;  // not a usable recipient group
    RecipientReport r;
    r.final_recipient = AddressOf(*final_recipient);
    if (r.final_recipient.empty()) continue;
    if (auto v = FieldOf(g, "original-recipient")) r.original_recipient = AddressOf(*v);
    r.action = ActionOf(*action);
    if (auto v = FieldOf(g, "status")) r.status = StatusOf(*v);
    if (auto v = FieldOf(g, "diagnostic-code")) r.diagnostic = Clean(AfterType(*v));
    if (auto v = FieldOf(g, "remote-mta")) r.remote_mta = Clean(AfterType(*v));
    report.recipients.push_back(std::move(r));
  }
  if (report.recipients.empty()) {
    return InvalidArgument("the report names no recipient with an action");
  }
  if (returned != nullptr) report.original_message_id = MessageIdOf(returned->data);
  return report;
}

}  // namespace sealpost::mime
