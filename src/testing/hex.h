// Test vectors are written in hex; this turns them into bytes (a malformed literal fails the test).
#pragma once

#include <gtest/gtest.h>

#include <string_view>

#include "core/encoding.h"

namespace sealpost::testutil {

inline Bytes Hex(std::string_view hex) {
  auto decoded = HexDecode(hex);
  EXPECT_TRUE(decoded.ok()) << hex;
  return decoded.ok() ? *decoded : Bytes();
}

}  // namespace sealpost::testutil
