#include "chat/shard.hpp"

#include <gtest/gtest.h>

#include <array>
#include <deque>
#include <functional>

namespace natter::chat {
namespace {

class CountingConnection final : public Connection {
 public:
  void send(const Frame&) override { ++sent; }
  void close(CloseCode code, std::string_view) override { closed = code; }
  int sent = 0;
  std::optional<CloseCode> closed;
};

// Counts frames out by kind; the rest is not this test's business.
class FramesOut final : public ChatMetrics {
 public:
  void frames_out(OutKind kind, std::size_t recipients) override {
    counts[static_cast<std::size_t>(kind)] += recipients;
  }
  void fanned_out(Duration) override {}
  void committed(std::size_t, Duration, bool) override {}
  void commit_queue_depth(std::size_t) override {}
  void message_in(InKind) override {}
  void rate_limited() override {}
  std::size_t of(OutKind kind) const { return counts[static_cast<std::size_t>(kind)]; }
  std::array<std::size_t, kOutKinds> counts{};
};

class ShardTest : public ::testing::Test {
 protected:
  ShardTest() : shard([this](std::function<void()> f) { posted.push_back(std::move(f)); }, out) {
    for (std::uint64_t id = 1; id <= 6; ++id) {
      auto c = std::make_shared<CountingConnection>();
      connections.push_back(c);
      shard.attach(id, id <= 3 ? "u-a" : "u-b", c, {});
    }
    run();
  }
  void run() {
    while (!posted.empty()) {
      auto f = std::move(posted.front());
      posted.pop_front();
      f();
    }
  }

  FramesOut out;
  std::deque<std::function<void()>> posted;
  Shard shard;
  std::vector<std::shared_ptr<CountingConnection>> connections;
};

TEST_F(ShardTest, CountsEveryRecipientByKind) {
  const auto frame = make_frame(Opcode::text, "{}");
  shard.deliver_all(frame, OutKind::chat_message);
  shard.deliver_all(frame, OutKind::user_status, 2);
  shard.deliver_users(frame, "u-a", "u-b");
  shard.deliver_connection(frame, OutKind::analytics, 4);
  run();
  EXPECT_EQ(out.of(OutKind::chat_message), 6u);
  EXPECT_EQ(out.of(OutKind::user_status), 5u);
  EXPECT_EQ(out.of(OutKind::private_chat_message), 6u);
  EXPECT_EQ(out.of(OutKind::analytics), 1u);
  EXPECT_EQ(connections[3]->sent, 4);
}

TEST_F(ShardTest, CloseBatchesCoverEveryConnectionOnce) {
  shard.close_batch(1, 4, CloseCode::going_away, "bye");
  std::vector<std::uint64_t> closed;
  for (std::size_t i = 0; i < connections.size(); ++i) {
    if (connections[i]->closed) closed.push_back(i + 1);
  }
  EXPECT_EQ(closed, (std::vector<std::uint64_t>{1, 5}));
  for (std::size_t batch = 0; batch < 4; ++batch) {
    shard.close_batch(batch, 4, CloseCode::going_away, "bye");
  }
  for (const auto& c : connections) EXPECT_EQ(c->closed, CloseCode::going_away);
}

}  // namespace
}  // namespace natter::chat
