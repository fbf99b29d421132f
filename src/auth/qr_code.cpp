#include "auth/qr_code.h"

#include <qrencode.h>

#include <memory>

#include <fmt/format.h>

namespace sealpost::auth {

Result<std::string> QrCodeSvg(std::string_view text) {
  const std::string input(text);
  std::unique_ptr<QRcode, decltype(&QRcode_free)> qr(
      QRcode_encodeString8bit(input.c_str(), 0, QR_ECLEVEL_M), &QRcode_free);
  if (!qr) return Internal("QR encoding failed");
  constexpr int kQuiet = 4;  // quiet zone in modules
  const int width = qr->width;
  const int size = width + 2 * kQuiet;
  std::string path;
  for (int y = 0; y < width; ++y) {
    for (int x = 0; x < width; ++x) {
      if (qr->data[y * width + x] & 1)
        path += fmt::format("M{},{}h1v1h-1z", x + kQuiet, y + kQuiet);
    }
  }
  return fmt::format(
      R"(<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {0} {0}" shape-rendering="crispEdges" role="img" aria-label="QR code"><rect width="{0}" height="{0}" fill="#fff"/><path fill="#000" d="{1}"/></svg>)",
      size, path);
}

}  // namespace sealpost::auth
