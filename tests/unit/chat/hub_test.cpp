#include "chat/hub.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <deque>
#include <functional>
#include <mutex>

#include "cache/memory/memory_message_cache.hpp"
#include "cache/memory/memory_rate_limiter.hpp"
#include "chat/embedded_acceptance.hpp"
#include "chat/hub_fixture.hpp"
#include "store/checked_store.hpp"
#include "store/memory/memory_store.hpp"

namespace natter::chat {
namespace {
namespace json = boost::json;

class HubTest : public ::testing::Test {
 protected:
  HubTest()
      : limiter({5, 60}),
        acceptance(limiter, cache, store, 100000),
        shards(2),
        hub(HubSettings{}, {{1, "general", "", 0}, {2, "random", "", 0}}, cache, acceptance,
            shards.pointers()) {
    acceptance.start(hub);
  }
  ~HubTest() override { acceptance.stop(); }

  std::shared_ptr<FakeConnection> join(Participant p, std::optional<std::int64_t> since = {}) {
    auto c = std::make_shared<FakeConnection>();
    acceptance.drain();
    hub.join(p, c, since);
    shards.run();
    return c;
  }
  // What every shard was handed, once the messages accepted so far are committed.
  void run() {
    acceptance.drain();
    shards.run();
  }

  store::CheckedStore store{std::make_unique<store::MemoryStore>()};
  cache::MemoryMessageCache cache;
  cache::MemoryRateLimiter limiter;
  EmbeddedAcceptance acceptance;
  ManualShards shards;
  Hub hub;
};

Participant alice{1, 0, "u-a", "alice", false};
Participant alice_tab{2, 1, "u-a", "alice", false};
Participant bob{3, 1, "u-b", "bob", false};
Participant carol{4, 0, "u-c", "carol", false};
Participant dashboard{5, 1, "u-admin", "admin", true};

TEST_F(HubTest, ConnectSequenceAndPresence) {
  auto a = join(alice);
  EXPECT_EQ(a->types(), (std::vector<std::string>{"active_channels", "connected_users"}));
  EXPECT_EQ(a->frames[0].at("payload").at("channels").as_array().size(), 2u);

  auto b = join(bob);
  ASSERT_EQ(a->types().back(), "user_status");
  EXPECT_EQ(a->frames.back().at("payload").at("username"), "bob");
  EXPECT_EQ(a->frames.back().at("payload").at("status"), true);
  auto users = b->frames.back().at("payload").at("users").as_array();
  EXPECT_EQ(users.size(), 2u);

  // A second tab is silent to others and counted.
  auto a2 = join(alice_tab);
  EXPECT_EQ(b->frames.size(), 2u);
  hub.leave(alice);
  run();
  EXPECT_EQ(b->frames.size(), 2u);  // alice still has a tab
  hub.leave(alice_tab);
  run();
  ASSERT_EQ(b->frames.size(), 3u);
  EXPECT_EQ(b->frames.back().at("payload").at("status"), false);
  EXPECT_EQ(hub.connected_users().size(), 1u);
}

TEST_F(HubTest, DashboardIsSilentAndUnlistedButReceivesChat) {
  auto a = join(alice);
  auto d = join(dashboard);
  EXPECT_EQ(a->frames.size(), 2u);
  EXPECT_EQ(d->frames.back().at("payload").at("users").as_array().size(), 1u);
  EXPECT_FALSE(hub.post(alice, ChatRequest{"general", "hi"}));
  run();
  EXPECT_EQ(d->types().back(), "chat_message");
  hub.leave(dashboard);
  run();
  EXPECT_EQ(a->types().back(), "chat_message");
}

TEST_F(HubTest, ChatReachesEveryoneInOneOrder) {
  auto a = join(alice);
  auto b = join(bob);
  auto c = join(carol);
  for (int i = 0; i < 3; ++i) {
    EXPECT_FALSE(hub.post(i % 2 ? alice : bob, ChatRequest{"general", std::to_string(i)}));
  }
  run();
  for (auto* conn : {a.get(), b.get(), c.get()}) {
    std::vector<std::int64_t> ids;
    for (auto& f : conn->frames) {
      if (f.at("type") == "chat_message") ids.push_back(f.at("payload").at("cacheID").as_int64());
    }
    EXPECT_EQ(ids, (std::vector<std::int64_t>{1, 2, 3}));
  }
}

TEST_F(HubTest, ChannelNamesMatchWithoutRegardToCase) {
  auto a = join(alice);
  EXPECT_FALSE(hub.post(alice, ChatRequest{"General", "hi"}));
  EXPECT_FALSE(hub.post(alice, ChatRequest{"RANDOM", "ho"}));
  run();
  std::vector<std::string> channels;
  for (auto& f : a->frames) {
    if (f.at("type") == "chat_message") {
      channels.emplace_back(f.at("payload").at("channel").as_string());
    }
  }
  EXPECT_EQ(channels, (std::vector<std::string>{"general", "random"}));  // their own spelling
  EXPECT_EQ(hub.post(alice, ChatRequest{"generál", "x"})->code, ErrorCode::unknown_channel);
}

TEST_F(HubTest, RefusedMessagesAreNotBroadcast) {
  auto a = join(alice);
  auto b = join(bob);
  const auto before = b->frames.size();
  auto error = hub.post(alice, ChatRequest{"nowhere", "hi"});
  ASSERT_TRUE(error);
  EXPECT_EQ(error->code, ErrorCode::unknown_channel);
  error = hub.post(alice, PrivateRequest{"u-nobody", "hi"});
  ASSERT_TRUE(error);
  EXPECT_EQ(error->code, ErrorCode::unknown_recipient);
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(hub.post(alice, ChatRequest{"general", "x"}));
  error = hub.post(alice, ChatRequest{"general", "one too many"});
  ASSERT_TRUE(error);
  EXPECT_EQ(error->code, ErrorCode::rate_limited);
  EXPECT_GT(error->retry_after->count(), 0);
  run();
  EXPECT_EQ(b->frames.size(), before + 5);
  EXPECT_EQ(cache.recent_public(0, 500).size(), 5u);
}

TEST_F(HubTest, PrivateMessagesReachOnlyBothParties) {
  auto a = join(alice);
  auto a2 = join(alice_tab);
  auto b = join(bob);
  auto c = join(carol);
  const auto carol_before = c->frames.size();
  EXPECT_FALSE(hub.post(alice, PrivateRequest{"u-b", "psst"}));
  run();
  for (auto* conn : {a.get(), a2.get(), b.get()}) {
    ASSERT_EQ(conn->types().back(), "private_chat_message");
    EXPECT_EQ(conn->frames.back().at("payload").at("recipient"), "bob");
  }
  EXPECT_EQ(c->frames.size(), carol_before);

  // Bob's next connection is replayed the private message.
  hub.leave(bob);
  run();
  auto b2 = join(bob);
  EXPECT_EQ(b2->types(), (std::vector<std::string>{"active_channels", "bulk_private_messages",
                                                   "connected_users"}));
}

TEST_F(HubTest, ReplaysRecentPublicMessagesAfterSince) {
  auto a = join(alice);
  for (int i = 0; i < 4; ++i) EXPECT_FALSE(hub.post(alice, ChatRequest{"general", "m"}));
  run();
  auto b = join(bob, 2);
  ASSERT_EQ(b->types()[1], "bulk_chat_messages");
  auto messages = b->frames[1].at("payload").at("messages").as_array();
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_EQ(messages[0].at("cacheID"), 3);
  auto c = join(carol, 4);
  EXPECT_EQ(c->types()[1], "connected_users");
}

TEST_F(HubTest, ConnectSequenceFramesAreEncodedOnceUntilTheyChange) {
  auto a = join(alice);
  EXPECT_FALSE(hub.post(alice, ChatRequest{"general", "hello"}));
  run();
  auto b1 = join(bob);
  auto b2 = join(Participant{6, 0, "u-b", "bob", false});  // a second tab: presence unchanged
  ASSERT_EQ(b1->types(), b2->types());
  ASSERT_EQ(b1->raw.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) EXPECT_EQ(b1->raw[i].get(), b2->raw[i].get()) << i;

  EXPECT_FALSE(hub.post(alice, ChatRequest{"general", "again"}));
  run();
  auto c = join(carol);  // new message and new user: both frames are fresh
  EXPECT_NE(c->raw[1].get(), b1->raw[1].get());
  EXPECT_EQ(c->frames[1].at("payload").at("messages").as_array().size(), 2u);
  EXPECT_NE(c->raw[2].get(), b1->raw[2].get());
  EXPECT_EQ(c->frames[2].at("payload").at("users").as_array().size(), 3u);
  EXPECT_EQ(c->raw[0].get(), b1->raw[0].get());  // channels did not change
}

TEST_F(HubTest, DisconnectUserClosesEveryTab) {
  auto a = join(alice);
  auto a2 = join(alice_tab);
  auto b = join(bob);
  hub.disconnect_user("u-a", CloseCode::banned, "banned");
  run();
  EXPECT_EQ(a->closed, CloseCode::banned);
  EXPECT_EQ(a2->closed, CloseCode::banned);
  EXPECT_FALSE(b->closed);
}

}  // namespace
}  // namespace natter::chat

