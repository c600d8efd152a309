// The PostgreSQL Store; see postgres_store.hpp. Times cross the wire as integer microseconds
// (natter_ts / natter_us in the schema), every value is a bound parameter, and multi-statement
// writes run in one transaction on one leased connection.
#include <algorithm>
#include <chrono>
#include <utility>

#include "store/migrations.hpp"
#include "store/postgres/connection_pool.hpp"
#include "store/postgres/pg_connection.hpp"
#include "store/postgres/postgres_store.hpp"
#include "store/store_rules.hpp"

namespace natter::store::postgres {
namespace {

constexpr auto kAcquireTimeout = std::chrono::seconds(10);  // a stuck pool is an outage
constexpr std::size_t kRowsPerInsert = 500;  // 3,500 parameters, far below libpq's 65,535
constexpr std::size_t kIdsPerDelete = 1000;
// Any fixed key shared by every natter instance: serialises their migrations.
constexpr const char* kMigrationLock = "SELECT pg_advisory_xact_lock(7415993140386215001)";

#define NATTER_BAN_COLUMNS                                                       \
  "SELECT b.id, b.owner_id, b.banished_id, coalesce(u.username, ''), b.reason, " \
  "natter_us(b.start), natter_us(b.\"end\"), b.duration_hours, b.pardoned "
constexpr const char* kBanSelect =
    NATTER_BAN_COLUMNS "FROM bans b LEFT JOIN users u ON u.id = b.banished_id ";
// For a data-modifying CTE named `changed`: the rows it just wrote, with their usernames.
constexpr const char* kChangedBanSelect =
    NATTER_BAN_COLUMNS "FROM changed b LEFT JOIN users u ON u.id = b.banished_id";
#undef NATTER_BAN_COLUMNS
constexpr const char* kMessageSelect =
    "SELECT id, cache_id, owner_id, username, channel, message, natter_us(authored_at) "
    "FROM chat_messages ";
constexpr const char* kPrivateSelect =
    "SELECT id, cache_id, owner_id, username, recipient_id, recipient, message, "
    "natter_us(authored_at) FROM private_messages ";

Error not_found(std::string message) { return Error{Error::Kind::not_found, std::move(message)}; }

Error renamed_conflict(Error error) {
  if (error.kind == Error::Kind::conflict) error.message = "channel name already exists";
  return error;
}

Status status_of(const Result<Rows>& rows) {
  if (!rows) return rows.error();
  return ok_status();
}

chat::ChatMessage read_message(const Rows& rows, int r) {
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

chat::PrivateMessage read_private(const Rows& rows, int r) {
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

chat::BanRecord read_ban(const Rows& rows, int r) {
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
std::vector<Row> collect(const Rows& rows, Read read) {
  std::vector<Row> out;
  out.reserve(static_cast<std::size_t>(rows.size()));
  for (int r = 0; r < rows.size(); ++r) out.push_back(read(rows, r));
  return out;
}

// "$first, $first+1, ..." for `count` parameters.
std::string placeholders(int first, std::size_t count) {
  std::string text;
  for (std::size_t i = 0; i < count; ++i) {
    if (i != 0) text += ", ";
    text += '$' + std::to_string(first + static_cast<int>(i));
  }
  return text;
}

// Runs `body` between BEGIN and COMMIT on `c`; rolls back when it fails.
template <typename Body>
auto in_transaction(Connection& c, Body&& body) -> decltype(body()) {
  if (auto begun = c.exec("BEGIN"); !begun) return begun.error();
  auto result = body();
  if (result) {
    if (auto committed = c.exec("COMMIT"); !committed) return committed.error();
  } else {
    c.exec("ROLLBACK");
  }
  return result;
}

std::string public_insert_sql(std::size_t rows) {
  std::string sql =
      "INSERT INTO chat_messages (cache_id, owner_id, username, channel, message, authored_at) "
      "VALUES ";
  for (std::size_t i = 0; i < rows; ++i) {
    const int p = static_cast<int>(i * 6);
    if (i != 0) sql += ", ";
    sql += '(' + placeholders(p + 1, 5) + ", natter_ts($" + std::to_string(p + 6) + "))";
  }
  return sql + " ON CONFLICT (cache_id) DO NOTHING";
}

std::string private_insert_sql(std::size_t rows) {
  std::string sql =
      "INSERT INTO private_messages (cache_id, owner_id, username, recipient_id, recipient, "
      "message, authored_at) VALUES ";
  for (std::size_t i = 0; i < rows; ++i) {
    const int p = static_cast<int>(i * 7);
    if (i != 0) sql += ", ";
    sql += '(' + placeholders(p + 1, 6) + ", natter_ts($" + std::to_string(p + 7) + "))";
  }
  return sql + " ON CONFLICT (cache_id) DO NOTHING";
}

void add_row(Params& params, const chat::ChatMessage& m) {
  params.add(m.cache_id).add(m.owner_id).add(m.username).add(m.channel).add(m.message);
  params.add(to_micros(m.authored_at));
}

void add_row(Params& params, const chat::PrivateMessage& m) {
  params.add(m.cache_id).add(m.owner_id).add(m.username).add(m.recipient_id).add(m.recipient);
  params.add(m.message).add(to_micros(m.authored_at));
}

// Inserts the storable rows of a batch in multi-row statements; on the caller's transaction.
template <typename Message>
Status insert_all(Connection& c, const std::vector<const Message*>& rows,
                  std::string (*sql_for)(std::size_t)) {
  for (std::size_t first = 0; first < rows.size(); first += kRowsPerInsert) {
    const std::size_t count = std::min(kRowsPerInsert, rows.size() - first);
    Params params;
    for (std::size_t i = 0; i < count; ++i) add_row(params, *rows[first + i]);
    if (auto s = status_of(c.exec_params(sql_for(count), params)); !s) return s;
  }
  return ok_status();
}

// Inserts rows one by one outside any transaction, so one refused row does not hold back the
// others. Returns the cache ids refused; fails only when the database itself is unavailable.
template <typename Message>
Result<std::vector<std::int64_t>> insert_each(Connection& c,
                                              const std::vector<const Message*>& rows,
                                              std::string (*sql_for)(std::size_t)) {
  std::vector<std::int64_t> refused;
  const std::string sql = sql_for(1);
  for (const Message* row : rows) {
    Params params;
    add_row(params, *row);
    auto inserted = c.exec_params(sql, params);
    if (inserted) continue;
    if (inserted.error().kind == Error::Kind::unavailable) return inserted.error();
    refused.push_back(row->cache_id);
  }
  return refused;
}

}  // namespace

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

template <typename Work>
auto PostgresStore::with_connection(Work&& work) -> decltype(work(std::declval<Connection&>())) {
  for (int attempt = 0;; ++attempt) {
    auto lease = pool_->acquire();
    if (!lease) return lease.error();
    auto result = work(**lease);
    if (result || attempt > 0 || (**lease).healthy()) return result;
  }
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

// --- channels -------------------------------------------------------------------------

Result<std::vector<chat::Channel>> PostgresStore::channels() {
  return with_connection([&](Connection& c) -> Result<std::vector<chat::Channel>> {
    auto rows = c.exec(
        "SELECT id, name, description, sort_order FROM channels "
        "ORDER BY sort_order, id");
    if (!rows) return rows.error();
    return collect<chat::Channel>(*rows, [](const Rows& rs, int r) {
      return chat::Channel{rs.int64(r, 0), rs.text(r, 1), rs.text(r, 2), rs.int64(r, 3)};
    });
  });
}

Result<chat::Channel> PostgresStore::create_channel(const std::string& name,
                                                    const std::string& description) {
  return with_connection([&](Connection& c) -> Result<chat::Channel> {
    auto rows = c.exec_params(
        "INSERT INTO channels (name, description, sort_order) "
        "VALUES ($1, $2, (SELECT coalesce(max(sort_order), 0) + 1 FROM channels)) "
        "RETURNING id, sort_order",
        Params().add(name).add(description));
    if (!rows) return renamed_conflict(rows.error());
    return chat::Channel{rows->int64(0, 0), name, description, rows->int64(0, 1)};
  });
}

Status PostgresStore::update_channel(const chat::ChannelUpdate& update) {
  return with_connection([&](Connection& c) -> Status {
    Params params;
    if (update.name) {
      params.add(*update.name);
    } else {
      params.add_null();
    }
    if (update.description) {
      params.add(*update.description);
    } else {
      params.add_null();
    }
    params.add(update.id);
    auto rows = c.exec_params(
        "UPDATE channels SET name = coalesce($1, name), description = coalesce($2, description) "
        "WHERE id = $3",
        params);
    if (!rows) return renamed_conflict(rows.error());
    if (rows->affected() == 0) return not_found("no channel with that id");
    return ok_status();
  });
}

Status PostgresStore::reorder_channel(std::int64_t id, std::optional<std::int64_t> before_id) {
  return with_connection([&](Connection& c) -> Status {
    return in_transaction(c, [&]() -> Status {
      auto rows = c.exec("SELECT id FROM channels ORDER BY sort_order, id FOR UPDATE");
      if (!rows) return rows.error();
      auto order =
          collect<std::int64_t>(*rows, [](const Rows& rs, int r) { return rs.int64(r, 0); });
      auto moved = std::find(order.begin(), order.end(), id);
      if (moved == order.end()) return not_found("no channel with that id");
      if (before_id && std::find(order.begin(), order.end(), *before_id) == order.end()) {
        return not_found("no channel with the before_id");
      }
      if (before_id == id) return ok_status();
      order.erase(moved);
      order.insert(before_id ? std::find(order.begin(), order.end(), *before_id) : order.end(), id);
      std::int64_t position = 1;
      for (const auto channel : order) {
        auto updated = c.exec_params("UPDATE channels SET sort_order = $1 WHERE id = $2",
                                     Params().add(position++).add(channel));
        if (!updated) return updated.error();
      }
      return ok_status();
    });
  });
}

Status PostgresStore::delete_channel(std::int64_t id, bool purge) {
  return with_connection([&](Connection& c) -> Status {
    return in_transaction(c, [&]() -> Status {
      auto found =
          c.exec_params("SELECT name FROM channels WHERE id = $1 FOR UPDATE", Params().add(id));
      if (!found) return found.error();
      if (found->size() == 0) return not_found("no channel with that id");
      if (purge) {
        auto purged = c.exec_params("DELETE FROM chat_messages WHERE channel = $1",
                                    Params().add(found->text(0, 0)));
        if (!purged) return purged.error();
      }
      return status_of(c.exec_params("DELETE FROM channels WHERE id = $1", Params().add(id)));
    });
  });
}

Result<std::vector<chat::Channel>> PostgresStore::seed_channels(
    const std::vector<std::string>& names) {
  auto seeded = with_connection([&](Connection& c) -> Status {
    return in_transaction(c, [&]() -> Status {
      if (auto s = status_of(c.exec("LOCK TABLE channels IN SHARE ROW EXCLUSIVE MODE")); !s) {
        return s;
      }
      auto count = c.exec("SELECT count(*) FROM channels");
      if (!count) return count.error();
      if (count->int64(0, 0) != 0) return ok_status();
      std::int64_t next = 1;
      for (const auto& name : names) {
        auto inserted = c.exec_params(
            "INSERT INTO channels (id, name, description, sort_order) VALUES ($1, $2, '', $1) "
            "ON CONFLICT (name) DO NOTHING",
            Params().add(next).add(name));
        if (!inserted) return inserted.error();
        next += inserted->affected();
      }
      if (next == 1) return ok_status();
      return status_of(
          c.exec("SELECT setval(pg_get_serial_sequence('channels', 'id'), (SELECT max(id) FROM "
                 "channels))"));
    });
  });
  if (!seeded) return seeded.error();
  return channels();
}

// --- user directory --------------------------------------------------------------------

Status PostgresStore::upsert_user(const std::string& id, const std::string& username,
                                  chat::TimePoint seen_at) {
  return with_connection([&](Connection& c) -> Status {
    return status_of(
        c.exec_params("INSERT INTO users (id, username, first_seen, last_seen) "
                      "VALUES ($1, $2, natter_ts($3), natter_ts($3)) "
                      "ON CONFLICT (id) DO UPDATE SET username = excluded.username, "
                      "last_seen = greatest(users.last_seen, excluded.last_seen)",
                      Params().add(id).add(username).add(to_micros(seen_at))));
  });
}

Result<std::optional<std::string>> PostgresStore::username_of(const std::string& id) {
  return with_connection([&](Connection& c) -> Result<std::optional<std::string>> {
    auto rows = c.exec_params("SELECT username FROM users WHERE id = $1", Params().add(id));
    if (!rows) return rows.error();
    if (rows->size() == 0) return std::optional<std::string>{};
    return std::optional<std::string>{rows->text(0, 0)};
  });
}

Result<std::vector<chat::UserRecord>> PostgresStore::search_users(const std::string& fragment,
                                                                  std::int64_t limit) {
  return with_connection([&](Connection& c) -> Result<std::vector<chat::UserRecord>> {
    auto rows = c.exec_params(
        "SELECT u.id, u.username, EXISTS (SELECT 1 FROM bans b WHERE b.banished_id = u.id "
        "AND NOT b.pardoned AND (b.\"end\" IS NULL OR b.\"end\" > natter_ts($1))) "
        "FROM users u WHERE strpos(lower(u.username), lower($2)) > 0 "
        "ORDER BY u.username = $2 DESC, u.username COLLATE \"C\", u.id COLLATE \"C\" LIMIT $3",
        Params().add(to_micros(chat::now_micros())).add(fragment).add(limit));
    if (!rows) return rows.error();
    return collect<chat::UserRecord>(*rows, [](const Rows& rs, int r) {
      return chat::UserRecord{rs.text(r, 0), rs.text(r, 1), rs.boolean(r, 2)};
    });
  });
}

// --- messages --------------------------------------------------------------------------

Result<chat::Store::InsertOutcome> PostgresStore::insert_messages(
    std::span<const chat::ChatMessage> public_messages,
    std::span<const chat::PrivateMessage> private_messages) {
  InsertOutcome outcome;
  std::vector<const chat::ChatMessage*> public_rows;
  std::vector<const chat::PrivateMessage*> private_rows;
  for (const auto& m : public_messages) {
    if (storable(m)) {
      public_rows.push_back(&m);
    } else {
      outcome.rejected_public.push_back(m.cache_id);
    }
  }
  for (const auto& m : private_messages) {
    if (storable(m)) {
      private_rows.push_back(&m);
    } else {
      outcome.rejected_private.push_back(m.cache_id);
    }
  }
  if (public_rows.empty() && private_rows.empty()) return outcome;

  return with_connection([&](Connection& c) -> Result<InsertOutcome> {
    auto batch = in_transaction(c, [&]() -> Status {
      if (auto s = insert_all(c, public_rows, public_insert_sql); !s) return s;
      return insert_all(c, private_rows, private_insert_sql);
    });
    if (batch) return outcome;
    if (batch.error().kind == Error::Kind::unavailable) return batch.error();
    auto refused_public = insert_each(c, public_rows, public_insert_sql);
    if (!refused_public) return refused_public.error();
    auto refused_private = insert_each(c, private_rows, private_insert_sql);
    if (!refused_private) return refused_private.error();
    InsertOutcome retried = outcome;
    retried.rejected_public.insert(retried.rejected_public.end(), refused_public->begin(),
                                   refused_public->end());
    retried.rejected_private.insert(retried.rejected_private.end(), refused_private->begin(),
                                    refused_private->end());
    return retried;
  });
}

Result<chat::StoredIds> PostgresStore::stored_ids() {
  return with_connection([&](Connection& c) -> Result<chat::StoredIds> {
    auto rows = c.exec(
        "SELECT (SELECT coalesce(max(cache_id), 0) FROM chat_messages), "
        "(SELECT coalesce(max(cache_id), 0) FROM private_messages)");
    if (!rows) return rows.error();
    return chat::StoredIds{rows->int64(0, 0), rows->int64(0, 1)};
  });
}

Result<std::vector<chat::ChatMessage>> PostgresStore::public_after(std::int64_t since,
                                                                   std::int64_t limit) {
  return with_connection([&](Connection& c) -> Result<std::vector<chat::ChatMessage>> {
    auto rows = c.exec_params(
        std::string(kMessageSelect) + "WHERE cache_id > $1 ORDER BY cache_id LIMIT $2",
        Params().add(since).add(limit));
    if (!rows) return rows.error();
    return collect<chat::ChatMessage>(*rows, read_message);
  });
}

Result<std::vector<chat::PrivateMessage>> PostgresStore::recent_private(const std::string& user_id,
                                                                        std::int64_t limit) {
  return with_connection([&](Connection& c) -> Result<std::vector<chat::PrivateMessage>> {
    auto rows = c.exec_params(std::string(kPrivateSelect) +
                                  "WHERE owner_id = $1 OR recipient_id = $1 "
                                  "ORDER BY cache_id DESC LIMIT $2",
                              Params().add(user_id).add(limit));
    if (!rows) return rows.error();
    auto messages = collect<chat::PrivateMessage>(*rows, read_private);
    std::reverse(messages.begin(), messages.end());
    return messages;
  });
}

Result<chat::Page<chat::ChatMessage>> PostgresStore::search_messages(
    const chat::MessageQuery& query) {
  // Checked and capped by CheckedStore: a keyword reaching here has words.
  const auto tokens = keyword_tokens(query.keyword);
  const bool by_keyword = has_keyword(query.keyword);
  const std::int64_t limit = query.limit;

  std::string sql = std::string(kMessageSelect) + "WHERE true";
  Params params;
  if (!query.channels.empty()) {
    sql += " AND channel IN (" + placeholders(params.size() + 1, query.channels.size()) + ")";
    for (const auto& channel : query.channels) params.add(channel);
  }
  if (!query.user_id.empty()) {
    params.add(query.user_id);
    sql += " AND owner_id = $" + std::to_string(params.size());
  }
  if (by_keyword) {
    std::string words;
    for (const auto& token : tokens) words += (words.empty() ? "" : " ") + token;
    params.add(words);
    sql +=
        " AND search_vector @@ plainto_tsquery('simple', $" + std::to_string(params.size()) + ")";
  }
  params.add(limit + 1).add(query.offset);
  sql += " ORDER BY cache_id DESC LIMIT $" + std::to_string(params.size() - 1) + " OFFSET $" +
         std::to_string(params.size());

  return with_connection([&](Connection& c) -> Result<chat::Page<chat::ChatMessage>> {
    auto rows = c.exec_params(sql, params);
    if (!rows) return rows.error();
    return page_of(collect<chat::ChatMessage>(*rows, read_message), limit);
  });
}

Result<std::vector<std::int64_t>> PostgresStore::delete_messages(
    std::span<const std::int64_t> ids) {
  if (ids.empty()) return std::vector<std::int64_t>{};
  auto deleted = with_connection([&](Connection& c) -> Result<std::vector<std::int64_t>> {
    return in_transaction(c, [&]() -> Result<std::vector<std::int64_t>> {
      std::vector<std::int64_t> cache_ids;
      for (std::size_t first = 0; first < ids.size(); first += kIdsPerDelete) {
        const auto chunk = ids.subspan(first, std::min(kIdsPerDelete, ids.size() - first));
        std::string array = "{";
        for (std::size_t i = 0; i < chunk.size(); ++i) {
          array += (i == 0 ? "" : ",") + std::to_string(chunk[i]);
        }
        array += '}';
        auto rows = c.exec_params(
            "DELETE FROM chat_messages WHERE id = ANY($1::bigint[]) RETURNING cache_id",
            Params().add(array));
        if (!rows) return rows.error();
        for (int r = 0; r < rows->size(); ++r) cache_ids.push_back(rows->int64(r, 0));
      }
      return cache_ids;
    });
  });
  if (deleted) std::sort(deleted->begin(), deleted->end());
  return deleted;
}

Result<std::vector<chat::ChannelCount>> PostgresStore::message_counts() {
  return with_connection([&](Connection& c) -> Result<std::vector<chat::ChannelCount>> {
    auto rows = c.exec(
        "SELECT c.name, count(m.id) FROM channels c "
        "LEFT JOIN chat_messages m ON m.channel = c.name "
        "GROUP BY c.id ORDER BY c.sort_order, c.id");
    if (!rows) return rows.error();
    return collect<chat::ChannelCount>(*rows, [](const Rows& rs, int r) {
      return chat::ChannelCount{rs.text(r, 0), rs.int64(r, 1)};
    });
  });
}

// --- sessions --------------------------------------------------------------------------

Result<std::int64_t> PostgresStore::open_session(const std::string& user_id, chat::TimePoint start,
                                                 const std::string& server_id) {
  return with_connection([&](Connection& c) -> Result<std::int64_t> {
    auto rows = c.exec_params(
        "INSERT INTO sessions (user_id, start, server_id) VALUES ($1, natter_ts($2), $3) "
        "RETURNING id",
        Params().add(user_id).add(to_micros(start)).add(server_id));
    if (!rows) return rows.error();
    return rows->int64(0, 0);
  });
}

Status PostgresStore::close_session(std::int64_t session_id, chat::TimePoint end) {
  return with_connection([&](Connection& c) -> Status {
    auto rows = c.exec_params(
        "UPDATE sessions SET \"end\" = greatest(natter_ts($1), start), "
        "duration = greatest(natter_ts($1), start) - start WHERE id = $2",
        Params().add(to_micros(end)).add(session_id));
    if (!rows) return rows.error();
    if (rows->affected() == 0) return not_found("no session with that id");
    return ok_status();
  });
}

Status PostgresStore::close_open_sessions(chat::TimePoint now,
                                          const std::optional<std::string>& server_id) {
  return with_connection([&](Connection& c) -> Status {
    return status_of(
        c.exec_params("UPDATE sessions SET \"end\" = greatest(natter_ts($1), start), "
                      "duration = greatest(natter_ts($1), start) - start "
                      "WHERE \"end\" IS NULL AND ($2::text IS NULL OR server_id = $2::text)",
                      server_id ? Params().add(to_micros(now)).add(*server_id)
                                : Params().add(to_micros(now)).add_null()));
  });
}

Result<std::vector<chat::DayActivity>> PostgresStore::session_activity(const std::string& user_id,
                                                                       int days,
                                                                       chat::TimePoint now) {
  return with_connection([&](Connection& c) -> Result<std::vector<chat::DayActivity>> {
    auto rows = c.exec_params(
        "SELECT to_char(start AT TIME ZONE 'UTC', 'YYYY-MM-DD'), count(*), "
        "coalesce((extract(epoch FROM sum(duration)) * 1000000)::bigint, 0) "
        "FROM sessions WHERE start >= natter_ts($1) AND start < natter_ts($2) "
        "AND ($3::text = '' OR user_id = $3::text) GROUP BY 1 ORDER BY 1",
        Params()
            .add(activity_window_start(now, days))
            .add(activity_window_start(now, 1) + kMicrosPerDay)
            .add(user_id));
    if (!rows) return rows.error();
    return collect<chat::DayActivity>(*rows, [](const Rows& rs, int r) {
      return chat::DayActivity{rs.text(r, 0), rs.int64(r, 1), rs.int64(r, 2) / kMicrosPerSecond};
    });
  });
}

// --- bans ------------------------------------------------------------------------------

Result<chat::BanRecord> PostgresStore::ban(const chat::NewBan& ban) {
  const bool timed = ban.duration_hours && *ban.duration_hours > 0;
  Params params;
  params.add(ban.owner_id).add(ban.banished_id).add(ban.reason).add(to_micros(ban.start));
  if (timed) {
    params.add(to_micros(ban.start + std::chrono::hours{*ban.duration_hours}));
    params.add(*ban.duration_hours);
  } else {
    params.add_null().add_null();
  }
  return with_connection([&](Connection& c) -> Result<chat::BanRecord> {
    auto rows = c.exec_params(
        "WITH changed AS (INSERT INTO bans (owner_id, banished_id, reason, start, \"end\", "
        "duration_hours) VALUES ($1, $2, $3, natter_ts($4), natter_ts($5), $6) RETURNING *) " +
            std::string(kChangedBanSelect),
        params);
    if (!rows) return rows.error();
    return read_ban(*rows, 0);
  });
}

Result<chat::BanRecord> PostgresStore::pardon(std::int64_t ban_id) {
  return with_connection([&](Connection& c) -> Result<chat::BanRecord> {
    auto rows = c.exec_params(
        "WITH changed AS (UPDATE bans SET pardoned = true WHERE id = $1 RETURNING *) " +
            std::string(kChangedBanSelect),
        Params().add(ban_id));
    if (!rows) return rows.error();
    if (rows->size() == 0) return not_found("no ban with that id");
    return read_ban(*rows, 0);
  });
}

Result<std::optional<chat::BanRecord>> PostgresStore::active_ban(const std::string& user_id,
                                                                 chat::TimePoint now) {
  return with_connection([&](Connection& c) -> Result<std::optional<chat::BanRecord>> {
    auto rows = c.exec_params(std::string(kBanSelect) +
                                  "WHERE b.banished_id = $1 AND NOT b.pardoned "
                                  "AND (b.\"end\" IS NULL OR b.\"end\" > natter_ts($2)) "
                                  "ORDER BY b.id DESC LIMIT 1",
                              Params().add(user_id).add(to_micros(now)));
    if (!rows) return rows.error();
    if (rows->size() == 0) return std::optional<chat::BanRecord>{};
    return std::optional<chat::BanRecord>{read_ban(*rows, 0)};
  });
}

Result<chat::Page<chat::BanRecord>> PostgresStore::ban_records(std::int64_t limit,
                                                               std::int64_t offset) {
  return with_connection([&](Connection& c) -> Result<chat::Page<chat::BanRecord>> {
    auto rows = c.exec_params(std::string(kBanSelect) + "ORDER BY b.id DESC LIMIT $1 OFFSET $2",
                              Params().add(limit + 1).add(offset));
    if (!rows) return rows.error();
    chat::Page<chat::BanRecord> page{collect<chat::BanRecord>(*rows, read_ban), false};
    if (static_cast<std::int64_t>(page.items.size()) > limit) {
      page.items.pop_back();
      page.has_more = true;
    }
    return page;
  });
}

// --- settings --------------------------------------------------------------------------

Result<chat::RateLimitRow> PostgresStore::rate_limit(const chat::RateLimitRow& seed) {
  return with_connection([&](Connection& c) -> Result<chat::RateLimitRow> {
    auto inserted = c.exec_params(
        "INSERT INTO rate_limiter (id, owner_id, message_limit, window_seconds) "
        "VALUES (1, $1, $2, $3) ON CONFLICT (id) DO NOTHING",
        Params().add(seed.owner_id).add(seed.message_limit).add(seed.window_seconds));
    if (!inserted) return inserted.error();
    auto rows =
        c.exec("SELECT id, owner_id, message_limit, window_seconds FROM rate_limiter WHERE id = 1");
    if (!rows) return rows.error();
    return chat::RateLimitRow{rows->int64(0, 0), rows->text(0, 1), rows->int64(0, 2),
                              rows->int64(0, 3)};
  });
}

Status PostgresStore::set_rate_limit(const chat::RateLimitRow& limit) {
  return with_connection([&](Connection& c) -> Status {
    return status_of(c.exec_params(
        "INSERT INTO rate_limiter (id, owner_id, message_limit, window_seconds) "
        "VALUES (1, $1, $2, $3) ON CONFLICT (id) DO UPDATE SET owner_id = excluded.owner_id, "
        "message_limit = excluded.message_limit, window_seconds = excluded.window_seconds",
        Params().add(limit.owner_id).add(limit.message_limit).add(limit.window_seconds)));
  });
}

Result<chat::ServerIdentity> PostgresStore::server_identity(const std::string& name) {
  return with_connection([&](Connection& c) -> Result<chat::ServerIdentity> {
    return in_transaction(c, [&]() -> Result<chat::ServerIdentity> {
      if (auto s = status_of(c.exec("LOCK TABLE server_instances IN SHARE ROW EXCLUSIVE MODE"));
          !s) {
        return s.error();
      }
      auto rows = c.exec("SELECT id FROM server_instances ORDER BY created_at, id LIMIT 1");
      if (!rows) return rows.error();
      if (rows->size() == 0) {
        chat::ServerIdentity identity{random_uuid(), name};
        auto inserted = c.exec_params("INSERT INTO server_instances (id, name) VALUES ($1, $2)",
                                      Params().add(identity.id).add(name));
        if (!inserted) return inserted.error();
        return identity;
      }
      chat::ServerIdentity identity{rows->text(0, 0), name};
      auto updated = c.exec_params("UPDATE server_instances SET name = $2 WHERE id = $1",
                                   Params().add(identity.id).add(name));
      if (!updated) return updated.error();
      return identity;
    });
  });
}

Status drop_public_schema(const std::string& url) {
  auto connection = Connection::connect(url);
  if (!connection) return connection.error();
  return status_of(connection->exec("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public"));
}

}  // namespace natter::store::postgres
