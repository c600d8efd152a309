// PostgresStore's settings: the rate-limit row and this server's identity. Arguments arrive
// checked (store/checked_store); knows nothing of channels, messages or users.
#include "store/postgres/postgres_detail.hpp"

namespace natter::store::postgres {

using namespace detail;

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

}  // namespace natter::store::postgres
