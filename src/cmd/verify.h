// `sealpost verify audit`: re-checks the audit log offline against the platform's public key.
#pragma once

#include <optional>
#include <string>

namespace sealpost::cmd {

// Exit codes: 0 intact, 1 tampered (the first bad entry is printed), 2 cannot check.
// `store_url` empty: the SQLite database in `data_dir`; else a postgresql:// URL.
int VerifyAudit(const std::string& data_dir, const std::optional<std::string>& public_key_path,
                const std::string& store_url = "");

}  // namespace sealpost::cmd
