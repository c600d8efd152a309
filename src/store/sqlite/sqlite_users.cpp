// SqliteStore's user directory and analytics sessions. Arguments arrive checked
// (store/checked_store); knows nothing of channels or messages.
#include "store/sqlite/sqlite_detail.hpp"

namespace natter::store::sqlite {

using namespace detail;

Status SqliteStore::upsert_user(const std::string& id, const std::string& username,
                                chat::TimePoint seen_at) {
  std::lock_guard lock(mutex_);
  auto statement = cached(
      "INSERT INTO users (id, username, first_seen, last_seen) VALUES (?1, ?2, ?3, ?3) "
      "ON CONFLICT (id) DO UPDATE SET username = excluded.username, "
      "last_seen = max(users.last_seen, excluded.last_seen)");
  if (!statement) return statement.error();
  statement->bind(1, id).bind(2, username).bind(3, to_micros(seen_at));
  return statement->run();
}

Result<std::optional<std::string>> SqliteStore::username_of(const std::string& id) {
  std::lock_guard lock(mutex_);
  auto statement = cached("SELECT username FROM users WHERE id = ?");
  if (!statement) return statement.error();
  statement->bind(1, id);
  auto row = statement->step();
  if (!row) return row.error();
  if (!*row) return std::optional<std::string>{};
  return std::optional<std::string>{statement->text(0)};
}

Result<std::vector<chat::UserRecord>> SqliteStore::search_users(const std::string& fragment,
                                                                std::int64_t limit) {
  std::lock_guard lock(mutex_);
  auto statement = cached(
      "SELECT u.id, u.username, EXISTS (SELECT 1 FROM bans b WHERE b.banished_id = u.id "
      "AND b.pardoned = 0 AND (b.\"end\" IS NULL OR b.\"end\" > ?1)) "
      "FROM users u WHERE instr(lower(u.username), lower(?2)) > 0 "
      "ORDER BY u.username = ?2 DESC, u.username, u.id LIMIT ?3");
  if (!statement) return statement.error();
  statement->bind(1, to_micros(chat::now_micros())).bind(2, fragment).bind(3, limit);
  return collect<chat::UserRecord>(*statement, [](const Statement& row) {
    return chat::UserRecord{row.text(0), row.text(1), row.int64(2) != 0};
  });
}

// --- sessions --------------------------------------------------------------------------

Result<std::int64_t> SqliteStore::open_session(const std::string& user_id, chat::TimePoint start,
                                               const std::string& server_id) {
  std::lock_guard lock(mutex_);
  auto statement =
      cached("INSERT INTO sessions (user_id, start, server_id) VALUES (?, ?, ?) RETURNING id");
  if (!statement) return statement.error();
  statement->bind(1, user_id).bind(2, to_micros(start)).bind(3, server_id);
  auto row = statement->step();
  if (!row) return row.error();
  return statement->int64(0);
}

Status SqliteStore::close_session(std::int64_t session_id, chat::TimePoint end) {
  std::lock_guard lock(mutex_);
  auto statement = cached(
      "UPDATE sessions SET \"end\" = max(?1, start), duration = max(?1, start) - start "
      "WHERE id = ?2");
  if (!statement) return statement.error();
  statement->bind(1, to_micros(end)).bind(2, session_id);
  if (auto s = statement->run(); !s) return s;
  if (statement->changes() == 0) return not_found("no session with that id");
  return ok_status();
}

Status SqliteStore::close_open_sessions(chat::TimePoint now,
                                        const std::optional<std::string>& server_id) {
  std::lock_guard lock(mutex_);
  auto statement = cached(
      "UPDATE sessions SET \"end\" = max(?1, start), duration = max(?1, start) - start "
      "WHERE \"end\" IS NULL AND (?2 IS NULL OR server_id = ?2)");
  if (!statement) return statement.error();
  statement->bind(1, to_micros(now));
  if (server_id) {
    statement->bind(2, *server_id);
  } else {
    statement->bind_null(2);
  }
  return statement->run();
}

Result<std::vector<chat::DayActivity>> SqliteStore::session_activity(const std::string& user_id,
                                                                     int days,
                                                                     chat::TimePoint now) {
  std::lock_guard lock(mutex_);
  auto statement = cached(
      "SELECT date(start / 1000000, 'unixepoch'), count(*), coalesce(sum(duration), 0) "
      "FROM sessions WHERE start >= ?1 AND start < ?2 AND (?3 = '' OR user_id = ?3) "
      "GROUP BY 1 ORDER BY 1");
  if (!statement) return statement.error();
  statement->bind(1, activity_window_start(now, days))
      .bind(2, activity_window_start(now, 1) + kMicrosPerDay)
      .bind(3, user_id);
  return collect<chat::DayActivity>(*statement, [](const Statement& row) {
    return chat::DayActivity{row.text(0), row.int64(1), row.int64(2) / kMicrosPerSecond};
  });
}

}  // namespace natter::store::sqlite
