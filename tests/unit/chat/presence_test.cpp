// The presence list kept ready, presence batches cut per connection, and the hub gathering
// the changes of a burst of connects into one batch per window.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <set>

#include "cache/memory/memory_message_cache.hpp"
#include "cache/memory/memory_rate_limiter.hpp"
#include "chat/embedded_acceptance.hpp"
#include "chat/hub.hpp"
#include "chat/hub_fixture.hpp"
#include "chat/presence_batch.hpp"
#include "chat/presence_list.hpp"
#include "store/checked_store.hpp"
#include "store/memory/memory_store.hpp"

namespace natter::chat {
namespace {
namespace json = boost::json;

std::vector<UserStatus> sorted(std::vector<UserStatus> users) {
  std::sort(users.begin(), users.end(), [](const UserStatus& a, const UserStatus& b) {
    return std::tie(a.username, a.id) < std::tie(b.username, b.id);
  });
  return users;
}

TEST(PresenceListTest, ItsFrameIsTheEncodersByteForByte) {
  PresenceList list;
  EXPECT_EQ(*list.frame(), *encode_connected_users({}));
  list.set("u-c", "carol");
  list.set("u-a", "alice");
  list.set("u-q", "quote\"and\\back\nslash");
  list.set("u-e", "\xC3\xA9mile");
  list.set("u-a2", "alice");  // same name, another user
  std::vector<UserStatus> expected{{"carol", "u-c", true},
                                   {"alice", "u-a", true},
                                   {"quote\"and\\back\nslash", "u-q", true},
                                   {"\xC3\xA9mile", "u-e", true},
                                   {"alice", "u-a2", true}};
  EXPECT_EQ(*list.frame(), *encode_connected_users(sorted(expected)));
  EXPECT_EQ(list.size(), 5u);

  list.erase("u-c");
  list.erase("nobody");
  list.set("u-a", "aaron");  // renamed: moves in the order
  expected = {{"aaron", "u-a", true},
              {"quote\"and\\back\nslash", "u-q", true},
              {"\xC3\xA9mile", "u-e", true},
              {"alice", "u-a2", true}};
  EXPECT_EQ(*list.frame(), *encode_connected_users(sorted(expected)));
  auto users = list.users();
  ASSERT_EQ(users.size(), 4u);
  EXPECT_EQ(users.front().username, "aaron");

  for (const auto& u : expected) list.erase(u.id);
  EXPECT_EQ(*list.frame(), *encode_connected_users({}));
}

TEST(PresenceListTest, TheFrameIsRebuiltOnlyAfterAChange) {
  PresenceList list;
  list.set("u-a", "alice");
  const Frame first = list.frame();
  EXPECT_EQ(list.frame().get(), first.get());
  list.set("u-a", "alice");  // no change
  EXPECT_EQ(list.frame().get(), first.get());
  list.set("u-b", "bob");
  EXPECT_NE(list.frame().get(), first.get());
}

std::vector<json::object> objects(const Frame& frame) {
  std::vector<json::object> out;
  for (auto payload : frame_payloads(*frame)) out.push_back(json::parse(payload).as_object());
  return out;
}

TEST(PresenceBatchTest, EachConnectionIsOwedWhatItHasNotSeen) {
  const std::vector<UserStatus> changes{
      {"bob", "u-b", true}, {"carol", "u-c", true}, {"alice", "u-a", false}};
  const PresenceBatch batch(11, changes, nullptr);  // changes 11, 12, 13
  EXPECT_EQ(batch.last_seq(), 13u);

  auto all = batch.owed(10);
  ASSERT_TRUE(all.frame);
  EXPECT_EQ(all.kind, OutKind::user_status);
  EXPECT_EQ(all.frames, 3u);
  auto seen = objects(all.frame);
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0].at("payload").at("username"), "bob");
  EXPECT_EQ(seen[2].at("payload").at("status"), false);
  EXPECT_EQ(*all.frame, *encode_user_status(changes[0]) + *encode_user_status(changes[1]) +
                            *encode_user_status(changes[2]));
  EXPECT_EQ(batch.owed(10).frame.get(), all.frame.get()) << "shared, not copied";

  auto after_own = batch.owed(11);  // connected with change 11 (bob's own)
  ASSERT_EQ(after_own.frames, 2u);
  EXPECT_EQ(*after_own.frame, *encode_user_status(changes[1]) + *encode_user_status(changes[2]));
  EXPECT_EQ(batch.owed(12).frames, 1u);
  EXPECT_FALSE(batch.owed(13).frame);
  EXPECT_FALSE(batch.owed(20).frame);
}

TEST(PresenceBatchTest, TheListGoesWhereItIsTheSmallerMessage) {
  std::vector<UserStatus> changes;
  for (int i = 0; i < 5; ++i)
    changes.push_back({"user" + std::to_string(i), std::to_string(i), true});
  const Frame list = encode_connected_users(changes);
  const PresenceBatch batch(1, changes, list);
  auto none_seen = batch.owed(0);
  EXPECT_EQ(none_seen.frame.get(), list.get());
  EXPECT_EQ(none_seen.kind, OutKind::connected_users);
  EXPECT_EQ(none_seen.frames, 1u);
  auto late = batch.owed(4);  // one change left: smaller than the list
  EXPECT_EQ(late.kind, OutKind::user_status);
  EXPECT_EQ(late.frames, 1u);
}

