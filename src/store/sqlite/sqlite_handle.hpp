// Thin RAII wrapper over the SQLite C API: the connection and statements in unique_ptrs with
// their free functions, one function per C call, SQLite result codes mapped to natter::Error.
// Knows nothing of natter's schema; only store/sqlite includes it.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "common/result.hpp"

namespace natter::store::sqlite {

struct DatabaseCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct StatementFinalizer {
  void operator()(sqlite3_stmt* statement) const { sqlite3_finalize(statement); }
};
using DatabasePtr = std::unique_ptr<sqlite3, DatabaseCloser>;
using StatementPtr = std::unique_ptr<sqlite3_stmt, StatementFinalizer>;

// The natter::Error for a failed call: constraint violations are conflicts, busy or locked
// databases and files that cannot be opened are unavailable, oversize values are invalid.
Error error_from(sqlite3* db, int rc, std::string_view what);

// sqlite3_open_v2, read-write, created when missing, extended result codes on.
Result<DatabasePtr> open(const std::string& path);
// sqlite3_exec, for fixed SQL without parameters (pragmas, migrations, BEGIN/COMMIT).
Status exec(sqlite3* db, const char* sql);
// sqlite3_prepare_v3, marked persistent: for statements kept in a cache.
Result<StatementPtr> prepare(sqlite3* db, std::string_view sql);

// One use of a prepared statement: binds parameters (1-based), steps through rows, and resets
// the statement and clears its bindings when it goes away, so the cache can reuse it.
class Statement {
 public:
  // A cached statement, owned by the cache.
  Statement(sqlite3* db, sqlite3_stmt* statement) : db_(db), statement_(statement) {}
  // A one-off statement (SQL built for one call), owned by this object.
  Statement(sqlite3* db, StatementPtr owned)
      : db_(db), statement_(owned.get()), owned_(std::move(owned)) {}
  Statement(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  Statement& operator=(Statement&&) = delete;
  ~Statement();

  // Binding failures are kept and reported by the next step().
  Statement& bind(int index, std::int64_t value);     // sqlite3_bind_int64
  Statement& bind(int index, std::string_view text);  // sqlite3_bind_text, copied
  Statement& bind(int index, std::optional<std::int64_t> value);
  Statement& bind_null(int index);  // sqlite3_bind_null

  // sqlite3_step: true when a row is ready, false when done.
  Result<bool> step();
  // Steps to the end, for statements that return no rows.
  Status run();
  int changes() const { return sqlite3_changes(db_); }

  std::int64_t int64(int column) const { return sqlite3_column_int64(statement_, column); }
  std::string text(int column) const;
  bool is_null(int column) const { return sqlite3_column_type(statement_, column) == SQLITE_NULL; }
  std::optional<std::int64_t> optional_int64(int column) const;

 private:
  void check(int rc);

  sqlite3* db_;
  sqlite3_stmt* statement_;
  StatementPtr owned_;
  int bind_error_ = SQLITE_OK;
};

}  // namespace natter::store::sqlite
