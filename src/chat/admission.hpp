// What admitting a user to chat means, apart from how the transport waits for it: the ban
// check and the user's directory entry (one store step, so a connected user is always in the
// directory), the private history owed on a first connect since start, and the public replay a
// `since` needs from the store once the cache no longer holds it. Each store step is a plain
// call for a worker; the transport chooses the thread, the deadline and the pacing. Knows
// nothing of HTTP or sockets.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "chat/hub.hpp"
#include "chat/moderation.hpp"
#include "chat/ports.hpp"
#include "chat/store.hpp"

namespace natter::chat {

// The door's answer: the ban in force, if any; else whether the directory entry was written
// (a store hiccup there is logged and does not keep the user out).
struct Door {
  std::optional<BanRecord> ban;
  bool recorded = true;
};

// On a worker: the ban in force for the user, then (not banned) their directory entry.
Result<Door> pass_door(Moderation& moderation, Store& store, const std::string& user_id,
                       const std::string& username, TimePoint seen_at);

// Whether the user's private history must be read from the store: the cache has not held it
// since start.
bool needs_private_history(MessageCache& cache, const std::string& user_id);
// On the session's thread, with what a worker read (`Store::recent_private`).
void warm_private_history(MessageCache& cache, const std::string& user_id,
                          const std::vector<PrivateMessage>& stored);

// The store read a reconnect's `since` needs: public messages after `since` up to where the
// cache takes over, in pages of Limits::replay_page, at most `max_replay`.
struct ReplayRead {
  std::int64_t since = 0;
  std::int64_t oldest_cached = 0;  // 0: the cache holds none
  std::int64_t newest_cached = 0;
  std::size_t max_replay = 0;
  std::size_t pages = 0;  // the most pages it reads (for pacing)
};
// None when the cache holds everything after `since`.
std::optional<ReplayRead> plan_replay(Hub& hub, std::int64_t since, std::size_t max_replay);

struct StoredReplay {
  std::vector<ChatMessage> messages;  // oldest first
  bool truncated = false;             // older ones after `since` were left out (the bound)
};
// On a worker.
Result<StoredReplay> read_replay(Store& store, const ReplayRead& read);

}  // namespace natter::chat
