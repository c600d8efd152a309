// The embedded Store: one SQLite file in WAL mode (synchronous=NORMAL, so a commit is one WAL
// append), FTS5 for keyword search. One connection behind a mutex, prepared statements cached.
// Callers see only chat::Store, through store::CheckedStore (arguments arrive checked); nothing
// here leaks sqlite3 types. The calls are defined one file per concern (sqlite_<concern>.cpp).
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "chat/store.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace natter::store::sqlite {

class Statement;

class SqliteStore final : public chat::Store {
 public:
  // Opens or creates the database at `path` (":memory:" for a private in-memory one), sets the
  // pragmas and applies pending migrations.
  static Result<std::unique_ptr<SqliteStore>> open(const std::string& path);
  ~SqliteStore() override;

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
  struct Closer {
    void operator()(sqlite3* db) const;
  };
  struct Finalizer {
    void operator()(sqlite3_stmt* statement) const;
  };

  explicit SqliteStore(sqlite3* db);

  // Everything below expects mutex_ held.
  Status configure();
  Status migrate();
  // The cached statement for this fixed SQL, prepared on first use.
  Result<Statement> cached(std::string_view sql);
  // A statement prepared for this call only (SQL built with a varying number of placeholders).
  Result<Statement> one_off(const std::string& sql);
  // Runs `body` between BEGIN IMMEDIATE and COMMIT; rolls back when it fails.
  template <typename Body>
  auto in_transaction(Body&& body) -> decltype(body());
  Result<std::vector<chat::Channel>> list_channels();
  Result<chat::BanRecord> ban_by_id(std::int64_t id);

  std::mutex mutex_;
  std::unique_ptr<sqlite3, Closer> db_;
  // Keyed by SQL text; only fixed SQL goes here, so the map stays small.
  std::unordered_map<std::string_view, std::unique_ptr<sqlite3_stmt, Finalizer>> statements_;
};

}  // namespace natter::store::sqlite
