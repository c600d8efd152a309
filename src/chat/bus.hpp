// The Bus port: what joins several natter instances into one chat server (Valkey). With a bus,
// an accepted message is rate-checked, numbered, kept among the recent ones, queued for the
// store and published to every instance (this one too) in one step, and each instance
// delivers what the bus hands back (Hub::deliver), so all see one order. Presence changes,
// deletions, bans and setting changes made here are told to the other instances, which apply
// them through the hub's `Origin::bus` calls. Calls never block: they queue and return.
#pragma once

#include <functional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "chat/connection.hpp"
#include "chat/message.hpp"
#include "chat/ports.hpp"
#include "chat/protocol.hpp"

namespace natter::chat {

// Where a change to shared state comes from: this instance (tell the others) or the bus.
enum class Origin { here, bus };

class Bus {
 public:
  // Called, from the bus's thread, when a published message was not accepted after all (rate
  // limit, bus unavailable).
  using Refuse = std::function<void(const ProtocolError&)>;

  virtual ~Bus() = default;
  // Rate-checks, numbers and publishes a message whose cache_id is still 0.
  virtual void publish(Accepted message, Refuse refuse) = 0;
  // A user's first connection to this instance came (online) or their last one went.
  virtual void presence(const UserStatus& status) = 0;
  virtual void messages_removed(std::span<const std::int64_t> cache_ids) = 0;
  virtual void user_disconnected(const std::string& user_id, CloseCode code,
                                 const std::string& reason) = 0;
  virtual void channels_changed(const std::vector<Channel>& channels) = 0;
  virtual void rate_limit_changed(RateLimit limit) = 0;
};

}  // namespace natter::chat
