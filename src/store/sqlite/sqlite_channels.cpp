// SqliteStore's channels: listing, creating, renaming, reordering, deleting and seeding them.
// Arguments arrive checked (store/checked_store); knows nothing of messages beyond a purge.
#include <algorithm>

#include "store/sqlite/sqlite_detail.hpp"

namespace natter::store::sqlite {

using namespace detail;

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

}  // namespace natter::store::sqlite
