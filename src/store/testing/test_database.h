// Test support: a fresh, empty database on either backend, so one test suite runs against both.
//
// PostgreSQL: the server is the throw-away cluster of tests/postgres/pg.sh. Its admin URL comes
// from SEALPOST_TEST_PG_URL or, failing that, from the file DIR/url where DIR is
// SEALPOST_TEST_PG_DIR (CTest sets this for tests that need the `postgres` fixture). Each
// TestDatabase creates its own database and drops it at the end. When neither variable is set or
// the server is unreachable, Create fails: a PostgreSQL test never passes by skipping.
#pragma once

#include <memory>
#include <ostream>
#include <string>

#include "core/status.h"
#include "store/store.h"

namespace sealpost::store::testing {

enum class Backend { kSqlite, kPostgres };

std::string BackendName(Backend backend);
// Names the backend in GoogleTest output instead of a byte dump.
inline void PrintTo(Backend backend, std::ostream* os) { *os << BackendName(backend); }

// The admin URL of the test cluster (see above).
Result<std::string> PostgresAdminUrl();

class TestDatabase {
 public:
  static Result<std::unique_ptr<TestDatabase>> Create(Backend backend);
  ~TestDatabase();
  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;

  Backend backend() const { return backend_; }
  // SQLite: the database file; PostgreSQL: the database URL.
  const std::string& location() const { return location_; }
  // Each call opens an independent store on the same database, as a second process would.
  Result<std::unique_ptr<Store>> Open() const;

 private:
  TestDatabase(Backend backend, std::string dir, std::string location, std::string db_name)
      : backend_(backend),
        dir_(std::move(dir)),
        location_(std::move(location)),
        db_name_(std::move(db_name)) {}

  Backend backend_;
  std::string dir_;       // SQLite: temporary directory
  std::string location_;  // file or URL
  std::string db_name_;   // PostgreSQL database name
};

}  // namespace sealpost::store::testing
