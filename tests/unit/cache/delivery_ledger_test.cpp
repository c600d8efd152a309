// The delivery ledger: repeats are refused, accepted messages are kept until delivered (or not
// at all when their delivery came first), and the floor stays above everything it holds.
#include "cache/valkey/delivery_ledger.hpp"

#include <gtest/gtest.h>

namespace natter::cache {
namespace {

using Kind = DeliveryLedger::Kind;

DeliveryLedger::Unconfirmed unconfirmed(Kind kind, std::int64_t id,
                                        chat::Acceptance::Refuse refuse = {}) {
  return {kind, id, "entry-" + std::to_string(id), "u1", "", std::move(refuse)};
}

TEST(DeliveryLedger, RefusesRepeatsPerKind) {
  DeliveryLedger ledger(10, 3);
  EXPECT_FALSE(ledger.deliver(Kind::public_message, 10, "entry-10"));
  EXPECT_TRUE(ledger.deliver(Kind::public_message, 11, "entry-11"));
  EXPECT_FALSE(ledger.deliver(Kind::public_message, 11, "entry-11"));
  EXPECT_TRUE(ledger.deliver(Kind::private_message, 4, "entry-4"));
  EXPECT_EQ(ledger.delivered(Kind::public_message), 11);
  EXPECT_EQ(ledger.delivered(Kind::private_message), 4);
  ledger.raise(Kind::public_message, 20);
  ledger.raise(Kind::public_message, 15);
  EXPECT_EQ(ledger.delivered(Kind::public_message), 20);
}

TEST(DeliveryLedger, KeepsAnAcceptedMessageUntilItIsDelivered) {
  DeliveryLedger ledger(0, 0);
  ledger.accepted(unconfirmed(Kind::public_message, 1));
  ledger.accepted(unconfirmed(Kind::private_message, 1));
  ASSERT_EQ(ledger.unconfirmed_count(), 2u);
  auto held = ledger.unconfirmed();
  ASSERT_EQ(held.size(), 2u);
  EXPECT_EQ(held[0].kind, Kind::public_message);
  EXPECT_EQ(held[0].entry, "entry-1");
  EXPECT_TRUE(ledger.deliver(Kind::public_message, 1, "entry-1"));
  ASSERT_EQ(ledger.unconfirmed_count(), 1u);
  EXPECT_EQ(ledger.unconfirmed()[0].kind, Kind::private_message);
}

TEST(DeliveryLedger, AReplyAfterItsDeliveryIsNotKept) {
  // The subscription can bring a message back before the pipeline hands over Valkey's reply.
  DeliveryLedger ledger(0, 0);
  EXPECT_TRUE(ledger.deliver(Kind::public_message, 5, "entry-5"));
  ledger.accepted(unconfirmed(Kind::public_message, 5));
  ledger.accepted(unconfirmed(Kind::public_message, 4));
  EXPECT_EQ(ledger.unconfirmed_count(), 0u);
}

TEST(DeliveryLedger, AnotherMessageUnderTheSameCacheIdConfirmsNothing) {
  // Valkey restarted and handed the lost message's cacheID to someone else's.
  DeliveryLedger ledger(0, 0);
  ledger.accepted(unconfirmed(Kind::public_message, 1));
  EXPECT_TRUE(ledger.deliver(Kind::public_message, 1, "someone else's"));
  ASSERT_EQ(ledger.unconfirmed_count(), 1u);
  EXPECT_EQ(ledger.unconfirmed()[0].entry, "entry-1");
}

TEST(DeliveryLedger, TheFloorIsAboveWhatIsUnconfirmed) {
  DeliveryLedger ledger(7, 0);
  EXPECT_EQ(ledger.floor(Kind::public_message), 7);
  ledger.accepted(unconfirmed(Kind::public_message, 9));
  ledger.accepted(unconfirmed(Kind::public_message, 8));
  EXPECT_EQ(ledger.floor(Kind::public_message), 9);
  EXPECT_EQ(ledger.floor(Kind::private_message), 0);
  EXPECT_TRUE(ledger.deliver(Kind::public_message, 8, "entry-8"));
  EXPECT_EQ(ledger.floor(Kind::public_message), 9);
}

TEST(DeliveryLedger, SettleHandsBackTheRefusalOnce) {
  DeliveryLedger ledger(0, 0);
  int refusals = 0;
  ledger.accepted(
      unconfirmed(Kind::public_message, 3, [&](const chat::ProtocolError&) { ++refusals; }));
  auto refuse = ledger.settle(Kind::public_message, 3);
  ASSERT_TRUE(refuse);
  refuse({chat::ErrorCode::unavailable, "x", {}});
  EXPECT_EQ(refusals, 1);
  EXPECT_FALSE(ledger.settle(Kind::public_message, 3));
  EXPECT_EQ(ledger.unconfirmed_count(), 0u);
}

TEST(DeliveryLedger, ForgetsTheOldestBeyondItsLimit) {
  DeliveryLedger ledger(0, 0);
  for (std::int64_t id = 1; id <= static_cast<std::int64_t>(DeliveryLedger::unconfirmed_limit) + 5;
       ++id) {
    ledger.accepted(unconfirmed(Kind::public_message, id));
  }
  EXPECT_EQ(ledger.unconfirmed_count(), DeliveryLedger::unconfirmed_limit);
  EXPECT_EQ(ledger.unconfirmed().front().cache_id, 6);
}

}  // namespace
}  // namespace natter::cache
