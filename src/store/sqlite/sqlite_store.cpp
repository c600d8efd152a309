// The SQLite Store's core; see sqlite_store.hpp: opening, pragmas, migrations and the statement
// cache. The calls live one file per concern (sqlite_channels.cpp, ...): each takes the mutex,
// then runs cached statements; writes that touch several rows run in one BEGIN IMMEDIATE
// transaction (sqlite_detail.hpp).
#include "store/sqlite/sqlite_store.hpp"

#include <chrono>
#include <thread>
#include <utility>

#include "store/migrations.hpp"
#include "store/sqlite/sqlite_detail.hpp"
#include "store/sqlite/sqlite_handle.hpp"
#include "store/store_rules.hpp"

namespace natter::store::sqlite {
namespace {

constexpr int kBusyTimeoutMs = 5000;  // rides out another instance's migration or checkpoint

}  // namespace

void SqliteStore::Closer::operator()(sqlite3* db) const { sqlite3_close_v2(db); }
void SqliteStore::Finalizer::operator()(sqlite3_stmt* statement) const {
  sqlite3_finalize(statement);
}

SqliteStore::SqliteStore(sqlite3* db) : db_(db) {}

SqliteStore::~SqliteStore() {
  std::lock_guard lock(mutex_);
  statements_.clear();
}

Result<std::unique_ptr<SqliteStore>> SqliteStore::open(const std::string& path) {
  auto db = sqlite::open(path);
  if (!db) return db.error();
  std::unique_ptr<SqliteStore> store(new SqliteStore(db->release()));
  std::lock_guard lock(store->mutex_);
  if (auto s = store->configure(); !s) return s.error();
  if (auto s = store->migrate(); !s) return s.error();
  return store;
}

Status SqliteStore::configure() {
  sqlite3_busy_timeout(db_.get(), kBusyTimeoutMs);
  // Turning WAL on needs the database alone for a moment, and SQLite answers busy at once,
  // without its busy handler, while another instance is opening it: try again until the timeout.
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(kBusyTimeoutMs);
  for (;;) {
    auto wal = exec(db_.get(), "PRAGMA journal_mode = WAL");
    if (wal) break;
    if (wal.error().kind != Error::Kind::unavailable ||
        std::chrono::steady_clock::now() >= deadline) {
      return wal;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  for (const char* pragma : {"PRAGMA synchronous = NORMAL", "PRAGMA foreign_keys = ON"}) {
    if (auto s = exec(db_.get(), pragma); !s) return s;
  }
  return ok_status();
}

Status SqliteStore::migrate() {
  return in_transaction([&]() -> Status {
    if (auto s = exec(db_.get(),
                      "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, "
                      "name TEXT NOT NULL, applied_at INTEGER NOT NULL)");
        !s) {
      return s;
    }
    auto current = cached("SELECT coalesce(max(version), 0) FROM schema_version");
    if (!current) return current.error();
    auto row = current->step();
    if (!row) return row.error();
    const std::int64_t version = current->int64(0);
    for (const auto& migration : sqlite_migrations()) {
      if (migration.version <= version) continue;
      const std::string sql(migration.sql);
      if (auto s = exec(db_.get(), sql.c_str()); !s) {
        return Error{s.error().kind,
                     "migration " + std::string(migration.name) + ": " + s.error().message};
      }
      auto record =
          cached("INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)");
      if (!record) return record.error();
      record->bind(1, std::int64_t{migration.version})
          .bind(2, migration.name)
          .bind(3, to_micros(chat::now_micros()));
      if (auto s = record->run(); !s) return s;
    }
    return ok_status();
  });
}

Result<Statement> SqliteStore::cached(std::string_view sql) {
  auto it = statements_.find(sql);
  if (it == statements_.end()) {
    auto prepared = prepare(db_.get(), sql);
    if (!prepared) return prepared.error();
    it = statements_.emplace(sql, std::unique_ptr<sqlite3_stmt, Finalizer>(prepared->release()))
             .first;
  }
  return Statement(db_.get(), it->second.get());
}

Result<Statement> SqliteStore::one_off(const std::string& sql) {
  auto prepared = prepare(db_.get(), sql);
  if (!prepared) return prepared.error();
  return Statement(db_.get(), std::move(*prepared));
}

}  // namespace natter::store::sqlite
