#include "chat/commit_queue.hpp"

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>

#include "store/checked_store.hpp"
#include "store/memory/memory_store.hpp"

namespace natter::chat {
namespace {

ChatMessage public_message(std::int64_t id, std::string text) {
  return {std::nullopt, id, "u-a", "alice", "general", std::move(text), now_micros()};
}

// Collects delivered batches; waits for a number of messages.
struct Delivered {
  void add(const std::vector<Accepted>& batch) {
    std::lock_guard lock(mutex);
    for (const auto& a : batch) ids.push_back(std::visit([](auto& m) { return m.cache_id; }, a));
    changed.notify_all();
  }
  std::vector<std::int64_t> wait_for(std::size_t n) {
    std::unique_lock lock(mutex);
    changed.wait_for(lock, std::chrono::seconds(5), [&] { return ids.size() >= n; });
    return ids;
  }
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<std::int64_t> ids;
};

TEST(CommitQueue, DeliversOnlyWhatIsStoredInOrder) {
  store::CheckedStore store{std::make_unique<store::MemoryStore>()};
  CommitQueue queue(store, 1000);
  Delivered delivered;
  queue.start([&](const std::vector<Accepted>& batch) { delivered.add(batch); });

  std::vector<ProtocolError> refusals;
  std::mutex refusals_mutex;
  auto refuse = [&](const ProtocolError& e) {
    std::lock_guard lock(refusals_mutex);
    refusals.push_back(e);
  };
  for (std::int64_t id = 1; id <= 200; ++id) {
    // Message 50 holds a NUL byte: no store keeps it, and it must not hold back the rest.
    ASSERT_TRUE(
        queue.enqueue(public_message(id, id == 50 ? std::string("a\0b", 3) : "ok"), refuse));
    if (id % 20 == 0) {
      PrivateMessage p{std::nullopt, id / 20, "u-a", "alice", "u-b", "bob", "psst", now_micros()};
      ASSERT_TRUE(queue.enqueue(p, refuse));
    }
  }
  auto ids = delivered.wait_for(199 + 10);
  queue.stop();

  EXPECT_EQ(ids.size(), 209u);
  std::vector<std::int64_t> public_ids;
  for (auto id : ids) public_ids.push_back(id);
  EXPECT_EQ(std::count(ids.begin(), ids.end(), 50), 0);
  ASSERT_EQ(refusals.size(), 1u);
  EXPECT_EQ(refusals[0].code, ErrorCode::invalid_message);

  auto stored = store.public_after(0, 500);
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->size(), 199u);
  EXPECT_EQ(store.stored_ids()->max_private_cache_id, 10);
  EXPECT_GE(queue.committed_batches(), 1u);
}

TEST(CommitQueue, RefusesPastItsBacklogAndCommitsEverythingOnStop) {
  store::CheckedStore store{std::make_unique<store::MemoryStore>()};
  CommitQueue queue(store, 3);
  // Not started: nothing drains, so the fourth message is refused.
  for (std::int64_t id = 1; id <= 3; ++id) EXPECT_TRUE(queue.enqueue(public_message(id, "x"), {}));
  EXPECT_FALSE(queue.enqueue(public_message(4, "x"), {}));
  Delivered delivered;
  queue.start([&](const std::vector<Accepted>& batch) { delivered.add(batch); });
  queue.stop();
  EXPECT_EQ(delivered.wait_for(3).size(), 3u);
  EXPECT_EQ(store.public_after(0, 10)->size(), 3u);
  EXPECT_FALSE(queue.enqueue(public_message(5, "x"), {}));
}

}  // namespace
}  // namespace natter::chat
