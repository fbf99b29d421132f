// QR codes as SVG (libqrencode), for TOTP enrolment screens. Pure.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"

namespace sealpost::auth {

Result<std::string> QrCodeSvg(std::string_view text);

}  // namespace sealpost::auth
