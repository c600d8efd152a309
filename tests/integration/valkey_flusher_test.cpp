// The flusher against a real redis-server: messages accepted by the accept script reach the
// store exactly once, however many flushers run; a failing store leaves the queue as it was.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <mutex>

#include "cache/valkey/flusher.hpp"
#include "store/checked_store.hpp"
#include "store/memory/memory_store.hpp"
#include "store/open_store.hpp"
#include "valkey_support.hpp"

namespace natter::cache::testing {
namespace {

// A store that records every batch handed to insert_messages (before the store below decides
// what it already has), and can be told to fail.
class RecordingStore final : public chat::Store {
 public:
  explicit RecordingStore(chat::Store& inner) : inner_(inner) {}

  std::atomic<bool> failing{false};

  // How often each cacheID was handed over, by kind.
  std::map<std::int64_t, int> public_counts() {
    std::lock_guard lock(mutex_);
    return public_counts_;
  }
  std::map<std::int64_t, int> private_counts() {
    std::lock_guard lock(mutex_);
    return private_counts_;
  }
  int failed_calls() const { return failed_calls_.load(); }

  Result<InsertOutcome> insert_messages(
      std::span<const chat::ChatMessage> public_messages,
      std::span<const chat::PrivateMessage> private_messages) override {
    if (failing) {
      ++failed_calls_;
      return Error{Error::Kind::unavailable, "the test store is down"};
    }
    auto outcome = inner_.insert_messages(public_messages, private_messages);
    if (outcome) {
      std::lock_guard lock(mutex_);
      for (const auto& m : public_messages) ++public_counts_[m.cache_id];
      for (const auto& m : private_messages) ++private_counts_[m.cache_id];
    }
    return outcome;
  }

  Result<std::vector<chat::Channel>> channels() override { return inner_.channels(); }
  Result<chat::Channel> create_channel(const std::string& n, const std::string& d) override {
    return inner_.create_channel(n, d);
  }
  Status update_channel(const chat::ChannelUpdate& u) override { return inner_.update_channel(u); }
  Status reorder_channel(std::int64_t id, std::optional<std::int64_t> before) override {
    return inner_.reorder_channel(id, before);
  }
  Status delete_channel(std::int64_t id, bool purge) override {
    return inner_.delete_channel(id, purge);
  }
  Result<std::vector<chat::Channel>> seed_channels(const std::vector<std::string>& n) override {
    return inner_.seed_channels(n);
  }
  Status upsert_user(const std::string& id, const std::string& u, chat::TimePoint t) override {
    return inner_.upsert_user(id, u, t);
  }
  Result<std::optional<std::string>> username_of(const std::string& id) override {
    return inner_.username_of(id);
  }
  Result<std::vector<chat::UserRecord>> search_users(const std::string& f,
                                                     std::int64_t limit) override {
    return inner_.search_users(f, limit);
  }
  Result<chat::StoredIds> stored_ids() override { return inner_.stored_ids(); }
  Result<std::vector<chat::ChatMessage>> public_after(std::int64_t since,
                                                      std::int64_t limit) override {
    return inner_.public_after(since, limit);
  }
  Result<std::vector<chat::PrivateMessage>> recent_private(const std::string& user,
                                                           std::int64_t limit) override {
    return inner_.recent_private(user, limit);
  }
  Result<chat::Page<chat::ChatMessage>> search_messages(const chat::MessageQuery& q) override {
    return inner_.search_messages(q);
  }
  Result<std::vector<std::int64_t>> delete_messages(std::span<const std::int64_t> ids) override {
    return inner_.delete_messages(ids);
  }
  Result<std::vector<chat::ChannelCount>> message_counts() override {
    return inner_.message_counts();
  }
  Result<std::int64_t> open_session(const std::string& user, chat::TimePoint start,
                                    const std::string& server_id) override {
    return inner_.open_session(user, start, server_id);
  }
  Status close_session(std::int64_t id, chat::TimePoint end) override {
    return inner_.close_session(id, end);
  }
  Status close_open_sessions(chat::TimePoint now,
                             const std::optional<std::string>& server_id) override {
    return inner_.close_open_sessions(now, server_id);
  }
  Result<std::vector<chat::DayActivity>> session_activity(const std::string& user, int days,
                                                          chat::TimePoint now) override {
    return inner_.session_activity(user, days, now);
  }
  Result<chat::BanRecord> ban(const chat::NewBan& b) override { return inner_.ban(b); }
  Result<chat::BanRecord> pardon(std::int64_t id) override { return inner_.pardon(id); }
  Result<std::optional<chat::BanRecord>> active_ban(const std::string& user,
                                                    chat::TimePoint now) override {
    return inner_.active_ban(user, now);
  }
  Result<chat::Page<chat::BanRecord>> ban_records(std::int64_t limit,
                                                  std::int64_t offset) override {
    return inner_.ban_records(limit, offset);
  }
  Result<chat::RateLimitRow> rate_limit(const chat::RateLimitRow& seed) override {
    return inner_.rate_limit(seed);
  }
  Status set_rate_limit(const chat::RateLimitRow& limit) override {
    return inner_.set_rate_limit(limit);
  }
  Result<chat::ServerIdentity> server_identity(const std::string& name) override {
    return inner_.server_identity(name);
  }

