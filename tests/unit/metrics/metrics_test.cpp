#include "metrics/metrics.hpp"

#include <gtest/gtest.h>

#include <string>

namespace natter::metrics {
namespace {

bool has_line(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos;
}

TEST(Metrics, EverySeriesIsThereFromTheStart) {
  Metrics metrics;
  const auto text = metrics.scrape();
  EXPECT_TRUE(has_line(text, "natter_connections_open{client=\"chat\"} 0")) << text;
  EXPECT_TRUE(has_line(text, "natter_connects_refused_total{reason=\"unauthorized\"} 0"));
  EXPECT_TRUE(has_line(text, "natter_messages_out_total{type=\"pong\"} 0"));
  EXPECT_TRUE(has_line(text, "natter_store_call_errors_total{caller=\"commit\"} 0"));
  EXPECT_TRUE(has_line(text, "natter_store_queue_depth{queue=\"flush\"} 0"));
}

TEST(Metrics, RecordsWhatItIsTold) {
  Metrics metrics;
  metrics.connection_opened(ClientKind::chat);
  metrics.connection_opened(ClientKind::dashboard);
  metrics.connection_closed(ClientKind::chat);
  metrics.connect_refused(ConnectRefusal::banned);
  metrics.message_in(InKind::chat_message);
  metrics.frames_out(chat::OutKind::chat_message, 3);
  metrics.frames_out(chat::OutKind::chat_message, 0);
  metrics.rate_limited();
  metrics.send_queue_overflow();
  metrics.committed(4, std::chrono::milliseconds(2), true);
  metrics.committed(2, std::chrono::milliseconds(1), false);
  metrics.commit_queue_depth(7);
  metrics.flush_batch(10);
  metrics.cache_call(std::chrono::microseconds(50), false);
  metrics.jwks_fetch(true);
  metrics.jwks_fetch(false);
  metrics.fanned_out(std::chrono::milliseconds(-1));  // a clock step never goes negative

  const auto text = metrics.scrape();
  EXPECT_TRUE(has_line(text, "natter_connections_open{client=\"chat\"} 0")) << text;
  EXPECT_TRUE(has_line(text, "natter_connections_open{client=\"dashboard\"} 1"));
  EXPECT_TRUE(has_line(text, "natter_connects_accepted_total 2"));
  EXPECT_TRUE(has_line(text, "natter_connects_refused_total{reason=\"banned\"} 1"));
  EXPECT_TRUE(has_line(text, "natter_messages_in_total{type=\"chat_message\"} 1"));
  EXPECT_TRUE(has_line(text, "natter_messages_out_total{type=\"chat_message\"} 3"));
  EXPECT_TRUE(has_line(text, "natter_rate_limited_total 1"));
  EXPECT_TRUE(has_line(text, "natter_send_queue_overflows_total 1"));
  EXPECT_TRUE(has_line(text, "natter_store_call_seconds_count{caller=\"commit\"} 2"));
  EXPECT_TRUE(has_line(text, "natter_store_call_errors_total{caller=\"commit\"} 1"));
  EXPECT_TRUE(has_line(text, "natter_store_batch_size_sum{queue=\"commit\"} 4"));
  EXPECT_TRUE(has_line(text, "natter_store_queue_depth{queue=\"commit\"} 7"));
  EXPECT_TRUE(has_line(text, "natter_store_batch_size_count{queue=\"flush\"} 1"));
  EXPECT_TRUE(has_line(text, "natter_cache_call_errors_total 1"));
  EXPECT_TRUE(has_line(text, "natter_jwks_refreshes_total 2"));
  EXPECT_TRUE(has_line(text, "natter_jwks_refresh_failures_total 1"));
  EXPECT_TRUE(has_line(text, "natter_fanout_latency_seconds_sum 0"));
  EXPECT_TRUE(has_line(text, "natter_fanout_latency_seconds_bucket{le=\"0.0001\"} 1"));
}

}  // namespace
}  // namespace natter::metrics
