// Strict JSON request bodies: an object, only known fields, each of the expected type.
//
// SECURITY: sees raw request bodies. Size is bounded by the route's body limit before this runs;
// nesting depth is bounded here before parsing; nlohmann's parser refuses invalid UTF-8.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "crypto/secret_string.h"

namespace sealpost::api {

enum class JsonType { kString, kStringArray, kArray, kObject, kInteger, kBoolean };

struct FieldSpec {
  std::string_view name;
  JsonType type;
  bool required = true;
};

inline constexpr int kMaxJsonDepth = 8;

// InvalidArgument naming the problem (in words for the client) for malformed JSON, a key named
// twice in one object, a non-object, an unknown field, a missing required field or a wrong type.
Result<nlohmann::json> ParseJsonObject(std::string_view body,
                                       std::initializer_list<FieldSpec> spec);
// Checks one nested object (e.g. an attachment entry) the same way.
Status CheckJsonObject(const nlohmann::json& value, std::string_view what,
                       std::initializer_list<FieldSpec> spec);

// Field access after validation; optional fields return a default.
std::string StringField(const nlohmann::json& object, std::string_view name);
// A secret string field (password, MUC, recovery code, link): moved into zeroizing memory and the
// json's copy wiped. nlohmann::json has already held it as a std::string while parsing (its lexer
// buffer is freed unwiped): a limit of the parser, so handlers take secrets out first thing.
crypto::SecretString SecretField(nlohmann::json& object, std::string_view name);

}  // namespace sealpost::api
