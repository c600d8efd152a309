// What every HTTP and WebSocket session shares: settings, the hub and its shards, the token
// verifier and the key source, the shutdown state. Built once by main, whole (designated
// initializers); sessions hold a reference to it, never a copy.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "auth/jwks_client.hpp"
#include "auth/key_set.hpp"
#include "auth/token_signer.hpp"
#include "auth/token_verifier.hpp"
#include "chat/hub.hpp"
#include "chat/moderation.hpp"
#include "chat/protocol.hpp"
#include "chat/store.hpp"
#include "common/worker_pool.hpp"
#include "config/settings.hpp"
#include "metrics/metrics.hpp"
#include "net/admission.hpp"
#include "net/connection_counter.hpp"
#include "net/forwarded.hpp"
#include "net/replay_pacer.hpp"
#include "net/session_count.hpp"
#include "net/token_check.hpp"
#include "net/websocket_services.hpp"
#include "web/static_files.hpp"

namespace natter::net {

struct ServerContext {
  const config::Settings& settings;
  chat::ProtocolLimits protocol_limits;
  chat::Hub& hub;
  TokenSource tokens;                             // the verifier; no JWKS client in --dev mode
  const auth::TokenSigner* dev_signer = nullptr;  // set in --dev mode only
  std::string server_id;
  std::string instance_id;  // this process (sessions record which process holds them)
  chat::Store& store;
  WorkerPool& workers;  // runs store calls off the shards
  chat::Moderation& moderation;
  chat::MessageCache& cache;
  chat::RateLimiter& limiter;
  metrics::Metrics& metrics;
  const auth::KeySet* keys = nullptr;     // the verifier's keys, for readiness
  TrustedProxies trusted_proxies;         // from settings.trusted_proxies
  chat::Bus* bus = nullptr;               // with Valkey: the other instances
  std::function<bool()> cache_ready;      // with Valkey: connected and subscribed
  const web::StaticFiles* web = nullptr;  // the browser app; null when NATTER_WEB=false

  ConnectionCounter connections;  // open WebSocket connections per user and per address
  // Store pages (500 messages) read for replays: 20 a second, one whole NATTER_MAX_REPLAY
  // (5000 = 10 pages) at once, so the store keeps room for live traffic.
  ReplayPacer replay_pacer{20, 10};
  std::atomic<std::uint64_t> next_connection_id{1};
  SessionCount websocket_sessions;  // a graceful shutdown waits for it to reach zero
  std::atomic<std::uint64_t> websocket_sessions_ended{0};  // ever (the memory trimmer reads it)
  std::atomic<bool> shutting_down{false};

  // What admission and the WebSocket sessions use, made of the fields above (never given by
  // main).
  AdmissionServices admission{
      .limits = settings.limits,
      .moderation = moderation,
      .store = store,
      .cache = cache,
      .hub = hub,
      .workers = workers,
      .connections = connections,
      .replay_pacer = replay_pacer,
  };
  WebSocketServices websocket{
      .limits = settings.limits,
      .token_leeway = settings.token_leeway,
      .chat = {.hub = hub,
               .limits = protocol_limits,
               .metrics = metrics,
               .users = store,
               .instance_id = instance_id,
               .expiry_enforced = settings.token_expiry == config::Settings::TokenExpiry::enforce},
      .metrics = metrics,
      .workers = workers,
      .tokens = tokens,
      .sessions = websocket_sessions,
      .sessions_ended = websocket_sessions_ended,
      .shutting_down = shutting_down,
  };
};

}  // namespace natter::net
