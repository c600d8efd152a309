// The session count: the shutdown's waiter runs once, when the count is zero, whether it was
// set before or after the last session ended, and on the thread of the session that ended last.
#include "net/session_count.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace natter::net {
namespace {

TEST(SessionCount, AWaiterSetAtZeroRunsAtOnce) {
  SessionCount count;
  int calls = 0;
  count.when_empty([&] { ++calls; });
  EXPECT_EQ(calls, 1);
  ++count;
  EXPECT_EQ(--count, 0u);
  EXPECT_EQ(calls, 1) << "a waiter runs once, not at every later zero";
}

TEST(SessionCount, TheLastSessionToEndRunsTheWaiter) {
  SessionCount count;
  ++count;
  ++count;
  int calls = 0;
  count.when_empty([&] { ++calls; });
  EXPECT_EQ(calls, 0);
  EXPECT_EQ(--count, 1u);
  EXPECT_EQ(calls, 0);
  EXPECT_EQ(--count, 0u);
  EXPECT_EQ(calls, 1);
}

TEST(SessionCount, AnEmptyFunctionUnsetsTheWaiter) {
  SessionCount count;
  ++count;
  int calls = 0;
  count.when_empty([&] { ++calls; });
  count.when_empty({});
  --count;
  EXPECT_EQ(calls, 0);
}

TEST(SessionCount, SessionsEndingOnManyThreadsWakeItOnce) {
  SessionCount count;
  constexpr int kSessions = 4000;
  for (int i = 0; i < kSessions; ++i) ++count;
  std::atomic<int> calls{0};
  std::atomic<bool> early{false};
  count.when_empty([&] {
    if (count.load() != 0) early = true;
    ++calls;
  });
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kSessions / 4; ++i) --count;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(count.load(), 0u);
  EXPECT_EQ(calls.load(), 1);
  EXPECT_FALSE(early.load()) << "the waiter ran before the count reached zero";
}

}  // namespace
}  // namespace natter::net
