// SqliteStore's settings: the rate-limit row and this server's identity. Arguments arrive
// checked (store/checked_store); knows nothing of channels, messages or users.
#include "store/sqlite/sqlite_detail.hpp"

namespace natter::store::sqlite {

using namespace detail;

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

}  // namespace natter::store::sqlite
