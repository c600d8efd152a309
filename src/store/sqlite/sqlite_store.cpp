// The SQLite Store; see sqlite_store.hpp. Every public call takes the mutex, then runs cached
// statements; writes that touch several rows run in one BEGIN IMMEDIATE transaction.
#include <algorithm>
#include <utility>

#include "store/migrations.hpp"
#include "store/sqlite/sqlite_handle.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "store/store_rules.hpp"

namespace natter::store::sqlite {
namespace {

constexpr int kBusyTimeoutMs = 5000;        // rides out another instance's migration or checkpoint
constexpr std::size_t kIdsPerDelete = 500;  // well under SQLite's bound-parameter limit

constexpr std::string_view kMessageColumns =
    "id, cache_id, owner_id, username, channel, message, authored_at";
#define NATTER_BAN_SELECT                                                                 \
  "SELECT b.id, b.owner_id, b.banished_id, coalesce(u.username, ''), b.reason, b.start, " \
  "b.\"end\", b.duration_hours, b.pardoned FROM bans b LEFT JOIN users u ON u.id = b.banished_id "

Error not_found(std::string message) { return Error{Error::Kind::not_found, std::move(message)}; }

Error renamed_conflict(Error error) {
  if (error.kind == Error::Kind::conflict) error.message = "channel name already exists";
  return error;
}

chat::ChatMessage read_message(const Statement& row) {
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

chat::PrivateMessage read_private(const Statement& row) {
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

chat::BanRecord read_ban(const Statement& row) {
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
std::string fts_query(const std::vector<std::string>& tokens) {
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

std::string placeholders(std::size_t count) {
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
  for (const char* pragma :
       {"PRAGMA journal_mode = WAL", "PRAGMA synchronous = NORMAL", "PRAGMA foreign_keys = ON"}) {
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

// --- channels -------------------------------------------------------------------------

Result<std::vector<chat::Channel>> SqliteStore::list_channels() {
  auto statement =
      cached("SELECT id, name, description, sort_order FROM channels ORDER BY sort_order, id");
  if (!statement) return statement.error();
  return collect<chat::Channel>(*statement, [](const Statement& row) {
    return chat::Channel{row.int64(0), row.text(1), row.text(2), row.int64(3)};
  });
}

Result<std::vector<chat::Channel>> SqliteStore::channels() {
  std::lock_guard lock(mutex_);
  return list_channels();
}

Result<chat::Channel> SqliteStore::create_channel(const std::string& name,
                                                  const std::string& description) {
  std::lock_guard lock(mutex_);
  auto insert = cached(
      "INSERT INTO channels (name, description, sort_order) "
      "VALUES (?, ?, (SELECT coalesce(max(sort_order), 0) + 1 FROM channels)) "
      "RETURNING id, sort_order");
  if (!insert) return insert.error();
  insert->bind(1, name).bind(2, description);
  auto row = insert->step();
  if (!row) return renamed_conflict(row.error());
  return chat::Channel{insert->int64(0), name, description, insert->int64(1)};
}

Status SqliteStore::update_channel(const chat::ChannelUpdate& update) {
  std::lock_guard lock(mutex_);
  auto statement = cached(
      "UPDATE channels SET name = coalesce(?1, name), description = coalesce(?2, description) "
      "WHERE id = ?3");
  if (!statement) return statement.error();
  if (update.name) {
    statement->bind(1, *update.name);
  } else {
    statement->bind_null(1);
  }
  if (update.description) {
    statement->bind(2, *update.description);
  } else {
    statement->bind_null(2);
  }
  statement->bind(3, update.id);
  if (auto s = statement->run(); !s) return renamed_conflict(s.error());
  if (statement->changes() == 0) return not_found("no channel with that id");
  return ok_status();
}

Status SqliteStore::reorder_channel(std::int64_t id, std::optional<std::int64_t> before_id) {
  std::lock_guard lock(mutex_);
  return in_transaction([&]() -> Status {
    auto all = list_channels();
    if (!all) return all.error();
    auto& list = *all;
    auto moved = std::find_if(list.begin(), list.end(), [&](const auto& c) { return c.id == id; });
    if (moved == list.end()) return not_found("no channel with that id");
    if (before_id &&
        std::none_of(list.begin(), list.end(), [&](const auto& c) { return c.id == *before_id; })) {
      return not_found("no channel with the before_id");
    }
    if (before_id == id) return ok_status();
    const chat::Channel channel = *moved;
    list.erase(moved);
    auto at = before_id ? std::find_if(list.begin(), list.end(),
                                       [&](const auto& c) { return c.id == *before_id; })
                        : list.end();
    list.insert(at, channel);
    std::int64_t order = 1;
    for (const auto& c : list) {
      auto update = cached("UPDATE channels SET sort_order = ? WHERE id = ?");
      if (!update) return update.error();
      update->bind(1, order++).bind(2, c.id);
      if (auto s = update->run(); !s) return s;
    }
    return ok_status();
  });
}

Status SqliteStore::delete_channel(std::int64_t id, bool purge) {
  std::lock_guard lock(mutex_);
  return in_transaction([&]() -> Status {
    auto find = cached("SELECT name FROM channels WHERE id = ?");
    if (!find) return find.error();
    find->bind(1, id);
    auto row = find->step();
    if (!row) return row.error();
    if (!*row) return not_found("no channel with that id");
    const std::string name = find->text(0);
    if (purge) {
      auto messages = cached("DELETE FROM chat_messages WHERE channel = ?");
      if (!messages) return messages.error();
      messages->bind(1, name);
      if (auto s = messages->run(); !s) return s;
    }
    auto remove = cached("DELETE FROM channels WHERE id = ?");
    if (!remove) return remove.error();
    remove->bind(1, id);
    return remove->run();
  });
}

Result<std::vector<chat::Channel>> SqliteStore::seed_channels(
    const std::vector<std::string>& names) {
  std::lock_guard lock(mutex_);
  auto seeded = in_transaction([&]() -> Status {
    auto count = cached("SELECT count(*) FROM channels");
    if (!count) return count.error();
    auto row = count->step();
    if (!row) return row.error();
    if (count->int64(0) != 0) return ok_status();
    std::int64_t next = 1;
    for (const auto& name : names) {
      auto insert = cached(
          "INSERT INTO channels (id, name, description, sort_order) VALUES (?1, ?2, '', ?1) "
          "ON CONFLICT (name) DO NOTHING");
      if (!insert) return insert.error();
      insert->bind(1, next).bind(2, name);
      if (auto s = insert->run(); !s) return s;
      next += insert->changes();
    }
    return ok_status();
  });
  if (!seeded) return seeded.error();
  return list_channels();
}

// --- user directory --------------------------------------------------------------------

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

// --- messages --------------------------------------------------------------------------

Result<chat::Store::InsertOutcome> SqliteStore::insert_messages(
    std::span<const chat::ChatMessage> public_messages,
    std::span<const chat::PrivateMessage> private_messages) {
  std::lock_guard lock(mutex_);
  // A row the database refuses (a constraint) is rejected alone; anything else (busy, I/O)
  // fails the whole batch so the caller retries it.
  auto refused_alone = [](const Error& e) {
    return e.kind == Error::Kind::conflict || e.kind == Error::Kind::invalid;
  };
  return in_transaction([&]() -> Result<InsertOutcome> {
    InsertOutcome outcome;
    for (const auto& m : public_messages) {
      if (!storable(m)) {
        outcome.rejected_public.push_back(m.cache_id);
        continue;
      }
      auto insert = cached(
          "INSERT INTO chat_messages (cache_id, owner_id, username, channel, message, "
          "authored_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (cache_id) DO NOTHING");
      if (!insert) return insert.error();
      insert->bind(1, m.cache_id)
          .bind(2, m.owner_id)
          .bind(3, m.username)
          .bind(4, m.channel)
          .bind(5, m.message)
          .bind(6, to_micros(m.authored_at));
      if (auto s = insert->run(); !s) {
        if (!refused_alone(s.error())) return s.error();
        outcome.rejected_public.push_back(m.cache_id);
      }
    }
    for (const auto& m : private_messages) {
      if (!storable(m)) {
        outcome.rejected_private.push_back(m.cache_id);
        continue;
      }
      auto insert = cached(
          "INSERT INTO private_messages (cache_id, owner_id, username, recipient_id, recipient, "
          "message, authored_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (cache_id) DO NOTHING");
      if (!insert) return insert.error();
      insert->bind(1, m.cache_id)
          .bind(2, m.owner_id)
          .bind(3, m.username)
          .bind(4, m.recipient_id)
          .bind(5, m.recipient)
          .bind(6, m.message)
          .bind(7, to_micros(m.authored_at));
      if (auto s = insert->run(); !s) {
        if (!refused_alone(s.error())) return s.error();
        outcome.rejected_private.push_back(m.cache_id);
      }
    }
    return outcome;
  });
}

Result<chat::StoredIds> SqliteStore::stored_ids() {
  std::lock_guard lock(mutex_);
  auto statement = cached(
      "SELECT (SELECT coalesce(max(cache_id), 0) FROM chat_messages), "
      "(SELECT coalesce(max(cache_id), 0) FROM private_messages)");
  if (!statement) return statement.error();
  auto row = statement->step();
  if (!row) return row.error();
  return chat::StoredIds{statement->int64(0), statement->int64(1)};
}

Result<std::vector<chat::ChatMessage>> SqliteStore::public_after(std::int64_t since,
                                                                 std::int64_t limit) {
  std::lock_guard lock(mutex_);
  auto statement = cached(
      "SELECT id, cache_id, owner_id, username, channel, message, authored_at "
      "FROM chat_messages WHERE cache_id > ? ORDER BY cache_id LIMIT ?");
  if (!statement) return statement.error();
  statement->bind(1, since).bind(2, limit);
  return collect<chat::ChatMessage>(*statement, read_message);
}

Result<std::vector<chat::PrivateMessage>> SqliteStore::recent_private(const std::string& user_id,
                                                                      std::int64_t limit) {
  std::lock_guard lock(mutex_);
  auto statement = cached(
      "SELECT id, cache_id, owner_id, username, recipient_id, recipient, message, authored_at "
      "FROM private_messages WHERE owner_id = ?1 OR recipient_id = ?1 "
      "ORDER BY cache_id DESC LIMIT ?2");
  if (!statement) return statement.error();
  statement->bind(1, user_id).bind(2, limit);
  auto rows = collect<chat::PrivateMessage>(*statement, read_private);
  if (rows) std::reverse(rows->begin(), rows->end());
  return rows;
}

Result<chat::Page<chat::ChatMessage>> SqliteStore::search_messages(
    const chat::MessageQuery& query) {
  // Checked and capped by CheckedStore: a keyword reaching here has words.
  const auto tokens = keyword_tokens(query.keyword);
  const bool by_keyword = has_keyword(query.keyword);
  const std::int64_t limit = query.limit;

  std::string sql = "SELECT ";
  sql += kMessageColumns;
  sql += " FROM chat_messages WHERE 1 = 1";
  if (!query.channels.empty())
    sql += " AND channel IN (" + placeholders(query.channels.size()) + ")";
  if (!query.user_id.empty()) sql += " AND owner_id = ?";
  if (by_keyword) {
    sql += " AND id IN (SELECT rowid FROM chat_messages_fts WHERE chat_messages_fts MATCH ?)";
  }
  sql += " ORDER BY cache_id DESC LIMIT ? OFFSET ?";

  std::lock_guard lock(mutex_);
  auto statement = one_off(sql);
  if (!statement) return statement.error();
  int index = 1;
  for (const auto& channel : query.channels) statement->bind(index++, channel);
  if (!query.user_id.empty()) statement->bind(index++, query.user_id);
  if (by_keyword) statement->bind(index++, fts_query(tokens));
  statement->bind(index, limit + 1).bind(index + 1, query.offset);
  auto rows = collect<chat::ChatMessage>(*statement, read_message);
  if (!rows) return rows.error();
  return page_of(std::move(*rows), limit);
}

Result<std::vector<std::int64_t>> SqliteStore::delete_messages(std::span<const std::int64_t> ids) {
  std::lock_guard lock(mutex_);
  auto deleted = in_transaction([&]() -> Result<std::vector<std::int64_t>> {
    std::vector<std::int64_t> cache_ids;
    for (std::size_t first = 0; first < ids.size(); first += kIdsPerDelete) {
      const auto chunk = ids.subspan(first, std::min(kIdsPerDelete, ids.size() - first));
      auto statement = one_off("DELETE FROM chat_messages WHERE id IN (" +
                               placeholders(chunk.size()) + ") RETURNING cache_id");
      if (!statement) return statement.error();
      for (std::size_t i = 0; i < chunk.size(); ++i) {
        statement->bind(static_cast<int>(i + 1), chunk[i]);
      }
      auto rows =
          collect<std::int64_t>(*statement, [](const Statement& row) { return row.int64(0); });
      if (!rows) return rows.error();
      cache_ids.insert(cache_ids.end(), rows->begin(), rows->end());
    }
    return cache_ids;
  });
  if (deleted) std::sort(deleted->begin(), deleted->end());
  return deleted;
}

Result<std::vector<chat::ChannelCount>> SqliteStore::message_counts() {
  std::lock_guard lock(mutex_);
  auto statement = cached(
      "SELECT c.name, (SELECT count(*) FROM chat_messages m WHERE m.channel = c.name) "
      "FROM channels c ORDER BY c.sort_order, c.id");
  if (!statement) return statement.error();
  return collect<chat::ChannelCount>(*statement, [](const Statement& row) {
    return chat::ChannelCount{row.text(0), row.int64(1)};
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

// --- bans ------------------------------------------------------------------------------

Result<chat::BanRecord> SqliteStore::ban_by_id(std::int64_t id) {
  auto statement = cached(NATTER_BAN_SELECT "WHERE b.id = ?");
  if (!statement) return statement.error();
  statement->bind(1, id);
  auto row = statement->step();
  if (!row) return row.error();
  if (!*row) return not_found("no ban with that id");
  return read_ban(*statement);
}

Result<chat::BanRecord> SqliteStore::ban(const chat::NewBan& ban) {
  const bool timed = ban.duration_hours && *ban.duration_hours > 0;
  std::lock_guard lock(mutex_);
  auto insert = cached(
      "INSERT INTO bans (owner_id, banished_id, reason, start, \"end\", duration_hours) "
      "VALUES (?, ?, ?, ?, ?, ?) RETURNING id");
  if (!insert) return insert.error();
  insert->bind(1, ban.owner_id).bind(2, ban.banished_id).bind(3, ban.reason);
  insert->bind(4, to_micros(ban.start));
  if (timed) {
    const auto end = ban.start + std::chrono::hours{*ban.duration_hours};
    insert->bind(5, to_micros(end)).bind(6, *ban.duration_hours);
  } else {
    insert->bind_null(5).bind_null(6);
  }
  auto row = insert->step();
  if (!row) return row.error();
  const std::int64_t id = insert->int64(0);
  insert->run();
  return ban_by_id(id);
}

Result<chat::BanRecord> SqliteStore::pardon(std::int64_t ban_id) {
  std::lock_guard lock(mutex_);
  auto update = cached("UPDATE bans SET pardoned = 1 WHERE id = ?");
  if (!update) return update.error();
  update->bind(1, ban_id);
  if (auto s = update->run(); !s) return s.error();
  if (update->changes() == 0) return not_found("no ban with that id");
  return ban_by_id(ban_id);
}

Result<std::optional<chat::BanRecord>> SqliteStore::active_ban(const std::string& user_id,
                                                               chat::TimePoint now) {
  std::lock_guard lock(mutex_);
  auto statement = cached(NATTER_BAN_SELECT
                          "WHERE b.banished_id = ? AND b.pardoned = 0 "
                          "AND (b.\"end\" IS NULL OR b.\"end\" > ?) ORDER BY b.id DESC LIMIT 1");
  if (!statement) return statement.error();
  statement->bind(1, user_id).bind(2, to_micros(now));
  auto row = statement->step();
  if (!row) return row.error();
  if (!*row) return std::optional<chat::BanRecord>{};
  return std::optional<chat::BanRecord>{read_ban(*statement)};
}

Result<chat::Page<chat::BanRecord>> SqliteStore::ban_records(std::int64_t limit,
                                                             std::int64_t offset) {
  std::lock_guard lock(mutex_);
  auto statement = cached(NATTER_BAN_SELECT "ORDER BY b.id DESC LIMIT ? OFFSET ?");
  if (!statement) return statement.error();
  statement->bind(1, limit + 1).bind(2, offset);
  auto rows = collect<chat::BanRecord>(*statement, read_ban);
  if (!rows) return rows.error();
  chat::Page<chat::BanRecord> page{std::move(*rows), false};
  if (static_cast<std::int64_t>(page.items.size()) > limit) {
    page.items.pop_back();
    page.has_more = true;
  }
  return page;
}

// --- settings --------------------------------------------------------------------------

Result<chat::RateLimitRow> SqliteStore::rate_limit(const chat::RateLimitRow& seed) {
  std::lock_guard lock(mutex_);
  auto insert = cached(
      "INSERT INTO rate_limiter (id, owner_id, message_limit, window_seconds) "
      "VALUES (1, ?, ?, ?) ON CONFLICT (id) DO NOTHING");
  if (!insert) return insert.error();
  insert->bind(1, seed.owner_id).bind(2, seed.message_limit).bind(3, seed.window_seconds);
  if (auto s = insert->run(); !s) return s.error();
  auto select =
      cached("SELECT id, owner_id, message_limit, window_seconds FROM rate_limiter WHERE id = 1");
  if (!select) return select.error();
  auto row = select->step();
  if (!row) return row.error();
  return chat::RateLimitRow{select->int64(0), select->text(1), select->int64(2), select->int64(3)};
}

Status SqliteStore::set_rate_limit(const chat::RateLimitRow& limit) {
  std::lock_guard lock(mutex_);
  auto upsert = cached(
      "INSERT INTO rate_limiter (id, owner_id, message_limit, window_seconds) "
      "VALUES (1, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET owner_id = excluded.owner_id, "
      "message_limit = excluded.message_limit, window_seconds = excluded.window_seconds");
  if (!upsert) return upsert.error();
  upsert->bind(1, limit.owner_id).bind(2, limit.message_limit).bind(3, limit.window_seconds);
  return upsert->run();
}

Result<chat::ServerIdentity> SqliteStore::server_identity(const std::string& name) {
  std::lock_guard lock(mutex_);
  return in_transaction([&]() -> Result<chat::ServerIdentity> {
    auto select = cached("SELECT id FROM server_instances ORDER BY created_at, id LIMIT 1");
    if (!select) return select.error();
    auto row = select->step();
    if (!row) return row.error();
    chat::ServerIdentity identity{*row ? select->text(0) : random_uuid(), name};
    const bool exists = *row;
    select->run();
    auto write =
        exists ? cached("UPDATE server_instances SET name = ?2 WHERE id = ?1")
               : cached("INSERT INTO server_instances (id, name, created_at) VALUES (?1, ?2, ?3)");
    if (!write) return write.error();
    write->bind(1, identity.id).bind(2, name);
    if (!exists) write->bind(3, to_micros(chat::now_micros()));
    if (auto s = write->run(); !s) return s.error();
    return identity;
  });
}

#undef NATTER_BAN_SELECT

}  // namespace natter::store::sqlite
