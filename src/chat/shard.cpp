// Per-shard connection registry and ordered inbox.
#include "chat/shard.hpp"

#include <algorithm>

namespace natter::chat {

Shard::Shard(Post post, ChatMetrics& metrics) : post_(std::move(post)), metrics_(metrics) {}

void Shard::push(Item item) {
  bool schedule = false;
  {
    std::lock_guard lock(inbox_mutex_);
    inbox_.push_back(std::move(item));
    if (!drain_pending_) {
      drain_pending_ = true;
      schedule = true;
    }
  }
  if (schedule) post_([this] { drain(); });
}

void Shard::deliver_all(Frame frame, OutKind kind, std::uint64_t except_connection) {
  push(Broadcast{std::move(frame), kind, except_connection});
}

void Shard::deliver_users(Frame frame, std::string user_a, std::string user_b) {
  push(ToUsers{std::move(frame), std::move(user_a), std::move(user_b)});
}

void Shard::attach(std::uint64_t connection_id, std::string user_id,
                   std::shared_ptr<Connection> connection, std::vector<Frame> greeting,
                   std::uint64_t presence_seen, bool analytics) {
  push(Attach{connection_id, std::move(user_id), std::move(connection), std::move(greeting),
              presence_seen, analytics});
}

void Shard::deliver_presence(std::shared_ptr<const PresenceBatch> batch) { push(std::move(batch)); }

void Shard::deliver_analytics(Frame frame) { push(ToAnalytics{std::move(frame)}); }

void Shard::deliver_connection(Frame frame, OutKind kind, std::uint64_t connection_id) {
  push(ToConnection{std::move(frame), kind, connection_id});
}

void Shard::run(std::function<void()> task) { push(std::move(task)); }

void Shard::drain() {
  {
    std::lock_guard lock(inbox_mutex_);
    draining_.swap(inbox_);
    drain_pending_ = false;
  }
  for (auto& item : draining_) apply(item);
  draining_.clear();
}

void Shard::apply(Item& item) {
  if (auto* b = std::get_if<Broadcast>(&item)) {
    std::size_t sent = 0;
    for (auto& entry : connections_) {
      if (entry.id != b->except_connection) {
        entry.connection->send(b->frame);
        ++sent;
      }
    }
    metrics_.frames_out(b->kind, sent);
  } else if (auto* u = std::get_if<ToUsers>(&item)) {
    std::size_t sent = send_to_user(u->user_a, u->frame);
    if (!u->user_b.empty() && u->user_b != u->user_a) sent += send_to_user(u->user_b, u->frame);
    metrics_.frames_out(OutKind::private_chat_message, sent);
  } else if (auto* d = std::get_if<ToAnalytics>(&item)) {
    std::size_t sent = 0;
    for (auto& entry : connections_) {
      if (entry.analytics) {
        entry.connection->send(d->frame);
        ++sent;
      }
    }
    metrics_.frames_out(OutKind::analytics, sent);
  } else if (auto* c = std::get_if<ToConnection>(&item)) {
    if (auto it = index_.find(c->connection_id); it != index_.end()) {
      connections_[it->second].connection->send(c->frame);
      metrics_.frames_out(c->kind, 1);
    }
  } else if (auto* a = std::get_if<Attach>(&item)) {
    for (const auto& frame : a->greeting) a->connection->send(frame);
    index_[a->connection_id] = connections_.size();
    by_user_[a->user_id].push_back(a->connection_id);
    connections_.push_back(Entry{a->connection_id, std::move(a->user_id), std::move(a->connection),
                                 a->presence_seen, a->analytics});
  } else if (auto* p = std::get_if<std::shared_ptr<const PresenceBatch>>(&item)) {
    send_presence(**p);
  } else if (auto* task = std::get_if<std::function<void()>>(&item)) {
    (*task)();
  }
}

std::size_t Shard::send_to_user(const std::string& user_id, const Frame& frame) {
  auto it = by_user_.find(user_id);
  if (it == by_user_.end()) return 0;
  for (auto id : it->second) connections_[index_.at(id)].connection->send(frame);
  return it->second.size();
}

void Shard::send_presence(const PresenceBatch& batch) {
  std::size_t statuses = 0;
  std::size_t lists = 0;
  const std::uint64_t last = batch.last_seq();
  for (auto& entry : connections_) {
    auto owed = batch.owed(entry.presence_seen);
    if (owed.frame) {
      entry.connection->send(owed.frame);
      (owed.kind == OutKind::connected_users ? lists : statuses) += owed.frames;
    }
    entry.presence_seen = std::max(entry.presence_seen, last);
  }
  metrics_.frames_out(OutKind::user_status, statuses);
  metrics_.frames_out(OutKind::connected_users, lists);
}

void Shard::detach(std::uint64_t connection_id) {
  auto it = index_.find(connection_id);
  if (it == index_.end()) return;
  const std::size_t slot = it->second;
  index_.erase(it);

  auto user = by_user_.find(connections_[slot].user_id);
  if (user != by_user_.end()) {
    std::erase(user->second, connection_id);
    if (user->second.empty()) by_user_.erase(user);
  }
  if (slot != connections_.size() - 1) {
    connections_[slot] = std::move(connections_.back());
    index_[connections_[slot].id] = slot;
  }
  connections_.pop_back();
}

void Shard::close_user(std::string_view user_id, CloseCode code, std::string_view reason) {
  auto it = by_user_.find(user_id);
  if (it == by_user_.end()) return;
  const auto ids = it->second;  // close() may not detach synchronously, but be safe
  for (auto id : ids) {
    if (auto slot = index_.find(id); slot != index_.end()) {
      connections_[slot->second].connection->close(code, reason);
    }
  }
}

void Shard::close_all(CloseCode code, std::string_view reason) {
  std::vector<std::shared_ptr<Connection>> all;
  all.reserve(connections_.size());
  for (auto& entry : connections_) all.push_back(entry.connection);
  for (auto& connection : all) connection->close(code, reason);
}

void Shard::close_batch(std::size_t batch, std::size_t batches, CloseCode code,
                        std::string_view reason) {
  std::vector<std::shared_ptr<Connection>> some;
  for (auto& entry : connections_) {
    if (entry.id % batches == batch) some.push_back(entry.connection);
  }
  for (auto& connection : some) connection->close(code, reason);
}

}  // namespace natter::chat
