// Acceptance on one instance: the in-process rate limiter, the cache's cacheID counters, and
// the store as the queue (CommitQueue): a message is delivered only once it is committed, so a
// crash loses nothing a client saw and a store that is down refuses messages instead of
// broadcasting what it cannot keep.
#pragma once

#include <cstddef>
#include <mutex>

#include "chat/acceptance.hpp"
#include "chat/chat_metrics.hpp"
#include "chat/commit_queue.hpp"
#include "chat/ports.hpp"
#include "chat/store.hpp"

namespace natter::chat {

class EmbeddedAcceptance final : public Acceptance {
 public:
  // `max_pending`: messages accepted but not yet committed before new ones are refused.
  EmbeddedAcceptance(RateLimiter& limiter, MessageCache& counters, Store& store,
                     std::size_t max_pending, ChatMetrics& metrics = ChatMetrics::none());

  // Delivers every committed batch to `to` from the commit thread, from now on.
  void start(AcceptedMessages& to);
  // Commits and delivers what is queued, then stops.
  void stop();
  // Waits until everything accepted so far is committed and delivered (or refused).
  void drain();

  std::optional<ProtocolError> accept(Accepted message, Refuse late) override;

 private:
  RateLimiter& limiter_;
  MessageCache& counters_;
  CommitQueue commits_;
  std::mutex order_;  // numbered and queued together: the queue holds cacheID order
};

}  // namespace natter::chat
