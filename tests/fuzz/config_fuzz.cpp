// Fuzz target: the TOML configuration (cmd/config.h, ParseConfig = LoadConfig without the file).
//
// Invariants checked: no crash, exception or sanitizer report; an accepted configuration holds
// exactly the integers the text gave for the keys compared below (no value silently wrapped into
// range); every refusal is InvalidArgument.
//
// SECURITY: sealpost.toml is the operator's, but a parser that crashes or wraps numbers on odd
// input turns a typo into an outage or a weaker setting, so it is held to the untrusted-input bar.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string_view>

#include <toml++/toml.h>

#include "cmd/config.h"

namespace {

void Check(bool condition) {
  if (!condition) std::abort();
}

// The integer the text gives for `path`, if it gives one.
std::optional<int64_t> IntegerAt(const toml::table& root, std::string_view path) {
  const toml::node* node = root.at_path(path).node();
  if (node == nullptr) return std::nullopt;
  return node->value_exact<int64_t>();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto config = sealpost::cmd::ParseConfig(text, "fuzz.toml");
  if (!config.ok()) {
    Check(config.status().code() == sealpost::ErrorCode::kInvalidArgument);
    return 0;
  }
  // Accepted: the text is valid TOML, so it parses here too.
  toml::table root;
  try {
    root = toml::parse(text);
  } catch (const toml::parse_error&) {
    std::abort();
  }
  if (auto port = IntegerAt(root, "http.port")) Check(*port == config->listen_port);
  if (auto n = IntegerAt(root, "store.max_connections")) Check(*n == config->store_max_connections);
  if (auto n = IntegerAt(root, "http.io_threads")) Check(*n == config->io_threads);
  if (auto n = IntegerAt(root, "guests.max_muc_failures"))
    Check(*n == config->app.max_muc_failures);
  if (auto s = IntegerAt(root, "auth.failure_window_seconds")) {
    Check(std::chrono::milliseconds(config->throttle.window).count() / 1000 == *s);
  }
  if (auto s = IntegerAt(root, "auth.session_idle_seconds")) {
    Check(config->app.session_idle.count() == *s);
  }
  return 0;
}
