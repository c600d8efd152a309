// What the hub's tests connect it to: a connection that records what it is sent, and shards
// whose posted work runs when the test says so. No sockets, no threads of their own.
#pragma once

#include <boost/json.hpp>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "chat/connection.hpp"
#include "chat/protocol.hpp"
#include "chat/shard.hpp"

namespace natter::chat {

// A connection that records what it is sent.
class FakeConnection final : public Connection {
 public:
  void send(const Frame& frame) override {
    raw.push_back(frame);
    for (auto payload : frame_payloads(*frame)) {
      frames.push_back(boost::json::parse(payload).as_object());
    }
  }
  void close(CloseCode code, std::string_view) override { closed = code; }

  std::vector<std::string> types() const {
    std::vector<std::string> out;
    for (const auto& f : frames) out.emplace_back(f.at("type").as_string());
    return out;
  }
  std::vector<Frame> raw;
  std::vector<boost::json::object> frames;
  std::optional<CloseCode> closed;
};

// Shards whose posted work runs when the test says so, as an IO thread would. Work may be
// posted from the commit thread too.
struct ManualShards {
  explicit ManualShards(std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
      shards.push_back(std::make_unique<Shard>([this](std::function<void()> f) {
        std::lock_guard lock(mutex);
        queue.push_back(std::move(f));
      }));
    }
  }
  void run() {
    for (;;) {
      std::function<void()> f;
      {
        std::lock_guard lock(mutex);
        if (queue.empty()) return;
        f = std::move(queue.front());
        queue.pop_front();
      }
      f();
    }
  }
  std::vector<Shard*> pointers() {
    std::vector<Shard*> out;
    for (auto& s : shards) out.push_back(s.get());
    return out;
  }
  std::mutex mutex;
  std::deque<std::function<void()>> queue;
  std::vector<std::unique_ptr<Shard>> shards;
};

}  // namespace natter::chat
