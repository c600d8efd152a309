// The pipeline against a real redis-server: commands from many threads, answered in order;
// scripts loaded again after SCRIPT FLUSH; a dead server answers every caller at once, and the
// pipeline comes back when the server does. The subscriber resubscribes the same way.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>

#include "cache/valkey/pipeline.hpp"
#include "cache/valkey/subscriber.hpp"
#include "valkey_support.hpp"

namespace natter::cache::testing {
namespace {

// Counts callbacks and whether they had a reply.
struct Tally {
  std::atomic<int> replies{0};
  std::atomic<int> nulls{0};
  int total() const { return replies.load() + nulls.load(); }
  Pipeline::Done done() {
    return [this](const Reply* reply) { ++(reply ? replies : nulls); };
  }
};

using ValkeyPipeline = ValkeyTest;

TEST_F(ValkeyPipeline, ManyThreadsGetTheirRepliesInOrder) {
  Pipeline pipeline(address_, "test");
  pipeline.start({});
  constexpr int threads = 4;
  constexpr int per_thread = 2000;
  std::vector<std::vector<long long>> got(threads);
  std::vector<std::mutex> locks(threads);
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      const std::string key = "order:" + std::to_string(t);
      for (int i = 0; i < per_thread; ++i) {
        pipeline.submit({"RPUSH", key, std::to_string(i)}, [&, t](const Reply* reply) {
          std::lock_guard lock(locks[t]);
          got[t].push_back(reply && reply->type == Reply::Type::integer ? reply->integer : -1);
        });
      }
    });
  }
  for (auto& w : workers) w.join();
  ASSERT_TRUE(eventually(
      [&] {
        for (int t = 0; t < threads; ++t) {
          std::lock_guard lock(locks[t]);
          if (got[t].size() < per_thread) return false;
        }
        return true;
      },
      20000ms));
  for (int t = 0; t < threads; ++t) {
    std::lock_guard lock(locks[t]);
    ASSERT_EQ(got[t].size(), static_cast<std::size_t>(per_thread));
    for (int i = 0; i < per_thread; ++i) {
      ASSERT_EQ(got[t][i], i + 1) << "thread " << t << ", reply " << i;
    }
    auto values = must_call(redis(), {"LRANGE", "order:" + std::to_string(t), "0", "-1"});
    ASSERT_EQ(values.elements.size(), static_cast<std::size_t>(per_thread));
    for (int i = 0; i < per_thread; ++i) ASSERT_EQ(values.elements[i].text, std::to_string(i));
  }
  EXPECT_TRUE(pipeline.connected());
  EXPECT_GT(pipeline.batches(), 0u);
  EXPECT_LT(pipeline.batches(), static_cast<std::size_t>(threads * per_thread))
      << "commands were not batched";
  pipeline.stop();
}

TEST_F(ValkeyPipeline, RunsOnConnectFirst) {
  Pipeline pipeline(address_, "test");
  std::atomic<int> connects{0};
  pipeline.start([&] {
    ++connects;
    return std::vector<Command>{{"SET", "registered", "yes"}};
  });
  std::string value;
  std::atomic<bool> done{false};
  pipeline.submit({"GET", "registered"}, [&](const Reply* reply) {
    value = reply ? reply->text : "(null)";
    done = true;
  });
  ASSERT_TRUE(eventually([&] { return done.load(); }));
  EXPECT_EQ(value, "yes");
  EXPECT_EQ(connects.load(), 1);
  pipeline.stop();
}

TEST_F(ValkeyPipeline, ErrorRepliesReachTheirCallback) {
  Pipeline pipeline(address_, "test");
  pipeline.start({});
  must_call(redis(), {"SET", "text", "abc"});
  std::atomic<int> state{0};
  std::string error;
  pipeline.submit({"INCR", "text"}, [&](const Reply* reply) {
    if (reply && reply->is_error()) error = reply->text;
    state = reply ? 1 : 2;
  });
  ASSERT_TRUE(eventually([&] { return state.load() != 0; }));
  EXPECT_EQ(state.load(), 1);
  EXPECT_FALSE(error.empty());
  pipeline.stop();
}

