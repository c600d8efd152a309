// What the per-concern PostgreSQL files share: the SELECT column lists, row readers, placeholder
// lists, in_transaction and PostgresStore::with_connection. Only store/postgres/*.cpp includes
// it; it knows nothing of any other backend.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "store/postgres/connection_pool.hpp"
#include "store/postgres/pg_connection.hpp"
#include "store/postgres/postgres_store.hpp"
#include "store/store_rules.hpp"

namespace natter::store::postgres {
namespace detail {

#define NATTER_BAN_COLUMNS                                                       \
  "SELECT b.id, b.owner_id, b.banished_id, coalesce(u.username, ''), b.reason, " \
  "natter_us(b.start), natter_us(b.\"end\"), b.duration_hours, b.pardoned "
inline constexpr const char* kBanSelect =
    NATTER_BAN_COLUMNS "FROM bans b LEFT JOIN users u ON u.id = b.banished_id ";
// For a data-modifying CTE named `changed`: the rows it just wrote, with their usernames.
inline constexpr const char* kChangedBanSelect =
    NATTER_BAN_COLUMNS "FROM changed b LEFT JOIN users u ON u.id = b.banished_id";
#undef NATTER_BAN_COLUMNS
inline constexpr const char* kMessageSelect =
    "SELECT id, cache_id, owner_id, username, channel, message, natter_us(authored_at) "
    "FROM chat_messages ";
inline constexpr const char* kPrivateSelect =
    "SELECT id, cache_id, owner_id, username, recipient_id, recipient, message, "
    "natter_us(authored_at) FROM private_messages ";

inline Error not_found(std::string message) {
  return Error{Error::Kind::not_found, std::move(message)};
}

inline Error renamed_conflict(Error error) {
  if (error.kind == Error::Kind::conflict) error.message = "channel name already exists";
  return error;
}

inline Status status_of(const Result<Rows>& rows) {
  if (!rows) return rows.error();
  return ok_status();
}

inline chat::ChatMessage read_message(const Rows& rows, int r) {
  chat::ChatMessage m;
  m.id = rows.int64(r, 0);
  m.cache_id = rows.int64(r, 1);
  m.owner_id = rows.text(r, 2);
  m.username = rows.text(r, 3);
  m.channel = rows.text(r, 4);
  m.message = rows.text(r, 5);
  m.authored_at = from_micros(rows.int64(r, 6));
  return m;
}

inline chat::PrivateMessage read_private(const Rows& rows, int r) {
  chat::PrivateMessage m;
  m.id = rows.int64(r, 0);
  m.cache_id = rows.int64(r, 1);
  m.owner_id = rows.text(r, 2);
  m.username = rows.text(r, 3);
  m.recipient_id = rows.text(r, 4);
  m.recipient = rows.text(r, 5);
  m.message = rows.text(r, 6);
  m.authored_at = from_micros(rows.int64(r, 7));
  return m;
}

inline chat::BanRecord read_ban(const Rows& rows, int r) {
  chat::BanRecord b;
  b.id = rows.int64(r, 0);
  b.owner_id = rows.text(r, 1);
  b.banished_id = rows.text(r, 2);
  b.banished_username = rows.text(r, 3);
  b.reason = rows.text(r, 4);
  b.start = from_micros(rows.int64(r, 5));
  if (auto end = rows.optional_int64(r, 6)) b.end = from_micros(*end);
  b.duration_hours = rows.optional_int64(r, 7);
  b.pardoned = rows.boolean(r, 8);
  return b;
}

template <typename Row, typename Read>
inline std::vector<Row> collect(const Rows& rows, Read read) {
  std::vector<Row> out;
  out.reserve(static_cast<std::size_t>(rows.size()));
  for (int r = 0; r < rows.size(); ++r) out.push_back(read(rows, r));
  return out;
}

// "$first, $first+1, ..." for `count` parameters.
inline std::string placeholders(int first, std::size_t count) {
  std::string text;
  for (std::size_t i = 0; i < count; ++i) {
    if (i != 0) text += ", ";
    text += '$' + std::to_string(first + static_cast<int>(i));
  }
  return text;
}

// Runs `body` between BEGIN and COMMIT on `c`; rolls back when it fails.
template <typename Body>
inline auto in_transaction(Connection& c, Body&& body) -> decltype(body()) {
  if (auto begun = c.exec("BEGIN"); !begun) return begun.error();
  auto result = body();
  if (result) {
    if (auto committed = c.exec("COMMIT"); !committed) return committed.error();
  } else {
    c.exec("ROLLBACK");
  }
  return result;
}

}  // namespace detail

template <typename Work>
auto PostgresStore::with_connection(Work&& work) -> decltype(work(std::declval<Connection&>())) {
  for (int attempt = 0;; ++attempt) {
    auto lease = pool_->acquire();
    if (!lease) return lease.error();
    auto result = work(**lease);
    if (result || attempt > 0 || (**lease).healthy()) return result;
  }
}

}  // namespace natter::store::postgres
