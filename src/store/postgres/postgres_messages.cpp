// PostgresStore's messages: batch inserts (retried row by row when refused), replay, search,
// deletion, counts. Arguments arrive checked (store/checked_store) but storable() is applied
// here, per row, before the multi-row inserts.
#include <algorithm>

#include "store/postgres/postgres_detail.hpp"

namespace natter::store::postgres {

using namespace detail;

namespace {

constexpr std::size_t kRowsPerInsert = 500;  // 3,500 parameters, far below libpq's 65,535
constexpr std::size_t kIdsPerDelete = 1000;

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

}  // namespace natter::store::postgres