TEST_F(ValkeyPipeline, StopSendsWhatIsQueued) {
  Tally tally;
  {
    Pipeline pipeline(address_, "test");
    pipeline.start({});
    for (int i = 0; i < 5000; ++i) pipeline.submit({"INCR", "stopped"}, tally.done());
    pipeline.stop();
  }
  EXPECT_EQ(tally.replies.load(), 5000);
  EXPECT_EQ(tally.nulls.load(), 0);
  EXPECT_EQ(must_call(redis(), {"GET", "stopped"}).text, "5000");
}

TEST_F(ValkeyPipeline, FallsBackToEvalAfterScriptFlush) {
  Pipeline pipeline(address_, "test");
  pipeline.start({});
  auto send = [&](const std::string& text, std::vector<std::int64_t>& ids, std::mutex& m) {
    auto args = accept_argv({'p', "u", 0, 1000, 60, message_body(public_message("u", text)), ""});
    auto fallback = eval(accept_script(), args);
    pipeline.submit(
        evalsha(accept_script(), std::move(args)),
        [&](const Reply* reply) {
          std::lock_guard lock(m);
          ids.push_back(reply && reply->type == Reply::Type::array ? reply->elements[1].integer
                                                                   : -1);
        },
        std::move(fallback));
  };
  std::mutex m;
  std::vector<std::int64_t> ids;
  must_call(redis(), {"SCRIPT", "FLUSH"});
  for (int i = 0; i < 10; ++i) send("a", ids, m);
  ASSERT_TRUE(eventually([&] {
    std::lock_guard lock(m);
    return ids.size() == 10;
  }));
  must_call(redis(), {"SCRIPT", "FLUSH"});
  for (int i = 0; i < 10; ++i) send("b", ids, m);
  ASSERT_TRUE(eventually([&] {
    std::lock_guard lock(m);
    return ids.size() == 20;
  }));
  pipeline.stop();
  std::lock_guard lock(m);
  for (std::size_t i = 0; i < ids.size(); ++i) EXPECT_EQ(ids[i], static_cast<std::int64_t>(i + 1));
}

// A SCRIPT FLUSH while connected: the accepts answered NOSCRIPT are sent again as EVAL and keep
// their order among themselves (after a reconnection the bus loads its scripts first, so this
// only happens when an operator flushes scripts under a live connection).
TEST_F(ValkeyPipeline, AcceptsKeepTheirOrderAcrossAScriptReload) {
  Pipeline pipeline(address_, "test");
  pipeline.start({});
  must_call(redis(), {"SCRIPT", "FLUSH"});
  std::mutex m;
  std::vector<std::pair<std::string, long long>> order;
  auto record = [&](std::string what) {
    return [&, what](const Reply* reply) {
      std::lock_guard lock(m);
      order.emplace_back(what,
                         reply && reply->elements.size() == 2 ? reply->elements[1].integer : -1);
    };
  };
  // Submitted while the pipeline thread is held up by CLIENT PAUSE, so all go in one batch.
  must_call(redis(), {"CLIENT", "PAUSE", "200", "ALL"});
  pipeline.submit({"PING"}, record("ping"));
  std::this_thread::sleep_for(50ms);
  for (const char* who : {"a", "b", "c"}) {
    auto args = accept_argv({'p', who, 0, 1000, 60, message_body(public_message(who, "x")), ""});
    auto fallback = eval(accept_script(), args);
    pipeline.submit(evalsha(accept_script(), args), record(who), fallback);
  }
  ASSERT_TRUE(eventually([&] {
    std::lock_guard lock(m);
    return order.size() == 4;
  }));
  pipeline.stop();
  std::lock_guard lock(m);
  ASSERT_EQ(order.size(), 4u);
  EXPECT_EQ(order[0].first, "ping");
  EXPECT_EQ(order[1], (std::pair<std::string, long long>{"a", 1}));
  EXPECT_EQ(order[2], (std::pair<std::string, long long>{"b", 2}));
  EXPECT_EQ(order[3], (std::pair<std::string, long long>{"c", 3}));
}

