// Bans and pardons: the internal API that the REST layer calls. A ban is stored first and
// then bites at once: every live connection of the banished user is closed with 4003.
// Blocking (it calls the store): run it off the IO shards.
#pragma once

#include <cstdint>

#include "chat/hub.hpp"
#include "chat/store.hpp"
#include "common/result.hpp"

namespace natter::chat {

class Moderation {
 public:
  Moderation(Store& store, Hub& hub);

  Result<BanRecord> ban(const NewBan& ban);
  // `by`: who pardons, for the log.
  Result<BanRecord> pardon(std::int64_t ban_id, const std::string& by = {});
  // The ban in force for a user now, if any (checked at connect).
  Result<std::optional<BanRecord>> active_ban(const std::string& user_id);

 private:
  Store& store_;
  Hub& hub_;
};

// "banned until 2026-11-28T10:00:00.000000Z: spam" / "banned permanently".
std::string describe_ban(const BanRecord& ban);

}  // namespace natter::chat
