// Shards, listener and graceful shutdown.
#include "net/server.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio.hpp>
#include <csignal>
#include <thread>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "net/http_session.hpp"
#include "net/listener.hpp"

namespace natter::net {
namespace asio = boost::asio;
using asio::ip::tcp;

namespace {
// WebSockets are closed in this many batches on shutdown, each about the same share of every
// shard, spread over min(NATTER_SHUTDOWN_TIMEOUT / 2, kMaxCloseSpread): the other half of the
// timeout is left for the close handshakes and the final commit.
constexpr std::size_t kCloseBatches = 16;
constexpr std::chrono::seconds kMaxCloseSpread{5};
// The memory trimmer looks this often, and trims once this many connections ended since its
// last trim: a storm's worth, not everyday churn.
constexpr std::chrono::seconds kTrimInterval{5};
constexpr std::uint64_t kTrimAfterEnded = 256;
}  // namespace

Shards::Shards(std::size_t count, chat::ChatMetrics& metrics) {
  for (std::size_t i = 0; i < count; ++i) {
    contexts_.push_back(std::make_unique<asio::io_context>(1));
    auto* ioc = contexts_.back().get();
    hub_shards_.push_back(std::make_unique<chat::Shard>(
        [ioc](std::function<void()> task) { asio::post(*ioc, std::move(task)); }, metrics));
  }
}

std::vector<chat::Shard*> Shards::hub_shards() {
  std::vector<chat::Shard*> out;
  for (auto& s : hub_shards_) out.push_back(s.get());
  return out;
}

chat::Later Shards::later(std::size_t i) {
  asio::io_context* ioc = contexts_.at(i).get();
  return [ioc](std::chrono::milliseconds delay, std::function<void()> task) {
    auto timer = std::make_shared<asio::steady_timer>(*ioc, delay);
    timer->async_wait([timer, task = std::move(task)](const boost::system::error_code& ec) {
      if (!ec) task();
    });
  };
}

std::vector<asio::io_context*> Shards::contexts() {
  std::vector<asio::io_context*> out;
  for (auto& c : contexts_) out.push_back(c.get());
  return out;
}

Server::Server(ServerContext& context, Shards& shards, HttpRoutes& routes)
    : context_(context), shards_(shards), routes_(routes), acceptor_(shards.context(0)) {
  if (context.settings.metrics_listen) {
    metrics_listener_ = std::make_unique<MetricsListener>(shards.context(0), context.metrics);
  }
}

void Server::bind() {
  const auto& s = context_.settings;
  listen_on(acceptor_, "NATTER_LISTEN", s.listen_host, s.listen_port,
            asio::socket_base::max_listen_connections);
  if (metrics_listener_) {
    const auto& [host, port] = *s.metrics_listen;
    metrics_listener_->bind(host, port);
  }
}

tcp::endpoint Server::local_endpoint() const { return acceptor_.local_endpoint(); }

std::optional<tcp::endpoint> Server::metrics_endpoint() const {
  if (!metrics_listener_) return std::nullopt;
  return metrics_listener_->local_endpoint();
}

asio::awaitable<void> Server::accept_loop() {
  // Round robin over the shards; each connection lives on the one its socket was made on.
  auto place = [this] {
    const std::size_t shard = next_shard_;
    next_shard_ = (next_shard_ + 1) % shards_.size();
    return Placement{shards_.context(shard), shard};
  };
  auto serve = [this](tcp::socket socket, std::size_t shard) {
    boost::system::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    asio::co_spawn(shards_.context(shard), serve_http(context_, routes_, shard, std::move(socket)),
                   asio::detached);
  };
  co_await accept_until_closed(acceptor_, std::move(place), std::move(serve));
}

int Server::run() {
  asio::signal_set signals(shards_.context(0), SIGINT, SIGTERM);
  signals.async_wait([this](boost::system::error_code ec, int signal_number) {
    if (!ec) begin_shutdown(signal_number);
  });
  asio::signal_set hangups(shards_.context(0), SIGHUP);
  wait_for_hangup(hangups);
  asio::co_spawn(shards_.context(0), accept_loop(), asio::detached);
  if (metrics_listener_) metrics_listener_->start();
  trim_timer_ = std::make_unique<asio::steady_timer>(shards_.context(0));
  trim_memory_later();

  std::vector<std::jthread> threads;
  for (std::size_t i = 1; i < shards_.size(); ++i) {
    threads.emplace_back([this, i] {
      auto guard = asio::make_work_guard(shards_.context(i));
      shards_.context(i).run();
    });
  }
  {
    auto guard = asio::make_work_guard(shards_.context(0));
    shards_.context(0).run();
  }
  for (std::size_t i = 1; i < shards_.size(); ++i) shards_.context(i).stop();
  threads.clear();
  return 0;
}

void Server::wait_for_hangup(asio::signal_set& hangups) {
  hangups.async_wait([this, &hangups](boost::system::error_code ec, int) {
    if (ec) return;
    // natter logs to stderr (the journal under systemd), so there is no log file to reopen.
    spdlog::info("SIGHUP: reloading the identity provider's keys");
    if (on_hangup_) on_hangup_();
    wait_for_hangup(hangups);
  });
}

void Server::trim_memory_later() {
  trim_timer_->expires_after(kTrimInterval);
  trim_timer_->async_wait([this](boost::system::error_code ec) {
    if (ec || context_.shutting_down) return;
    const auto ended = context_.websocket_sessions_ended.load();
    if (ended - ended_at_last_trim_ >= kTrimAfterEnded) {
      spdlog::debug("memory: {} connections ended since the last trim: trimming",
                    ended - ended_at_last_trim_);
      ended_at_last_trim_ = ended;
#if defined(__GLIBC__)
      context_.workers.submit([] { malloc_trim(0); });
#endif
    }
    trim_memory_later();
  });
}

void Server::begin_shutdown(int signal_number) {
  spdlog::info("signal {}: shutting down ({} WebSocket sessions)", signal_number,
               context_.websocket_sessions.load());
  // From here /readyz answers 503 and upgrades are refused with 503; the listener stays open
  // until the end so a load balancer's health checks see that rather than a refused connect.
  context_.shutting_down = true;
  const auto timeout = context_.settings.shutdown_timeout;
  shutdown_deadline_ = std::chrono::steady_clock::now() + timeout;
  close_interval_ =
      std::min<std::chrono::steady_clock::duration>(timeout / 2, kMaxCloseSpread) / kCloseBatches;
  next_close_batch_ = 0;
  close_timer_ = std::make_unique<asio::steady_timer>(shards_.context(0));
  drain_timer_ = std::make_unique<asio::steady_timer>(shards_.context(0));
  close_next_batch();
  asio::co_spawn(shards_.context(0), drain(), asio::detached);
}

void Server::close_next_batch() {
  const std::size_t batch = next_close_batch_++;
  const bool last = next_close_batch_ == kCloseBatches;
  for (std::size_t i = 0; i < shards_.size(); ++i) {
    auto& shard = shards_.hub_shard(i);
    // The last batch closes everyone left, a session that joined late included.
    shard.run([&shard, batch, last] {
      if (last) {
        shard.close_all(chat::CloseCode::going_away, "server shutting down");
      } else {
        shard.close_batch(batch, kCloseBatches, chat::CloseCode::going_away,
                          "server shutting down");
      }
    });
  }
  if (last) return;
  close_timer_->expires_after(close_interval_);
  close_timer_->async_wait([this](boost::system::error_code ec) {
    if (!ec) close_next_batch();
  });
}

asio::awaitable<void> Server::drain() {
  // Drained when the count is zero as the wait ends; a session that joined meanwhile (its
  // upgrade begun before the shutdown; the last close batch closes it) makes it wait again, to
  // the same deadline.
  bool drained = context_.websocket_sessions.load() == 0;
  while (!drained && std::chrono::steady_clock::now() < shutdown_deadline_) {
    drain_timer_->expires_at(shutdown_deadline_);
    // Called on the shard of the last session to end (or here, when none is open now): the
    // cancel is posted to shard 0, so it runs after the wait below has begun.
    context_.websocket_sessions.when_empty(
        [this] { asio::post(shards_.context(0), [this] { drain_timer_->cancel(); }); });
    co_await drain_timer_->async_wait(asio::as_tuple(asio::use_awaitable));
    drained = context_.websocket_sessions.load() == 0;
  }
  context_.websocket_sessions.when_empty(nullptr);
  if (!drained) {
    spdlog::warn("shutdown timeout: {} WebSocket sessions still open",
                 context_.websocket_sessions.load());
  }
  spdlog::info("shutdown complete");
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  if (metrics_listener_) metrics_listener_->close();
  close_timer_->cancel();
  for (std::size_t i = 0; i < shards_.size(); ++i) shards_.context(i).stop();
}

}  // namespace natter::net
