// The subscriber thread: SUBSCRIBE, then every message to the callback, reconnecting with
// backoff.
#include "cache/valkey/subscriber.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace natter::cache {
namespace {
constexpr auto poll = std::chrono::milliseconds(200);  // how soon stop() is noticed
constexpr auto min_backoff = std::chrono::milliseconds(100);
constexpr auto max_backoff = std::chrono::milliseconds(2000);
}  // namespace

Subscriber::Subscriber(ValkeyAddress address, std::string channel)
    : address_(std::move(address)), channel_(std::move(channel)) {}

Subscriber::~Subscriber() { stop(); }

void Subscriber::start(OnMessage on_message, OnSubscribed on_subscribed) {
  on_message_ = std::move(on_message);
  on_subscribed_ = std::move(on_subscribed);
  thread_ = std::thread([this] { run(); });
}

void Subscriber::stop() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
}

void Subscriber::run() {
  auto backoff = min_backoff;
  bool warned = false;
  auto wait_and_back_off = [&] {
    for (auto waited = std::chrono::milliseconds(0); waited < backoff && !stopping_;
         waited += poll) {
      std::this_thread::sleep_for(std::min(poll, backoff - waited));
    }
    backoff = std::min(backoff * 2, max_backoff);
  };
  while (!stopping_) {
    std::string error;
    auto connection = Connection::open(address_, std::chrono::milliseconds(1000), error);
    if (!connection || !connection->send({"SUBSCRIBE", channel_}, error)) {
      if (!warned) spdlog::warn("valkey subscriber: cannot subscribe: {}", error);
      warned = true;
      wait_and_back_off();
      continue;
    }
    connection->set_read_timeout(poll);
    while (!stopping_) {
      bool timed_out = false;
      auto reply = connection->read(timed_out, error);
      if (timed_out) continue;
      if (!reply) {
        if (!warned) spdlog::warn("valkey subscriber: connection lost: {}", error);
        warned = true;
        break;
      }
      if (reply->type != Reply::Type::array || reply->elements.size() < 3) continue;
      const auto& kind = reply->elements[0].text;
      if (kind == "message") {
        on_message_(reply->elements[2].text);
      } else if (kind == "subscribe") {
        spdlog::info("valkey subscriber: listening on {}", channel_);
        warned = false;
        backoff = min_backoff;
        subscribed_ = true;
        if (on_subscribed_) on_subscribed_();
      }
    }
    // Lost before the subscription was confirmed (a server, or something in front of it,
    // that accepts and then closes): wait before the next try, as for a refused connection.
    if (!subscribed_) wait_and_back_off();
    subscribed_ = false;
  }
}

}  // namespace natter::cache
