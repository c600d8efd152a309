// Group commit: one transaction per batch of whatever arrived during the previous commit.
#include "chat/commit_queue.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace natter::chat {

CommitQueue::CommitQueue(Store& store, std::size_t max_pending, ChatMetrics& metrics)
    : store_(store), max_pending_(max_pending), metrics_(metrics) {}

CommitQueue::~CommitQueue() { stop(); }

void CommitQueue::start(Deliver deliver) {
  deliver_ = std::move(deliver);
  thread_ = std::thread([this] { run(); });
}

void CommitQueue::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

bool CommitQueue::enqueue(Accepted message, Refuse refuse) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ || pending_.size() >= max_pending_) return false;
    pending_.push_back(Pending{std::move(message), std::move(refuse)});
    metrics_.commit_queue_depth(pending_.size());
  }
  wake_.notify_one();
  return true;
}

void CommitQueue::drain() {
  std::unique_lock lock(mutex_);
  idle_.wait(lock, [this] { return (pending_.empty() || !thread_.joinable()) && !committing_; });
}

std::size_t CommitQueue::committed_batches() const {
  std::lock_guard lock(mutex_);
  return batches_;
}

void CommitQueue::run() {
  std::vector<Pending> batch;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !pending_.empty(); });
      if (pending_.empty()) {  // stopping with nothing left
        idle_.notify_all();
        return;
      }
      batch.swap(pending_);
      committing_ = true;
      metrics_.commit_queue_depth(0);
    }
    commit(batch);
    batch.clear();
    {
      std::lock_guard lock(mutex_);
      committing_ = false;
    }
    idle_.notify_all();
  }
}

void CommitQueue::commit(std::vector<Pending>& batch) {
  std::vector<ChatMessage> public_messages;
  std::vector<PrivateMessage> private_messages;
  for (auto& p : batch) {
    if (auto* m = std::get_if<ChatMessage>(&p.message)) {
      public_messages.push_back(*m);
    } else {
      private_messages.push_back(std::get<PrivateMessage>(p.message));
    }
  }

  const auto started = std::chrono::steady_clock::now();
  auto outcome = store_.insert_messages(public_messages, private_messages);
  metrics_.committed(batch.size(), std::chrono::steady_clock::now() - started, outcome.ok());
  if (!outcome) {
    spdlog::error("store: could not commit {} messages: {}", batch.size(), outcome.error().message);
    const ProtocolError error{outcome.error().kind == Error::Kind::unavailable
                                  ? ErrorCode::unavailable
                                  : ErrorCode::internal,
                              "the message could not be stored; try again",
                              {}};
    for (auto& p : batch) {
      if (p.refuse) p.refuse(error);
    }
    return;
  }

  {
    std::lock_guard lock(mutex_);
    ++batches_;
  }
  // Rows the store refused (one bad row never holds back the rest) go back to their senders.
  const ProtocolError refused{
      ErrorCode::invalid_message, "the message was refused by the store", {}};
  std::vector<Accepted> stored;
  stored.reserve(batch.size());
  std::size_t rejected_count = 0;
  for (auto& p : batch) {
    const auto [rejected, cache_id] = std::visit(
        [&](const auto& m) {
          using T = std::decay_t<decltype(m)>;
          const auto& ids =
              std::is_same_v<T, ChatMessage> ? outcome->rejected_public : outcome->rejected_private;
          return std::pair{std::find(ids.begin(), ids.end(), m.cache_id) != ids.end(), m.cache_id};
        },
        p.message);
    if (!rejected) {
      stored.push_back(std::move(p.message));
      continue;
    }
    spdlog::debug("store refused message cacheID={}", cache_id);
    ++rejected_count;
    if (p.refuse) p.refuse(refused);
  }
  if (rejected_count > 0) {
    spdlog::warn("store refused {} of {} messages in a batch", rejected_count, batch.size());
  }
  deliver_(stored);
}

}  // namespace natter::chat
