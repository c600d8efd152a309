// The Store port: everything natter keeps for good (channels, the user directory, messages,
// sessions, bans, rate-limit settings, this server's identity), one interface per concern.
// Implemented by store/sqlite (embedded default), store/postgres and store/memory (tests, no
// durability), each reached through store/checked_store (the argument rules, applied once).
// Every call is synchronous and may block on the database: callers run it off the IO shards
// (a WorkerPool) and never hold a hub lock across it. Implementations are thread-safe.
#pragma once

#include "chat/ban_store.hpp"
#include "chat/channel_store.hpp"
#include "chat/message_store.hpp"
#include "chat/settings_store.hpp"
#include "chat/user_store.hpp"

namespace natter::chat {

class Store : public ChannelStore,
              public UserStore,
              public MessageStore,
              public BanStore,
              public SettingsStore {
 public:
  ~Store() override = default;
};

}  // namespace natter::chat
