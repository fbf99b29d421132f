#include "api/json_input.h"

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

bool HasType(const nlohmann::json& v, JsonType type) {
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

Status CheckJsonObject(const nlohmann::json& value, std::string_view what,
                       std::initializer_list<FieldSpec> spec) {
  if (!value.is_object()) return InvalidArgument(fmt::format("{} must be a JSON object", what));
  for (const auto& [key, v] : value.items()) {
    const auto it =
        std::find_if(spec.begin(), spec.end(), [&](const FieldSpec& f) { return f.name == key; });
    if (it == spec.end()) {
      return InvalidArgument(fmt::format("unknown field \"{}\" in {}", key.substr(0, 64), what));
    }
    if (!HasType(v, it->type)) {
      return InvalidArgument(fmt::format("field \"{}\" must be {}", key, TypeName(it->type)));
    }
  }
  for (const FieldSpec& f : spec) {
    if (f.required && !value.contains(f.name)) {
      return InvalidArgument(fmt::format("field \"{}\" is required", f.name));
    }
  }
  return Status::Ok();
}

Result<nlohmann::json> ParseJsonObject(std::string_view body,
                                       std::initializer_list<FieldSpec> spec) {
  if (MaxDepth(body) > kMaxJsonDepth) {
    return InvalidArgument(fmt::format("JSON is nested deeper than {} levels", kMaxJsonDepth));
  }
  nlohmann::json value = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) return InvalidArgument("request body is not valid JSON (UTF-8)");
  SP_RETURN_IF_ERROR(CheckJsonObject(value, "the request body", spec));
  return value;
}

std::string StringField(const nlohmann::json& object, std::string_view name) {
  const auto it = object.find(name);
  return it == object.end() ? std::string() : it->get<std::string>();
}

}  // namespace sealpost::api
