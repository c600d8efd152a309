// One instance's acceptance: rate check, cacheID, commit queue, under one lock.
#include "chat/embedded_acceptance.hpp"

#include <chrono>
#include <type_traits>

namespace natter::chat {

EmbeddedAcceptance::EmbeddedAcceptance(RateLimiter& limiter, MessageCache& counters, Store& store,
                                       std::size_t max_pending, ChatMetrics& metrics)
    : limiter_(limiter), counters_(counters), commits_(store, max_pending, metrics) {}

void EmbeddedAcceptance::start(AcceptedMessages& to) {
  commits_.start([&to](const std::vector<Accepted>& batch) { to.deliver(batch); });
}

void EmbeddedAcceptance::stop() { commits_.stop(); }

void EmbeddedAcceptance::drain() { commits_.drain(); }

std::optional<ProtocolError> EmbeddedAcceptance::accept(Accepted message, Refuse late) {
  const std::string& sender =
      std::visit([](const auto& m) -> const std::string& { return m.owner_id; }, message);
  std::lock_guard lock(order_);
  if (auto decision = limiter_.acquire(sender, std::chrono::steady_clock::now());
      !decision.allowed) {
    return ProtocolError{ErrorCode::rate_limited, "too many messages", decision.retry_after};
  }
  std::visit(
      [this](auto& m) {
        using T = std::decay_t<decltype(m)>;
        m.cache_id = std::is_same_v<T, ChatMessage> ? counters_.next_public_id()
                                                    : counters_.next_private_id();
      },
      message);
  if (!commits_.enqueue(std::move(message), std::move(late))) {
    return ProtocolError{ErrorCode::unavailable, "the store is not keeping up; try again", {}};
  }
  return std::nullopt;
}

}  // namespace natter::chat
