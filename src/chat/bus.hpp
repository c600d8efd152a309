// The Bus port: what joins several natter instances into one chat server (Valkey). Messages
// cross it through the acceptance port (chat/acceptance.hpp), which the bus also implements;
// presence changes, deletions, bans and setting changes made here are told to the other
// instances through Bus, and what they tell this one comes back through BusEvents (the hub).
// Calls never block: they queue and return.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "chat/acceptance.hpp"
#include "chat/connection.hpp"
#include "chat/message.hpp"
#include "chat/ports.hpp"
#include "chat/protocol.hpp"

namespace natter::chat {

// Where a change to shared state comes from: this instance (tell the others) or the bus.
enum class Origin { here, bus };

class Bus {
 public:
  virtual ~Bus() = default;
  // A user's first connection to this instance came (online) or their last one went.
  virtual void presence(const UserStatus& status) = 0;
  virtual void messages_removed(std::span<const std::int64_t> cache_ids) = 0;
  virtual void user_disconnected(const std::string& user_id, CloseCode code,
                                 const std::string& reason) = 0;
  virtual void channels_changed(const std::vector<Channel>& channels) = 0;
  virtual void rate_limit_changed(RateLimit limit) = 0;
};

// What the bus hands this instance (the hub implements it): accepted messages, in one order
// on every instance, and what the other instances changed. Called from the bus's threads.
class BusEvents : public AcceptedMessages {
 public:
  // A user's first connection to `instance` came, or their last one there went.
  virtual void remote_presence(const std::string& instance, const UserStatus& status) = 0;
  // Everyone connected to `instance` now (a fresh view after the bus reconnected).
  virtual void remote_snapshot(const std::string& instance,
                               const std::vector<UserStatus>& users) = 0;
  // `instance` stopped (its heartbeat expired): its users leave unless connected elsewhere.
  virtual void instance_gone(const std::string& instance) = 0;
  // Users with a connection on this instance (for the bus to publish again).
  virtual std::vector<UserStatus> local_users() const = 0;
  // Another instance deleted messages, banned a user or changed the channels.
  virtual void messages_removed(std::span<const std::int64_t> cache_ids) = 0;
  virtual void user_disconnected(const std::string& user_id, CloseCode code,
                                 const std::string& reason) = 0;
  virtual void channels_changed(std::vector<Channel> channels) = 0;
};

}  // namespace natter::chat
