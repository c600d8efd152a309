// SqliteStore's messages: batch inserts (a refused row rejected alone), replay, FTS5 search,
// deletion, counts. Arguments arrive checked (store/checked_store) but storable() is applied
// here, row by row, inside the insert transaction.
#include <algorithm>

#include "store/sqlite/sqlite_detail.hpp"

namespace natter::store::sqlite {

using namespace detail;

namespace {

constexpr std::size_t kIdsPerDelete = 500;  // well under SQLite's bound-parameter limit

constexpr std::string_view kMessageColumns =
    "id, cache_id, owner_id, username, channel, message, authored_at";

}  // namespace

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

}  // namespace natter::store::sqlite
