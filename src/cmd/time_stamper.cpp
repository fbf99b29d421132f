#include "cmd/time_stamper.h"

#include <cctype>
#include <iostream>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "crypto/hash.h"
#include "http/https_client.h"
#include "platform/filesystem.h"
#include "receipts/external_time_stamper.h"
#include "smime/certificate.h"

namespace sealpost::cmd {
namespace {

constexpr size_t kMaxCaFileBytes = 256 * 1024;
constexpr size_t kMaxStampedFileBytes = size_t{64} << 20;  // the CLI hashes the file in memory
constexpr std::string_view kQueryType = "application/timestamp-query";

// Every CERTIFICATE block of a PEM file.
Result<std::vector<smime::Certificate>> ReadCertificates(const std::string& path) {
  auto read = platform::ReadSmallFile(platform::DefaultFilesystem(), path, kMaxCaFileBytes);
  if (!read.ok()) return InvalidArgument("cannot read " + path + ": " + read.status().message());
  const std::string& pem = *read;
  constexpr std::string_view kBegin = "-----BEGIN CERTIFICATE-----";
  std::vector<smime::Certificate> out;
  for (size_t at = pem.find(kBegin); at != std::string::npos; at = pem.find(kBegin, at + 1)) {
    auto cert = smime::Certificate::FromPem(std::string_view(pem).substr(at));
    if (!cert.ok()) return InvalidArgument(path + " holds a certificate that does not parse");
    out.push_back(std::move(cert).value());
  }
  if (out.empty()) return InvalidArgument(path + " holds no PEM certificate");
  return out;
}

// "application/timestamp-reply" (RFC 3161 section 3.4), or the older "-response" some TSAs send,
// with optional parameters.
bool IsReplyType(std::string_view type) {
  type = type.substr(0, type.find(';'));
  while (!type.empty() && type.back() == ' ') type.remove_suffix(1);
  auto lower = [](std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
  };
  const std::string t = lower(type);
  return t == "application/timestamp-reply" || t == "application/timestamp-response";
}

}  // namespace

Result<std::unique_ptr<receipts::TimeStamper>> MakeExternalTimeStamper(const Config& config) {
  if (config.receipts_tsa_url.empty()) return InvalidArgument("receipts.tsa_url is not set");
  SP_ASSIGN_OR_RETURN(std::vector<smime::Certificate> roots,
                      ReadCertificates(config.receipts_tsa_ca_file));
  SP_ASSIGN_OR_RETURN(
      std::unique_ptr<http::HttpsClient> client,
      http::HttpsClient::Create({config.receipts_tsa_tls_ca_file,
                                 std::chrono::milliseconds(config.receipts_tsa_timeout_ms),
                                 kMaxTsaResponseBytes, "sealpost-tsa-client"}));
  std::shared_ptr<http::HttpsClient> shared(std::move(client));
  const std::string url = config.receipts_tsa_url;
  receipts::TimeStampTransport post = [shared, url](ByteView query) -> Result<Bytes> {
    auto response = shared->Post(url, kQueryType, AsChars(query));
    if (!response.ok())
      return Unavailable("the TSA at " + url + ": " + response.status().message());
    if (response->status != 200) {
      return Unavailable(fmt::format("the TSA at {} answered HTTP {}", url, response->status));
    }
    if (!IsReplyType(response->content_type)) {
      return Unavailable(fmt::format(
          "the TSA at {} answered with content type \"{}\", not application/timestamp-reply", url,
          response->content_type.substr(0, 100)));
    }
    const ByteView body = AsBytes(response->body);
    return Bytes(body.begin(), body.end());
  };
  SP_ASSIGN_OR_RETURN(std::unique_ptr<receipts::ExternalTimeStamper> stamper,
                      receipts::ExternalTimeStamper::Create(std::move(roots), std::move(post)));
  return std::unique_ptr<receipts::TimeStamper>(std::move(stamper));
}

Result<std::unique_ptr<receipts::TimeStamper>> MakeTimeStamper(
    const Config& config, const receipts::TimeStampAuthority& builtin) {
  if (config.receipts_tsa_url.empty()) {
    return std::unique_ptr<receipts::TimeStamper>(
        std::make_unique<receipts::InProcessTimeStamper>(builtin));
  }
  return MakeExternalTimeStamper(config);
}

int TimeStampCommand(const Config& config, const std::string& file_path,
                     const std::string& out_path) {
  auto& fs = platform::DefaultFilesystem();
  auto stamper = MakeExternalTimeStamper(config);
  if (!stamper.ok()) {
    std::cerr << "sealpost admin time-stamp: " << stamper.status().message() << "\n";
    return 2;
  }
  auto data = platform::ReadSmallFile(fs, file_path, kMaxStampedFileBytes);
  if (!data.ok()) {
    std::cerr << "sealpost admin time-stamp: cannot read " << file_path << ": "
              << data.status().message() << "\n";
    return 2;
  }
  const crypto::Digest256 imprint = crypto::Sha256(AsBytes(*data));
  auto token = (*stamper)->TimeStamp(imprint);
  if (!token.ok()) {
    std::cout << "REFUSED: " << token.status().message() << "\n";
    return 1;
  }
  if (Status st = platform::WriteFileAtomically(fs, out_path, *token); !st.ok()) {
    std::cerr << "sealpost admin time-stamp: cannot write " << out_path << ": " << st.message()
              << "\n";
    return 2;
  }
  std::cout << fmt::format("OK: time-stamp token over SHA-256 {} from {} written to {}\n",
                           HexEncode(imprint), config.receipts_tsa_url, out_path);
  return 0;
}

}  // namespace sealpost::cmd
