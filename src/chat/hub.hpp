// The chat hub: who is connected (presence), what every connection is owed on connect, and
// the one path every message takes: to the acceptance port (rate check, cacheID, kept), then,
// handed back in order, into the recent cache, encoded once and handed to every shard. Talks
// to storage and cache only through the ports; knows nothing of sockets, Beast, libpq or
// hiredis.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "chat/acceptance.hpp"
#include "chat/bus.hpp"
#include "chat/chat_metrics.hpp"
#include "chat/connection.hpp"
#include "chat/ports.hpp"
#include "chat/presence_list.hpp"
#include "chat/protocol.hpp"
#include "chat/shard.hpp"
#include "common/limits.hpp"
#include "common/string_hash.hpp"

namespace natter::chat {

// One connection as the hub knows it.
struct Participant {
  std::uint64_t connection_id = 0;
  std::size_t shard = 0;  // index of the shard the connection lives on
  std::string user_id;
  std::string username;
  bool dashboard = false;  // dashboard client: no presence, not listed
  bool analytics = false;  // a dashboard with the admin role: also gets the analytics
};

// An admin dashboard that has not yet been sent the analytics.
struct PendingDashboard {
  std::size_t shard = 0;
  std::uint64_t connection_id = 0;
};

struct HubSettings {
  std::size_t replay_limit = Limits::public_replay;  // replayed on connect without `since`
  std::size_t max_replay = 5000;                     // ...and at most this many with `since`
  // Presence changes that follow one another closer than this are handed out together, at the
  // end of the window: after a restart, when thousands connect at once, each client gets a few
  // buffers of changes instead of one write per user. A change after a quiet spell goes out at
  // once.
  std::chrono::milliseconds presence_window{100};
};

// Runs a task after a delay, on some thread of the caller's choosing (an Asio timer in
// production).
using Later = std::function<void(std::chrono::milliseconds, std::function<void()>)>;

class Hub final : public BusEvents {
 public:
  // Messages go to `acceptance`, which hands them back through deliver(). `cache` holds the
  // recent messages replayed on connect. With a Bus (several instances), changes made here are
  // told to the other instances. `metrics` hears of every frame the hub hands out and of every
  // fan-out's latency. Without `later`, every presence change is handed out at once.
  Hub(HubSettings settings, std::vector<Channel> channels, MessageCache& cache,
      Acceptance& acceptance, std::vector<Shard*> shards,
      ChatMetrics& metrics = ChatMetrics::none(), Bus* bus = nullptr, Later later = {});

  // Registers the connection on its shard and queues its connect sequence (channels, recent
  // public messages after `since`, recent private messages, connected users); announces the
  // user to everyone else on their first connection. `older` are public messages after
  // `since` that the cache no longer holds (read from the store), oldest first;
  // `older_truncated`: the store read left out older ones (the replay bound cut it).
  void join(const Participant& who, std::shared_ptr<Connection> connection,
            std::optional<std::int64_t> since, std::vector<ChatMessage> older = {},
            bool older_truncated = false);
  // The oldest public cacheID the cache still holds (0 when empty): a `since` below it
  // needs the store.
  std::int64_t oldest_cached_public_id();
  // The newest public cacheID the cache holds (0 when empty).
  std::int64_t newest_cached_public_id();
  // Call on the participant's own shard when its connection ends.
  void leave(const Participant& who);

  // Hands a message to the acceptance port, or says why not. Never broadcasts a refused
  // message. `late` is called, from the acceptance's thread, if it is refused after this
  // returned.
  std::optional<ProtocolError> post(const Participant& from, const ChatRequest& request,
                                    Acceptance::Refuse late = {});
  std::optional<ProtocolError> post(const Participant& from, const PrivateRequest& request,
                                    Acceptance::Refuse late = {});

