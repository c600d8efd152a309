// The user half of the Store port: the user directory (who was seen, under which name) and the
// sessions kept for analytics. Knows nothing of channels, messages or any database.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "chat/message.hpp"
#include "common/result.hpp"

namespace natter::chat {

struct UserRecord {
  std::string id;
  std::string username;
  bool is_banned = false;  // an active (not pardoned, not expired) ban exists now
};

struct DayActivity {
  std::string date;  // YYYY-MM-DD (UTC)
  std::int64_t session_count = 0;
  std::int64_t total_seconds = 0;
};

class UserStore {
 public:
  virtual ~UserStore() = default;

  // --- user directory --------------------------------------------------------------------
  // Records a user seen now (first seen kept, last seen and username updated).
  virtual Status upsert_user(const std::string& id, const std::string& username,
                             TimePoint seen_at) = 0;
  virtual Result<std::optional<std::string>> username_of(const std::string& id) = 0;
  // Users whose username contains `fragment` (case-insensitive): the exact match first (a
  // client that takes the first result gets the user it named), then by username.
  virtual Result<std::vector<UserRecord>> search_users(const std::string& fragment,
                                                       std::int64_t limit) = 0;

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
};

}  // namespace natter::chat
