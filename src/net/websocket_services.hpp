// What a WebSocket session uses, and nothing else: one for all sessions (the ServerContext
// holds it), each session holding a reference.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

#include "chat/client_session.hpp"
#include "common/limits.hpp"
#include "common/worker_pool.hpp"
#include "metrics/metrics.hpp"
#include "net/session_count.hpp"
#include "net/token_check.hpp"

namespace natter::net {

struct WebSocketServices {
  const Limits& limits;
  std::chrono::seconds token_leeway;  // past the token's exp before 4001 (when enforced)
  chat::ClientSession::Services chat;
  metrics::Metrics& metrics;
  WorkerPool& workers;  // runs the sessions' store work off the shards
  const TokenSource& tokens;
  SessionCount& sessions;  // open now: a graceful shutdown waits for none
  std::atomic<std::uint64_t>& sessions_ended;
  const std::atomic<bool>& shutting_down;
};

}  // namespace natter::net
