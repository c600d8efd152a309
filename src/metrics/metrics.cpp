// The families, their series (made once, here) and the exposition.
#include "metrics/metrics.hpp"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <algorithm>
#include <string_view>

#include "common/build_info.hpp"
#include "metrics/process_metrics.hpp"

namespace natter::metrics {
namespace {

using prometheus::Histogram;

// Seconds: from a tenth of a millisecond (an in-process fan-out) to seconds (a stuck store).
const Histogram::BucketBoundaries kLatencyBuckets = {
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5};
// Messages per batch: one at a time when quiet, thousands under load.
const Histogram::BucketBoundaries kBatchBuckets = {1,   2,   5,   10,   20,   50,
                                                   100, 200, 500, 1000, 2000, 5000};

double seconds(Duration d) { return std::chrono::duration<double>(d).count(); }

template <typename T>
auto index(T value) {
  return static_cast<std::size_t>(value);
}

}  // namespace

Metrics::Metrics() : registry_(std::make_shared<prometheus::Registry>()) {
  auto& r = *registry_;

  prometheus::BuildGauge()
      .Name("natter_build_info")
      .Help("Always 1; the labels say which natter this is")
      .Register(r)
      .Add({{"version", std::string(natter::version())}, {"commit", std::string(natter::commit())}})
      .Set(1);

  auto& open = prometheus::BuildGauge()
                   .Name("natter_connections_open")
                   .Help("WebSocket connections open, by client kind")
                   .Register(r);
  connections_open_[index(ClientKind::chat)] = &open.Add({{"client", "chat"}});
  connections_open_[index(ClientKind::dashboard)] = &open.Add({{"client", "dashboard"}});

  connects_accepted_ = &prometheus::BuildCounter()
                            .Name("natter_connects_accepted_total")
                            .Help("WebSocket upgrades accepted")
                            .Register(r)
                            .Add({});
  auto& refused = prometheus::BuildCounter()
                      .Name("natter_connects_refused_total")
                      .Help("WebSocket upgrades refused, by reason")
                      .Register(r);
  constexpr std::array<std::string_view, kRefusals> kRefusalNames = {
      "bad_request",       "unauthorized",  "keys_unavailable", "banned",
      "store_unavailable", "shutting_down", "handshake_failed", "too_many_connections"};
  for (std::size_t i = 0; i < kRefusals; ++i) {
    connects_refused_[i] = &refused.Add({{"reason", std::string(kRefusalNames[i])}});
  }

  auto& in = prometheus::BuildCounter()
                 .Name("natter_messages_in_total")
                 .Help("Client messages read, by type (invalid: refused before its type was known)")
                 .Register(r);
  constexpr std::array<std::string_view, kInKinds> kInNames = {
      "chat_message", "private_chat_message", "ping", "pong", "refresh_token", "invalid"};
  for (std::size_t i = 0; i < kInKinds; ++i) {
    messages_in_[i] = &in.Add({{"type", std::string(kInNames[i])}});
  }
  auto& out = prometheus::BuildCounter()
                  .Name("natter_messages_out_total")
                  .Help("Messages queued for clients, one per recipient, by type")
                  .Register(r);
  for (std::size_t i = 0; i < chat::kOutKinds; ++i) {
    messages_out_[i] =
        &out.Add({{"type", std::string(chat::to_string(static_cast<chat::OutKind>(i)))}});
  }

  fanout_seconds_ = &prometheus::BuildHistogram()
                         .Name("natter_fanout_latency_seconds")
                         .Help("From a message's acceptance to its hand-over to every shard")
                         .Register(r)
                         .Add({}, kLatencyBuckets);
  send_queue_overflows_ = &prometheus::BuildCounter()
                               .Name("natter_send_queue_overflows_total")
                               .Help("Connections closed with 4008: their send queue overflowed")
                               .Register(r)
                               .Add({});
  rate_limited_ = &prometheus::BuildCounter()
                       .Name("natter_rate_limited_total")
                       .Help("Messages refused by the rate limiter")
                       .Register(r)
                       .Add({});

  auto& store_seconds = prometheus::BuildHistogram()
                            .Name("natter_store_call_seconds")
                            .Help("Store calls' duration, by caller")
                            .Register(r);
  auto& store_errors = prometheus::BuildCounter()
                           .Name("natter_store_call_errors_total")
                           .Help("Store calls that failed or missed their deadline, by caller")
                           .Register(r);
  constexpr std::array<std::string_view, kStoreCallers> kCallerNames = {"api", "readiness",
                                                                        "commit"};
  for (std::size_t i = 0; i < kStoreCallers; ++i) {
    const prometheus::Labels labels{{"caller", std::string(kCallerNames[i])}};
    store_call_seconds_[i] = &store_seconds.Add(labels, kLatencyBuckets);
    store_call_errors_[i] = &store_errors.Add(labels);
  }

  auto& batch_size = prometheus::BuildHistogram()
                         .Name("natter_store_batch_size")
                         .Help("Messages per batch written to the store, by queue")
                         .Register(r);
  auto& queue_depth = prometheus::BuildGauge()
                          .Name("natter_store_queue_depth")
                          .Help("Messages waiting to be written to the store, by queue")
                          .Register(r);
  commit_batch_size_ = &batch_size.Add({{"queue", "commit"}}, kBatchBuckets);
  commit_queue_depth_ = &queue_depth.Add({{"queue", "commit"}});
  flush_batch_size_ = &batch_size.Add({{"queue", "flush"}}, kBatchBuckets);
  flush_queue_depth_ = &queue_depth.Add({{"queue", "flush"}});

  cache_call_seconds_ = &prometheus::BuildHistogram()
                             .Name("natter_cache_call_seconds")
                             .Help("Calls to an external message cache, duration")
                             .Register(r)
                             .Add({}, kLatencyBuckets);
  cache_call_errors_ = &prometheus::BuildCounter()
                            .Name("natter_cache_call_errors_total")
                            .Help("Calls to an external message cache that failed")
                            .Register(r)
                            .Add({});

  jwks_refreshes_ = &prometheus::BuildCounter()
                         .Name("natter_jwks_refreshes_total")
                         .Help("Fetches of the identity provider's keys (JWKS)")
                         .Register(r)
                         .Add({});
  jwks_refresh_failures_ = &prometheus::BuildCounter()
                                .Name("natter_jwks_refresh_failures_total")
                                .Help("Fetches of the identity provider's keys that failed")
                                .Register(r)
                                .Add({});
}

Metrics::~Metrics() = default;

std::string Metrics::scrape() const {
  return prometheus::TextSerializer().Serialize(registry_->Collect()) + process_metrics_text();
}

void Metrics::connection_opened(ClientKind kind) {
  connects_accepted_->Increment();
  connections_open_[index(kind)]->Increment();
}

void Metrics::connection_closed(ClientKind kind) { connections_open_[index(kind)]->Decrement(); }

void Metrics::connect_refused(ConnectRefusal reason) {
  connects_refused_[index(reason)]->Increment();
}

void Metrics::message_in(InKind kind) { messages_in_[index(kind)]->Increment(); }

void Metrics::send_queue_overflow() { send_queue_overflows_->Increment(); }

void Metrics::rate_limited() { rate_limited_->Increment(); }

void Metrics::store_call(StoreCaller caller, Duration took, bool ok) {
  store_call_seconds_[index(caller)]->Observe(seconds(took));
  if (!ok) store_call_errors_[index(caller)]->Increment();
  // Every store call's outcome comes through here: the one place to see the store go and return.
  store_outage_.report(ok, "store calls fail (timed out, refused or unreachable)");
}

void Metrics::flush_queue_depth(std::size_t depth) {
  flush_queue_depth_->Set(static_cast<double>(depth));
}

void Metrics::flush_batch(std::size_t size) {
  flush_batch_size_->Observe(static_cast<double>(size));
}

void Metrics::cache_call(Duration took, bool ok) {
  cache_call_seconds_->Observe(seconds(took));
  if (!ok) cache_call_errors_->Increment();
}

void Metrics::jwks_fetch(bool ok) {
  jwks_refreshes_->Increment();
  if (!ok) jwks_refresh_failures_->Increment();
}

void Metrics::frames_out(chat::OutKind kind, std::size_t recipients) {
  if (recipients > 0) messages_out_[index(kind)]->Increment(static_cast<double>(recipients));
}

void Metrics::fanned_out(Duration since_accepted) {
  fanout_seconds_->Observe(seconds(std::max(since_accepted, Duration::zero())));
}

void Metrics::committed(std::size_t batch_size, Duration took, bool ok) {
  store_call(StoreCaller::commit, took, ok);
  if (ok) commit_batch_size_->Observe(static_cast<double>(batch_size));
}

void Metrics::commit_queue_depth(std::size_t depth) {
  commit_queue_depth_->Set(static_cast<double>(depth));
}

}  // namespace natter::metrics