namespace natter::chat {
namespace {

// A bus that records what the hub tells it, and hands nothing back by itself.
class RecordingBus final : public Bus, public Acceptance {
 public:
  std::optional<ProtocolError> accept(Accepted message, Refuse refuse) override {
    published.push_back(std::move(message));
    refusals.push_back(std::move(refuse));
    return std::nullopt;
  }
  void presence(const UserStatus& status) override { statuses.push_back(status); }
  void messages_removed(std::span<const std::int64_t> ids) override {
    removed.insert(removed.end(), ids.begin(), ids.end());
  }
  void user_disconnected(const std::string& user_id, CloseCode, const std::string&) override {
    disconnected.push_back(user_id);
  }
  void channels_changed(const std::vector<Channel>& channels) override {
    channel_lists.push_back(channels);
  }
  void rate_limit_changed(RateLimit) override {}

  std::vector<Accepted> published;
  std::vector<Refuse> refusals;
  std::vector<UserStatus> statuses;
  std::vector<std::int64_t> removed;
  std::vector<std::string> disconnected;
  std::vector<std::vector<Channel>> channel_lists;
};

class BusHubTest : public ::testing::Test {
 protected:
  BusHubTest()
      : shards(2),
        hub(HubSettings{}, {{1, "general", "", 0}}, cache, bus, shards.pointers(),
            ChatMetrics::none(), &bus) {}

