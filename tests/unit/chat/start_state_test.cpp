// The start state read through the Store port (chat/start_state.hpp): what a first start
// seeds, the crashed sessions closed by a single instance only, and the rate-limit reader the
// Valkey bus reloads with, seeded from the settings.
#include "chat/start_state.hpp"

#include <gtest/gtest.h>

#include <memory>

#include "store/checked_store.hpp"
#include "store/memory/memory_store.hpp"

namespace natter::chat {
namespace {

// Seconds the sessions started over the last two days were open, as the store counts them (an
// open session counts none).
std::int64_t closed_seconds(Store& store, const std::string& user) {
  auto days = store.session_activity(user, 2, now_micros());
  EXPECT_TRUE(days);
  std::int64_t total = 0;
  for (const auto& day : *days) total += day.total_seconds;
  return total;
}

TEST(StartState, AFirstStartSeedsFromTheSettings) {
  store::CheckedStore store{std::make_unique<store::MemoryStore>()};
  const auto start = read_start_state(store, StartSettings{.channels = {"general", "random"},
                                                           .rate_limit_seed = {5, 30},
                                                           .server_name = "here",
                                                           .single_instance = true});
  ASSERT_EQ(start.channels.size(), 2u);
  EXPECT_EQ(start.channels[0].name, "general");
  EXPECT_EQ(start.channels[1].name, "random");
  EXPECT_EQ(start.rate_limit.message_limit, 5);
  EXPECT_EQ(start.rate_limit.window_seconds, 30);
  EXPECT_EQ(start.identity.name, "here");
  EXPECT_FALSE(start.identity.id.empty());
  EXPECT_EQ(start.ids.max_public_cache_id, 0);
  EXPECT_EQ(start.ids.max_private_cache_id, 0);
}

TEST(StartState, WhatIsStoredWinsOverTheSeeds) {
  store::CheckedStore store{std::make_unique<store::MemoryStore>()};
  ASSERT_TRUE(store.seed_channels({"kept"}));
  ASSERT_TRUE(store.set_rate_limit(RateLimitRow{1, "admin", 3, 9}));
  const auto first = store.server_identity("first");
  ASSERT_TRUE(first);
  const auto start = read_start_state(
      store,
      StartSettings{.channels = {"general"}, .rate_limit_seed = {5, 30}, .server_name = "x"});
  ASSERT_EQ(start.channels.size(), 1u);
  EXPECT_EQ(start.channels[0].name, "kept");
  EXPECT_EQ(start.rate_limit.message_limit, 3);
  EXPECT_EQ(start.rate_limit.window_seconds, 9);
  EXPECT_EQ(start.identity.id, first->id);
}

TEST(StartState, ASingleInstanceClosesTheSessionsACrashLeftOpen) {
  store::CheckedStore store{std::make_unique<store::MemoryStore>()};
  ASSERT_TRUE(store.open_session("u", now_micros() - std::chrono::seconds(60), "gone"));
  EXPECT_EQ(closed_seconds(store, "u"), 0);
  read_start_state(store, StartSettings{.channels = {"general"}, .single_instance = true});
  EXPECT_GE(closed_seconds(store, "u"), 60);
}

TEST(StartState, AnInstanceBesideOthersLeavesTheirSessionsOpen) {
  store::CheckedStore store{std::make_unique<store::MemoryStore>()};
  ASSERT_TRUE(store.open_session("u", now_micros() - std::chrono::seconds(60), "other"));
  read_start_state(store, StartSettings{.channels = {"general"}, .single_instance = false});
  EXPECT_EQ(closed_seconds(store, "u"), 0);
}

TEST(StartState, TheRateLimitReaderSeedsFromTheSettingsNotTheDefault) {
  store::CheckedStore store{std::make_unique<store::MemoryStore>()};
  const auto read = rate_limit_reader(store, RateLimit{7, 42});
  auto limit = read();
  ASSERT_TRUE(limit);
  EXPECT_EQ(limit->message_limit, 7);
  EXPECT_EQ(limit->window_seconds, 42);
  ASSERT_TRUE(store.set_rate_limit(RateLimitRow{1, "admin", 2, 5}));
  limit = read();
  ASSERT_TRUE(limit);
  EXPECT_EQ(limit->message_limit, 2);
  EXPECT_EQ(limit->window_seconds, 5);
}

}  // namespace
}  // namespace natter::chat
