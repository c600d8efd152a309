#include <gtest/gtest.h>

#include <memory>

#include "cache/memory/memory_message_cache.hpp"
#include "cache/memory/memory_rate_limiter.hpp"
#include "store/checked_store.hpp"
#include "store/memory/memory_store.hpp"

namespace natter::cache {
namespace {

chat::ChatMessage msg(std::string text) {
  return {std::nullopt, 0, "u", "user", "general", std::move(text), {}};
}

TEST(MemoryMessageCache, AssignsIncreasingIdsAndKeepsTheRecent) {
  MemoryMessageCache cache(MemoryCacheLimits{3, 2, 10}, 100);
  for (int i = 0; i < 5; ++i) {
    auto m = msg(std::to_string(i));
    m.cache_id = cache.next_public_id();
    EXPECT_EQ(m.cache_id, 101 + i);
    cache.remember_public(m);
  }
  auto recent = cache.recent_public(0, 500);
  ASSERT_EQ(recent.size(), 3u);
  EXPECT_EQ(recent.front().cache_id, 103);
  EXPECT_EQ(recent.back().cache_id, 105);
  EXPECT_EQ(cache.recent_public(104, 500).size(), 1u);
  EXPECT_TRUE(cache.recent_public(105, 500).empty());
  auto limited = cache.recent_public(0, 2);
  ASSERT_EQ(limited.size(), 2u);
  EXPECT_EQ(limited.front().cache_id, 104);
}

TEST(MemoryMessageCache, RemovesPublicMessages) {
  MemoryMessageCache cache;
  for (int i = 0; i < 3; ++i) {
    auto m = msg("x");
    m.cache_id = cache.next_public_id();
    cache.remember_public(m);
  }
  std::vector<std::int64_t> ids{2, 9};
  EXPECT_EQ(cache.remove_public(ids), std::vector<std::int64_t>{2});
  EXPECT_EQ(cache.recent_public(0, 10).size(), 2u);
}

TEST(MemoryMessageCache, KeepsPrivateHistoryPerUserBounded) {
  MemoryMessageCache cache(MemoryCacheLimits{10, 2, 10});
  for (int i = 0; i < 3; ++i) {
    chat::PrivateMessage p{std::nullopt, 0, "a", "alice", "b", "bob", "hi", {}};
    p.cache_id = cache.next_private_id();
    EXPECT_EQ(p.cache_id, i + 1);
    cache.remember_private(p);
  }
  EXPECT_EQ(cache.recent_private("a").size(), 2u);
  EXPECT_EQ(cache.recent_private("b").size(), 2u);
  EXPECT_EQ(cache.recent_private("b").front().cache_id, 2);
  EXPECT_TRUE(cache.recent_private("c").empty());
  chat::PrivateMessage self{std::nullopt, 4, "c", "carol", "c", "carol", "note", {}};
  cache.remember_private(self);
  EXPECT_EQ(cache.recent_private("c").size(), 1u);
}

TEST(MemoryMessageCache, StartsAboveStoredIdsAndKeepsOrderWhenWarmed) {
  MemoryMessageCache cache(MemoryCacheLimits{3, 2, 10}, 40, 7);
  EXPECT_EQ(cache.next_public_id(), 41);
  EXPECT_EQ(cache.next_private_id(), 8);
  for (std::int64_t id : {41, 39, 40, 40}) {
    auto m = msg("w");
    m.cache_id = id;
    cache.remember_public(m);
  }
  auto recent = cache.recent_public(0, 10);
  ASSERT_EQ(recent.size(), 3u);
  EXPECT_EQ(recent[0].cache_id, 39);
  EXPECT_EQ(recent[2].cache_id, 41);
}

TEST(MemoryMessageCache, WarmsAUsersPrivateHistoryFromTheStoreOnce) {
  MemoryMessageCache cache(MemoryCacheLimits{10, 3, 10});
  auto whisper = [](std::int64_t id) {
    return chat::PrivateMessage{id, id, "a", "alice", "b", "bob", "w", {}};
  };
  EXPECT_FALSE(cache.private_warm("b"));
  cache.remember_private(whisper(5));  // delivered while the store was being read
  const std::vector<chat::PrivateMessage> stored{whisper(2), whisper(3), whisper(4), whisper(5)};
  cache.warm_private("b", stored);
  EXPECT_TRUE(cache.private_warm("b"));
  EXPECT_FALSE(cache.private_warm("a"));  // its sender's history is read on its own connect
  std::vector<std::int64_t> ids;
  for (const auto& m : cache.recent_private("b")) ids.push_back(m.cache_id);
  EXPECT_EQ(ids, (std::vector<std::int64_t>{3, 4, 5}));  // merged once, newest kept
}

TEST(MemoryMessageCache, RefillsTheNewestStoredUpToItsLastId) {
  store::CheckedStore store{std::make_unique<store::MemoryStore>()};
  ASSERT_TRUE(store.seed_channels({"general"}));
  std::vector<chat::ChatMessage> stored;
  for (int i = 1; i <= 5; ++i) {
    auto m = msg(std::to_string(i));
    m.cache_id = i;
    stored.push_back(m);
  }
  ASSERT_TRUE(store.insert_messages(stored, {}));

  MemoryMessageCache cache(MemoryCacheLimits{3, 2, 10}, 5);
  cache.refill(store);
  std::vector<std::int64_t> ids;
  for (const auto& m : cache.recent_public(0, 500)) ids.push_back(m.cache_id);
  EXPECT_EQ(ids, (std::vector<std::int64_t>{3, 4, 5}));
  EXPECT_EQ(cache.next_public_id(), 6);

  MemoryMessageCache behind(MemoryCacheLimits{3, 2, 10}, 4);
  behind.refill(store);
  ids.clear();
  for (const auto& m : behind.recent_public(0, 500)) ids.push_back(m.cache_id);
  EXPECT_EQ(ids, (std::vector<std::int64_t>{2, 3, 4}));
}

TEST(MemoryRateLimiter, AllowsTheLimitPerSlidingWindow) {
  MemoryRateLimiter limiter({3, 10});
  auto t0 = std::chrono::steady_clock::time_point{} + std::chrono::hours(1);
  using std::chrono::seconds;
  EXPECT_TRUE(limiter.acquire("u", t0).allowed);
  EXPECT_TRUE(limiter.acquire("u", t0 + seconds(1)).allowed);
  EXPECT_TRUE(limiter.acquire("u", t0 + seconds(2)).allowed);
  auto refused = limiter.acquire("u", t0 + seconds(3));
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after, std::chrono::milliseconds(7000));
  EXPECT_TRUE(limiter.acquire("other", t0 + seconds(3)).allowed);
  EXPECT_TRUE(limiter.acquire("u", t0 + seconds(10)).allowed);  // the first one left the window
  EXPECT_FALSE(limiter.acquire("u", t0 + seconds(10)).allowed);
}

TEST(MemoryRateLimiter, NewLimitsApplyAtOnce) {
  MemoryRateLimiter limiter({1, 60});
  auto t0 = std::chrono::steady_clock::time_point{} + std::chrono::hours(1);
  EXPECT_TRUE(limiter.acquire("u", t0).allowed);
  EXPECT_FALSE(limiter.acquire("u", t0).allowed);
  limiter.set_limit({5, 60});
  EXPECT_EQ(limiter.limit().message_limit, 5);
  EXPECT_TRUE(limiter.acquire("u", t0).allowed);
}

}  // namespace
}  // namespace natter::cache
