// "The store is the queue" (embedded mode): accepted messages wait here, already numbered,
// until one thread commits everything that arrived meanwhile in one transaction; only then
// are they delivered, in cacheID order. So a crash loses nothing any client saw, and a store
// that is down refuses messages (`unavailable`) instead of broadcasting what it cannot keep.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <thread>
#include <variant>
#include <vector>

#include "chat/chat_metrics.hpp"
#include "chat/protocol.hpp"
#include "chat/store.hpp"

namespace natter::chat {

class CommitQueue {
 public:
  // Called (from the commit thread) when a message cannot be kept after all.
  using Refuse = std::function<void(const ProtocolError&)>;
  // Called (from the commit thread) with each committed batch, in acceptance order.
  using Deliver = std::function<void(const std::vector<Accepted>&)>;

  // `metrics` hears of every batch (size, time, outcome) and of the backlog's depth.
  CommitQueue(Store& store, std::size_t max_pending, ChatMetrics& metrics = ChatMetrics::none());
  ~CommitQueue();
  CommitQueue(const CommitQueue&) = delete;
  CommitQueue& operator=(const CommitQueue&) = delete;

  void start(Deliver deliver);
  // Commits what is queued, delivers it, then stops the thread.
  void stop();

  // Queues a numbered message. False when the backlog is full (the store is too slow or down).
  bool enqueue(Accepted message, Refuse refuse);
  // Waits until everything queued so far is committed and delivered (or refused).
  void drain();

  // Committed batches and messages so far (for metrics and tests).
  std::size_t committed_batches() const;

 private:
  struct Pending {
    Accepted message;
    Refuse refuse;
  };
  void run();
  void commit(std::vector<Pending>& batch);

  Store& store_;
  std::size_t max_pending_;
  ChatMetrics& metrics_;
  Deliver deliver_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable idle_;
  bool committing_ = false;  // a batch taken from pending_ is being committed and delivered
  std::vector<Pending> pending_;
  bool stopping_ = false;
  std::size_t batches_ = 0;
  std::thread thread_;
};

}  // namespace natter::chat
