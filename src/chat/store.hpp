// The Store port: everything natter keeps for good (channels, the user directory, messages,
// sessions, bans, rate-limit settings, this server's identity). Implemented by store/sqlite
// (embedded default), store/postgres and store/memory (tests, no durability).
// Every call is synchronous and may block on the database: callers run it off the IO shards
// (a WorkerPool) and never hold a hub lock across it. Implementations are thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "chat/message.hpp"
#include "common/result.hpp"

namespace natter::chat {

struct RateLimitRow {
  std::int64_t id = 1;
  std::string owner_id;  // who set it last; empty for the seeded default
  std::int64_t message_limit = 10;
  std::int64_t window_seconds = 60;
};

struct UserRecord {
  std::string id;
  std::string username;
  bool is_banned = false;  // an active (not pardoned, not expired) ban exists now
};

struct BanRecord {
  std::int64_t id = 0;
  std::string owner_id;  // the admin who issued it
  std::string banished_id;
  std::string banished_username;
  std::string reason;  // empty: none given
  TimePoint start;
  std::optional<TimePoint> end;  // empty: permanent
  std::optional<std::int64_t> duration_hours;
  bool pardoned = false;
};

struct NewBan {
  std::string owner_id;
  std::string banished_id;
  std::string reason;
  std::optional<std::int64_t> duration_hours;  // empty or 0: permanent
  TimePoint start;
};

struct MessageQuery {
  std::vector<std::string> channels;  // empty: all
  std::string keyword;                // full-text search when not empty
  std::string user_id;                // author, when not empty
  std::int64_t limit = 50;
  std::int64_t offset = 0;
};

template <typename T>
struct Page {
  std::vector<T> items;
  bool has_more = false;
};

struct DayActivity {
  std::string date;  // YYYY-MM-DD (UTC)
  std::int64_t session_count = 0;
  std::int64_t total_seconds = 0;
};

struct ChannelCount {
  std::string channel;
  std::int64_t message_count = 0;
};

struct ChannelUpdate {
  std::int64_t id = 0;
  std::optional<std::string> name;
  std::optional<std::string> description;
};

struct StoredIds {
  std::int64_t max_public_cache_id = 0;
  std::int64_t max_private_cache_id = 0;
};

struct ServerIdentity {
  std::string id;  // stable across restarts
  std::string name;
};

class Store {
 public:
  virtual ~Store() = default;

  // --- channels -------------------------------------------------------------------------
  // All channels, ordered by sort_order then id.
  virtual Result<std::vector<Channel>> channels() = 0;
  // conflict when the name exists (compared without regard to case, chat/channel_name.hpp);
  // invalid when name is empty or over 64 bytes, or the
  // description over 512 bytes. New channels go last.
  virtual Result<Channel> create_channel(const std::string& name,
                                         const std::string& description) = 0;
  virtual Status update_channel(const ChannelUpdate& update) = 0;  // not_found, conflict, invalid
  // Moves a channel before another one, or last when before_id is empty.
  virtual Status reorder_channel(std::int64_t id, std::optional<std::int64_t> before_id) = 0;
  // Deletes a channel; with purge, its messages too. not_found when absent.
  virtual Status delete_channel(std::int64_t id, bool purge) = 0;
  // Seeds channels when the store has none (first start). Returns what is there after.
  virtual Result<std::vector<Channel>> seed_channels(const std::vector<std::string>& names) = 0;

  // --- user directory --------------------------------------------------------------------
  // Records a user seen now (first seen kept, last seen and username updated).
  virtual Status upsert_user(const std::string& id, const std::string& username,
                             TimePoint seen_at) = 0;
  virtual Result<std::optional<std::string>> username_of(const std::string& id) = 0;
  // Users whose username contains `fragment` (case-insensitive): the exact match first (a
  // client that takes the first result gets the user it named), then by username.
  virtual Result<std::vector<UserRecord>> search_users(const std::string& fragment,
                                                       std::int64_t limit) = 0;

  // --- messages --------------------------------------------------------------------------
  // One transaction; idempotent on cache_id (a message already stored is skipped). When the
  // batch is refused as a whole, implementations retry row by row so one bad row does not
  // hold back the others; rows still refused are returned by cache id in `rejected`.
  struct InsertOutcome {
    std::vector<std::int64_t> rejected_public;
    std::vector<std::int64_t> rejected_private;
  };
  virtual Result<InsertOutcome> insert_messages(
      std::span<const ChatMessage> public_messages,
      std::span<const PrivateMessage> private_messages) = 0;
  virtual Result<StoredIds> stored_ids() = 0;
  // Public messages with cache_id > since, oldest first, at most limit (reconnect replay).
  virtual Result<std::vector<ChatMessage>> public_after(std::int64_t since, std::int64_t limit) = 0;
  // The last `limit` private messages sent by or to user_id, oldest first.
  virtual Result<std::vector<PrivateMessage>> recent_private(const std::string& user_id,
                                                             std::int64_t limit) = 0;
  // Newest first; has_more when more match past offset+limit.
  virtual Result<Page<ChatMessage>> search_messages(const MessageQuery& query) = 0;
  // Deletes public messages by row id; returns the cache ids of those deleted.
  virtual Result<std::vector<std::int64_t>> delete_messages(std::span<const std::int64_t> ids) = 0;
  virtual Result<std::vector<ChannelCount>> message_counts() = 0;

  // --- sessions (analytics) --------------------------------------------------------------
  // `server_id` names the natter process holding the session (see close_open_sessions).
  virtual Result<std::int64_t> open_session(const std::string& user_id, TimePoint start,
                                            const std::string& server_id) = 0;
  virtual Status close_session(std::int64_t session_id, TimePoint end) = 0;
  // Closes sessions left open by a crash (end = `now`, never before their start): all of them
  // (one instance), or only those held by `server_id` (an instance found dead).
  virtual Status close_open_sessions(TimePoint now,
                                     const std::optional<std::string>& server_id = {}) = 0;
  // Per UTC day for the last `days` days (today included), for one user or everyone.
  virtual Result<std::vector<DayActivity>> session_activity(const std::string& user_id, int days,
                                                            TimePoint now) = 0;

  // --- bans ------------------------------------------------------------------------------
  virtual Result<BanRecord> ban(const NewBan& ban) = 0;
  virtual Result<BanRecord> pardon(std::int64_t ban_id) = 0;  // not_found when absent
  // The ban in force for user_id at `now`, if any.
  virtual Result<std::optional<BanRecord>> active_ban(const std::string& user_id,
                                                      TimePoint now) = 0;
  virtual Result<Page<BanRecord>> ban_records(std::int64_t limit, std::int64_t offset) = 0;

  // --- settings --------------------------------------------------------------------------
  // The rate-limit row (id 1), created from `seed` when absent.
  virtual Result<RateLimitRow> rate_limit(const RateLimitRow& seed) = 0;
  virtual Status set_rate_limit(const RateLimitRow& limit) = 0;
  // This server's persistent id and name, created on first start.
  virtual Result<ServerIdentity> server_identity(const std::string& name) = 0;
};

}  // namespace natter::chat
