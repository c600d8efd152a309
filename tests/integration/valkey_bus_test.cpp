// Two natter instances joined by ValkeyBus over a real redis-server: each with its own hub,
// one shard (a thread of its own) and recording connections. Messages posted on either reach
// both in one cacheID order; presence, deletions and a stopped instance cross over.
#include "cache/valkey/valkey_bus.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <condition_variable>
#include <deque>
#include <mutex>

#include "cache/memory/memory_message_cache.hpp"
#include "cache/memory/memory_rate_limiter.hpp"
#include "chat/frame.hpp"
#include "chat/hub.hpp"
#include "valkey_proxy.hpp"
#include "valkey_support.hpp"

namespace natter::cache::testing {
namespace {
namespace json = boost::json;

class RecordingConnection final : public chat::Connection {
 public:
  void send(const chat::Frame& frame) override {
    std::vector<json::object> objects;
    for (auto payload : chat::frame_payloads(*frame)) {
      objects.push_back(json::parse(payload).as_object());
    }
    std::lock_guard lock(mutex_);
    for (auto& object : objects) frames_.push_back(std::move(object));
  }
  void close(chat::CloseCode, std::string_view) override {}

  std::vector<json::object> of_type(std::string_view type) {
    std::lock_guard lock(mutex_);
    std::vector<json::object> out;
    for (const auto& f : frames_) {
      if (f.at("type").as_string() == type) out.push_back(f);
    }
    return out;
  }
  std::vector<std::int64_t> chat_ids() {
    std::vector<std::int64_t> ids;
    for (const auto& f : of_type("chat_message")) {
      ids.push_back(f.at("payload").at("cacheID").as_int64());
    }
    return ids;
  }

 private:
  std::mutex mutex_;
  std::vector<json::object> frames_;
};

// A shard run by a thread of its own, as an IO thread runs it.
class ShardThread {
 public:
  ShardThread()
      : shard_([this](std::function<void()> f) {
          {
            std::lock_guard lock(mutex_);
            queue_.push_back(std::move(f));
          }
          wake_.notify_one();
        }),
        thread_([this] { run(); }) {}
  ~ShardThread() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_one();
    thread_.join();
  }
  chat::Shard* shard() { return &shard_; }

 private:
  void run() {
    std::unique_lock lock(mutex_);
    for (;;) {
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;
      auto f = std::move(queue_.front());
      queue_.pop_front();
      lock.unlock();
      f();
      lock.lock();
    }
  }
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;
  chat::Shard shard_;
  std::thread thread_;
};

// One natter instance: its cache, limiter, shard, hub and bus.
struct Instance {
  Instance(const ValkeyAddress& address, std::string name, chat::RateLimit limit = {1000, 60},
           const std::function<void(ValkeyBusSettings&)>& adjust = {})
      : limiter(limit),
        bus(settings(address, std::move(name), limit, adjust)),
        hub(chat::HubSettings{}, {{1, "general", "", 0}}, cache, bus, {shard.shard()},
            chat::ChatMetrics::none(), &bus) {}

  static ValkeyBusSettings settings(const ValkeyAddress& address, std::string name,
                                    chat::RateLimit limit,
                                    const std::function<void(ValkeyBusSettings&)>& adjust) {
    ValkeyBusSettings s;
    s.address = address;
    s.instance = std::move(name);
    s.presence_timeout = std::chrono::seconds(1);
    s.limit = limit;
    if (adjust) adjust(s);
    return s;
  }

  bool start() { return bus.start(hub, limiter, cache, 3000ms); }

  std::shared_ptr<RecordingConnection> join(const chat::Participant& who) {
    auto c = std::make_shared<RecordingConnection>();
    hub.join(who, c, std::nullopt);
    return c;
  }

