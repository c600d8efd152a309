// Admission's chat steps: the door, the private history, the stored part of a replay.
#include "chat/admission.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <iterator>

#include "common/limits.hpp"

namespace natter::chat {

Result<Door> pass_door(Moderation& moderation, Store& store, const std::string& user_id,
                       const std::string& username, TimePoint seen_at) {
  auto ban = moderation.active_ban(user_id);
  if (!ban) return ban.error();
  Door door{std::move(*ban)};
  if (!door.ban) {
    if (auto s = store.upsert_user(user_id, username, seen_at); !s) {
      spdlog::warn("store: could not record user {}: {}", user_id, s.error().message);
      door.recorded = false;
    }
  }
  return door;
}

bool needs_private_history(MessageCache& cache, const std::string& user_id) {
  return !user_id.empty() && !cache.private_warm(user_id);
}

void warm_private_history(MessageCache& cache, const std::string& user_id,
                          const std::vector<PrivateMessage>& stored) {
  cache.warm_private(user_id, stored);
}

std::optional<ReplayRead> plan_replay(Hub& hub, std::int64_t since, std::size_t max_replay) {
  const auto oldest = hub.oldest_cached_public_id();
  if (oldest != 0 && since >= oldest - 1) return std::nullopt;
  const auto newest = hub.newest_cached_public_id();
  const auto span = static_cast<std::uint64_t>(
      std::clamp<std::int64_t>(newest - since, 1, static_cast<std::int64_t>(max_replay)));
  const auto pages =
      static_cast<std::size_t>((span + Limits::replay_page - 1) / Limits::replay_page);
  return ReplayRead{since, oldest, newest, max_replay, pages};
}

// cacheIDs count up by one (gaps only where messages were deleted), so starting at
// `max_replay` before the newest bounds the read.
Result<StoredReplay> read_replay(Store& store, const ReplayRead& read) {
  constexpr auto kPage = static_cast<std::int64_t>(Limits::replay_page);
  std::int64_t newest = read.newest_cached;
  if (newest == 0) {
    auto ids = store.stored_ids();
    if (!ids) return ids.error();
    newest = ids->max_public_cache_id;
  }
  StoredReplay replay;
  const auto bound = static_cast<std::int64_t>(read.max_replay);
  std::int64_t after = read.since;
  if (newest - read.since > bound) {
    after = newest - bound;
    replay.truncated = true;
  }
  while (replay.messages.size() < read.max_replay) {
    auto page = store.public_after(after, kPage);
    if (!page) return page.error();
    if (page->empty()) break;
    after = page->back().cache_id;
    replay.messages.insert(replay.messages.end(), std::make_move_iterator(page->begin()),
                           std::make_move_iterator(page->end()));
    if (static_cast<std::int64_t>(page->size()) < kPage) break;
    if (read.oldest_cached != 0 && after >= read.oldest_cached - 1) break;
  }
  return replay;
}

}  // namespace natter::chat