 private:
  chat::Store& inner_;
  std::mutex mutex_;
  std::map<std::int64_t, int> public_counts_;
  std::map<std::int64_t, int> private_counts_;
  std::atomic<int> failed_calls_{0};
};

class ValkeyFlusher : public ValkeyTest {
 protected:
  FlusherSettings settings(std::string instance, std::size_t batch = 100) {
    FlusherSettings s;
    s.address = address_;
    s.instance = std::move(instance);
    s.interval = 20ms;
    s.batch = batch;
    s.lock_ttl = 2000ms;
    return s;
  }

  // Accepts `n` public messages (and one private for every `every_private`th), pipelined.
  void produce(int n, int every_private = 4) {
    std::vector<Command> batch;
    for (int i = 0; i < n; ++i) {
      if (every_private && i % every_private == 0) {
        batch.push_back(eval(
            accept_script(),
            accept_argv({'q', "a", 0, 1000000, 60,
                         message_body(private_message("a", "b", "q" + std::to_string(i))), "b"})));
      }
      batch.push_back(
          eval(accept_script(),
               accept_argv({'p', "u" + std::to_string(i % 5), 0, 1000000, 60,
                            message_body(public_message("u", "m" + std::to_string(i))), ""})));
    }
    std::string error;
    auto replies = redis().pipeline(batch, error);
    ASSERT_TRUE(replies) << error;
    for (const auto& r : *replies) {
      ASSERT_EQ(r.type, Reply::Type::array) << r.text;
      ASSERT_EQ(r.elements[0].integer, 1);
    }
  }

  std::int64_t queued() { return must_call(redis(), {"LLEN", "natter:flush"}).integer; }

