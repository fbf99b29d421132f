// `sealpost verify audit`: re-checks the audit log offline against the platform's public key,
// then the store against the log (audit/store_check.h).
#pragma once

#include <optional>
#include <string>

namespace sealpost::cmd {

// Exit codes: 0 intact, 1 tampered (the first bad entry is printed; or every row the log names
// that the store lacks, one "TAMPERED: …" line each), 2 cannot check.
// `store_url` empty: the SQLite database in `data_dir`; else a postgresql:// URL.
int VerifyAudit(const std::string& data_dir, const std::optional<std::string>& public_key_path,
                const std::string& store_url = "");

}  // namespace sealpost::cmd
