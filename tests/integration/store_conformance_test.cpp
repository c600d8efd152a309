// The Store conformance suite: one set of behaviours every chat::Store must share, run against
// the in-memory store, SQLite (a temporary file, so WAL is real) and PostgreSQL 15 (the server
// scripts/with-postgres starts; its URL in NATTER_TEST_DATABASE_URL). Each test gets a fresh
// database. A missing PostgreSQL fails the postgres cases; it never skips them.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "chat/store.hpp"
#include "store/open_store.hpp"
#include "store/postgres/pg_connection.hpp"
#include "store/postgres/postgres_store.hpp"

namespace natter::store {
namespace {

using chat::ChatMessage;
using chat::PrivateMessage;
using chat::TimePoint;
using Kind = Error::Kind;

constexpr std::int64_t kMicrosPerHour = 3'600'000'000;
// 2024-05-10 12:00:00.123456 UTC: microseconds that would be lost by a millisecond clock.
const TimePoint kNoon{std::chrono::microseconds{1'715'342'400'123'456}};

TimePoint at(std::int64_t offset_us) { return kNoon + std::chrono::microseconds{offset_us}; }

ChatMessage public_message(std::int64_t cache_id, std::string channel, std::string text,
                           std::string owner = "u-alice", std::string username = "alice") {
  return ChatMessage{std::nullopt,       cache_id,        std::move(owner), std::move(username),
                     std::move(channel), std::move(text), at(cache_id)};
}

PrivateMessage private_message(std::int64_t cache_id, std::string from, std::string to,
                               std::string text) {
  return PrivateMessage{std::nullopt, cache_id,        from,        from + "-name", to,
                        to + "-name", std::move(text), at(cache_id)};
}

std::vector<std::int64_t> cache_ids(const std::vector<ChatMessage>& messages) {
  std::vector<std::int64_t> ids;
  for (const auto& m : messages) ids.push_back(m.cache_id);
  return ids;
}

// The value of a call expected to succeed (by value: a reference would dangle in range-for).
template <typename T>
T ok(Result<T> result) {
  EXPECT_TRUE(result.ok()) << result.error().message;
  if (!result.ok()) throw std::runtime_error(result.error().message);
  return std::move(result.value());
}

template <typename T>
Kind error_kind(const Result<T>& result) {
  EXPECT_FALSE(result.ok()) << "expected an error";
  return result.ok() ? Kind::internal : result.error().kind;
}

class StoreConformance : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    const std::string backend = GetParam();
    if (backend == "memory") {
      url_ = "memory:";
    } else if (backend == "sqlite") {
      dir_ = std::filesystem::temp_directory_path() /
             ("natter-store-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++));
      std::filesystem::remove_all(dir_);
      std::filesystem::create_directories(dir_);
      url_ = "sqlite:" + (dir_ / "natter.db").string();
    } else {
      const char* url = std::getenv("NATTER_TEST_DATABASE_URL");
      ASSERT_TRUE(url != nullptr && *url != '\0')
          << "NATTER_TEST_DATABASE_URL is not set: the postgres cases need a PostgreSQL 15 "
             "server. Run them through CTest, or as scripts/with-postgres <test binary>.";
      url_ = url;
      auto dropped = postgres::drop_public_schema(url_);
      ASSERT_TRUE(dropped.ok()) << dropped.error().message;
    }
    auto opened = open_store(url_);
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    store_ = std::move(*opened);
  }

  void TearDown() override {
    store_.reset();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  bool durable() const { return GetParam() != "memory"; }

  chat::Store& store() { return *store_; }

  static inline std::atomic<int> counter_{0};
  std::string url_;
  std::filesystem::path dir_;
  std::unique_ptr<chat::Store> store_;
};

// --- channels --------------------------------------------------------------------------

TEST_P(StoreConformance, CreatesChannelsLastAndValidatesThem) {
  const auto general = ok(store().create_channel("general", "talk"));
  const auto random = ok(store().create_channel("random", ""));
  EXPECT_LT(general.sort_order, random.sort_order);
  EXPECT_EQ(error_kind(store().create_channel("general", "again")), Kind::conflict);
  EXPECT_EQ(error_kind(store().create_channel("", "")), Kind::invalid);
  EXPECT_EQ(error_kind(store().create_channel(std::string(65, 'x'), "")), Kind::invalid);
  EXPECT_EQ(error_kind(store().create_channel("long", std::string(513, 'd'))), Kind::invalid);
  ok(store().create_channel(std::string(64, 'x'), std::string(512, 'd')));

  const auto channels = ok(store().channels());
  ASSERT_EQ(channels.size(), 3u);
  EXPECT_EQ(channels[0].id, general.id);
  EXPECT_EQ(channels[0].name, "general");
  EXPECT_EQ(channels[0].description, "talk");
  EXPECT_EQ(channels[1].name, "random");
  EXPECT_EQ(channels[2].description.size(), 512u);
}

TEST_P(StoreConformance, RefusesChannelNamesThatDifferOnlyByCase) {
  const auto general = ok(store().create_channel("general", ""));
  const auto games = ok(store().create_channel("Games", ""));
  EXPECT_EQ(error_kind(store().create_channel("General", "")), Kind::conflict);
  EXPECT_EQ(error_kind(store().create_channel("GAMES", "")), Kind::conflict);
  EXPECT_EQ(error_kind(store().update_channel({games.id, std::string("GENERAL"), std::nullopt})),
            Kind::conflict);
  // A channel may change the case of its own name, and non-ASCII letters are not folded.
  ok(store().update_channel({general.id, std::string("General"), std::nullopt}));
  ok(store().create_channel("\xC3\xA9t\xC3\xA9", ""));  // été
  ok(store().create_channel("\xC3\x89t\xC3\xA9", ""));  // Été
  const auto channels = ok(store().channels());
  ASSERT_EQ(channels.size(), 4u);
  EXPECT_EQ(channels[0].name, "General");
}

TEST_P(StoreConformance, UpdatesChannels) {
  const auto a = ok(store().create_channel("a", "first"));
  ok(store().create_channel("b", ""));
  ok(store().update_channel({a.id, std::string("alpha"), std::nullopt}));
  ok(store().update_channel({a.id, std::nullopt, std::string("described")}));
  EXPECT_EQ(error_kind(store().update_channel({a.id, std::string("b"), std::nullopt})),
            Kind::conflict);
  EXPECT_EQ(error_kind(store().update_channel({a.id, std::string(""), std::nullopt})),
            Kind::invalid);
  EXPECT_EQ(error_kind(store().update_channel({9999, std::string("zz"), std::nullopt})),
            Kind::not_found);
  const auto channels = ok(store().channels());
  EXPECT_EQ(channels[0].name, "alpha");
  EXPECT_EQ(channels[0].description, "described");
}

TEST_P(StoreConformance, ReordersChannels) {
  const auto a = ok(store().create_channel("a", ""));
  const auto b = ok(store().create_channel("b", ""));
  const auto c = ok(store().create_channel("c", ""));
  auto names = [&] {
    std::string out;
    for (const auto& channel : ok(store().channels())) out += channel.name;
    return out;
  };
  ok(store().reorder_channel(c.id, a.id));
  EXPECT_EQ(names(), "cab");
  ok(store().reorder_channel(c.id, std::nullopt));
  EXPECT_EQ(names(), "abc");
  ok(store().reorder_channel(a.id, c.id));
  EXPECT_EQ(names(), "bac");
  EXPECT_EQ(error_kind(store().reorder_channel(9999, std::nullopt)), Kind::not_found);
  EXPECT_EQ(error_kind(store().reorder_channel(b.id, 9999)), Kind::not_found);
  EXPECT_EQ(names(), "bac");
}

TEST_P(StoreConformance, DeletesChannelsWithOrWithoutTheirMessages) {
  const auto keep = ok(store().create_channel("keep", ""));
  const auto purge = ok(store().create_channel("purge", ""));
  std::vector<ChatMessage> batch{public_message(1, "keep", "k"), public_message(2, "purge", "p"),
                                 public_message(3, "other", "o")};
  ok(store().insert_messages(batch, {}));
  ok(store().delete_channel(purge.id, true));
  ok(store().delete_channel(keep.id, false));
  EXPECT_EQ(cache_ids(ok(store().public_after(0, 10))), (std::vector<std::int64_t>{1, 3}));
  EXPECT_TRUE(ok(store().channels()).empty());
  EXPECT_EQ(error_kind(store().delete_channel(keep.id, false)), Kind::not_found);
}

TEST_P(StoreConformance, SeedsChannelsOnlyWhenThereAreNone) {
  const auto seeded = ok(store().seed_channels({"general", "random", "help"}));
  ASSERT_EQ(seeded.size(), 3u);
  for (std::size_t i = 0; i < seeded.size(); ++i) {
    EXPECT_EQ(seeded[i].id, static_cast<std::int64_t>(i + 1));
  }
  EXPECT_EQ(seeded[2].name, "help");
  EXPECT_EQ(ok(store().seed_channels({"other"})).size(), 3u);
  const auto created = ok(store().create_channel("new", ""));
  EXPECT_EQ(created.id, 4);
  EXPECT_EQ(error_kind(store().seed_channels({""})), Kind::invalid);
}

// --- users -----------------------------------------------------------------------------

TEST_P(StoreConformance, KeepsAUserDirectory) {
  ok(store().upsert_user("u-1", "Alice", at(0)));
  ok(store().upsert_user("u-2", "malice", at(1)));
  ok(store().upsert_user("u-3", "bob", at(2)));
  ok(store().upsert_user("u-1", "Alicia", at(3)));
  EXPECT_EQ(ok(store().username_of("u-1")), std::optional<std::string>("Alicia"));
  EXPECT_EQ(ok(store().username_of("nobody")), std::nullopt);

  ok(store().ban({"admin", "u-2", "spam", std::nullopt, chat::now_micros()}));
  const auto found = ok(store().search_users("LIC", 50));
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[0].id, "u-1");
  EXPECT_FALSE(found[0].is_banned);
  EXPECT_EQ(found[1].username, "malice");
  EXPECT_TRUE(found[1].is_banned);
  EXPECT_EQ(ok(store().search_users("", 50)).size(), 3u);
  EXPECT_EQ(ok(store().search_users("", 1)).size(), 1u);
  EXPECT_EQ(ok(store().search_users("%", 50)).size(), 0u);
  EXPECT_EQ(error_kind(store().search_users("a", -1)), Kind::invalid);
}

TEST_P(StoreConformance, PutsTheExactUsernameFirst) {
  ok(store().upsert_user("u-1", "Bobby", at(0)));
  ok(store().upsert_user("u-2", "abob", at(1)));
  ok(store().upsert_user("u-3", "bob", at(2)));
  ok(store().upsert_user("u-4", "BOB", at(3)));
  const auto found = ok(store().search_users("bob", 50));
  ASSERT_EQ(found.size(), 4u);
  EXPECT_EQ(found[0].id, "u-3");
  EXPECT_EQ(found[1].username, "BOB");  // then by name, byte order
  EXPECT_EQ(found[2].username, "Bobby");
  EXPECT_EQ(found[3].username, "abob");
  EXPECT_EQ(ok(store().search_users("bob", 1)).front().id, "u-3");  // not cut by the limit
  EXPECT_EQ(ok(store().search_users("BOB", 50)).front().id, "u-4");
}

// --- messages --------------------------------------------------------------------------

TEST_P(StoreConformance, InsertsMessagesIdempotently) {
  std::vector<ChatMessage> first{public_message(1, "general", "one"),
                                 public_message(2, "general", "two")};
  std::vector<PrivateMessage> whispers{private_message(7, "u-a", "u-b", "psst")};
  EXPECT_TRUE(ok(store().insert_messages(first, whispers)).rejected_public.empty());
  std::vector<ChatMessage> second{public_message(2, "general", "two again"),
                                  public_message(3, "general", "three")};
  const auto outcome = ok(store().insert_messages(second, whispers));
  EXPECT_TRUE(outcome.rejected_public.empty());
  EXPECT_TRUE(outcome.rejected_private.empty());

  const auto stored = ok(store().public_after(0, 100));
  EXPECT_EQ(cache_ids(stored), (std::vector<std::int64_t>{1, 2, 3}));
  EXPECT_EQ(stored[1].message, "two");
  EXPECT_TRUE(stored[0].id.has_value());
  EXPECT_EQ(ok(store().recent_private("u-a", 10)).size(), 1u);
  const auto ids = ok(store().stored_ids());
  EXPECT_EQ(ids.max_public_cache_id, 3);
  EXPECT_EQ(ids.max_private_cache_id, 7);
  EXPECT_EQ(cache_ids(ok(store().public_after(1, 1))), (std::vector<std::int64_t>{2}));
  EXPECT_EQ(error_kind(store().public_after(0, -1)), Kind::invalid);
}

TEST_P(StoreConformance, StoresEmptyIdsAsZero) {
  const auto ids = ok(store().stored_ids());
  EXPECT_EQ(ids.max_public_cache_id, 0);
  EXPECT_EQ(ids.max_private_cache_id, 0);
}

TEST_P(StoreConformance, RejectsOnlyTheBadRowsOfABatch) {
  std::vector<ChatMessage> batch{public_message(1, "general", "fine"),
                                 public_message(2, "general", std::string(64 * 1024 + 1, 'x')),
                                 public_message(3, "general", std::string("nul\0byte", 8)),
                                 public_message(4, "general", std::string(64 * 1024, 'y'))};
  std::vector<PrivateMessage> whispers{private_message(10, "u-a", "u-b", "fine"),
                                       private_message(11, "u-a", "u-b", std::string("\0", 1))};
  const auto outcome = ok(store().insert_messages(batch, whispers));
  EXPECT_EQ(outcome.rejected_public, (std::vector<std::int64_t>{2, 3}));
  EXPECT_EQ(outcome.rejected_private, (std::vector<std::int64_t>{11}));
  const auto stored = ok(store().public_after(0, 100));
  EXPECT_EQ(cache_ids(stored), (std::vector<std::int64_t>{1, 4}));
  EXPECT_EQ(stored[1].message.size(), 64u * 1024);
  EXPECT_EQ(ok(store().stored_ids()).max_private_cache_id, 10);
}

TEST_P(StoreConformance, RoundTripsMetacharactersUnicodeAndMicroseconds) {
  const std::string nasty = "'; DROP TABLE chat_messages; -- \"quoted\" \\ % _ é 🎉 日本語";
  ok(store().create_channel("é-🎉", nasty.substr(0, 40)));
  ok(store().upsert_user("sub-'; --", "Zoë 🦊", at(0)));
  std::vector<ChatMessage> batch{public_message(1, "é-🎉", nasty, "sub-'; --", "Zoë 🦊")};
  std::vector<PrivateMessage> whispers{private_message(2, "sub-'; --", "ü", nasty)};
  ok(store().insert_messages(batch, whispers));

  const auto stored = ok(store().public_after(0, 10));
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0].message, nasty);
  EXPECT_EQ(stored[0].channel, "é-🎉");
  EXPECT_EQ(stored[0].owner_id, "sub-'; --");
  EXPECT_EQ(stored[0].username, "Zoë 🦊");
  EXPECT_EQ(stored[0].authored_at, at(1));
  const auto whispered = ok(store().recent_private("ü", 10));
  ASSERT_EQ(whispered.size(), 1u);
  EXPECT_EQ(whispered[0].message, nasty);
  EXPECT_EQ(whispered[0].authored_at, at(2));
  EXPECT_EQ(ok(store().channels())[0].description, nasty.substr(0, 40));
  EXPECT_EQ(ok(store().username_of("sub-'; --")), std::optional<std::string>("Zoë 🦊"));
  EXPECT_EQ(ok(store().search_users("ë 🦊", 10)).size(), 1u);

