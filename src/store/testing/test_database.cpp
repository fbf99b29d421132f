#include "store/testing/test_database.h"

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>

#include <fmt/format.h>
#include <pqxx/pqxx>

#include "store/postgres/postgres_store.h"
#include "store/sqlite/sqlite_store.h"

namespace sealpost::store::testing {
namespace {

Status PgExec(const std::string& url, const std::string& sql) {
  try {
    pqxx::connection conn(url);
    pqxx::nontransaction tx(conn);
    tx.exec(sql);
    return Status::Ok();
  } catch (const std::exception& e) {
    return Unavailable(fmt::format("test PostgreSQL at {}: {}", url, e.what()));
  }
}

// Replaces the database in a pg.sh URL ("postgresql://user@/DB?host=…" or "…@host:port/DB").
Result<std::string> WithDatabase(const std::string& url, const std::string& db) {
  const size_t scheme = url.find("://");
  if (scheme == std::string::npos) return InvalidArgument("not a postgresql:// URL: " + url);
  const size_t slash = url.find('/', scheme + 3);
  if (slash == std::string::npos) return url + "/" + db;
  const size_t query = url.find('?', slash);
  return url.substr(0, slash + 1) + db + (query == std::string::npos ? "" : url.substr(query));
}

}  // namespace

std::string BackendName(Backend backend) {
  return backend == Backend::kSqlite ? "sqlite" : "postgres";
}

Result<std::string> PostgresAdminUrl() {
  if (const char* url = std::getenv("SEALPOST_TEST_PG_URL"); url && *url) return std::string(url);
  const char* dir = std::getenv("SEALPOST_TEST_PG_DIR");
  if (!dir || !*dir) {
    return Unavailable(
        "PostgreSQL tests need SEALPOST_TEST_PG_URL or SEALPOST_TEST_PG_DIR "
        "(run them through ctest, which starts tests/postgres/pg.sh)");
  }
  std::ifstream in(std::string(dir) + "/url");
  std::string url;
  if (!std::getline(in, url) || url.empty()) {
    return Unavailable(fmt::format("no test PostgreSQL running in {} (no url file)", dir));
  }
  return url;
}

Result<std::unique_ptr<TestDatabase>> TestDatabase::Create(Backend backend) {
  if (backend == Backend::kSqlite) {
    std::string tmpl = (std::filesystem::temp_directory_path() / "sealpost-store-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) return Internal("mkdtemp failed");
    return std::unique_ptr<TestDatabase>(
        new TestDatabase(backend, tmpl, tmpl + "/sealpost.db", ""));
  }
  SP_ASSIGN_OR_RETURN(const std::string admin, PostgresAdminUrl());
  static std::atomic<int> counter{0};
  std::random_device rd;
  const std::string name =
      fmt::format("sp_test_{}_{}_{:08x}", ::getpid(), counter.fetch_add(1), rd());
  SP_RETURN_IF_ERROR(PgExec(admin, "CREATE DATABASE " + name));
  SP_ASSIGN_OR_RETURN(std::string url, WithDatabase(admin, name));
  return std::unique_ptr<TestDatabase>(new TestDatabase(backend, "", std::move(url), name));
}

TestDatabase::~TestDatabase() {
  if (backend_ == Backend::kSqlite) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
    return;
  }
  if (auto admin = PostgresAdminUrl(); admin.ok()) {
    (void)PgExec(*admin, "DROP DATABASE IF EXISTS " + db_name_ + " WITH (FORCE)");
  }
}

Result<std::unique_ptr<Store>> TestDatabase::Open() const {
  if (backend_ == Backend::kSqlite) return sqlite::OpenSqliteStore(location_);
  return postgres::OpenPostgresStore(location_);
}

}  // namespace sealpost::store::testing
