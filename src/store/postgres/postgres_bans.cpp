// PostgresStore's bans: issuing, pardoning, the ban in force, the ban log. Arguments arrive
// checked (store/checked_store); knows nothing of channels or messages.
#include "store/postgres/postgres_detail.hpp"

namespace natter::store::postgres {

using namespace detail;

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

}  // namespace natter::store::postgres
