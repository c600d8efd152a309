#include "net/replay_pacer.hpp"

#include <gtest/gtest.h>

namespace natter::net {
namespace {

using namespace std::chrono_literals;

TEST(ReplayPacer, ABurstGoesAtOnceThenReadsWaitTheirTurn) {
  ReplayPacer pacer(10, 5);  // a page every 100 ms, 5 ahead
  const auto t0 = ReplayPacer::Clock::time_point{} + 1h;
  EXPECT_EQ(pacer.reserve(5, 1s, t0), ReplayPacer::Clock::duration::zero());
  EXPECT_EQ(pacer.reserve(2, 1s, t0), 200ms);
  EXPECT_EQ(pacer.reserve(1, 1s, t0), 300ms);
  // Time passing pays back what was booked.
  EXPECT_EQ(pacer.reserve(1, 1s, t0 + 10s), ReplayPacer::Clock::duration::zero());
}

TEST(ReplayPacer, AWaitPastTheLimitBooksNothing) {
  ReplayPacer pacer(10, 1);
  const auto t0 = ReplayPacer::Clock::time_point{} + 1h;
  EXPECT_EQ(pacer.reserve(50, 1s, t0), std::nullopt);
  EXPECT_EQ(pacer.reserve(1, 1s, t0), ReplayPacer::Clock::duration::zero());
}

}  // namespace
}  // namespace natter::net