  // --- what the acceptance port and the bus hand back (BusEvents) ---
  void deliver(const std::vector<Accepted>& batch) override;
  void remote_presence(const std::string& instance, const UserStatus& status) override;
  void remote_snapshot(const std::string& instance, const std::vector<UserStatus>& users) override;
  void instance_gone(const std::string& instance) override;
  std::vector<UserStatus> local_users() const override;
  void messages_removed(std::span<const std::int64_t> cache_ids) override {
    remove_messages(cache_ids, Origin::bus);
  }
  void user_disconnected(const std::string& user_id, CloseCode code,
                         const std::string& reason) override {
    disconnect_user(user_id, code, reason, Origin::bus);
  }
  void channels_changed(std::vector<Channel> channels) override {
    set_channels(std::move(channels), Origin::bus);
  }

  // Replaces the channel list (read from the store) and sends active_channels to everyone.
  void set_channels(std::vector<Channel> channels, Origin origin = Origin::here);
  std::vector<Channel> channels() const;
  // Remembers a user for private messages (from the store's directory).
  void remember_user(const std::string& user_id, const std::string& username);
  // Forgets deleted public messages (the cache no longer replays them) and tells everyone
  // which cacheIDs are gone (messages_deleted), held in the cache or not.
  void remove_messages(std::span<const std::int64_t> cache_ids, Origin origin = Origin::here);
  // Closes every connection of a user on every shard (a ban), on every instance.
  void disconnect_user(const std::string& user_id, CloseCode code, const std::string& reason,
                       Origin origin = Origin::here);

  // --- analytics for admin dashboards (api::AnalyticsFeed) ---
  bool has_analytics_dashboards() const;
  // Dashboards connected at least `min_age` ago that were never sent the analytics; each is
  // returned once.
  std::vector<PendingDashboard> take_new_dashboards(std::chrono::steady_clock::duration min_age);
  void deliver_analytics(const std::vector<Frame>& frames);  // to every admin dashboard
  void deliver_to(const PendingDashboard& dashboard, const std::vector<Frame>& frames);

  std::vector<UserStatus> connected_users() const;

 private:
  struct Presence {
    std::string username;
    std::size_t connections = 0;                // here
    std::unordered_set<std::string> instances;  // the other instances the user is on
    bool online() const { return connections > 0 || !instances.empty(); }
  };
  // Applies one instance's presence change for a user; announces a change of the union.
  void remote_presence_locked(const std::string& instance, const UserStatus& status);
  // Numbers a change of who is online and hands it to the shards, now or at the window's end.
  void announce_locked(UserStatus change);
  void flush_presence_locked();

  void broadcast_locked(const Frame& frame, OutKind kind);
  void deliver_locked(const ChatMessage& message);
  void deliver_locked(const PrivateMessage& message);
  // The channel a client names, matched without regard to case; null when there is none.
  const Channel* find_channel_locked(std::string_view name) const;

  HubSettings settings_;
  MessageCache& cache_;
  Acceptance& acceptance_;
  std::vector<Shard*> shards_;
  ChatMetrics& metrics_;
  Bus* bus_;
  Later later_;

  // Serialises presence changes and accepted messages, so every shard sees one order.
  mutable std::mutex mutex_;
  std::vector<Channel> channels_;
  struct Dashboard {
    std::size_t shard;
    std::chrono::steady_clock::time_point joined;
    bool greeted;
  };
  std::unordered_map<std::uint64_t, Dashboard> dashboards_;
  // Encoded connect-sequence frames, shared by every connect until what they show changes.
  Frame channels_frame_;
  Frame recent_frame_;  // null when there is nothing recent
  bool recent_frame_valid_ = false;
  std::unordered_map<std::string, Presence, StringHash, std::equal_to<>> online_;
  PresenceList users_;  // online_, encoded for connected_users
  // Presence changes are numbered; those after flushed_seq_ wait in pending_ for the window.
  std::uint64_t presence_seq_ = 0;
  std::vector<UserStatus> pending_;
  std::chrono::steady_clock::time_point last_flush_{};
  bool flush_armed_ = false;
  // Everyone seen since start (id -> username): private-message recipients.
  std::unordered_map<std::string, std::string, StringHash, std::equal_to<>> known_users_;
};

}  // namespace natter::chat