  std::vector<std::string> queue() {
    std::vector<std::string> out;
    for (auto& e : must_call(redis(), {"LRANGE", "natter:flush", "0", "-1"}).elements) {
      out.push_back(e.text);
    }
    return out;
  }
};

void expect_once(const std::map<std::int64_t, int>& counts, std::int64_t expected,
                 const char* kind) {
  EXPECT_EQ(static_cast<std::int64_t>(counts.size()), expected) << kind;
  std::int64_t want = 1;
  for (const auto& [id, count] : counts) {
    EXPECT_EQ(id, want++) << kind;
    EXPECT_EQ(count, 1) << kind << " cacheID " << id << " was handed to the store " << count
                        << " times";
  }
}

TEST_F(ValkeyFlusher, StoresEveryMessageOnceAndEmptiesTheQueue) {
  store::CheckedStore memory{std::make_unique<store::MemoryStore>()};
  RecordingStore store(memory);
  produce(1000);  // 1000 public, 250 private
  ASSERT_EQ(queued(), 1250);
  std::vector<FlushStats> seen;
  std::mutex seen_mutex;
  Flusher flusher(settings("one", 300), store, [&](const FlushStats& s) {
    std::lock_guard lock(seen_mutex);
    seen.push_back(s);
  });
  flusher.start();
  ASSERT_TRUE(eventually([&] { return queued() == 0; }, 10000ms)) << queued() << " left";
  ASSERT_TRUE(eventually([&] { return flusher.stored() == 1250; }));
  flusher.stop(1000ms);
  EXPECT_EQ(must_call(redis(), {"GET", "natter:flush:lock"}).type, Reply::Type::nil)
      << "the lock is released on stop";

  expect_once(store.public_counts(), 1000, "public");
  expect_once(store.private_counts(), 250, "private");
  auto stored = memory.public_after(0, 5000);
  ASSERT_TRUE(stored);
  ASSERT_EQ(stored->size(), 1000u);
  EXPECT_EQ(stored->front().message, "m0");
  EXPECT_EQ(stored->back().message, "m999");
  EXPECT_EQ(stored->back().authored_at, public_message("u", "").authored_at);
  auto privates = memory.recent_private("b", 1000);
  ASSERT_TRUE(privates);
  EXPECT_EQ(privates->size(), 250u);

  std::lock_guard lock(seen_mutex);
  ASSERT_FALSE(seen.empty());
  std::size_t total = 0;
  for (const auto& s : seen) {
    EXPECT_LE(s.batch, 300u);
    total += s.batch;
  }
  EXPECT_EQ(total, 1250u);
  EXPECT_EQ(seen.back().remaining, 0u);
}

TEST_F(ValkeyFlusher, TwoFlushersNeverStoreAMessageTwice) {
  store::CheckedStore memory{std::make_unique<store::MemoryStore>()};
  RecordingStore store(memory);
  Flusher first(settings("first", 50), store);
  Flusher second(settings("second", 50), store);
  first.start();
  second.start();
  // Messages keep coming while both run.
  for (int round = 0; round < 20; ++round) {
    produce(50, 5);
    std::this_thread::sleep_for(15ms);
  }
  ASSERT_TRUE(eventually([&] { return queued() == 0; }, 15000ms)) << queued() << " left";
  first.stop(1000ms);
  second.stop(1000ms);
  EXPECT_EQ(first.stored() + second.stored(), 1200u);
  expect_once(store.public_counts(), 1000, "public");
  expect_once(store.private_counts(), 200, "private");
}

TEST_F(ValkeyFlusher, TheOtherTakesOverWhenOneStops) {
  store::CheckedStore memory{std::make_unique<store::MemoryStore>()};
  RecordingStore store(memory);
  Flusher first(settings("first", 50), store);
  first.start();
  produce(100, 0);
  ASSERT_TRUE(eventually([&] { return queued() == 0; }));
  EXPECT_EQ(must_call(redis(), {"GET", "natter:flush:lock"}).text, "first");

  Flusher second(settings("second", 50), store);
  second.start();
  first.stop(1000ms);
  produce(100, 0);
  ASSERT_TRUE(eventually([&] { return queued() == 0; }));
  second.stop(1000ms);
  EXPECT_EQ(first.stored(), 100u);
  EXPECT_EQ(second.stored(), 100u);
  expect_once(store.public_counts(), 200, "public");
}

TEST_F(ValkeyFlusher, AFailingStoreKeepsTheQueue) {
  store::CheckedStore memory{std::make_unique<store::MemoryStore>()};
  RecordingStore store(memory);
  produce(40);
  const auto before = queue();
  ASSERT_EQ(before.size(), 50u);
  store.failing = true;
  Flusher flusher(settings("one", 20), store);
  flusher.start();
  ASSERT_TRUE(eventually([&] { return store.failed_calls() >= 2; }));
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(queue(), before);
  EXPECT_EQ(flusher.stored(), 0u);
  EXPECT_TRUE(store.public_counts().empty());

  // Back again: everything goes through, once.
  store.failing = false;
  ASSERT_TRUE(eventually([&] { return queued() == 0; }, 10000ms));
  flusher.stop(1000ms);
  expect_once(store.public_counts(), 40, "public");
  expect_once(store.private_counts(), 10, "private");
}

TEST_F(ValkeyFlusher, StopFlushesWhatIsLeft) {
  store::CheckedStore memory{std::make_unique<store::MemoryStore>()};
  RecordingStore store(memory);
  auto s = settings("one", 30);
  s.interval = 60000ms;  // never on its own after the first look
  Flusher flusher(s, store);
  flusher.start();
  std::this_thread::sleep_for(100ms);
  produce(80, 0);
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(queued(), 80);
  const auto t0 = std::chrono::steady_clock::now();
  flusher.stop(3000ms);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 3000ms);
  EXPECT_EQ(queued(), 0);
  EXPECT_EQ(flusher.stored(), 80u);
  expect_once(store.public_counts(), 80, "public");
}

TEST_F(ValkeyFlusher, AMalformedEntryDoesNotBlockTheQueue) {
  store::CheckedStore memory{std::make_unique<store::MemoryStore>()};
  RecordingStore store(memory);
  produce(5, 0);
  must_call(redis(), {"RPUSH", "natter:flush", "not an event"});
  must_call(redis(), {"RPUSH", "natter:flush", R"({"t":"s","i":"x","o":"o","u":"u","on":true})"});
  produce(5, 0);
  Flusher flusher(settings("one", 100), store);
  flusher.start();
  ASSERT_TRUE(eventually([&] { return queued() == 0; }));
  flusher.stop(1000ms);
  expect_once(store.public_counts(), 10, "public");
}

TEST_F(ValkeyFlusher, IntoSqlite) {
  const auto path = std::filesystem::temp_directory_path() /
                    ("natter-flush-" + std::to_string(::getpid()) + ".db");
  std::filesystem::remove(path);
  {
    auto opened = store::open_store("sqlite:" + path.string());
    ASSERT_TRUE(opened) << opened.error().message;
    auto& sqlite = **opened;
    auto m = public_message("u\"1\"", "caf\xc3\xa9 \"quoted\" \xf0\x9f\x98\x80");
    m.authored_at = chat::TimePoint(std::chrono::microseconds(1'812'345'678'901'234LL));
    auto accepted = accept_public(redis(), m);
    ASSERT_TRUE(accepted.accepted);
    produce(300);
    Flusher flusher(settings("one", 128), sqlite);
    flusher.start();
    ASSERT_TRUE(eventually([&] { return queued() == 0; }, 15000ms)) << queued() << " left";
    flusher.stop(1000ms);

    auto stored = sqlite.public_after(0, 1000);
    ASSERT_TRUE(stored) << stored.error().message;
    ASSERT_EQ(stored->size(), 301u);
    EXPECT_EQ(stored->front().cache_id, accepted.value);
    EXPECT_EQ(stored->front().owner_id, m.owner_id);
    EXPECT_EQ(stored->front().message, m.message);
    EXPECT_EQ(stored->front().authored_at, m.authored_at);
    for (std::size_t i = 1; i < stored->size(); ++i) {
      EXPECT_EQ((*stored)[i].cache_id, (*stored)[i - 1].cache_id + 1);
    }
    auto ids = sqlite.stored_ids();
    ASSERT_TRUE(ids);
    EXPECT_EQ(ids->max_public_cache_id, 301);
    EXPECT_EQ(ids->max_private_cache_id, 75);
  }
  std::filesystem::remove(path);
  std::filesystem::remove(path.string() + "-wal");
  std::filesystem::remove(path.string() + "-shm");
}

}  // namespace
}  // namespace natter::cache::testing
