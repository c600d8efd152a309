// What the per-concern SQLite files share: row readers, the FTS5 query builder, placeholder
// lists and SqliteStore::in_transaction. Only store/sqlite/*.cpp includes it; it knows nothing
// of any other backend.
#pragma once

#include <sqlite3.h>

#include <string>
#include <utility>
#include <vector>

#include "store/sqlite/sqlite_handle.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "store/store_rules.hpp"

namespace natter::store::sqlite {
namespace detail {

inline Error not_found(std::string message) {
  return Error{Error::Kind::not_found, std::move(message)};
}

inline Error renamed_conflict(Error error) {
  if (error.kind == Error::Kind::conflict) error.message = "channel name already exists";
  return error;
}

inline chat::ChatMessage read_message(const Statement& row) {
  chat::ChatMessage m;
  m.id = row.int64(0);
  m.cache_id = row.int64(1);
  m.owner_id = row.text(2);
  m.username = row.text(3);
  m.channel = row.text(4);
  m.message = row.text(5);
  m.authored_at = from_micros(row.int64(6));
  return m;
}

inline chat::PrivateMessage read_private(const Statement& row) {
  chat::PrivateMessage m;
  m.id = row.int64(0);
  m.cache_id = row.int64(1);
  m.owner_id = row.text(2);
  m.username = row.text(3);
  m.recipient_id = row.text(4);
  m.recipient = row.text(5);
  m.message = row.text(6);
  m.authored_at = from_micros(row.int64(7));
  return m;
}

inline chat::BanRecord read_ban(const Statement& row) {
  chat::BanRecord b;
  b.id = row.int64(0);
  b.owner_id = row.text(1);
  b.banished_id = row.text(2);
  b.banished_username = row.text(3);
  b.reason = row.text(4);
  b.start = from_micros(row.int64(5));
  if (auto end = row.optional_int64(6)) b.end = from_micros(*end);
  b.duration_hours = row.optional_int64(7);
  b.pardoned = row.int64(8) != 0;
  return b;
}

// An FTS5 query matching every token of the keyword, each quoted so that FTS5 syntax in user
// input (quotes, *, :, AND, NEAR, parentheses) is only ever text.
inline std::string fts_query(const std::vector<std::string>& tokens) {
  std::string query;
  for (const auto& token : tokens) {
    if (!query.empty()) query += ' ';
    query += '"';
    for (char c : token) {
      if (c == '"') query += '"';
      query += c;
    }
    query += '"';
  }
  return query;
}

inline std::string placeholders(std::size_t count) {
  std::string text;
  for (std::size_t i = 0; i < count; ++i) text += i == 0 ? "?" : ", ?";
  return text;
}

template <typename Row, typename Read>
Result<std::vector<Row>> collect(Statement& statement, Read read) {
  std::vector<Row> rows;
  while (true) {
    auto more = statement.step();
    if (!more) return more.error();
    if (!*more) return rows;
    rows.push_back(read(statement));
  }
}

}  // namespace detail

// Runs `body` between BEGIN IMMEDIATE and COMMIT; rolls back when it fails. mutex_ held.
template <typename Body>
auto SqliteStore::in_transaction(Body&& body) -> decltype(body()) {
  if (auto s = exec(db_.get(), "BEGIN IMMEDIATE"); !s) return s.error();
  auto result = body();
  if (result) {
    if (auto s = exec(db_.get(), "COMMIT"); !s) {
      exec(db_.get(), "ROLLBACK");
      return s.error();
    }
  } else if (!sqlite3_get_autocommit(db_.get())) {
    exec(db_.get(), "ROLLBACK");
  }
  return result;
}

}  // namespace natter::store::sqlite
