// The PostgreSQL Store's core; see postgres_store.hpp: the pool and the migrations. The calls live
// one file per concern (postgres_channels.cpp, ...). Times cross the wire as integer microseconds
// (natter_ts / natter_us in the schema), every value is a bound parameter, and multi-statement
// writes run in one transaction on one leased connection (postgres_detail.hpp).
#include "store/postgres/postgres_store.hpp"

#include <algorithm>
#include <chrono>
#include <utility>

#include "store/migrations.hpp"
#include "store/postgres/connection_pool.hpp"
#include "store/postgres/pg_connection.hpp"
#include "store/postgres/postgres_detail.hpp"
#include "store/store_rules.hpp"

namespace natter::store::postgres {
namespace {

constexpr auto kAcquireTimeout = std::chrono::seconds(10);  // a stuck pool is an outage
// Any fixed key shared by every natter instance: serialises their migrations.
constexpr const char* kMigrationLock = "SELECT pg_advisory_xact_lock(7415993140386215001)";

}  // namespace

using namespace detail;

PostgresStore::PostgresStore(std::unique_ptr<ConnectionPool> pool) : pool_(std::move(pool)) {}
PostgresStore::~PostgresStore() = default;

Result<std::unique_ptr<PostgresStore>> PostgresStore::open(const std::string& url,
                                                           std::size_t pool_size) {
  auto pool = std::make_unique<ConnectionPool>(
      url, std::max<std::size_t>(pool_size, 1),
      std::chrono::duration_cast<std::chrono::milliseconds>(kAcquireTimeout));
  std::unique_ptr<PostgresStore> store(new PostgresStore(std::move(pool)));
  if (auto s = store->migrate(); !s) return s.error();
  return store;
}

Status PostgresStore::migrate() {
  return with_connection([&](Connection& c) -> Status {
    return in_transaction(c, [&]() -> Status {
      if (auto s = status_of(c.exec(kMigrationLock)); !s) return s;
      if (auto s = status_of(
              c.exec("CREATE TABLE IF NOT EXISTS schema_version (version integer PRIMARY KEY, "
                     "name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"));
          !s) {
        return s;
      }
      auto current = c.exec("SELECT coalesce(max(version), 0) FROM schema_version");
      if (!current) return current.error();
      const std::int64_t version = current->int64(0, 0);
      for (const auto& migration : postgres_migrations()) {
        if (migration.version <= version) continue;
        const std::string sql(migration.sql);
        if (auto s = status_of(c.exec(sql.c_str())); !s) {
          return Error{s.error().kind,
                       "migration " + std::string(migration.name) + ": " + s.error().message};
        }
        auto recorded =
            c.exec_params("INSERT INTO schema_version (version, name) VALUES ($1, $2)",
                          Params().add(std::int64_t{migration.version}).add(migration.name));
        if (!recorded) return recorded.error();
      }
      return ok_status();
    });
  });
}

Status drop_public_schema(const std::string& url) {
  auto connection = Connection::connect(url);
  if (!connection) return connection.error();
  return status_of(connection->exec("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public"));
}

}  // namespace natter::store::postgres
