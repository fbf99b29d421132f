// GoogleTest matchers for Status: EXPECT_THAT(s, IsOk()), EXPECT_THAT(s, StatusIs(code)).
#pragma once

#include <gmock/gmock.h>

#include "core/status.h"

namespace sealpost {

MATCHER(IsOk, "is OK") {
  if (arg.ok()) return true;
  *result_listener << "status is " << arg.ToString();
  return false;
}

MATCHER_P(StatusIs, code, "has code " + std::string(ErrorCodeName(code))) {
  if (arg.code() == code) return true;
  *result_listener << "status is " << arg.ToString();
  return false;
}

}  // namespace sealpost
