// Pushes the analytics the REST API serves (/activity/sessions, /activity/channels) to admin
// dashboard connections: first about a second after a dashboard connects (never inside its
// connect sequence), then at most once per NATTER_ANALYTICS_INTERVAL and only when the figures
// changed. One pair of store queries serves every dashboard.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <string>
#include <vector>

#include "chat/protocol.hpp"
#include "net/server_context.hpp"

namespace natter::api {

class AnalyticsFeed {
 public:
  AnalyticsFeed(net::ServerContext& context, boost::asio::io_context& io);
  // Runs on `io` until it stops.
  void start();

 private:
  boost::asio::awaitable<void> run();
  // The two analytics frames, read from the store now; empty when the store failed.
  boost::asio::awaitable<std::vector<chat::Frame>> compute();

  net::ServerContext& context_;
  boost::asio::io_context& io_;
  std::vector<std::string> last_sent_;  // the payload JSON last pushed to every dashboard
  std::vector<chat::Frame> last_frames_;
  std::chrono::steady_clock::time_point last_computed_{};
};

}  // namespace natter::api
