#include "chat/moderation.hpp"

#include <gtest/gtest.h>

#include <deque>

#include "cache/memory/memory_message_cache.hpp"
#include "cache/memory/memory_rate_limiter.hpp"
#include "chat/embedded_acceptance.hpp"
#include "store/checked_store.hpp"
#include "store/memory/memory_store.hpp"

namespace natter::chat {
namespace {

class Recorder final : public Connection {
 public:
  void send(const Frame&) override {}
  void close(CloseCode code, std::string_view) override { closed = code; }
  std::optional<CloseCode> closed;
};

TEST(Moderation, BanDisconnectsAtOnceAndPardonLetsBackIn) {
  std::deque<std::function<void()>> posted;
  Shard shard([&](std::function<void()> f) { posted.push_back(std::move(f)); });
  auto run = [&] {
    while (!posted.empty()) {
      auto f = std::move(posted.front());
      posted.pop_front();
      f();
    }
  };
  store::CheckedStore store{std::make_unique<store::MemoryStore>()};
  cache::MemoryMessageCache cache;
  cache::MemoryRateLimiter limiter({10, 60});
  EmbeddedAcceptance acceptance(limiter, cache, store, 100);
  Hub hub(HubSettings{}, {{1, "general", "", 0}}, cache, acceptance, {&shard});
  Moderation moderation(store, hub);

  ASSERT_TRUE(store.upsert_user("u-m", "mallory", now_micros()));
  auto mallory = std::make_shared<Recorder>();
  auto other = std::make_shared<Recorder>();
  hub.join({1, 0, "u-m", "mallory", false}, mallory, {});
  hub.join({2, 0, "u-o", "olive", false}, other, {});
  run();

  auto ban = moderation.ban(NewBan{"u-admin", "u-m", "spam", 2, now_micros()});
  ASSERT_TRUE(ban) << ban.error().message;
  EXPECT_EQ(ban->banished_username, "mallory");
  ASSERT_TRUE(ban->end.has_value());
  run();
  EXPECT_EQ(mallory->closed, CloseCode::banned);
  EXPECT_FALSE(other->closed);

  auto active = moderation.active_ban("u-m");
  ASSERT_TRUE(active);
  ASSERT_TRUE(active->has_value());
  EXPECT_NE(describe_ban(**active).find("until"), std::string::npos);
  EXPECT_NE(describe_ban(**active).find("spam"), std::string::npos);

  ASSERT_TRUE(moderation.pardon(ban->id));
  EXPECT_FALSE(moderation.active_ban("u-m")->has_value());
  EXPECT_EQ(moderation.pardon(9999).error().kind, Error::Kind::not_found);

  auto permanent = moderation.ban(NewBan{"u-admin", "u-o", "", std::nullopt, now_micros()});
  ASSERT_TRUE(permanent);
  EXPECT_FALSE(permanent->end.has_value());
  EXPECT_EQ(describe_ban(*permanent), "banned permanently");
}

}  // namespace
}  // namespace natter::chat
