// The Bus and acceptance ports on Valkey: several natter instances as one chat server.
// Accepting a message is one EVALSHA of the accept script (rate check, cacheID, recent list, flush
// queue, publish), pipelined with everything else queued; each instance subscribes to natter:bus
// and delivers what comes, in cacheID order, exactly once. Presence: a hash per instance
// (natter:presence:<id>) and a heartbeat key (natter:alive:<id>) refreshed every third of the
// presence timeout; an instance whose heartbeat expired is reaped and announced gone.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "cache/valkey/bus_codec.hpp"
#include "cache/valkey/delivery_ledger.hpp"
#include "cache/valkey/pipeline.hpp"
#include "cache/valkey/scripts.hpp"
#include "cache/valkey/subscriber.hpp"
#include "chat/acceptance.hpp"
#include "chat/bus.hpp"

namespace natter::cache {

struct ValkeyBusSettings {
  ValkeyAddress address;
  std::string instance;  // unique per process
  std::chrono::seconds presence_timeout{15};
  std::size_t pipeline = 1024;    // most commands per round trip
  chat::RateLimit limit;          // the store's, at start: written to Valkey then
  std::int64_t public_floor = 0;  // highest cacheIDs already stored: never handed out again
  std::int64_t private_floor = 0;
  // Reads the rate limit from the store (the rule), written to Valkey again after every
  // reconnection; empty when the store cannot answer (the last known limit is kept then).
  std::function<std::optional<chat::RateLimit>()> read_limit;
  // Told, from the subscriber thread, of every other instance found dead (its heartbeat
  // expired): main closes the sessions it left open. Must not block.
  std::function<void(const std::string& instance)> on_instance_gone;
  // Hears how long each accept took (queue and round trip) and whether Valkey answered.
  std::function<void(std::chrono::steady_clock::duration, bool)> observe_call;
};

class ValkeyBus final : public chat::Bus, public chat::Acceptance {
 public:
  explicit ValkeyBus(ValkeyBusSettings settings);
  ~ValkeyBus() override;

  // Fills `mirror` with the recent messages Valkey holds (public, and every user's private),
  // subscribes, and starts the threads; events go to `events` from then on, and rate-limit
  // changes to `limiter`, which holds this instance's view of the limit. False when Valkey
  // cannot be reached within `wait`.
  bool start(chat::BusEvents& events, chat::RateLimiter& limiter, chat::MessageCache& mirror,
             std::chrono::milliseconds wait);
  void stop();
  bool healthy() const { return pipeline_.connected() && subscriber_.subscribed(); }

  // chat::Acceptance: rate-checked, numbered and published by the accept script; delivered
  // from the subscription, on every instance.
  std::optional<chat::ProtocolError> accept(chat::Accepted message, Refuse late) override;

  // chat::Bus
  void presence(const chat::UserStatus& status) override;
  void messages_removed(std::span<const std::int64_t> cache_ids) override;
  void user_disconnected(const std::string& user_id, chat::CloseCode code,
                         const std::string& reason) override;
  void channels_changed(const std::vector<chat::Channel>& channels) override;
  void rate_limit_changed(chat::RateLimit limit) override;

 private:
  bool load_recent(chat::MessageCache& mirror, std::chrono::milliseconds wait);
  std::vector<Command> registration();
  void on_message(std::string_view text);
  void on_subscribed();
  // Delivers a message above the highest cacheID delivered of its kind; false for a repeat.
  // Subscriber thread only.
  bool deliver_new(chat::Accepted message, std::string_view entry);
  void remember_delivered(std::string_view entry);
  // Puts back, through the restore script, what Valkey answered as accepted and then lost.
  void restore_unconfirmed();
  // Delivers the recent public messages this instance missed while it was not subscribed.
  void catch_up();
  void resync_presence();
  void heartbeat_loop();
  void publish_event(std::string event);
  void submit_script(const Script& script, std::vector<std::string> args, Pipeline::Done done = {});

  ValkeyBusSettings settings_;
  Pipeline pipeline_;
  Subscriber subscriber_;
  chat::BusEvents* events_ = nullptr;
  chat::RateLimiter* limiter_ = nullptr;
  // Highest cacheIDs delivered (or stored) and the accepted messages not yet delivered.
  DeliveryLedger ledger_;
  // Events that came before the recent messages were loaded, delivered once they are.
  std::mutex early_mutex_;
  bool ready_ = false;
  std::vector<std::string> early_;
  // The last messages delivered here, as queue entries: queued for the store again after every
  // reconnection, in case Valkey lost its flush queue (the store skips what it has).
  static constexpr std::size_t requeue_limit = 2000;
  std::mutex delivered_mutex_;
  std::deque<std::string> delivered_;
  std::mutex instances_mutex_;
  std::set<std::string> remote_instances_;  // other instances we hold presence for

  std::mutex heartbeat_mutex_;
  std::condition_variable heartbeat_wake_;
  bool stopping_ = false;
  std::thread heartbeat_;
};

}  // namespace natter::cache
