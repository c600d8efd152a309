// The acceptance port: where a chat message becomes accepted (rate-checked, numbered, kept) and
// is handed back, in one order, to be delivered. Two implementations: chat::EmbeddedAcceptance
// (one instance: the in-process limiter and counters, the store as the queue, delivered once
// committed) and cache::ValkeyBus (several instances: Valkey's accept script, delivered from
// the subscription). The hub talks to the port and hears back through AcceptedMessages.
#pragma once

#include <functional>
#include <optional>
#include <vector>

#include "chat/protocol.hpp"

namespace natter::chat {

// Where accepted messages go (the hub): called from the acceptance's own thread, in cacheID
// order, each message once.
class AcceptedMessages {
 public:
  virtual ~AcceptedMessages() = default;
  virtual void deliver(const std::vector<Accepted>& batch) = 0;
};

class Acceptance {
 public:
  // Called, from the acceptance's thread, when a message is refused after accept() returned
  // (the store refused it, Valkey did not answer).
  using Refuse = std::function<void(const ProtocolError&)>;

  virtual ~Acceptance() = default;
  // Takes a message whose cache_id is still 0. An error means it was not accepted; otherwise
  // it comes back through AcceptedMessages::deliver, or `late` is called.
  virtual std::optional<ProtocolError> accept(Accepted message, Refuse late) = 0;
};

}  // namespace natter::chat
