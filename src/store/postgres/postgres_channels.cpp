// PostgresStore's channels: listing, creating, renaming, reordering, deleting and seeding them.
// Arguments arrive checked (store/checked_store); knows nothing of messages beyond a purge.
#include <algorithm>

#include "store/postgres/postgres_detail.hpp"

namespace natter::store::postgres {

using namespace detail;

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

}  // namespace natter::store::postgres
