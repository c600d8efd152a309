// natter's Prometheus metrics: owns the registry and every family, records events through
// plain calls (each series is found once, at construction, so a call costs an atomic add),
// and renders the text exposition for GET /metrics. Knows nothing of HTTP (net/ serves
// scrape()) and keeps prometheus-cpp out of every header but its own .cpp.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "chat/chat_metrics.hpp"
#include "common/log_event.hpp"

namespace prometheus {
class Counter;
class Gauge;
class Histogram;
class Registry;
}  // namespace prometheus

namespace natter::metrics {

using Duration = std::chrono::steady_clock::duration;

// Which client a WebSocket connection comes from (NATTER_DASHBOARD_CLIENT or any other).
enum class ClientKind : std::uint8_t { chat, dashboard };

// Why an upgrade to WebSocket was refused.
enum class ConnectRefusal : std::uint8_t {
  bad_request,           // malformed target or `since`
  unauthorized,          // missing, invalid or expired token
  keys_unavailable,      // the identity provider's keys could not be had
  banned,                // the user is banned
  store_unavailable,     // the ban check could not reach the store
  shutting_down,         // a graceful shutdown has begun
  handshake_failed,      // the WebSocket handshake itself failed
  too_many_connections,  // the user or the address holds its most connections
};

// Client-to-server message types (the chat layer counts them).
using InKind = chat::InKind;

// Who called the store: the REST API, the readiness probe, or the commit queue.
enum class StoreCaller : std::uint8_t { api, readiness, commit };

class Metrics final : public chat::ChatMetrics {
 public:
  Metrics();
  ~Metrics() override;
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // The text exposition format (version 0.0.4) of every metric.
  std::string scrape() const;

  // --- connections ---
  void connection_opened(ClientKind kind);
  void connection_closed(ClientKind kind);
  void connect_refused(ConnectRefusal reason);

  // --- messages ---
  void send_queue_overflow();  // a connection closed with 4008

  // --- storage and cache ---
  void store_call(StoreCaller caller, Duration took, bool ok);
  // A write-behind cache's flusher: messages waiting for the store, and each batch moved.
  void flush_queue_depth(std::size_t depth);
  void flush_batch(std::size_t size);
  void cache_call(Duration took, bool ok);

  // --- identity provider ---
  void jwks_fetch(bool ok);

  // --- chat::ChatMetrics ---
  void frames_out(chat::OutKind kind, std::size_t recipients) override;
  void fanned_out(Duration since_accepted) override;
  void committed(std::size_t batch_size, Duration took, bool ok) override;
  void commit_queue_depth(std::size_t depth) override;
  void message_in(InKind kind) override;
  void rate_limited() override;  // a message refused by the rate limiter

 private:
  static constexpr std::size_t kClientKinds = 2;
  static constexpr std::size_t kRefusals = 8;
  static constexpr std::size_t kInKinds = 6;
  static constexpr std::size_t kStoreCallers = 3;

  std::shared_ptr<prometheus::Registry> registry_;
  std::array<prometheus::Gauge*, kClientKinds> connections_open_{};
  prometheus::Counter* connects_accepted_ = nullptr;
  std::array<prometheus::Counter*, kRefusals> connects_refused_{};
  std::array<prometheus::Counter*, kInKinds> messages_in_{};
  std::array<prometheus::Counter*, chat::kOutKinds> messages_out_{};
  prometheus::Histogram* fanout_seconds_ = nullptr;
  prometheus::Counter* send_queue_overflows_ = nullptr;
  prometheus::Counter* rate_limited_ = nullptr;
  std::array<prometheus::Histogram*, kStoreCallers> store_call_seconds_{};
  std::array<prometheus::Counter*, kStoreCallers> store_call_errors_{};
  OutageLog store_outage_{"store"};  // store_down / store_up, once each
  prometheus::Histogram* commit_batch_size_ = nullptr;
  prometheus::Gauge* commit_queue_depth_ = nullptr;
  prometheus::Histogram* flush_batch_size_ = nullptr;
  prometheus::Gauge* flush_queue_depth_ = nullptr;
  prometheus::Histogram* cache_call_seconds_ = nullptr;
  prometheus::Counter* cache_call_errors_ = nullptr;
  prometheus::Counter* jwks_refreshes_ = nullptr;
  prometheus::Counter* jwks_refresh_failures_ = nullptr;
};

}  // namespace natter::metrics
