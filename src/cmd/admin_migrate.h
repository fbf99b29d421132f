// `sealpost admin migrate --data-dir DIR --to postgresql://…`: moves an SQLite installation into
// an empty PostgreSQL database (records and blob bytes). Check with `sealpost verify audit`
// before (SQLite) and after (--store-url): the audit chain and checkpoints carry over unchanged.
#pragma once

#include <string>

namespace sealpost::cmd {

// Exit codes: 0 copied, 2 nothing or not everything could be copied (the message says what).
int AdminMigrate(const std::string& data_dir, const std::string& to_url);

}  // namespace sealpost::cmd
