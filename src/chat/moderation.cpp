// Ban, pardon and the connect-time ban check.
#include "chat/moderation.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/log_event.hpp"

namespace natter::chat {

Moderation::Moderation(Store& store, Hub& hub) : store_(store), hub_(hub) {}

Result<BanRecord> Moderation::ban(const NewBan& ban) {
  auto record = store_.ban(ban);
  if (!record) return record;
  log_event(spdlog::level::info, "ban",
            {{"ban_id", record->id},
             {"sub", record->banished_id},
             {"user", record->banished_username},
             {"by", record->owner_id},
             {"reason", describe_ban(*record)}});
  hub_.disconnect_user(record->banished_id, CloseCode::banned, "banned");
  return record;
}

Result<BanRecord> Moderation::pardon(std::int64_t ban_id, const std::string& by) {
  auto record = store_.pardon(ban_id);
  if (record) {
    log_event(spdlog::level::info, "pardon",
              {{"ban_id", record->id},
               {"sub", record->banished_id},
               {"user", record->banished_username},
               {"by", by}});
  }
  return record;
}

Result<std::optional<BanRecord>> Moderation::active_ban(const std::string& user_id) {
  return store_.active_ban(user_id, now_micros());
}

std::string describe_ban(const BanRecord& ban) {
  std::string text = ban.end ? fmt::format("banned until {}", format_time(*ban.end))
                             : std::string("banned permanently");
  if (!ban.reason.empty()) text += ": " + ban.reason;
  return text;
}

}  // namespace natter::chat
