#include "http/internal/request_head.h"

#include <algorithm>
#include <cstdint>
#include <limits>

#include "http/internal/ascii.h"

namespace sealpost::http::internal {
namespace {

std::string_view Sv(boost::beast::string_view s) { return {s.data(), s.size()}; }

}  // namespace

void ConfigureHeadParser(HeadParser& parser, size_t max_header_bytes) {
  parser.header_limit(static_cast<std::uint32_t>(
      std::min<size_t>(max_header_bytes, std::numeric_limits<std::uint32_t>::max())));
  // Route limits apply once the route is known; the head parser must not refuse any length.
  parser.body_limit(std::numeric_limits<std::uint64_t>::max());
}

RequestHead ReadRequestHead(const HeadParser& parser, std::string remote_address) {
  const auto& header = parser.get();
  RequestHead head;
  Request& request = head.request;
  request.method = std::string(Sv(header.method_string()));
  request.target = std::string(Sv(header.target()));
  request.remote_address = std::move(remote_address);
  for (const auto& field : header) {
    request.headers.emplace_back(Sv(field.name_string()), Sv(field.value()));
  }
  if (const auto length = parser.content_length()) request.content_length = *length;
  head.has_body = request.content_length ? *request.content_length > 0 : parser.chunked();
  head.keep_alive = parser.keep_alive();

  const std::string_view target = request.target;
  const size_t question = target.find('?');
  head.raw_path = std::string(target.substr(0, question));
  if (question != std::string_view::npos) request.query = std::string(target.substr(question + 1));
  return head;
}

Result<std::string> CheckRequestHead(const HeadParser& parser, std::string_view raw_path) {
  // Framing: Content-Length or plain "chunked", never both (the parser rejects both). Any other
  // Transfer-Encoding would leave the body unframed or encoded in ways handlers don't expect.
  const auto& header = parser.get();
  const auto transfer_encoding = header.find(bhttp::field::transfer_encoding);
  if (transfer_encoding != header.end() &&
      (header.count(bhttp::field::transfer_encoding) > 1 ||
       !EqualsIgnoreCase(Sv(transfer_encoding->value()), "chunked"))) {
    return InvalidArgument("Unsupported Transfer-Encoding.");
  }
  if (raw_path.empty() || raw_path.front() != '/') {
    return InvalidArgument("The request target must be an absolute path.");
  }
  auto decoded = PercentDecodePath(raw_path);
  if (!decoded.ok()) return InvalidArgument("The request path is not acceptable.");
  return decoded;
}

}  // namespace sealpost::http::internal
