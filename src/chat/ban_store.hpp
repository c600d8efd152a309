// The ban half of the Store port: issuing and pardoning bans, the ban in force, the ban log.
// Knows nothing of channels, messages or any database.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "chat/message.hpp"
#include "chat/message_store.hpp"  // Page
#include "common/result.hpp"

namespace natter::chat {

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

class BanStore {
 public:
  virtual ~BanStore() = default;

  virtual Result<BanRecord> ban(const NewBan& ban) = 0;
  virtual Result<BanRecord> pardon(std::int64_t ban_id) = 0;  // not_found when absent
  // The ban in force for user_id at `now`, if any.
  virtual Result<std::optional<BanRecord>> active_ban(const std::string& user_id,
                                                      TimePoint now) = 0;
  virtual Result<Page<BanRecord>> ban_records(std::int64_t limit, std::int64_t offset) = 0;
};

}  // namespace natter::chat
