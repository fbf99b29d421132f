#include "cmd/verify.h"

#include <iostream>

#include <fmt/format.h>

#include "audit/log_verify.h"
#include "cmd/open_store.h"
#include "platform/filesystem.h"

namespace sealpost::cmd {

int VerifyAudit(const std::string& data_dir, const std::optional<std::string>& public_key_path,
                const std::string& store_url) {
  auto& fs = platform::DefaultFilesystem();
  const std::string db = data_dir + "/sealpost.db";
  if (store_url.empty() && !fs.Exists(db)) {
    std::cerr << "sealpost verify audit: no database at " << db << "\n";
    return 2;
  }
  const std::string key_path = public_key_path.value_or(data_dir + "/audit-signing.pub");
  auto key_text = platform::ReadSmallFile(fs, key_path, 1024);
  if (!key_text.ok()) {
    std::cerr << "sealpost verify audit: cannot read the public key: "
              << key_text.status().ToString() << "\n";
    return 2;
  }
  std::string hex = *key_text;
  while (!hex.empty() && (hex.back() == '\n' || hex.back() == '\r')) hex.pop_back();
  auto raw = HexDecode(hex);
  auto key = raw.ok() ? crypto::VerifyKey::FromBytes(*raw)
                      : Result<crypto::VerifyKey>(InvalidArgument("not hex"));
  if (!key.ok()) {
    std::cerr << "sealpost verify audit: " << key_path << " is not an Ed25519 public key in hex\n";
    return 2;
  }
  auto store = OpenStore(store_url, db, /*max_connections=*/1);
  if (!store.ok()) {
    std::cerr << "sealpost verify audit: " << store.status().ToString() << "\n";
    return 2;
  }
  auto report = audit::VerifyAuditLog(**store, *key);
  if (!report.ok()) {
    std::cerr << "sealpost verify audit: " << report.status().ToString() << "\n";
    return 2;
  }
  if (!report->store_findings.empty()) {
    // The log is intact but the store lacks rows it names: each one, with its log entry.
    for (const audit::StoreFinding& f : report->store_findings) {
      std::cout << "TAMPERED: " << f.problem << "\n";
    }
    return 1;
  }
  if (!report->ok) {
    std::cout << (report->first_bad_index >= 0
                      ? fmt::format("TAMPERED: first bad leaf {}: {}\n", report->first_bad_index,
                                    report->problem)
                      : fmt::format("TAMPERED: {}\n", report->problem));
    return 1;
  }
  std::cout << fmt::format(
      "OK: {} log entries, tree of {} signed by the latest checkpoint{}; {} migrated from the hash "
      "chain ({} chain checkpoints, last at entry {}), chain intact\n",
      report->entries, report->tree_size,
      report->origin.empty() ? "" : fmt::format(" ({})", report->origin), report->legacy_entries,
      report->checkpoints, report->last_checkpoint_seq);
  std::cout << fmt::format(
      "OK: the store holds every message, mailbox entry and guest pickup that {} log entries "
      "name\n",
      report->store_events_checked);
  if (report->pending > 0) {
    std::cout << fmt::format(
        "note: {} events are pending: recorded, not yet sequenced into a signed checkpoint\n",
        report->pending);
  }
  if (report->unmigrated > 0) {
    std::cout << fmt::format(
        "note: {} hash-chain entries are not in the log yet (migrated at the next start of "
        "`sealpost serve`), checked as the hash chain\n",
        report->unmigrated);
  }
  std::cout << "note: a history rewritten and re-signed with the log key is only caught by a "
               "monitor that kept an earlier checkpoint\n";
  return 0;
}

}  // namespace sealpost::cmd
