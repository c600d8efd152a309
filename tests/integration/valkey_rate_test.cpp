// One rate-limit contract for the in-process limiter (embedded mode) and the accept script
// (Valkey): N messages within the window, the next refused with how long to wait, allowed
// again once the window has passed, each user alone. Real time, a window of 1 s.
#include <gtest/gtest.h>

#include "cache/memory/memory_rate_limiter.hpp"
#include "valkey_support.hpp"

namespace natter::cache::testing {
namespace {

// Asks to send one message now.
using Acquire = std::function<chat::RateDecision(const std::string& user)>;

struct Limiter {
  std::string name;
  std::function<Acquire(chat::RateLimit)> make;
};

class ValkeyRateContract : public ::testing::TestWithParam<Limiter> {
 protected:
  void SetUp() override {
    auto address = test_address();
    ASSERT_FALSE(address.host.empty());
    connection_ = open_or_fail(address);
    ASSERT_TRUE(connection_);
    must_call(*connection_, {"FLUSHDB"});
    shared_connection = connection_.get();
  }
  void TearDown() override { shared_connection = nullptr; }

 public:
  static inline Connection* shared_connection = nullptr;

 private:
  std::unique_ptr<Connection> connection_;
};

Acquire memory_limiter(chat::RateLimit limit) {
  auto limiter = std::make_shared<MemoryRateLimiter>(limit);
  return [limiter](const std::string& user) {
    return limiter->acquire(user, std::chrono::steady_clock::now());
  };
}

Acquire valkey_limiter(chat::RateLimit limit) {
  return [limit](const std::string& user) -> chat::RateDecision {
    auto* c = ValkeyRateContract::shared_connection;
    if (!c) {
      ADD_FAILURE() << "no connection";
      return {false, {}};
    }
    auto r =
        accept_public(*c, public_message(user, "m"), 0, limit.message_limit, limit.window_seconds);
    if (r.accepted) return {true, {}};
    return {false, std::chrono::milliseconds(r.value)};
  };
}

TEST_P(ValkeyRateContract, AllowsNPerWindowThenRefusesWithRetryAfter) {
  auto acquire = GetParam().make({3, 1});
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(acquire("u").allowed) << i;
  auto refused = acquire("u");
  const auto elapsed = std::chrono::steady_clock::now() - t0;
  ASSERT_FALSE(refused.allowed);
  EXPECT_GT(refused.retry_after, 0ms);
  EXPECT_LE(refused.retry_after, 1000ms);
  EXPECT_GE(refused.retry_after,
            1000ms - std::chrono::ceil<std::chrono::milliseconds>(elapsed) - 5ms);
  EXPECT_FALSE(acquire("u").allowed);  // refusals do not count, but do not free a slot either

  EXPECT_TRUE(acquire("someone else").allowed);

  std::this_thread::sleep_for(1100ms);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(acquire("u").allowed) << "after the window, " << i;
  EXPECT_FALSE(acquire("u").allowed);
}

TEST_P(ValkeyRateContract, TheWindowSlides) {
  auto acquire = GetParam().make({2, 1});
  EXPECT_TRUE(acquire("u").allowed);
  std::this_thread::sleep_for(600ms);
  EXPECT_TRUE(acquire("u").allowed);
  auto refused = acquire("u");
  ASSERT_FALSE(refused.allowed);
  // The first message leaves the window about 400 ms from now.
  EXPECT_GT(refused.retry_after, 250ms);
  EXPECT_LE(refused.retry_after, 420ms);
  std::this_thread::sleep_for(refused.retry_after + 60ms);
  EXPECT_TRUE(acquire("u").allowed);   // the first one's slot
  EXPECT_FALSE(acquire("u").allowed);  // the second is still within the window
}

INSTANTIATE_TEST_SUITE_P(Both, ValkeyRateContract,
                         ::testing::Values(Limiter{"memory", memory_limiter},
                                           Limiter{"valkey", valkey_limiter}),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace natter::cache::testing