// Runs the hub's delayed tasks when the test says so.
struct ManualLater {
  Later later() {
    return [this](std::chrono::milliseconds delay, std::function<void()> task) {
      delays.push_back(delay);
      tasks.push_back(std::move(task));
    };
  }
  void fire() {
    auto due = std::move(tasks);
    tasks.clear();
    for (auto& task : due) task();
  }
  std::vector<std::chrono::milliseconds> delays;
  std::vector<std::function<void()>> tasks;
};

class PresenceWindowTest : public ::testing::Test {
 protected:
  PresenceWindowTest()
      : limiter({5, 60}),
        acceptance(limiter, cache, store, 100000),
        shards(2),
        hub(HubSettings{.presence_window = std::chrono::milliseconds(100)}, {{1, "general", "", 0}},
            cache, acceptance, shards.pointers(), ChatMetrics::none(), nullptr, later.later()) {
    acceptance.start(hub);
  }
  ~PresenceWindowTest() override { acceptance.stop(); }

  std::shared_ptr<FakeConnection> join(std::uint64_t id, const std::string& name) {
    auto c = std::make_shared<FakeConnection>();
    hub.join(Participant{id, id % 2, "u-" + name, name, false}, c, {});
    shards.run();
    return c;
  }
  // The users a connection believes online: its last list, then the changes after it.
  static std::set<std::string> view(const FakeConnection& c) {
    std::set<std::string> online;
    for (const auto& f : c.frames) {
      const auto& payload = f.at("payload");
      if (f.at("type") == "connected_users") {
        online.clear();
        for (const auto& u : payload.at("users").as_array()) {
          online.insert(std::string(u.at("username").as_string()));
        }
      } else if (f.at("type") == "user_status") {
        const std::string name(payload.at("username").as_string());
        payload.at("status").as_bool() ? (void)online.insert(name) : (void)online.erase(name);
      }
    }
    return online;
  }

  store::CheckedStore store{std::make_unique<store::MemoryStore>()};
  cache::MemoryMessageCache cache;
  cache::MemoryRateLimiter limiter;
  EmbeddedAcceptance acceptance;
  ManualShards shards;
  ManualLater later;
  Hub hub;
};

TEST_F(PresenceWindowTest, ConnectsCloseTogetherAreAnnouncedTogether) {
  auto a = join(1, "alice");  // after a quiet spell: out at once (to nobody)
  EXPECT_TRUE(later.tasks.empty());
  auto b = join(2, "bob");
  auto c = join(3, "carol");
  ASSERT_EQ(later.tasks.size(), 1u) << "one flush for the window";
  EXPECT_LE(later.delays.front(), std::chrono::milliseconds(100));
  EXPECT_EQ(a->types(), (std::vector<std::string>{"active_channels", "connected_users"}));
  // Each greeting shows everyone online so far, the newcomer included.
  EXPECT_EQ(view(*b), (std::set<std::string>{"alice", "bob"}));
  EXPECT_EQ(view(*c), (std::set<std::string>{"alice", "bob", "carol"}));

  later.fire();
  shards.run();
  ASSERT_EQ(a->raw.size(), 3u) << "both changes in one buffer";
  EXPECT_EQ(a->types(), (std::vector<std::string>{"active_channels", "connected_users",
                                                  "user_status", "user_status"}));
  ASSERT_EQ(b->raw.size(), 3u);
  EXPECT_EQ(b->types().back(), "user_status");  // carol only: bob never hears of himself
  EXPECT_EQ(b->frames.back().at("payload").at("username"), "carol");
  EXPECT_EQ(c->raw.size(), 2u) << "carol has seen it all";
  for (const auto* conn : {a.get(), b.get(), c.get()}) {
    EXPECT_EQ(view(*conn), (std::set<std::string>{"alice", "bob", "carol"}));
  }
}

TEST_F(PresenceWindowTest, LeavingIsGatheredToo) {
  auto a = join(1, "alice");
  auto b = join(2, "bob");
  later.fire();
  shards.run();
  EXPECT_EQ(view(*a), (std::set<std::string>{"alice", "bob"}));
  auto c = join(3, "carol");  // within the window of the flush just made
  hub.leave(Participant{2, 0, "u-bob", "bob", false});
  hub.leave(Participant{3, 1, "u-carol", "carol", false});
  shards.run();
  EXPECT_EQ(view(*a), (std::set<std::string>{"alice", "bob"})) << "still in the window";
  ASSERT_EQ(later.tasks.size(), 1u);
  later.fire();
  shards.run();
  EXPECT_EQ(view(*a), (std::set<std::string>{"alice"}));
  EXPECT_EQ(hub.connected_users().size(), 1u);
}

TEST_F(PresenceWindowTest, AStormEndsWithEveryViewRight) {
  std::vector<std::shared_ptr<FakeConnection>> all;
  all.push_back(join(1, "first"));
  for (std::uint64_t i = 2; i <= 60; ++i) all.push_back(join(i, "user" + std::to_string(i)));
  later.fire();
  shards.run();
  std::set<std::string> everyone{"first"};
  for (int i = 2; i <= 60; ++i) everyone.insert("user" + std::to_string(i));
  for (const auto& c : all) EXPECT_EQ(view(*c), everyone);
  // The first connection saw none of the 59 changes: the list of 60 is smaller than them.
  EXPECT_EQ(all.front()->raw.size(), 3u);
  EXPECT_EQ(all.front()->types().back(), "connected_users");
}

}  // namespace
}  // namespace natter::chat
