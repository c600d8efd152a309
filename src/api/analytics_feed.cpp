// The analytics feed's loop: a one-second tick on one shard.
#include "api/analytics_feed.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio.hpp>
#include <boost/json.hpp>

#include "api/http_json.hpp"
#include "chat/frame.hpp"
#include "net/worker_call.hpp"

namespace natter::api {
namespace asio = boost::asio;
namespace json = boost::json;

namespace {
constexpr auto kTick = std::chrono::seconds(1);
constexpr auto kFirstDelay = std::chrono::seconds(1);  // after a dashboard's connect sequence
constexpr int kActivityDays = 7;
}  // namespace

AnalyticsFeed::AnalyticsFeed(net::ServerContext& context, asio::io_context& io)
    : context_(context), io_(io) {}

void AnalyticsFeed::start() { asio::co_spawn(io_, run(), asio::detached); }

asio::awaitable<std::vector<chat::Frame>> AnalyticsFeed::compute() {
  auto read = [&store = context_.store] {
    auto days = store.session_activity("", kActivityDays, chat::now_micros());
    auto counts = store.message_counts();
    std::vector<std::string> payloads;
    if (days && counts) {
      payloads.push_back(
          json::serialize(envelope("session_activity", "Server", session_activity_payload(*days))));
      payloads.push_back(json::serialize(
          envelope("message_count_by_channel", "Server", channel_counts_payload(*counts))));
    }
    return payloads;
  };
  auto payloads = co_await net::on_worker(context_.workers, std::move(read));
  std::vector<chat::Frame> frames;
  if (!payloads || payloads->empty()) {
    spdlog::warn("analytics: the store could not be read; dashboards keep their last figures");
    co_return frames;
  }
  for (const auto& p : *payloads) frames.push_back(chat::make_frame(chat::Opcode::text, p));
  if (*payloads != last_sent_) {
    last_sent_ = *payloads;
    last_frames_.clear();  // marks a change for run()
  }
  co_return frames;
}

asio::awaitable<void> AnalyticsFeed::run() {
  asio::steady_timer timer(io_);
  const auto interval = context_.settings.analytics_interval;
  while (!context_.shutting_down) {
    timer.expires_after(kTick);
    co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    if (!context_.hub.has_analytics_dashboards()) continue;

    const auto now = std::chrono::steady_clock::now();
    auto newcomers = context_.hub.take_new_dashboards(kFirstDelay);
    const bool due = now - last_computed_ >= interval;
    if (!due && newcomers.empty()) continue;
    if (due || last_frames_.empty()) {
      auto frames = co_await compute();
      if (frames.empty()) continue;
      last_computed_ = now;
      const bool changed = last_frames_.empty();
      last_frames_ = std::move(frames);
      if (changed) {
        context_.hub.deliver_analytics(last_frames_);  // reaches the newcomers too
        continue;
      }
    }
    for (const auto& dashboard : newcomers) context_.hub.deliver_to(dashboard, last_frames_);
  }
}

}  // namespace natter::api
