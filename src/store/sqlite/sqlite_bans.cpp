// SqliteStore's bans: issuing, pardoning, the ban in force, the ban log. Arguments arrive
// checked (store/checked_store); knows nothing of channels or messages.
#include "store/sqlite/sqlite_detail.hpp"

namespace natter::store::sqlite {

using namespace detail;

#define NATTER_BAN_SELECT                                                                 \
  "SELECT b.id, b.owner_id, b.banished_id, coalesce(u.username, ''), b.reason, b.start, " \
  "b.\"end\", b.duration_hours, b.pardoned FROM bans b LEFT JOIN users u ON u.id = b.banished_id "

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

#undef NATTER_BAN_SELECT

}  // namespace natter::store::sqlite
