// Strict JSON request bodies: an object, only known fields, each of the expected type.
//
// SECURITY: sees raw request bodies. Size is bounded by the route's body limit before this runs;
// nesting depth is bounded here before parsing; nlohmann's parser refuses invalid UTF-8.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "crypto/secret_string.h"
#include "crypto/wiping_allocator.h"

namespace sealpost::api {

// A parsed request body. A body may carry a password, a MUC or a link, so every string the
// parser builds (values, keys, its token buffer) and every node lives in memory that is wiped
// when freed; the body itself arrives the same way (http::Request::body).
using RequestJson =
    nlohmann::basic_json<std::map, std::vector, crypto::WipedString, bool, std::int64_t,
                         std::uint64_t, double, crypto::WipingAllocator>;

enum class JsonType { kString, kStringArray, kArray, kObject, kInteger, kBoolean };

struct FieldSpec {
  std::string_view name;
  JsonType type;
  bool required = true;
};

inline constexpr int kMaxJsonDepth = 8;

// InvalidArgument naming the problem (in words for the client) for malformed JSON, a key named
// twice in one object, a non-object, an unknown field, a missing required field or a wrong type.
Result<RequestJson> ParseJsonObject(std::string_view body, std::initializer_list<FieldSpec> spec);
// Checks one nested object (e.g. an attachment entry) the same way.
Status CheckJsonObject(const RequestJson& value, std::string_view what,
                       std::initializer_list<FieldSpec> spec);

// Field access after validation; optional fields return a default.
std::string StringField(const RequestJson& object, std::string_view name);
// A kStringArray field's strings; empty when the optional field is absent.
std::vector<std::string> StringListField(const RequestJson& object, std::string_view name);
// A secret string field (password, MUC, recovery code, link), copied into guarded memory
// (SecretString) and wiped in the json at once. What stays out of reach: nlohmann's lexer keeps
// each token's raw characters in a std::vector for its error messages, freed unwiped; a limit of
// the parser, documented in docs/architecture.md.
crypto::SecretString SecretField(RequestJson& object, std::string_view name);
crypto::SecretString SecretValue(RequestJson& value);

}  // namespace sealpost::api