  chat::MessageQuery query;
  query.channels = {"é-🎉"};
  query.user_id = "sub-'; --";
  EXPECT_EQ(ok(store().search_messages(query)).items.size(), 1u);
  query.keyword = "DROP";
  EXPECT_EQ(ok(store().search_messages(query)).items.size(), 1u);
}

TEST_P(StoreConformance, ReturnsTheLastPrivateMessagesOldestFirst) {
  std::vector<PrivateMessage> whispers{
      private_message(1, "u-a", "u-b", "1"), private_message(2, "u-b", "u-a", "2"),
      private_message(3, "u-c", "u-d", "3"), private_message(4, "u-a", "u-c", "4"),
      private_message(5, "u-d", "u-a", "5")};
  ok(store().insert_messages({}, whispers));
  const auto last = ok(store().recent_private("u-a", 3));
  ASSERT_EQ(last.size(), 3u);
  EXPECT_EQ(last[0].cache_id, 2);
  EXPECT_EQ(last[1].cache_id, 4);
  EXPECT_EQ(last[2].cache_id, 5);
  EXPECT_EQ(last[0].recipient, "u-a-name");
  EXPECT_TRUE(ok(store().recent_private("u-z", 3)).empty());
}

TEST_P(StoreConformance, SearchesMessagesNewestFirst) {
  std::vector<ChatMessage> batch{public_message(1, "general", "Hello world", "u-a"),
                                 public_message(2, "random", "hello there", "u-b"),
                                 public_message(3, "general", "nothing to see", "u-b"),
                                 public_message(4, "help", "HELLO again, world", "u-a"),
                                 public_message(5, "general", "say hello", "u-a")};
  ok(store().insert_messages(batch, {}));
  auto search = [&](chat::MessageQuery query) { return ok(store().search_messages(query)); };

  EXPECT_EQ(cache_ids(search({}).items), (std::vector<std::int64_t>{5, 4, 3, 2, 1}));
  EXPECT_EQ(cache_ids(search({{"general", "help"}, "", "", 50, 0}).items),
            (std::vector<std::int64_t>{5, 4, 3, 1}));
  EXPECT_EQ(cache_ids(search({{}, "", "u-b", 50, 0}).items), (std::vector<std::int64_t>{3, 2}));
  EXPECT_EQ(cache_ids(search({{}, "hello", "", 50, 0}).items),
            (std::vector<std::int64_t>{5, 4, 2, 1}));
  EXPECT_EQ(cache_ids(search({{}, "world hello", "", 50, 0}).items),
            (std::vector<std::int64_t>{4, 1}));
  EXPECT_EQ(cache_ids(search({{"general"}, "hello", "u-a", 50, 0}).items),
            (std::vector<std::int64_t>{5, 1}));
  EXPECT_TRUE(search({{}, "absent", "", 50, 0}).items.empty());
  EXPECT_EQ(search({{}, "   ", "", 50, 0}).items.size(), 5u);

  const auto first = search({{}, "", "", 2, 0});
  EXPECT_EQ(cache_ids(first.items), (std::vector<std::int64_t>{5, 4}));
  EXPECT_TRUE(first.has_more);
  const auto last = search({{}, "", "", 2, 4});
  EXPECT_EQ(cache_ids(last.items), (std::vector<std::int64_t>{1}));
  EXPECT_FALSE(last.has_more);
  EXPECT_FALSE(search({{}, "", "", 5, 0}).has_more);

  EXPECT_EQ(error_kind(store().search_messages({{}, "", "", -1, 0})), Kind::invalid);
  EXPECT_EQ(error_kind(store().search_messages({{}, "", "", 10, -1})), Kind::invalid);
}

TEST_P(StoreConformance, TreatsSearchSyntaxInKeywordsAsText) {
  std::vector<ChatMessage> batch{public_message(1, "general", "hello AND world"),
                                 public_message(2, "general", "near the star")};
  ok(store().insert_messages(batch, {}));
  for (const std::string keyword : {"\"",
                                    "\"hello",
                                    "hel*",
                                    "*",
                                    ":",
                                    "col:hello",
                                    "AND",
                                    "hello AND",
                                    "OR NOT",
                                    "NEAR(a b)",
                                    "(",
                                    ")",
                                    "-hello",
                                    "^hello",
                                    "'",
                                    "\\",
                                    "hello' OR '1'='1",
                                    "&|!",
                                    "''; DROP TABLE x; --",
                                    "{message}: hello",
                                    "é",
                                    "🎉"}) {
    auto result = store().search_messages({{}, keyword, "", 50, 0});
    EXPECT_TRUE(result.ok()) << "keyword " << keyword << ": " << result.error().message;
  }
  EXPECT_EQ(cache_ids(ok(store().search_messages({{}, "\"hello\"", "", 50, 0})).items),
            (std::vector<std::int64_t>{1}));
  EXPECT_EQ(cache_ids(ok(store().search_messages({{}, "NEAR", "", 50, 0})).items),
            (std::vector<std::int64_t>{2}));
  EXPECT_TRUE(ok(store().search_messages({{}, "*", "", 50, 0})).items.empty());
}

TEST_P(StoreConformance, CapsSearchPagesAt500) {
  std::vector<ChatMessage> batch;
  for (std::int64_t i = 1; i <= 502; ++i) batch.push_back(public_message(i, "general", "m"));
  ok(store().insert_messages(batch, {}));
  const auto page = ok(store().search_messages({{}, "", "", 10'000, 0}));
  EXPECT_EQ(page.items.size(), 500u);
  EXPECT_TRUE(page.has_more);
}

TEST_P(StoreConformance, DeletesMessagesByRowId) {
  std::vector<ChatMessage> batch{public_message(10, "general", "a"),
                                 public_message(11, "general", "b"),
                                 public_message(12, "general", "c")};
  ok(store().insert_messages(batch, {}));
  const auto stored = ok(store().public_after(0, 10));
  const std::vector<std::int64_t> ids{*stored[0].id, *stored[2].id, 987654};
  EXPECT_EQ(ok(store().delete_messages(ids)), (std::vector<std::int64_t>{10, 12}));
  EXPECT_EQ(cache_ids(ok(store().public_after(0, 10))), (std::vector<std::int64_t>{11}));
  EXPECT_TRUE(ok(store().delete_messages(ids)).empty());
  EXPECT_TRUE(ok(store().delete_messages({})).empty());
  EXPECT_TRUE(ok(store().search_messages({{}, "a", "", 50, 0})).items.empty());
}

TEST_P(StoreConformance, CountsMessagesPerChannelIncludingEmptyOnes) {
  ok(store().seed_channels({"general", "random", "help"}));
  std::vector<ChatMessage> batch{public_message(1, "general", "a"), public_message(2, "help", "b"),
                                 public_message(3, "general", "c"), public_message(4, "gone", "d")};
  ok(store().insert_messages(batch, {}));
  const auto counts = ok(store().message_counts());
  ASSERT_EQ(counts.size(), 3u);
  EXPECT_EQ(counts[0].channel, "general");
  EXPECT_EQ(counts[0].message_count, 2);
  EXPECT_EQ(counts[1].channel, "random");
  EXPECT_EQ(counts[1].message_count, 0);
  EXPECT_EQ(counts[2].message_count, 1);
}

// --- sessions --------------------------------------------------------------------------

TEST_P(StoreConformance, ClosesOpenSessionsOfOneServerOrAll) {
  ok(store().open_session("u-a", at(0), "s1"));
  ok(store().open_session("u-b", at(0), "s2"));
  ok(store().close_open_sessions(at(kMicrosPerHour), std::string("s1")));
  auto activity = ok(store().session_activity("", 1, at(3 * kMicrosPerHour)));
  ASSERT_EQ(activity.size(), 1u);
  EXPECT_EQ(activity[0].session_count, 2);
  EXPECT_EQ(activity[0].total_seconds, 3600);  // s2's session is still open
  ok(store().close_open_sessions(at(2 * kMicrosPerHour), std::string("s3")));
  EXPECT_EQ(ok(store().session_activity("", 1, at(3 * kMicrosPerHour)))[0].total_seconds, 3600);
  ok(store().close_open_sessions(at(2 * kMicrosPerHour)));
  EXPECT_EQ(ok(store().session_activity("", 1, at(3 * kMicrosPerHour)))[0].total_seconds,
            3600 + 7200);
}

TEST_P(StoreConformance, RecordsSessionsAndDailyActivity) {
  const std::int64_t day = 24 * kMicrosPerHour;
  const auto today_a = ok(store().open_session("u-a", at(0), "s1"));
  const auto today_b = ok(store().open_session("u-b", at(kMicrosPerHour), "s1"));
  const auto two_days_ago = ok(store().open_session("u-a", at(-2 * day), "s1"));
  const auto long_ago = ok(store().open_session("u-a", at(-10 * day), "s1"));
  const auto crashed = ok(store().open_session("u-b", at(-2 * day + kMicrosPerHour), "s1"));
  ok(store().close_session(today_a, at(60'000'000)));
  ok(store().close_session(today_b, at(kMicrosPerHour + 30'500'000)));
  ok(store().close_session(two_days_ago, at(-2 * day + kMicrosPerHour)));
  ok(store().close_session(long_ago, at(-10 * day + 5)));
  EXPECT_EQ(error_kind(store().close_session(999'999, at(0))), Kind::not_found);
  const auto still_open = ok(store().open_session("u-c", at(2 * kMicrosPerHour), "s1"));
  (void)still_open;

  const TimePoint now = at(3 * kMicrosPerHour);
  auto activity = ok(store().session_activity("", 7, now));
  ASSERT_EQ(activity.size(), 2u);
  EXPECT_EQ(activity[0].date, "2024-05-08");
  EXPECT_EQ(activity[0].session_count, 2);
  EXPECT_EQ(activity[0].total_seconds, 3600);
  EXPECT_EQ(activity[1].date, "2024-05-10");
  EXPECT_EQ(activity[1].session_count, 3);
  EXPECT_EQ(activity[1].total_seconds, 90);

  ok(store().close_open_sessions(now));
  activity = ok(store().session_activity("", 7, now));
  EXPECT_EQ(activity[1].total_seconds, 90 + 3600);
  EXPECT_EQ(activity[0].total_seconds, 3600 + (2 * 24 + 2) * 3600);  // crashed: open until now
  (void)crashed;

  const auto mine = ok(store().session_activity("u-a", 7, now));
  ASSERT_EQ(mine.size(), 2u);
  EXPECT_EQ(mine[0].total_seconds, 3600);
  EXPECT_EQ(mine[1].session_count, 1);
  EXPECT_EQ(mine[1].total_seconds, 60);
  EXPECT_EQ(ok(store().session_activity("u-a", 1, now)).size(), 1u);
  EXPECT_EQ(ok(store().session_activity("u-a", 11, now)).size(), 3u);
  EXPECT_TRUE(ok(store().session_activity("u-nobody", 7, now)).empty());
}

// --- bans ------------------------------------------------------------------------------

TEST_P(StoreConformance, BansPardonsAndFindsTheBanInForce) {
  ok(store().upsert_user("u-bad", "mallory", at(0)));
  const auto expired = ok(store().ban({"admin", "u-bad", "old", 2, at(-3 * kMicrosPerHour)}));
  EXPECT_EQ(expired.banished_username, "mallory");
  ASSERT_TRUE(expired.end.has_value());
  EXPECT_EQ(*expired.end, at(-kMicrosPerHour));
  EXPECT_EQ(expired.duration_hours, std::optional<std::int64_t>(2));
  EXPECT_EQ(ok(store().active_ban("u-bad", at(0))), std::nullopt);

  const auto permanent = ok(store().ban({"admin", "u-bad", "", 0, at(-kMicrosPerHour)}));
  EXPECT_FALSE(permanent.end.has_value());
  EXPECT_FALSE(permanent.pardoned);
  EXPECT_EQ(permanent.start, at(-kMicrosPerHour));
  const auto timed = ok(store().ban({"admin2", "u-bad", "spam 'n' eggs", 24, at(0)}));
  auto active = ok(store().active_ban("u-bad", at(1)));
  ASSERT_TRUE(active.has_value());
  EXPECT_EQ(active->id, timed.id);
  EXPECT_EQ(active->reason, "spam 'n' eggs");
  EXPECT_EQ(active->owner_id, "admin2");

  const auto pardoned = ok(store().pardon(timed.id));
  EXPECT_TRUE(pardoned.pardoned);
  active = ok(store().active_ban("u-bad", at(1)));
  ASSERT_TRUE(active.has_value());
  EXPECT_EQ(active->id, permanent.id);
  ok(store().pardon(permanent.id));
  EXPECT_EQ(ok(store().active_ban("u-bad", at(1))), std::nullopt);
  EXPECT_EQ(error_kind(store().pardon(424242)), Kind::not_found);

  const auto stranger = ok(store().ban({"admin", "u-unknown", "", std::nullopt, at(0)}));
  EXPECT_EQ(stranger.banished_username, "");
  EXPECT_EQ(error_kind(store().ban({"admin", "u-x", "", -1, at(0)})), Kind::invalid);
}

TEST_P(StoreConformance, ListsBanRecordsNewestFirst) {
  std::vector<std::int64_t> ids;
  for (int i = 0; i < 5; ++i) {
    ids.push_back(ok(store().ban({"admin", "u-" + std::to_string(i), "", std::nullopt, at(i)})).id);
  }
  const auto first = ok(store().ban_records(2, 0));
  ASSERT_EQ(first.items.size(), 2u);
  EXPECT_EQ(first.items[0].id, ids[4]);
  EXPECT_EQ(first.items[1].id, ids[3]);
  EXPECT_TRUE(first.has_more);
  const auto rest = ok(store().ban_records(10, 2));
  EXPECT_EQ(rest.items.size(), 3u);
  EXPECT_FALSE(rest.has_more);
  EXPECT_EQ(rest.items[2].id, ids[0]);
  EXPECT_EQ(error_kind(store().ban_records(-1, 0)), Kind::invalid);
}

// --- settings --------------------------------------------------------------------------

TEST_P(StoreConformance, SeedsAndUpdatesTheRateLimit) {
  const auto seeded = ok(store().rate_limit({1, "", 10, 60}));
  EXPECT_EQ(seeded.id, 1);
  EXPECT_EQ(seeded.message_limit, 10);
  EXPECT_EQ(ok(store().rate_limit({1, "", 99, 99})).message_limit, 10);
  ok(store().set_rate_limit({1, "admin", 5, 30}));
  const auto updated = ok(store().rate_limit({1, "", 10, 60}));
  EXPECT_EQ(updated.owner_id, "admin");
  EXPECT_EQ(updated.message_limit, 5);
  EXPECT_EQ(updated.window_seconds, 30);
  EXPECT_EQ(error_kind(store().set_rate_limit({1, "admin", 0, 30})), Kind::invalid);
  EXPECT_EQ(error_kind(store().set_rate_limit({1, "admin", 5, -1})), Kind::invalid);
}

TEST_P(StoreConformance, KeepsOneServerIdentity) {
  const auto first = ok(store().server_identity("natter-1"));
  EXPECT_EQ(first.id.size(), 36u);
  EXPECT_EQ(first.name, "natter-1");
  const auto again = ok(store().server_identity("renamed"));
  EXPECT_EQ(again.id, first.id);
  EXPECT_EQ(again.name, "renamed");
  if (durable()) {
    store_.reset();
    auto reopened = open_store(url_);
    ASSERT_TRUE(reopened.ok()) << reopened.error().message;
    EXPECT_EQ(ok((*reopened)->server_identity("after restart")).id, first.id);
  }
}

// --- opening and migrating -------------------------------------------------------------

TEST_P(StoreConformance, KeepsDataAcrossReopen) {
  ok(store().create_channel("lasting", ""));
  std::vector<ChatMessage> batch{public_message(1, "lasting", "still here")};
  ok(store().insert_messages(batch, {}));
  if (!durable()) return;
  store_.reset();
  auto reopened = open_store(url_);
  ASSERT_TRUE(reopened.ok()) << reopened.error().message;
  EXPECT_EQ(ok((*reopened)->channels()).size(), 1u);
  EXPECT_EQ(ok((*reopened)->public_after(0, 10)).at(0).message, "still here");
}

TEST_P(StoreConformance, MigratesOnceWhenInstancesStartTogether) {
  std::string url = url_;
  store_.reset();
  if (GetParam() == "sqlite") {
    url = "sqlite:" + (dir_ / "concurrent.db").string();
  } else if (GetParam() == "postgres") {
    auto dropped = postgres::drop_public_schema(url);
    ASSERT_TRUE(dropped.ok()) << dropped.error().message;
  }
  constexpr int kInstances = 4;
  std::vector<std::unique_ptr<chat::Store>> stores(kInstances);
  std::vector<std::string> errors(kInstances);
  std::vector<std::thread> threads;
  for (int i = 0; i < kInstances; ++i) {
    threads.emplace_back([&, i] {
      auto opened = open_store(url);
      if (opened) {
        stores[i] = std::move(*opened);
      } else {
        errors[i] = opened.error().message;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (int i = 0; i < kInstances; ++i) {
    ASSERT_TRUE(stores[i] != nullptr) << "instance " << i << ": " << errors[i];
  }
  ok(stores[0]->create_channel("shared", ""));
  if (durable()) {
    EXPECT_EQ(ok(stores[1]->channels()).size(), 1u);
  }
}

TEST_P(StoreConformance, OpensTheUrlsItKnowsAndRefusesOthers) {
  for (const std::string url : {"memory:", "sqlite::memory:"}) {
    auto opened = open_store(url);
    ASSERT_TRUE(opened.ok()) << url << ": " << opened.error().message;
    EXPECT_EQ(ok((*opened)->seed_channels({"general"})).size(), 1u) << url;
  }
  for (const std::string url : {"", "mysql://db/x", "sqlite:", "no-scheme", "memory"}) {
    auto opened = open_store(url);
    ASSERT_FALSE(opened.ok()) << url;
    EXPECT_EQ(opened.error().kind, Kind::invalid) << url;
    EXPECT_FALSE(opened.error().message.empty());
  }
  auto unreachable = open_store("postgresql://nobody@127.0.0.1:1/none?connect_timeout=2");
  ASSERT_FALSE(unreachable.ok());
  EXPECT_EQ(unreachable.error().kind, Kind::unavailable);
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreConformance,
                         ::testing::Values("memory", "sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace natter::store

namespace natter::store {
namespace {

// Every libpq call is bounded: a statement runs at most statement_timeout (15 s unless the URL
// says otherwise), so a stuck query cannot hold a store worker for good.
TEST(PostgresConnection, BoundsEveryStatementAndTheUrlMayOverride) {
  const char* url = std::getenv("NATTER_TEST_DATABASE_URL");
  ASSERT_NE(url, nullptr) << "NATTER_TEST_DATABASE_URL is not set (run through CTest)";
  auto plain = postgres::Connection::connect(url);
  ASSERT_TRUE(plain.ok()) << plain.error().message;
  auto shown = plain->exec("SHOW statement_timeout");
  ASSERT_TRUE(shown.ok()) << shown.error().message;
  EXPECT_EQ(shown->text(0, 0), "15s");

  std::string quick_url = url;
  quick_url += quick_url.find('?') == std::string::npos ? "?" : "&";
  quick_url += "options=-c%20statement_timeout%3D200";
  auto quick = postgres::Connection::connect(quick_url);
  ASSERT_TRUE(quick.ok()) << quick.error().message;
  EXPECT_EQ(quick->exec("SHOW statement_timeout")->text(0, 0), "200ms");
  auto slow = quick->exec("SELECT pg_sleep(5)");
  EXPECT_FALSE(slow.ok()) << "a 5 s statement outlived a 200 ms statement_timeout";
  // ...and the connection serves the next statement.
  EXPECT_TRUE(quick->exec("SELECT 1").ok());
}

}  // namespace
}  // namespace natter::store
