// The hub's presence on one IO thread: the connections living there and an inbox through
// which the hub hands it deliveries, in the hub's order. Deliveries are pushed from any
// thread; they are drained (and connections touched) only on the shard's own thread, in
// batches, so fan-out takes no lock per recipient.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

#include "chat/chat_metrics.hpp"
#include "chat/connection.hpp"
#include "chat/presence_batch.hpp"
#include "common/string_hash.hpp"

namespace natter::chat {

class Shard {
 public:
  // Runs a function on the shard's thread (asio::post in production).
  using Post = std::function<void(std::function<void()>)>;

  // `metrics` counts the frames handed to connections here.
  explicit Shard(Post post, ChatMetrics& metrics = ChatMetrics::none());

  // --- any thread; applied in the order pushed ---
  void deliver_all(Frame frame, OutKind kind, std::uint64_t except_connection = 0);
  void deliver_users(Frame frame, std::string user_a, std::string user_b = {});
  // Registers a connection and queues its greeting frames before any later delivery.
  // `presence_seen`: the last presence change its greeting shows. `analytics`: an admin
  // dashboard, which also receives the analytics frames.
  void attach(std::uint64_t connection_id, std::string user_id,
              std::shared_ptr<Connection> connection, std::vector<Frame> greeting,
              std::uint64_t presence_seen = 0, bool analytics = false);
  // Presence changes: each connection is sent, as one buffer, what it has not seen of them.
  void deliver_presence(std::shared_ptr<const PresenceBatch> batch);
  void deliver_analytics(Frame frame);  // to every admin dashboard here
  void deliver_connection(Frame frame, OutKind kind, std::uint64_t connection_id);
  void run(std::function<void()> task);  // runs on the shard thread, in inbox order

  // --- shard thread only ---
  void detach(std::uint64_t connection_id);
  void close_user(std::string_view user_id, CloseCode code, std::string_view reason);
  void close_all(CloseCode code, std::string_view reason);
  // Closes the connections whose id is `batch` modulo `batches`: a shutdown spread over
  // `batches` calls, each closing about the same share of every shard.
  void close_batch(std::size_t batch, std::size_t batches, CloseCode code, std::string_view reason);

 private:
  struct Broadcast {
    Frame frame;
    OutKind kind;
    std::uint64_t except_connection;
  };
  struct ToUsers {
    Frame frame;
    std::string user_a;
    std::string user_b;
  };
  struct ToAnalytics {
    Frame frame;
  };
  struct ToConnection {
    Frame frame;
    OutKind kind;
    std::uint64_t connection_id;
  };
  struct Attach {
    std::uint64_t connection_id;
    std::string user_id;
    std::shared_ptr<Connection> connection;
    std::vector<Frame> greeting;
    std::uint64_t presence_seen;
    bool analytics;
  };
  using Item = std::variant<Broadcast, ToUsers, ToAnalytics, ToConnection, Attach,
                            std::shared_ptr<const PresenceBatch>, std::function<void()>>;

  struct Entry {
    std::uint64_t id;
    std::string user_id;
    std::shared_ptr<Connection> connection;
    std::uint64_t presence_seen;  // the last presence change it was shown
    bool analytics;
  };

  void push(Item item);
  void drain();
  void apply(Item& item);
  std::size_t send_to_user(const std::string& user_id, const Frame& frame);
  void send_presence(const PresenceBatch& batch);

  Post post_;
  ChatMetrics& metrics_;
  std::mutex inbox_mutex_;
  std::vector<Item> inbox_;
  bool drain_pending_ = false;
  std::vector<Item> draining_;

  std::vector<Entry> connections_;  // dense, for fast broadcast
  std::unordered_map<std::uint64_t, std::size_t> index_;
  std::unordered_map<std::string, std::vector<std::uint64_t>, StringHash, std::equal_to<>> by_user_;
};

}  // namespace natter::chat
