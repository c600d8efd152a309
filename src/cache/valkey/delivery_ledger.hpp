// What one instance has delivered from the bus, per kind of message (public, private): the
// highest cacheID delivered, which a repeat is at or below, and the messages Valkey answered as
// accepted that have not come back yet. Valkey writes its reply and its publish to two
// connections; killed between the two, it loses the publish (and, restarted, the recent list
// and the flush queue with it), so an instance keeps each accepted message until it sees it
// delivered, and puts back those still missing after it reconnects.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "chat/acceptance.hpp"

namespace natter::cache {

class DeliveryLedger {
 public:
  enum class Kind : char { public_message = 'p', private_message = 'q' };

  // Accepted by Valkey, not delivered here yet.
  struct Unconfirmed {
    Kind kind;
    std::int64_t cache_id;
    std::string entry;  // the bus event, exactly as the accept script published it
    std::string sender_id;
    std::string recipient_id;  // private messages only
    chat::Acceptance::Refuse refuse;
  };

  // At most this many unconfirmed messages are kept (the oldest are forgotten first): they
  // normally live for one round trip.
  static constexpr std::size_t unconfirmed_limit = 10000;

  DeliveryLedger(std::int64_t public_floor, std::int64_t private_floor);

  // Records a delivery: false when `cache_id` is at or below the highest delivered of its kind
  // (a repeat, not to be delivered again). An unconfirmed message is confirmed by its own entry
  // only: after Valkey lost its data, its cacheID may come back on another message.
  bool deliver(Kind kind, std::int64_t cache_id, std::string_view entry);
  // Raises the highest delivered of a kind (the recent messages loaded at start).
  void raise(Kind kind, std::int64_t cache_id);
  std::int64_t delivered(Kind kind) const;
  // The floor for the next cacheID asked for: above every one delivered or unconfirmed here.
  std::int64_t floor(Kind kind) const;

  // Valkey's answer to an accept: kept until delivered, unless delivered already.
  void accepted(Unconfirmed message);
  // Copies of the unconfirmed messages, oldest first (their refusals shared with the originals).
  std::vector<Unconfirmed> unconfirmed() const;
  // Forgets one, returning its refusal (empty when it was delivered or forgotten meanwhile).
  chat::Acceptance::Refuse settle(Kind kind, std::int64_t cache_id);
  std::size_t unconfirmed_count() const;

 private:
  struct PerKind {
    std::int64_t delivered = 0;
    std::map<std::int64_t, Unconfirmed> unconfirmed;
  };
  PerKind& of(Kind kind) { return kind == Kind::public_message ? public_ : private_; }
  const PerKind& of(Kind kind) const { return kind == Kind::public_message ? public_ : private_; }

  mutable std::mutex mutex_;
  PerKind public_;
  PerKind private_;
};

}  // namespace natter::cache
