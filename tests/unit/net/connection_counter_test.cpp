#include "net/connection_counter.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <utility>
#include <vector>

namespace natter::net {
namespace {

namespace ip = boost::asio::ip;
using Full = ConnectionCounter::Full;

const ip::address kHome = ip::make_address("203.0.113.7");
const ip::address kOffice = ip::make_address("198.51.100.1");

TEST(ConnectionCounter, RefusesTheUserPastItsCapUntilASlotIsFreed) {
  ConnectionCounter counter;
  std::vector<ConnectionCounter::Slot> slots(3);
  EXPECT_EQ(counter.acquire("alice", kHome, 2, 0, slots[0]), Full::no);
  EXPECT_EQ(counter.acquire("alice", kOffice, 2, 0, slots[1]), Full::no);
  EXPECT_EQ(counter.acquire("alice", kHome, 2, 0, slots[2]), Full::user);
  EXPECT_EQ(counter.acquire("bob", kHome, 2, 0, slots[2]), Full::no);
  slots[0] = ConnectionCounter::Slot();
  ConnectionCounter::Slot again;
  EXPECT_EQ(counter.acquire("alice", kHome, 2, 0, again), Full::no);
}

TEST(ConnectionCounter, RefusesTheAddressPastItsCapAndZeroMeansNoCap) {
  ConnectionCounter counter;
  std::vector<ConnectionCounter::Slot> slots(4);
  EXPECT_EQ(counter.acquire("a", kHome, 0, 2, slots[0]), Full::no);
  EXPECT_EQ(counter.acquire("b", kHome, 0, 2, slots[1]), Full::no);
  EXPECT_EQ(counter.acquire("c", kHome, 0, 2, slots[2]), Full::address);
  EXPECT_EQ(counter.acquire("c", kOffice, 0, 2, slots[2]), Full::no);
  EXPECT_EQ(counter.acquire("d", kHome, 0, 0, slots[3]), Full::no);
}

TEST(ConnectionCounter, AMovedSlotCountsOnceAndASlotMayOutliveTheCounter) {
  ConnectionCounter::Slot kept;
  {
    auto counter = std::make_unique<ConnectionCounter>();
    ConnectionCounter::Slot first;
    ASSERT_EQ(counter->acquire("alice", kHome, 1, 0, first), Full::no);
    ConnectionCounter::Slot moved(std::move(first));
    ConnectionCounter::Slot other;
    EXPECT_EQ(counter->acquire("alice", kHome, 1, 0, other), Full::user);
    moved = ConnectionCounter::Slot();
    EXPECT_EQ(counter->acquire("alice", kHome, 1, 0, kept), Full::no);
  }
  kept = ConnectionCounter::Slot();  // the counter is gone; releasing is still safe
}

}  // namespace
}  // namespace natter::net