  MemoryMessageCache cache;
  MemoryRateLimiter limiter;
  ShardThread shard;
  ValkeyBus bus;
  chat::Hub hub;
};

using ValkeyBusTest = ValkeyTest;

chat::Participant alice{1, 0, "u-a", "alice"};
chat::Participant bob{2, 0, "u-b", "bob"};

TEST_F(ValkeyBusTest, MessagesReachBothInstancesInOneOrder) {
  Instance a(address_, "A");
  Instance b(address_, "B");
  ASSERT_TRUE(a.start());
  ASSERT_TRUE(b.start());
  ASSERT_TRUE(eventually([&] { return a.bus.healthy() && b.bus.healthy(); }));
  auto on_a = a.join(alice);
  auto on_b = b.join(bob);

  for (int i = 0; i < 20; ++i) {
    auto& here = i % 2 ? a : b;
    const auto& who = i % 2 ? alice : bob;
    EXPECT_FALSE(here.hub.post(who, chat::ChatRequest{"general", "m" + std::to_string(i)}));
  }
  std::vector<std::int64_t> expected;
  for (int i = 1; i <= 20; ++i) expected.push_back(i);
  ASSERT_TRUE(eventually([&] {
    return on_a->chat_ids().size() == 20 && on_b->chat_ids().size() == 20;
  })) << on_a->chat_ids().size()
      << " and " << on_b->chat_ids().size() << " of 20";
  EXPECT_EQ(on_a->chat_ids(), expected);
  EXPECT_EQ(on_b->chat_ids(), expected);
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(on_a->chat_ids().size(), 20u) << "delivered more than once";

  // Both mirrors hold them, and they are queued for the store once.
  EXPECT_EQ(a.cache.recent_public(0, 500).size(), 20u);
  EXPECT_EQ(b.cache.recent_public(0, 500).size(), 20u);
  EXPECT_EQ(must_call(redis(), {"LLEN", "natter:flush"}).integer, 20);
  b.bus.stop();
  a.bus.stop();
}

TEST_F(ValkeyBusTest, PresenceAndDeletionsCrossOverAndAStoppedInstanceLeaves) {
  Instance a(address_, "A");
  Instance b(address_, "B");
  ASSERT_TRUE(a.start());
  ASSERT_TRUE(b.start());
  ASSERT_TRUE(eventually([&] { return a.bus.healthy() && b.bus.healthy(); }));
  auto on_b = b.join(bob);
  auto on_a = a.join(alice);
  auto online = [&](chat::Hub& hub, const std::string& id) {
    for (const auto& u : hub.connected_users()) {
      if (u.id == id && u.status) return true;
    }
    return false;
  };
  ASSERT_TRUE(eventually([&] { return online(b.hub, "u-a"); })) << "alice is not seen on B";
  ASSERT_TRUE(eventually([&] { return online(a.hub, "u-b"); })) << "bob is not seen on A";
  ASSERT_TRUE(eventually([&] { return !on_b->of_type("user_status").empty(); }));
  EXPECT_EQ(on_b->of_type("user_status").back().at("payload").at("username"), "alice");

  EXPECT_FALSE(a.hub.post(alice, chat::ChatRequest{"general", "delete me"}));
  ASSERT_TRUE(eventually([&] { return on_b->chat_ids().size() == 1; }));
  std::vector<std::int64_t> gone{on_b->chat_ids().front()};
  a.hub.remove_messages(gone);
  ASSERT_TRUE(eventually([&] { return !on_b->of_type("messages_deleted").empty(); }))
      << "B was not told of the deletion";
  EXPECT_TRUE(eventually([&] { return b.cache.recent_public(0, 500).empty(); }));
  EXPECT_TRUE(eventually([&] {
    return must_call(redis(), {"LLEN", "natter:recent:p"}).integer == 0;
  }));

  a.bus.stop();
  ASSERT_TRUE(eventually([&] { return !online(b.hub, "u-a"); }))
      << "alice is still online on B after A stopped";
  b.bus.stop();
}

TEST_F(ValkeyBusTest, TheRateLimitSpansInstances) {
  Instance a(address_, "A", {3, 60});
  Instance b(address_, "B", {3, 60});
  ASSERT_TRUE(a.start());
  ASSERT_TRUE(b.start());
  ASSERT_TRUE(eventually([&] { return a.bus.healthy() && b.bus.healthy(); }));
  auto on_a = a.join(alice);
  std::mutex m;
  std::vector<chat::ProtocolError> refused;
  auto late = [&](const chat::ProtocolError& e) {
    std::lock_guard lock(m);
    refused.push_back(e);
  };
  for (int i = 0; i < 3; ++i) {
    EXPECT_FALSE((i % 2 ? a : b).hub.post(alice, chat::ChatRequest{"general", "x"}, late));
  }
  ASSERT_TRUE(eventually([&] { return on_a->chat_ids().size() == 3; }));
  EXPECT_FALSE(b.hub.post(alice, chat::ChatRequest{"general", "one too many"}, late));
  ASSERT_TRUE(eventually([&] {
    std::lock_guard lock(m);
    return refused.size() == 1;
  }));
  {
    std::lock_guard lock(m);
    EXPECT_EQ(refused[0].code, chat::ErrorCode::rate_limited);
    EXPECT_GT(refused[0].retry_after, 0ms);
    EXPECT_LE(refused[0].retry_after, 60000ms);
  }
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(on_a->chat_ids().size(), 3u);
  b.bus.stop();
  a.bus.stop();
}

// Valkey killed after answering an accept but before its publish reached anyone: the instance
// that was told "accepted" puts the message back once Valkey returns (empty), with its cacheID.
class ValkeyBusLoss : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(redis_.start()); }

  // An instance through the proxy whose accepts are counted when Valkey answers them.
  std::unique_ptr<Instance> instance() {
    return std::make_unique<Instance>(proxy_.address(), "A", chat::RateLimit{1000, 60},
                                      [this](ValkeyBusSettings& s) {
                                        s.observe_call = [this](auto, bool answered) {
                                          if (answered) ++answered_;
                                        };
                                      });
  }

  // Posts alice's message, lets Valkey answer it while its publish is discarded, and kills
  // Valkey; `before_return` runs against the restarted, empty server before natter may reach it.
  void lose_after_accepting(Instance& a, const std::function<void(Connection&)>& before_return) {
    proxy_.drop_to_subscribers(true);
    EXPECT_FALSE(a.hub.post(alice, chat::ChatRequest{"general", "lost in the crash"}, late()));
    ASSERT_TRUE(eventually([&] { return answered_ == 1; })) << "Valkey did not answer the accept";
    proxy_.turn_away(true);
    redis_.kill();
    ASSERT_TRUE(redis_.start());
    if (before_return) {
      auto direct = open_or_fail(redis_.address());
      ASSERT_TRUE(direct);
      before_return(*direct);
    }
    proxy_.drop_to_subscribers(false);
    proxy_.turn_away(false);
  }

  chat::Acceptance::Refuse late() {
    return [this](const chat::ProtocolError& e) {
      std::lock_guard lock(mutex_);
      refused_.push_back(e);
    };
  }
  std::vector<chat::ProtocolError> refused() {
    std::lock_guard lock(mutex_);
    return refused_;
  }

  OwnRedis redis_;
  ValkeyProxy proxy_{redis_.port()};
  std::atomic<int> answered_{0};
  std::mutex mutex_;
  std::vector<chat::ProtocolError> refused_;
};

