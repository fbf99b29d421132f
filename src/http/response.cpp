#include "http/response.h"

#include <algorithm>

#include "http/internal/ascii.h"

namespace sealpost::http {

Response Response::Json(int status, std::string json_text) {
  Response response;
  response.status = status;
  response.body = std::move(json_text);
  response.headers.emplace_back("Content-Type", "application/json");
  return response;
}

Response Response::NoContent() {
  Response response;
  response.status = 204;
  return response;
}

Response Response::Text(int status, std::string text, std::string_view content_type) {
  Response response;
  response.status = status;
  response.body = std::move(text);
  response.headers.emplace_back("Content-Type", std::string(content_type));
  return response;
}

void Response::SetHeader(std::string_view name, std::string_view value) {
  std::erase_if(headers,
                [name](const auto& h) { return internal::EqualsIgnoreCase(h.first, name); });
  headers.emplace_back(std::string(name), std::string(value));
}

void Response::AddHeader(std::string_view name, std::string_view value) {
  headers.emplace_back(std::string(name), std::string(value));
}

std::optional<std::string_view> Response::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (internal::EqualsIgnoreCase(key, name)) return std::string_view(value);
  }
  return std::nullopt;
}

}  // namespace sealpost::http