  std::shared_ptr<FakeConnection> join(Participant p) {
    auto c = std::make_shared<FakeConnection>();
    hub.join(p, c, std::nullopt);
    shards.run();
    return c;
  }

  RecordingBus bus;
  cache::MemoryMessageCache cache;
  ManualShards shards;
  Hub hub;
};

TEST_F(BusHubTest, MessagesGoToTheBusAndAreDeliveredWhenItHandsThemBack) {
  auto a = join(alice);
  // The bus rate-limits, not the hub: both messages go to it.
  EXPECT_FALSE(hub.post(alice, ChatRequest{"general", "one"}));
  EXPECT_FALSE(hub.post(alice, ChatRequest{"general", "two"}));
  EXPECT_EQ(hub.post(alice, ChatRequest{"nowhere", "x"})->code, ErrorCode::unknown_channel);
  shards.run();
  ASSERT_EQ(bus.published.size(), 2u);
  EXPECT_EQ(std::get<ChatMessage>(bus.published[0]).cache_id, 0);
  EXPECT_EQ(a->types().back(), "connected_users");  // nothing delivered yet

  auto numbered = std::get<ChatMessage>(bus.published[0]);
  numbered.cache_id = 41;
  hub.deliver({numbered});
  shards.run();
  ASSERT_EQ(a->types().back(), "chat_message");
  EXPECT_EQ(a->frames.back().at("payload").at("cacheID"), 41);
}

TEST_F(BusHubTest, PresenceSpansInstances) {
  auto a = join(alice);
  ASSERT_EQ(bus.statuses.size(), 1u);  // alice's first connection here is told to the bus
  EXPECT_TRUE(bus.statuses[0].status);

  // bob connects on instance B: announced here, listed to newcomers.
  hub.remote_presence("B", {"bob", "u-b", true});
  shards.run();
  ASSERT_EQ(a->types().back(), "user_status");
  EXPECT_EQ(a->frames.back().at("payload").at("username"), "bob");
  auto c = join(carol);
  EXPECT_EQ(c->frames.back().at("payload").at("users").as_array().size(), 3u);

  // bob also connects here: no second announcement; leaving here keeps him online (on B).
  const auto frames_before = a->frames.size();
  auto b = join(bob);
  shards.run();
  EXPECT_EQ(a->frames.size(), frames_before);
  hub.leave(bob);
  shards.run();
  EXPECT_EQ(a->frames.size(), frames_before);
  EXPECT_EQ(hub.connected_users().size(), 3u);

  // Instance B dies: bob leaves everywhere.
  hub.instance_gone("B");
  shards.run();
  ASSERT_EQ(a->types().back(), "user_status");
  EXPECT_EQ(a->frames.back().at("payload").at("status"), false);
  EXPECT_EQ(hub.connected_users().size(), 2u);
}

TEST_F(BusHubTest, SnapshotReplacesWhatAnInstanceHad) {
  auto a = join(alice);
  hub.remote_snapshot("B", {{"bob", "u-b", true}, {"carol", "u-c", true}});
  shards.run();
  EXPECT_EQ(hub.connected_users().size(), 3u);
  hub.remote_snapshot("B", {{"carol", "u-c", true}});
  shards.run();
  EXPECT_EQ(hub.connected_users().size(), 2u);
  EXPECT_EQ(a->frames.back().at("payload").at("username"), "bob");
  EXPECT_EQ(a->frames.back().at("payload").at("status"), false);
  // A remote user can be whispered to (known from presence).
  EXPECT_FALSE(hub.post(alice, PrivateRequest{"u-c", "hi"}));
}

TEST_F(BusHubTest, ChangesMadeHereAreToldToTheBusButNotThoseFromIt) {
  join(alice);
  const std::int64_t ids[] = {3, 4};
  hub.remove_messages(ids);
  hub.remove_messages(ids, Origin::bus);
  EXPECT_EQ(bus.removed, (std::vector<std::int64_t>{3, 4}));
  hub.disconnect_user("u-a", CloseCode::banned, "banned");
  hub.disconnect_user("u-a", CloseCode::banned, "banned", Origin::bus);
  EXPECT_EQ(bus.disconnected.size(), 1u);
  hub.set_channels({{1, "general", "", 0}, {2, "new", "", 1}});
  hub.set_channels({{1, "general", "", 0}}, Origin::bus);
  EXPECT_EQ(bus.channel_lists.size(), 1u);
  EXPECT_EQ(hub.channels().size(), 1u);
}

}  // namespace
}  // namespace natter::chat
