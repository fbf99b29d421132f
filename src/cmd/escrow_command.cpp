#include "cmd/escrow_command.h"

#include <fcntl.h>
#include <pwd.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <iostream>

#include <fmt/format.h>

#include "app/escrow.h"
#include "app/escrow_export.h"
#include "cmd/data_dir_lock.h"
#include "cmd/open_store.h"
#include "core/address.h"
#include "core/encoding.h"
#include "keys/secret_file.h"
#include "platform/filesystem.h"
#include "receipts/audit_export.h"

namespace sealpost::cmd {
namespace {

int Fail(std::string_view command, std::string_view what) {
  std::cerr << "sealpost escrow " << command << ": " << what << "\n";
  return 2;
}

// An absent or empty directory: an export never mixes with other files.
bool UsableTarget(const std::string& dir) {
  std::error_code ec;
  if (!std::filesystem::exists(dir, ec)) return true;
  return std::filesystem::is_directory(dir, ec) && std::filesystem::is_empty(dir, ec);
}

}  // namespace

int EscrowKeygen(const std::string& out) {
  const crypto::BoxKeyPair pair = crypto::BoxKeyPair::Generate();
  const crypto::SecretString text = app::FormatEscrowPrivateKey(pair);
  // O_EXCL: an existing key file (perhaps the only copy of a key) is never overwritten.
  const int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return Fail("keygen", platform::ErrnoStatus(errno, "create", out).message());
  const ByteView bytes = text.bytes().view();
  size_t done = 0;
  bool ok = true;
  while (ok && done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0)
      ok = false;
    else
      done += static_cast<size_t>(n);
  }
  ok = ok && ::fsync(fd) == 0;
  ok = (::close(fd) == 0) && ok;
  if (!ok) {
    ::unlink(out.c_str());
    return Fail("keygen", "could not write " + out);
  }
  const std::string pub = Base64Encode(pair.public_key().bytes());
  std::cout << pub << "\n";
  std::cerr << fmt::format(
      "wrote the private key to {} (mode 0600): keep it offline, never on the server.\n"
      "public key (fingerprint {}): give it to the server with\n"
      "  PUT /api/v1/admin/escrow/<domain> {{\"public_key\": \"{}\"}}\n",
      out, app::EscrowFingerprint(pair.public_key().bytes()), pub);
  return 0;
}

int EscrowExport(const Config& config, const EscrowExportArgs& args) {
  auto& fs = platform::DefaultFilesystem();
  app::EscrowExportRequest request;
  auto domain = EmailAddress::Parse("x@" + args.domain);
  if (args.domain.empty() || !domain.ok()) return Fail("export", "--domain must be a mail domain");
  request.domain = std::string(domain->domain());
  for (const auto& [text, out] :
       {std::pair{&args.from, &request.from}, std::pair{&args.to, &request.to}}) {
    if (!*text) continue;
    auto ms = receipts::ParseExportTime(**text);
    if (!ms.ok()) return Fail("export", ms.status().message());
    *out = FromUnixMillis(*ms);
  }
  if (args.member) {
    auto member = EmailAddress::Parse(*args.member);
    if (!member.ok()) return Fail("export", "--member must be an address");
    request.member = member->str();
  }
  if (!UsableTarget(args.out)) return Fail("export", args.out + " must be absent or empty");
  request.out_dir = args.out;
  const passwd* pw = ::getpwuid(::geteuid());
  request.actor = "cli:" + (pw != nullptr && pw->pw_name != nullptr ? std::string(pw->pw_name)
                                                                    : std::to_string(::geteuid()));

  auto lock = DataDirLock::Acquire(config.data_dir, LockMode::kShared);
  if (!lock.ok()) return Fail("export", lock.status().message());
  if (config.store_url.empty() && !fs.Exists(config.DatabasePath())) {
    return Fail("export", "no database at " + config.DatabasePath());
  }
  auto store = OpenStore(config.store_url, config.DatabasePath(), 1);
  if (!store.ok()) return Fail("export", store.status().ToString());
  auto blobs = OpenRawBlobs(**store, config.store_url, fs, config.BlobDir(), 1);
  if (!blobs.ok()) return Fail("export", blobs.status().ToString());
  auto result = app::ExportEscrow(**store, **blobs, fs, request, std::chrono::system_clock::now());
  if (!result.ok()) return Fail("export", result.status().ToString());
  std::cout << fmt::format(
      "wrote {}: {} messages of {} with {} attachments, sealed ({} selected were shredded by "
      "retention)\n",
      args.out, result->messages, request.domain, result->attachments, result->shredded);
  return 0;
}

int EscrowOpen(const std::string& key_file, const std::string& in, const std::string& out) {
  auto& fs = platform::DefaultFilesystem();
  auto text = keys::ReadSecretFile(fs, key_file, 1024);
  if (!text.ok()) return Fail("open", key_file + ": " + text.status().message());
  auto key = app::ParseEscrowPrivateKey(text->view());
  if (!key.ok()) return Fail("open", key_file + ": " + key.status().message());
  if (!UsableTarget(out)) return Fail("open", out + " must be absent or empty");
  auto result = app::OpenEscrowExport(*key, fs, in, out);
  if (!result.ok()) return Fail("open", result.status().message());
  for (const std::string& f : result->failures) std::cerr << "not opened: " << f << "\n";
  std::cout << fmt::format("opened {} messages into {} ({} with a broken seal), {} failed\n",
                           result->opened, out, result->seal_broken, result->failed);
  return result->failed == 0 ? 0 : 1;
}

}  // namespace sealpost::cmd