std::vector<std::string> texts_of(RecordingConnection& c) {
  std::vector<std::string> out;
  for (const auto& f : c.of_type("chat_message")) {
    out.emplace_back(f.at("payload").at("message").as_string());
  }
  return out;
}

TEST_F(ValkeyBusLoss, PutsBackAMessageValkeyAcceptedThenLost) {
  auto a = instance();
  ASSERT_TRUE(a->start());
  ASSERT_TRUE(eventually([&] { return a->bus.healthy(); }));
  auto on_a = a->join(alice);
  lose_after_accepting(*a, {});

  ASSERT_TRUE(eventually([&] { return on_a->chat_ids().size() == 1; }, 15000ms))
      << "the accepted message was never delivered (nor refused: " << refused().size() << ")";
  EXPECT_EQ(on_a->chat_ids(), std::vector<std::int64_t>{1}) << "not under its accepted cacheID";
  EXPECT_EQ(texts_of(*on_a), std::vector<std::string>{"lost in the crash"});
  EXPECT_TRUE(refused().empty());
  // Back in the restarted Valkey: queued for the store, in the recent list, counted past.
  auto direct = open_or_fail(redis_.address());
  ASSERT_TRUE(direct);
  auto flush = must_call(*direct, {"LRANGE", "natter:flush", "0", "-1"});
  ASSERT_EQ(flush.elements.size(), 1u);
  EXPECT_NE(flush.elements[0].text.find("lost in the crash"), std::string::npos);
  EXPECT_EQ(must_call(*direct, {"LLEN", "natter:recent:p"}).integer, 1);
  EXPECT_EQ(must_call(*direct, {"GET", "natter:id:p"}).text, "1");
  // The next message is numbered after it.
  EXPECT_FALSE(a->hub.post(alice, chat::ChatRequest{"general", "after"}));
  ASSERT_TRUE(eventually([&] { return on_a->chat_ids().size() == 2; }));
  EXPECT_EQ(on_a->chat_ids(), (std::vector<std::int64_t>{1, 2}));
  a->bus.stop();
}

TEST_F(ValkeyBusLoss, RefusesALostMessageWhoseCacheIdWasTakenMeanwhile) {
  auto a = instance();
  ASSERT_TRUE(a->start());
  ASSERT_TRUE(eventually([&] { return a->bus.healthy(); }));
  auto on_a = a->join(alice);
  // Another instance numbers a message on the restarted Valkey before this one is back.
  lose_after_accepting(*a, [](Connection& direct) {
    ASSERT_TRUE(accept_public(direct, public_message("u-b", "from elsewhere")).accepted);
  });

  ASSERT_TRUE(eventually([&] { return refused().size() == 1; }, 15000ms))
      << "the lost message was neither put back nor refused";
  EXPECT_EQ(refused()[0].code, chat::ErrorCode::unavailable);
  std::this_thread::sleep_for(300ms);
  for (const auto& text : texts_of(*on_a)) EXPECT_NE(text, "lost in the crash");
  a->bus.stop();
}

}  // namespace
}  // namespace natter::cache::testing
