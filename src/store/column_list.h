// SQL column lists shared by both backends' statements.
#pragma once

#include <string>
#include <string_view>

namespace sealpost::store {

// "a, b" qualified by table alias `t` → "t.a, t.b", for joins of two tables whose column
// lists share names (id, created_ms…).
std::string QualifiedColumns(std::string_view columns, std::string_view table);

}  // namespace sealpost::store
