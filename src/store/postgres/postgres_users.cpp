// PostgresStore's user directory and analytics sessions. Arguments arrive checked
// (store/checked_store); knows nothing of channels or messages.
#include "store/postgres/postgres_detail.hpp"

namespace natter::store::postgres {

using namespace detail;

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

}  // namespace natter::store::postgres
