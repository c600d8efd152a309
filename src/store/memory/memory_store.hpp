// The in-memory Store: the same behaviour as the SQLite and PostgreSQL stores, nothing durable.
// For tests and throwaway runs. Keyword search is a case-insensitive substring match of every
// keyword token. Reached through store::CheckedStore (arguments arrive checked). Knows nothing of
// any database.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "chat/store.hpp"

namespace natter::store {

class MemoryStore final : public chat::Store {
 public:
  MemoryStore() = default;

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
  struct User {
    std::string username;
    chat::TimePoint first_seen;
    chat::TimePoint last_seen;
  };
  struct Session {
    std::string user_id;
    chat::TimePoint start;
    std::optional<chat::TimePoint> end;
    std::string server_id;
  };

  // All private helpers expect mutex_ held.
  std::vector<chat::Channel>::iterator find_channel(std::int64_t id);
  bool name_taken(const std::string& name, std::int64_t except_id) const;
  void renumber_channels();
  chat::BanRecord with_username(chat::BanRecord record) const;
  std::optional<chat::BanRecord> active_ban_locked(const std::string& user_id,
                                                   chat::TimePoint now) const;

  std::mutex mutex_;
  std::vector<chat::Channel> channels_;  // kept ordered by sort_order
  std::int64_t next_channel_id_ = 1;
  std::map<std::string, User> users_;
  std::map<std::int64_t, chat::ChatMessage> public_;      // by cache id
  std::map<std::int64_t, chat::PrivateMessage> private_;  // by cache id
  std::int64_t next_message_id_ = 1;
  std::int64_t next_private_id_ = 1;
  std::map<std::int64_t, Session> sessions_;
  std::int64_t next_session_id_ = 1;
  std::map<std::int64_t, chat::BanRecord> bans_;
  std::int64_t next_ban_id_ = 1;
  std::optional<chat::RateLimitRow> rate_limit_;
  std::optional<chat::ServerIdentity> identity_;
};

}  // namespace natter::store
