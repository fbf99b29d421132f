#include "api/json_input.h"

#include <set>
#include <vector>

#include <fmt/format.h>

namespace sealpost::api {
namespace {

int MaxDepth(std::string_view text) {
  int depth = 0, max_depth = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
      continue;
    }
    if (c == '"')
      in_string = true;
    else if (c == '{' || c == '[')
      max_depth = std::max(max_depth, ++depth);
    else if (c == '}' || c == ']')
      --depth;
  }
  return max_depth;
}

// Parses `body`, refusing an object that names a key twice: nlohmann keeps the last, so
// {"to":["a"],"to":["b"]} would mean what no reader of the text expects.
Result<RequestJson> ParseRejectingDuplicateKeys(std::string_view body) {
  std::vector<std::set<std::string>> open_objects;
  std::string duplicate;
  const RequestJson::parser_callback_t check = [&](int, RequestJson::parse_event_t event,
                                                   RequestJson& parsed) {
    switch (event) {
      case RequestJson::parse_event_t::object_start:
        open_objects.emplace_back();
        break;
      case RequestJson::parse_event_t::key:
        if (!open_objects.empty() &&
            !open_objects.back().insert(parsed.get<std::string>()).second && duplicate.empty()) {
          duplicate = parsed.get<std::string>();
        }
        break;
      case RequestJson::parse_event_t::object_end:
        if (!open_objects.empty()) open_objects.pop_back();
        break;
      default:
        break;
    }
    return true;
  };
  RequestJson value = RequestJson::parse(body, check, /*allow_exceptions=*/false);
  if (value.is_discarded()) {
    return InvalidArgument("request body is not valid JSON (UTF-8)").ShownToClient();
  }
  if (!duplicate.empty()) {
    return InvalidArgument(
               fmt::format("field \"{}\" appears more than once", duplicate.substr(0, 64)))
        .ShownToClient();
  }
  return value;
}

bool HasType(const RequestJson& v, JsonType type) {
  switch (type) {
    case JsonType::kString:
      return v.is_string();
    case JsonType::kArray:
      return v.is_array();
    case JsonType::kObject:
      return v.is_object();
    case JsonType::kInteger:
      return v.is_number_integer();
    case JsonType::kBoolean:
      return v.is_boolean();
    case JsonType::kStringArray:
      if (!v.is_array()) return false;
      for (const auto& e : v) {
        if (!e.is_string()) return false;
      }
      return true;
  }
  return false;
}

const char* TypeName(JsonType type) {
  switch (type) {
    case JsonType::kString:
      return "a string";
    case JsonType::kStringArray:
      return "an array of strings";
    case JsonType::kArray:
      return "an array";
    case JsonType::kObject:
      return "an object";
    case JsonType::kInteger:
      return "an integer";
    case JsonType::kBoolean:
      return "true or false";
  }
  return "?";
}

}  // namespace

Status CheckJsonObject(const RequestJson& value, std::string_view what,
                       std::initializer_list<FieldSpec> spec) {
  if (!value.is_object()) {
    return InvalidArgument(fmt::format("{} must be a JSON object", what)).ShownToClient();
  }
  for (const auto& [key, v] : value.items()) {
    const auto it = std::find_if(spec.begin(), spec.end(),
                                 [&name = key](const FieldSpec& f) { return f.name == name; });
    if (it == spec.end()) {
      return InvalidArgument(fmt::format("unknown field \"{}\" in {}", key.substr(0, 64), what))
          .ShownToClient();
    }
    if (!HasType(v, it->type)) {
      return InvalidArgument(fmt::format("field \"{}\" must be {}", key, TypeName(it->type)))
          .ShownToClient();
    }
  }
  for (const FieldSpec& f : spec) {
    if (f.required && !value.contains(f.name)) {
      return InvalidArgument(fmt::format("field \"{}\" is required", f.name)).ShownToClient();
    }
  }
  return Status::Ok();
}

Result<RequestJson> ParseJsonObject(std::string_view body, std::initializer_list<FieldSpec> spec) {
  if (MaxDepth(body) > kMaxJsonDepth) {
    return InvalidArgument(fmt::format("JSON is nested deeper than {} levels", kMaxJsonDepth))
        .ShownToClient();
  }
  SP_ASSIGN_OR_RETURN(RequestJson value, ParseRejectingDuplicateKeys(body));
  SP_RETURN_IF_ERROR(CheckJsonObject(value, "the request body", spec));
  return value;
}

std::string StringField(const RequestJson& object, std::string_view name) {
  const auto it = object.find(name);
  if (it == object.end()) return std::string();
  const crypto::WipedString& text = it->get_ref<const crypto::WipedString&>();
  return std::string(text.begin(), text.end());
}

std::vector<std::string> StringListField(const RequestJson& object, std::string_view name) {
  std::vector<std::string> out;
  const auto it = object.find(name);
  if (it == object.end()) return out;
  for (const auto& e : *it) {
    const crypto::WipedString& text = e.get_ref<const crypto::WipedString&>();
    out.emplace_back(text.begin(), text.end());
  }
  return out;
}

crypto::SecretString SecretField(RequestJson& object, std::string_view name) {
  const auto it = object.find(name);
  if (it == object.end()) return crypto::SecretString();
  return SecretValue(*it);
}

crypto::SecretString SecretValue(RequestJson& value) {
  if (!value.is_string()) return crypto::SecretString();
  crypto::WipedString& text = value.get_ref<crypto::WipedString&>();
  crypto::SecretString out = crypto::SecretString::CopyOf(text);
  // The allocator wipes the heap buffer when it is freed; a short text lives inside the string
  // object (small-string buffer) instead, so wipe in place now.
  crypto::Wipe(std::span(reinterpret_cast<uint8_t*>(text.data()), text.size()));
  text.clear();
  return out;
}

}  // namespace sealpost::api
