// The running server: one io_context per shard, each run by one thread; the listener that
// spreads accepted sockets over the shards (and the /metrics listener, when it has its own);
// and the graceful shutdown on SIGTERM/SIGINT: /readyz turns 503 and upgrades are refused,
// WebSockets are closed with 1001 in batches spread over a few seconds (so their clients do
// not all reconnect elsewhere at once), then natter waits for them, bounded, and exits.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "chat/hub.hpp"
#include "chat/shard.hpp"
#include "net/http_routes.hpp"
#include "net/metrics_endpoint.hpp"
#include "net/server_context.hpp"

namespace natter::net {

// The IO threads. Created first, so the hub can be given their shards.
class Shards {
 public:
  Shards(std::size_t count, chat::ChatMetrics& metrics);
  std::vector<chat::Shard*> hub_shards();
  std::vector<boost::asio::io_context*> contexts();
  boost::asio::io_context& context(std::size_t i) { return *contexts_.at(i); }
  std::size_t size() const { return contexts_.size(); }
  chat::Shard& hub_shard(std::size_t i) { return *hub_shards_.at(i); }
  // Runs tasks after a delay on shard `i`'s thread (the hub's presence window).
  chat::Later later(std::size_t i);

 private:
  std::vector<std::unique_ptr<boost::asio::io_context>> contexts_;
  std::vector<std::unique_ptr<chat::Shard>> hub_shards_;
};

class Server {
 public:
  // `routes` (the REST API, which holds the context) is offered every plain HTTP request.
  Server(ServerContext& context, Shards& shards, HttpRoutes& routes);
  // Binds the listeners; throws with a clear message when an address is unusable.
  void bind();
  boost::asio::ip::tcp::endpoint local_endpoint() const;
  // The dedicated /metrics listener's address (NATTER_METRICS_LISTEN), if there is one.
  std::optional<boost::asio::ip::tcp::endpoint> metrics_endpoint() const;
  // Runs every shard until a graceful shutdown completes. Returns the exit code.
  int run();
  // Called (on shard 0) on every SIGHUP, after its log line: reload what can be reloaded.
  void on_hangup(std::function<void()> reload) { on_hangup_ = std::move(reload); }

 private:
  // Accepts until the acceptor closes, spreading the sockets over the shards in turn.
  boost::asio::awaitable<void> accept_loop();
  void wait_for_hangup(boost::asio::signal_set& hangups);
  void begin_shutdown(int signal_number);
  void close_next_batch();
  // Waits until the last WebSocket session ends (the session count wakes it) or the shutdown
  // deadline passes, then stops every shard.
  boost::asio::awaitable<void> drain();
  // Every kTrimInterval: after a burst of closed connections, hands the allocator's free
  // memory back to the system (glibc keeps it otherwise), on a worker, not a shard.
  void trim_memory_later();

  ServerContext& context_;
  Shards& shards_;
  HttpRoutes& routes_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::size_t next_shard_ = 0;
  std::unique_ptr<MetricsListener> metrics_listener_;  // with NATTER_METRICS_LISTEN only
  std::chrono::steady_clock::time_point shutdown_deadline_{};
  // Runs out at the shutdown deadline; cancelled, on shard 0, when the last session ends.
  std::unique_ptr<boost::asio::steady_timer> drain_timer_;
  std::unique_ptr<boost::asio::steady_timer> trim_timer_;
  std::uint64_t ended_at_last_trim_ = 0;
  std::unique_ptr<boost::asio::steady_timer> close_timer_;
  std::chrono::steady_clock::duration close_interval_{};
  std::size_t next_close_batch_ = 0;
  std::function<void()> on_hangup_;
};

}  // namespace natter::net
