// The SQLite C API wrapper; see sqlite_handle.hpp.
#include "store/sqlite/sqlite_handle.hpp"

#include <string>
#include <utility>

namespace natter::store::sqlite {

Error error_from(sqlite3* db, int rc, std::string_view what) {
  std::string message(what);
  message += ": ";
  message += db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  switch (rc & 0xff) {
    case SQLITE_CONSTRAINT:
      return Error{Error::Kind::conflict, std::move(message)};
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_READONLY:
      return Error{Error::Kind::unavailable, std::move(message)};
    case SQLITE_TOOBIG:
    case SQLITE_RANGE:
      return Error{Error::Kind::invalid, std::move(message)};
    default:
      return Error{Error::Kind::internal, std::move(message)};
  }
}

Result<DatabasePtr> open(const std::string& path) {
  sqlite3* raw = nullptr;
  const int rc =
      sqlite3_open_v2(path.c_str(), &raw,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  DatabasePtr db(raw);
  if (rc != SQLITE_OK) return error_from(db.get(), rc, "cannot open SQLite database " + path);
  sqlite3_extended_result_codes(db.get(), 1);
  return db;
}

Status exec(sqlite3* db, const char* sql) {
  const int rc = sqlite3_exec(db, sql, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) {
    // Named by its first words: a migration's whole text would swamp the log line.
    const std::string_view text(sql);
    return error_from(db, rc, "SQLite exec failed (" + std::string(text.substr(0, 40)) + ")");
  }
  return ok_status();
}

Result<StatementPtr> prepare(sqlite3* db, std::string_view sql) {
  sqlite3_stmt* raw = nullptr;
  const int rc = sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()),
                                    SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
  StatementPtr statement(raw);
  if (rc != SQLITE_OK) return error_from(db, rc, "SQLite prepare failed");
  return statement;
}

Statement::Statement(Statement&& other) noexcept
    : db_(other.db_),
      statement_(std::exchange(other.statement_, nullptr)),
      owned_(std::move(other.owned_)),
      bind_error_(other.bind_error_) {}

Statement::~Statement() {
  if (statement_ == nullptr) return;
  sqlite3_reset(statement_);
  sqlite3_clear_bindings(statement_);
}

void Statement::check(int rc) {
  if (rc != SQLITE_OK && bind_error_ == SQLITE_OK) bind_error_ = rc;
}

Statement& Statement::bind(int index, std::int64_t value) {
  check(sqlite3_bind_int64(statement_, index, value));
  return *this;
}

Statement& Statement::bind(int index, std::string_view text) {
  check(sqlite3_bind_text64(statement_, index, text.data(), text.size(), SQLITE_TRANSIENT,
                            SQLITE_UTF8));
  return *this;
}

Statement& Statement::bind(int index, std::optional<std::int64_t> value) {
  return value ? bind(index, *value) : bind_null(index);
}

Statement& Statement::bind_null(int index) {
  check(sqlite3_bind_null(statement_, index));
  return *this;
}

Result<bool> Statement::step() {
  if (bind_error_ != SQLITE_OK) return error_from(db_, bind_error_, "SQLite bind failed");
  const int rc = sqlite3_step(statement_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return error_from(db_, rc, "SQLite step failed");
}

Status Statement::run() {
  while (true) {
    auto row = step();
    if (!row) return row.error();
    if (!*row) return ok_status();
  }
}

std::string Statement::text(int column) const {
  const auto* data = sqlite3_column_text(statement_, column);
  const int size = sqlite3_column_bytes(statement_, column);
  if (data == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(data), static_cast<std::size_t>(size));
}

std::optional<std::int64_t> Statement::optional_int64(int column) const {
  if (is_null(column)) return std::nullopt;
  return int64(column);
}

}  // namespace natter::store::sqlite
