// The production Store: PostgreSQL through libpq, a small connection pool, tsvector + GIN for
// keyword search. Migrations run under an advisory lock so several instances may start at once.
// Callers see only chat::Store, through store::CheckedStore (arguments arrive checked); nothing
// here leaks libpq types. The calls are defined one file per concern (postgres_<concern>.cpp).
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "chat/store.hpp"

namespace natter::store::postgres {

class Connection;
class ConnectionPool;

class PostgresStore final : public chat::Store {
 public:
  static constexpr std::size_t kDefaultPoolSize = 4;  // the store worker pool's size

  // Connects (a postgres:// or postgresql:// URL, as libpq reads it) and applies pending
  // migrations. unavailable when the server cannot be reached.
  static Result<std::unique_ptr<PostgresStore>> open(const std::string& url,
                                                     std::size_t pool_size = kDefaultPoolSize);
  ~PostgresStore() override;

  Result<std::vector<chat::Channel>> channels() override;
  Result<chat::Channel> create_channel(const std::string& name,
                                       const std::string& description) override;
  Status update_channel(const chat::ChannelUpdate& update) override;
  Status reorder_channel(std::int64_t id, std::optional<std::int64_t> before_id) override;
  Status delete_channel(std::int64_t id, bool purge) override;
  Result<std::vector<chat::Channel>> seed_channels(const std::vector<std::string>& names) override;

  Status upsert_user(const std::string& id, const std::string& username,
                     chat::TimePoint seen_at) override;
  Result<std::optional<std::string>> username_of(const std::string& id) override;
  Result<std::vector<chat::UserRecord>> search_users(const std::string& fragment,
                                                     std::int64_t limit) override;

  Result<InsertOutcome> insert_messages(
      std::span<const chat::ChatMessage> public_messages,
      std::span<const chat::PrivateMessage> private_messages) override;
  Result<chat::StoredIds> stored_ids() override;
  Result<std::vector<chat::ChatMessage>> public_after(std::int64_t since,
                                                      std::int64_t limit) override;
  Result<std::vector<chat::PrivateMessage>> recent_private(const std::string& user_id,
                                                           std::int64_t limit) override;
  Result<chat::Page<chat::ChatMessage>> search_messages(const chat::MessageQuery& query) override;
  Result<std::vector<std::int64_t>> delete_messages(std::span<const std::int64_t> ids) override;
  Result<std::vector<chat::ChannelCount>> message_counts() override;

  Result<std::int64_t> open_session(const std::string& user_id, chat::TimePoint start,
                                    const std::string& server_id) override;
  Status close_session(std::int64_t session_id, chat::TimePoint end) override;
  Status close_open_sessions(chat::TimePoint now,
                             const std::optional<std::string>& server_id) override;
  Result<std::vector<chat::DayActivity>> session_activity(const std::string& user_id, int days,
                                                          chat::TimePoint now) override;

  Result<chat::BanRecord> ban(const chat::NewBan& ban) override;
  Result<chat::BanRecord> pardon(std::int64_t ban_id) override;
  Result<std::optional<chat::BanRecord>> active_ban(const std::string& user_id,
                                                    chat::TimePoint now) override;
  Result<chat::Page<chat::BanRecord>> ban_records(std::int64_t limit, std::int64_t offset) override;

  Result<chat::RateLimitRow> rate_limit(const chat::RateLimitRow& seed) override;
  Status set_rate_limit(const chat::RateLimitRow& limit) override;
  Result<chat::ServerIdentity> server_identity(const std::string& name) override;

 private:
  explicit PostgresStore(std::unique_ptr<ConnectionPool> pool);

  // Runs `work` on a leased connection; when the connection turns out broken (the server
  // restarted since it was last used) runs it once more on a fresh one.
  template <typename Work>
  auto with_connection(Work&& work) -> decltype(work(std::declval<Connection&>()));
  Status migrate();

  std::unique_ptr<ConnectionPool> pool_;
};

// For tests only: drops every table of the database at `url` (DROP SCHEMA public CASCADE) so
// the next open() migrates a fresh schema.
Status drop_public_schema(const std::string& url);

}  // namespace natter::store::postgres