TEST(ValkeyPipelineDown, CallersHearAtOnceAndThePipelineComesBack) {
  OwnRedis server;
  ASSERT_TRUE(server.start());
  std::atomic<int> connects{0};
  Pipeline pipeline(server.address(), "test");
  pipeline.start([&] {
    ++connects;
    return std::vector<Command>{{"SET", "registered", std::to_string(connects.load())}};
  });
  Tally before;
  pipeline.submit({"PING"}, before.done());
  ASSERT_TRUE(eventually([&] { return before.total() == 1; }));
  EXPECT_EQ(before.replies.load(), 1);
  EXPECT_TRUE(pipeline.connected());

  server.kill();
  // The first command after the crash finds the connection gone; every one after is refused
  // while the server stays away. None waits long.
  for (int round = 0; round < 3; ++round) {
    Tally down;
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < 50; ++i) pipeline.submit({"PING"}, down.done());
    ASSERT_TRUE(eventually([&] { return down.total() == 50; }, 3000ms))
        << "round " << round << ": " << down.total() << " of 50 answered";
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 1500ms) << "round " << round;
    EXPECT_EQ(down.nulls.load(), 50) << "round " << round;
    std::this_thread::sleep_for(300ms);
  }
  EXPECT_FALSE(pipeline.connected());

  ASSERT_TRUE(server.start());
  ASSERT_TRUE(eventually(
      [&] {
        Tally probe;
        pipeline.submit({"PING"}, probe.done());
        if (!eventually([&] { return probe.total() == 1; }, 3000ms)) return false;
        return probe.replies.load() == 1;
      },
      10000ms))
      << "the pipeline did not reconnect";
  EXPECT_TRUE(pipeline.connected());
  EXPECT_GE(connects.load(), 2);
  auto c = open_or_fail(server.address());
  ASSERT_TRUE(c);
  EXPECT_EQ(must_call(*c, {"GET", "registered"}).text, std::to_string(connects.load()))
      << "on_connect's commands were not sent to the new server";

  // The new server knows no script: EVALSHA falls back to EVAL.
  std::atomic<int> accepted{0};
  auto args = accept_argv({'p', "u", 7, 1000, 60, message_body(public_message("u", "x")), ""});
  auto fallback = eval(accept_script(), args);
  pipeline.submit(
      evalsha(accept_script(), std::move(args)),
      [&](const Reply* reply) {
        accepted = reply && reply->type == Reply::Type::array ? reply->elements[1].integer : -1;
      },
      std::move(fallback));
  ASSERT_TRUE(eventually([&] { return accepted.load() != 0; }));
  EXPECT_EQ(accepted.load(), 8);
  pipeline.stop();
}

TEST(ValkeyPipelineDown, StopDoesNotHangWhileTheServerIsAway) {
  OwnRedis server;
  ASSERT_TRUE(server.start());
  Pipeline pipeline(server.address(), "test");
  pipeline.start({});
  Tally tally;
  pipeline.submit({"PING"}, tally.done());
  ASSERT_TRUE(eventually([&] { return tally.total() == 1; }));
  server.kill();
  for (int i = 0; i < 10; ++i) pipeline.submit({"PING"}, tally.done());
  const auto t0 = std::chrono::steady_clock::now();
  pipeline.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 3000ms);
  EXPECT_EQ(tally.total(), 11);
}

TEST(ValkeyPipelineDown, NeverStartedServerRefusesPromptly) {
  ValkeyAddress dead{.host = "127.0.0.1", .port = free_port()};
  Pipeline pipeline(dead, "test");
  pipeline.start({});
  Tally tally;
  for (int i = 0; i < 20; ++i) pipeline.submit({"PING"}, tally.done());
  ASSERT_TRUE(eventually([&] { return tally.total() == 20; }, 3000ms));
  EXPECT_EQ(tally.nulls.load(), 20);
  EXPECT_FALSE(pipeline.connected());
  pipeline.stop();
}

