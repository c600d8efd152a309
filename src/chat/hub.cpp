// The hub's ordered paths: join, leave, and posting public and private messages.
#include "chat/hub.hpp"

#include <algorithm>

#include "chat/channel_name.hpp"

namespace natter::chat {

Hub::Hub(HubSettings settings, std::vector<Channel> channels, MessageCache& cache,
         Acceptance& acceptance, std::vector<Shard*> shards, ChatMetrics& metrics, Bus* bus,
         Later later)
    : settings_(settings),
      cache_(cache),
      acceptance_(acceptance),
      shards_(std::move(shards)),
      metrics_(metrics),
      bus_(bus),
      later_(std::move(later)),
      channels_(std::move(channels)) {}

void Hub::join(const Participant& who, std::shared_ptr<Connection> connection,
               std::optional<std::int64_t> since, std::vector<ChatMessage> older,
               bool older_truncated) {
  std::lock_guard lock(mutex_);
  known_users_[who.user_id] = who.username;

  bool first = false;  // the user's first connection anywhere
  if (!who.dashboard) {
    auto& presence = online_[who.user_id];
    first = !presence.online();
    const bool first_here = ++presence.connections == 1;
    presence.username = who.username;
    users_.set(who.user_id, who.username);
    if (first_here && bus_) bus_->presence({who.username, who.user_id, true});
  }
  // Announced before the connection is attached: its own arrival is in its greeting.
  if (first) announce_locked({who.username, who.user_id, true});

  // What most connects are owed (no `since`, no store replay, unchanged presence) is encoded
  // once and shared until it changes.
  std::vector<Frame> greeting;
  greeting.reserve(4);
  if (!channels_frame_) channels_frame_ = encode_active_channels(channels_);
  greeting.push_back(channels_frame_);
  std::size_t public_replays = 0;
  if (!since) {
    if (!recent_frame_valid_) {
      auto recent = cache_.recent_public(0, settings_.replay_limit);
      recent_frame_ = recent.empty() ? nullptr : encode_bulk_chat_messages(recent);
      recent_frame_valid_ = true;
    }
    if (recent_frame_) greeting.push_back(recent_frame_);
    public_replays = recent_frame_ ? 1 : 0;
  } else {
    // Everything after `since` up to the bound, the newest kept; one more is asked of the
    // cache to learn whether the bound cut it.
    const auto bound = settings_.max_replay;
    const std::int64_t after = older.empty() ? *since : older.back().cache_id;
    auto recent = cache_.recent_public(after, bound + 1);
    bool truncated = older_truncated;
    if (!older.empty()) {
      older.insert(older.end(), recent.begin(), recent.end());
      recent = std::move(older);
    }
    if (recent.size() > bound) {
      recent.erase(recent.begin(), recent.end() - static_cast<std::ptrdiff_t>(bound));
      truncated = true;
    }
    if (!recent.empty()) {
      greeting.push_back(encode_bulk_chat_messages(
          recent, truncated ? std::optional(recent.front().cache_id) : std::nullopt));
    }
    public_replays = recent.empty() ? 0 : 1;
  }
  std::size_t private_replays = 0;
  if (auto mine = cache_.recent_private(who.user_id); !mine.empty()) {
    greeting.push_back(encode_bulk_private_messages(mine));
    private_replays = 1;
  }
  greeting.push_back(users_.frame());
  metrics_.frames_out(OutKind::active_channels, 1);
  metrics_.frames_out(OutKind::bulk_chat_messages, public_replays);
  metrics_.frames_out(OutKind::bulk_private_messages, private_replays);
  metrics_.frames_out(OutKind::connected_users, 1);
  shards_.at(who.shard)->attach(who.connection_id, who.user_id, std::move(connection),
                                std::move(greeting), presence_seq_, who.analytics);
  if (who.analytics) {
    dashboards_[who.connection_id] = {who.shard, std::chrono::steady_clock::now(), false};
  }
}

void Hub::leave(const Participant& who) {
  Shard* shard = shards_.at(who.shard);
  shard->run([shard, id = who.connection_id] { shard->detach(id); });  // after its attach
  std::lock_guard lock(mutex_);
  dashboards_.erase(who.connection_id);
  if (who.dashboard) return;
  auto it = online_.find(who.user_id);
  if (it == online_.end() || it->second.connections == 0) return;
  if (--it->second.connections > 0) return;
  if (bus_) bus_->presence({who.username, who.user_id, false});
  if (it->second.online()) return;  // still connected to another instance
  online_.erase(it);
  users_.erase(who.user_id);
  announce_locked({who.username, who.user_id, false});
}

void Hub::remote_presence(const std::string& instance, const UserStatus& status) {
  std::lock_guard lock(mutex_);
  remote_presence_locked(instance, status);
}

void Hub::remote_presence_locked(const std::string& instance, const UserStatus& status) {
  if (!status.username.empty()) known_users_[status.id] = status.username;
  auto it = online_.find(status.id);
  if (status.status) {
    if (it == online_.end()) it = online_.emplace(status.id, Presence{status.username}).first;
    const bool was_online = it->second.online();
    if (!it->second.instances.insert(instance).second) return;
    if (was_online) return;
    it->second.username = status.username;
    users_.set(status.id, status.username);
    announce_locked({status.username, status.id, true});
    return;
  }
  if (it == online_.end() || it->second.instances.erase(instance) == 0) return;
  if (it->second.online()) return;
  const std::string username = it->second.username;
  online_.erase(it);
  users_.erase(status.id);
  announce_locked({username, status.id, false});
}

void Hub::announce_locked(UserStatus change) {
  ++presence_seq_;
  pending_.push_back(std::move(change));
  const auto window = settings_.presence_window;
  if (!later_ || window.count() <= 0) return flush_presence_locked();
  if (flush_armed_) return;
  const auto since = std::chrono::steady_clock::now() - last_flush_;
  if (since >= window) return flush_presence_locked();
  flush_armed_ = true;
  later_(std::chrono::ceil<std::chrono::milliseconds>(window - since), [this] {
    std::lock_guard lock(mutex_);
    flush_armed_ = false;
    flush_presence_locked();
  });
}

void Hub::flush_presence_locked() {
  if (pending_.empty()) return;
  last_flush_ = std::chrono::steady_clock::now();
  const std::uint64_t first = presence_seq_ - pending_.size() + 1;
  // The list replaces the changes for a connection that saw none of them when it is the smaller
  // message, which takes about as many changes as users listed: a burst, never the few changes
  // of a quiet room, which keep their user_status frames.
  constexpr std::size_t kListAfter = 16;
  const bool burst = pending_.size() >= kListAfter && pending_.size() * 2 >= users_.size();
  Frame list = burst ? users_.frame() : nullptr;
  auto batch = std::make_shared<const PresenceBatch>(first, pending_, std::move(list));
  pending_.clear();
  for (auto* shard : shards_) shard->deliver_presence(batch);
}

void Hub::remote_snapshot(const std::string& instance, const std::vector<UserStatus>& users) {
  std::lock_guard lock(mutex_);
  std::unordered_set<std::string> now_there;
  for (const auto& user : users) {
    now_there.insert(user.id);
    remote_presence_locked(instance, {user.username, user.id, true});
  }
  std::vector<std::string> gone;
  for (const auto& [id, presence] : online_) {
    if (presence.instances.contains(instance) && !now_there.contains(id)) gone.push_back(id);
  }
  for (const auto& id : gone) remote_presence_locked(instance, {{}, id, false});
}

void Hub::instance_gone(const std::string& instance) { remote_snapshot(instance, {}); }

std::vector<UserStatus> Hub::local_users() const {
  std::lock_guard lock(mutex_);
  std::vector<UserStatus> users;
  for (const auto& [id, presence] : online_) {
    if (presence.connections > 0) users.push_back({presence.username, id, true});
  }
  return users;
}

const Channel* Hub::find_channel_locked(std::string_view name) const {
  auto it = std::find_if(channels_.begin(), channels_.end(),
                         [&](const Channel& c) { return same_channel_name(c.name, name); });
  return it == channels_.end() ? nullptr : &*it;
}

std::optional<ProtocolError> Hub::post(const Participant& from, const ChatRequest& request,
                                       Acceptance::Refuse late) {
  ChatMessage message{std::nullopt,    0,           from.user_id, from.username, request.channel,
                      request.message, now_micros()};
  {
    std::lock_guard lock(mutex_);
    const Channel* channel = find_channel_locked(request.channel);
    if (!channel) return ProtocolError{ErrorCode::unknown_channel, "no such channel", {}};
    message.channel = channel->name;  // delivered and stored under the channel's own spelling
  }
  return acceptance_.accept(std::move(message), std::move(late));
}

std::optional<ProtocolError> Hub::post(const Participant& from, const PrivateRequest& request,
                                       Acceptance::Refuse late) {
  std::string recipient;
  {
    std::lock_guard lock(mutex_);
    auto known = known_users_.find(request.recipient_id);
    if (known == known_users_.end()) {
      return ProtocolError{ErrorCode::unknown_recipient, "no such recipient", {}};
    }
    recipient = known->second;
  }
  return acceptance_.accept(
      PrivateMessage{std::nullopt, 0, from.user_id, from.username, request.recipient_id,
                     std::move(recipient), request.message, now_micros()},
      std::move(late));
}

void Hub::deliver(const std::vector<Accepted>& batch) {
  std::lock_guard lock(mutex_);
  for (const auto& accepted : batch) {
    std::visit([this](const auto& m) { deliver_locked(m); }, accepted);
  }
}

void Hub::deliver_locked(const ChatMessage& message) {
  cache_.remember_public(message);
  recent_frame_valid_ = false;
  broadcast_locked(encode_chat_message(message), OutKind::chat_message);
  metrics_.fanned_out(now_micros() - message.authored_at);
}

void Hub::deliver_locked(const PrivateMessage& message) {
  cache_.remember_private(message);
  const Frame frame = encode_private_message(message);
  for (auto* shard : shards_) shard->deliver_users(frame, message.owner_id, message.recipient_id);
  metrics_.fanned_out(now_micros() - message.authored_at);
}

std::int64_t Hub::oldest_cached_public_id() { return cache_.oldest_public_id(); }

std::int64_t Hub::newest_cached_public_id() {
  auto newest = cache_.recent_public(0, 1);
  return newest.empty() ? 0 : newest.back().cache_id;
}

void Hub::set_channels(std::vector<Channel> channels, Origin origin) {
  std::lock_guard lock(mutex_);
  if (bus_ && origin == Origin::here) bus_->channels_changed(channels);
  channels_ = std::move(channels);
  channels_frame_ = encode_active_channels(channels_);
  broadcast_locked(channels_frame_, OutKind::active_channels);
}

std::vector<Channel> Hub::channels() const {
  std::lock_guard lock(mutex_);
  return channels_;
}

void Hub::remember_user(const std::string& user_id, const std::string& username) {
  std::lock_guard lock(mutex_);
  known_users_[user_id] = username;
}

void Hub::remove_messages(std::span<const std::int64_t> cache_ids, Origin origin) {
  if (cache_ids.empty()) return;
  std::lock_guard lock(mutex_);
  if (bus_ && origin == Origin::here) bus_->messages_removed(cache_ids);
  cache_.remove_public(cache_ids);
  recent_frame_valid_ = false;
  broadcast_locked(encode_messages_deleted(cache_ids), OutKind::messages_deleted);
}

void Hub::disconnect_user(const std::string& user_id, CloseCode code, const std::string& reason,
                          Origin origin) {
  if (bus_ && origin == Origin::here) bus_->user_disconnected(user_id, code, reason);
  for (auto* shard : shards_) {
    shard->run([shard, user_id, code, reason] { shard->close_user(user_id, code, reason); });
  }
}

bool Hub::has_analytics_dashboards() const {
  std::lock_guard lock(mutex_);
  return !dashboards_.empty();
}

std::vector<PendingDashboard> Hub::take_new_dashboards(
    std::chrono::steady_clock::duration min_age) {
  const auto now = std::chrono::steady_clock::now();
  std::vector<PendingDashboard> out;
  std::lock_guard lock(mutex_);
  for (auto& [id, d] : dashboards_) {
    if (d.greeted || now - d.joined < min_age) continue;
    d.greeted = true;
    out.push_back({d.shard, id});
  }
  return out;
}

void Hub::deliver_analytics(const std::vector<Frame>& frames) {
  std::lock_guard lock(mutex_);
  for (auto& [id, d] : dashboards_) d.greeted = true;
  for (auto* shard : shards_) {
    for (const auto& frame : frames) shard->deliver_analytics(frame);
  }
}

void Hub::deliver_to(const PendingDashboard& dashboard, const std::vector<Frame>& frames) {
  for (const auto& frame : frames) {
    shards_.at(dashboard.shard)
        ->deliver_connection(frame, OutKind::analytics, dashboard.connection_id);
  }
}

std::vector<UserStatus> Hub::connected_users() const {
  std::lock_guard lock(mutex_);
  return users_.users();
}

void Hub::broadcast_locked(const Frame& frame, OutKind kind) {
  for (auto* shard : shards_) shard->deliver_all(frame, kind);
}

}  // namespace natter::chat
