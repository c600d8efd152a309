// The hub's ordered paths: join, leave, and posting public and private messages.
#include "chat/hub.hpp"

#include <algorithm>

namespace natter::chat {

Hub::Hub(HubSettings settings, std::vector<Channel> channels, MessageCache& cache,
         RateLimiter& limiter, std::vector<Shard*> shards)
    : settings_(settings), cache_(cache), limiter_(limiter), shards_(std::move(shards)),
      channels_(std::move(channels)) {}

void Hub::join(const Participant& who, std::shared_ptr<Connection> connection,
               std::optional<std::int64_t> since) {
  std::lock_guard lock(mutex_);
  known_users_[who.user_id] = who.username;

  bool first = false;
  if (!who.dashboard) {
    auto& presence = online_[who.user_id];
    presence.username = who.username;
    first = ++presence.connections == 1;
  }

  std::vector<Frame> greeting;
  greeting.reserve(4);
  greeting.push_back(encode_active_channels(channels_));
  if (auto recent = cache_.recent_public(since.value_or(0), settings_.replay_limit);
      !recent.empty()) {
    greeting.push_back(encode_bulk_chat_messages(recent));
  }
  if (auto mine = cache_.recent_private(who.user_id); !mine.empty()) {
    greeting.push_back(encode_bulk_private_messages(mine));
  }
  greeting.push_back(encode_connected_users(connected_users_locked()));
  shards_.at(who.shard)->attach(who.connection_id, who.user_id, std::move(connection),
                                std::move(greeting));

  if (first) {
    broadcast_locked(encode_user_status({who.username, who.user_id, true}), who.connection_id);
  }
}

void Hub::leave(const Participant& who) {
  Shard* shard = shards_.at(who.shard);
  shard->run([shard, id = who.connection_id] { shard->detach(id); });  // after its attach
  if (who.dashboard) return;
  std::lock_guard lock(mutex_);
  auto it = online_.find(who.user_id);
  if (it == online_.end()) return;
  if (--it->second.connections > 0) return;
  online_.erase(it);
  broadcast_locked(encode_user_status({who.username, who.user_id, false}));
}

bool Hub::has_channel_locked(std::string_view name) const {
  return std::any_of(channels_.begin(), channels_.end(),
                     [&](const Channel& c) { return c.name == name; });
}

std::optional<ProtocolError> Hub::post(const Participant& from, const ChatRequest& request) {
  ChatMessage message{std::nullopt, 0, from.user_id, from.username, request.channel,
                      request.message, now_micros()};

  std::lock_guard lock(mutex_);
  if (!has_channel_locked(request.channel)) {
    return ProtocolError{ErrorCode::unknown_channel, "no such channel", {}};
  }
  if (auto decision = limiter_.acquire(from.user_id, std::chrono::steady_clock::now());
      !decision.allowed) {
    return ProtocolError{ErrorCode::rate_limited, "too many messages", decision.retry_after};
  }
  cache_.append_public(message);
  broadcast_locked(encode_chat_message(message));
  return std::nullopt;
}

std::optional<ProtocolError> Hub::post(const Participant& from, const PrivateRequest& request) {
  std::lock_guard lock(mutex_);
  auto recipient = known_users_.find(request.recipient_id);
  if (recipient == known_users_.end()) {
    return ProtocolError{ErrorCode::unknown_recipient, "no such recipient", {}};
  }
  if (auto decision = limiter_.acquire(from.user_id, std::chrono::steady_clock::now());
      !decision.allowed) {
    return ProtocolError{ErrorCode::rate_limited, "too many messages", decision.retry_after};
  }
  PrivateMessage message{std::nullopt,     0, from.user_id, from.username, request.recipient_id,
                         recipient->second, request.message, now_micros()};
  cache_.append_private(message);
  const Frame frame = encode_private_message(message);
  for (auto* shard : shards_) shard->deliver_users(frame, message.owner_id, message.recipient_id);
  return std::nullopt;
}

void Hub::set_channels(std::vector<Channel> channels) {
  std::lock_guard lock(mutex_);
  channels_ = std::move(channels);
  broadcast_locked(encode_active_channels(channels_));
}

std::vector<Channel> Hub::channels() const {
  std::lock_guard lock(mutex_);
  return channels_;
}

void Hub::remember_user(const std::string& user_id, const std::string& username) {
  std::lock_guard lock(mutex_);
  known_users_[user_id] = username;
}

void Hub::disconnect_user(const std::string& user_id, CloseCode code, std::string reason) {
  for (auto* shard : shards_) {
    shard->run([shard, user_id, code, reason] { shard->close_user(user_id, code, reason); });
  }
}

std::vector<UserStatus> Hub::connected_users() const {
  std::lock_guard lock(mutex_);
  return connected_users_locked();
}

std::vector<UserStatus> Hub::connected_users_locked() const {
  std::vector<UserStatus> users;
  users.reserve(online_.size());
  for (const auto& [id, presence] : online_) users.push_back({presence.username, id, true});
  std::sort(users.begin(), users.end(),
            [](const UserStatus& a, const UserStatus& b) { return a.username < b.username; });
  return users;
}

void Hub::broadcast_locked(const Frame& frame, std::uint64_t except_connection) {
  for (auto* shard : shards_) shard->deliver_all(frame, except_connection);
}

}  // namespace natter::chat