TEST(ValkeyPipelineDown, TooFarBehindRefusesTheNewest) {
  OwnRedis server;
  ASSERT_TRUE(server.start());
  Pipeline pipeline(server.address(), "test", 1024, 100);
  pipeline.start({});
  Tally first;
  pipeline.submit({"PING"}, first.done());
  ASSERT_TRUE(eventually([&] { return first.total() == 1; }));
  auto admin = open_or_fail(server.address());
  ASSERT_TRUE(admin);
  // Hold the pipeline thread in one round trip while far more than 100 commands queue.
  must_call(*admin, {"CLIENT", "PAUSE", "400", "ALL"});
  std::atomic<bool> held{false};
  pipeline.submit({"PING"}, [&](const Reply*) { held = true; });
  std::this_thread::sleep_for(100ms);
  Tally flood;
  for (int i = 0; i < 1000; ++i) pipeline.submit({"INCR", "flood"}, flood.done());
  ASSERT_TRUE(eventually([&] { return held.load() && flood.total() == 1000; }, 5000ms));
  EXPECT_EQ(flood.replies.load(), 100);
  EXPECT_EQ(flood.nulls.load(), 900);
  EXPECT_EQ(must_call(*admin, {"GET", "flood"}).text, "100");
  pipeline.stop();
}

TEST_F(ValkeyPipeline, BatchesAreBoundedByMaxBatch) {
  Pipeline pipeline(address_, "test", 7);
  pipeline.start({});
  Tally first;
  pipeline.submit({"PING"}, first.done());
  ASSERT_TRUE(eventually([&] { return first.total() == 1; }));
  const auto before = pipeline.batches();
  // Everything queues while the server is paused, then goes in batches of at most 7.
  must_call(redis(), {"CLIENT", "PAUSE", "300", "ALL"});
  pipeline.submit({"PING"}, first.done());
  std::this_thread::sleep_for(100ms);
  Tally tally;
  for (int i = 0; i < 70; ++i) pipeline.submit({"INCR", "bounded"}, tally.done());
  ASSERT_TRUE(eventually([&] { return tally.total() == 70; }));
  EXPECT_EQ(tally.replies.load(), 70);
  EXPECT_EQ(pipeline.batches() - before, 1u + 10u);
  pipeline.stop();
}

TEST(ValkeyPipelineDown, SubscriberResubscribesAfterARestart) {
  OwnRedis server;
  ASSERT_TRUE(server.start());
  Subscriber subscriber(server.address(), "natter:bus");
  std::mutex m;
  std::vector<std::string> heard;
  std::atomic<int> subscriptions{0};
  subscriber.start(
      [&](std::string_view text) {
        std::lock_guard lock(m);
        heard.emplace_back(text);
      },
      [&] { ++subscriptions; });
  ASSERT_TRUE(eventually([&] { return subscriber.subscribed(); }));
  {
    auto c = open_or_fail(server.address());
    ASSERT_TRUE(c);
    must_call(*c, {"PUBLISH", "natter:bus", "before"});
  }
  ASSERT_TRUE(eventually([&] {
    std::lock_guard lock(m);
    return heard.size() == 1;
  }));
  server.kill();
  ASSERT_TRUE(eventually([&] { return !subscriber.subscribed(); }));
  ASSERT_TRUE(server.start());
  ASSERT_TRUE(eventually([&] { return subscriber.subscribed(); }, 10000ms));
  EXPECT_EQ(subscriptions.load(), 2);
  {
    auto c = open_or_fail(server.address());
    ASSERT_TRUE(c);
    must_call(*c, {"PUBLISH", "natter:bus", "after"});
  }
  ASSERT_TRUE(eventually([&] {
    std::lock_guard lock(m);
    return heard.size() == 2;
  }));
  const auto t0 = std::chrono::steady_clock::now();
  subscriber.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1000ms);
  std::lock_guard lock(m);
  EXPECT_EQ(heard, (std::vector<std::string>{"before", "after"}));
}

}  // namespace
}  // namespace natter::cache::testing
