// The Valkey bus: start-up load, registration, the subscription's events, publishing (the
// acceptance port's side is valkey_acceptance.cpp).
#include "cache/valkey/valkey_bus.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>

#include "cache/valkey/keys.hpp"
#include "cache/valkey/scripts.hpp"

namespace natter::cache {
namespace {

const std::string& bus_channel = keys::bus;
const std::string& recent_public_key = keys::recent_public;
const std::string& recent_private_prefix = keys::recent_private;
const std::string& instances_key = keys::instances;
const std::string& rate_key = keys::rate;
const std::string& flush_key = keys::flush;

std::string alive_key(const std::string& instance) { return keys::alive + instance; }
std::string presence_key(const std::string& instance) { return keys::presence + instance; }

// The private messages in LRANGE replies of per-user lists, by cacheID (a message sits in both
// parties' lists), each with its entry text; only those above `after`.
std::map<std::int64_t, std::pair<chat::PrivateMessage, std::string>> private_messages_in(
    const std::vector<Reply>& lists, std::int64_t after) {
  std::map<std::int64_t, std::pair<chat::PrivateMessage, std::string>> out;
  for (const auto& list : lists) {
    for (const auto& item : list.elements) {
      auto event = parse_event(item.text);
      auto* m = event ? std::get_if<chat::PrivateMessage>(&*event) : nullptr;
      if (m && m->cache_id > after) out.try_emplace(m->cache_id, std::move(*m), item.text);
    }
  }
  return out;
}

}  // namespace

ValkeyBus::ValkeyBus(ValkeyBusSettings settings)
    : settings_(std::move(settings)),
      pipeline_(settings_.address, "pipeline", settings_.pipeline),
      subscriber_(settings_.address, bus_channel),
      ledger_(settings_.public_floor, settings_.private_floor) {}

ValkeyBus::~ValkeyBus() { stop(); }

bool ValkeyBus::start(chat::BusEvents& events, chat::RateLimiter& limiter,
                      chat::MessageCache& mirror, std::chrono::milliseconds wait) {
  events_ = &events;
  limiter_ = &limiter;
  // The store's rate limit rules: every instance writes it at start.
  {
    std::string error;
    auto connection = Connection::open(settings_.address, wait, error);
    if (!connection) {
      spdlog::error("valkey: cannot connect to {}:{}: {}", settings_.address.host,
                    settings_.address.port, error);
      return false;
    }
    auto reply =
        connection->call({"HSET", rate_key, "limit", std::to_string(settings_.limit.message_limit),
                          "window", std::to_string(settings_.limit.window_seconds)},
                         error);
    if (!reply || reply->is_error()) {
      spdlog::error("valkey: cannot write the rate limit: {}", reply ? reply->text : error);
      return false;
    }
  }
  subscriber_.start([this](std::string_view text) { on_message(text); },
                    [this] { on_subscribed(); });
  const auto deadline = std::chrono::steady_clock::now() + wait;
  while (!subscriber_.subscribed() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (!subscriber_.subscribed() || !load_recent(mirror, wait)) {
    subscriber_.stop();
    return false;
  }
  pipeline_.start([this] { return registration(); });
  heartbeat_ = std::thread([this] { heartbeat_loop(); });
  return true;
}

void ValkeyBus::stop() {
  {
    std::lock_guard lock(heartbeat_mutex_);
    if (stopping_) return;
    stopping_ = true;
  }
  heartbeat_wake_.notify_all();
  if (heartbeat_.joinable()) heartbeat_.join();
  // Leave presence at once rather than when the heartbeat expires.
  pipeline_.submit({"SREM", instances_key, settings_.instance});
  pipeline_.submit({"DEL", presence_key(settings_.instance), alive_key(settings_.instance)});
  pipeline_.submit({"PUBLISH", bus_channel, R"({"t":"g","i":")" + settings_.instance + "\"}"});
  pipeline_.stop();
  subscriber_.stop();
}

bool ValkeyBus::load_recent(chat::MessageCache& mirror, std::chrono::milliseconds wait) {
  std::string error;
  auto connection = Connection::open(settings_.address, wait, error);
  if (!connection) {
    spdlog::error("valkey: cannot read the recent messages: {}", error);
    return false;
  }
  auto recent = connection->call({"LRANGE", recent_public_key, "0", "-1"}, error);
  if (!recent) {
    spdlog::error("valkey: cannot read the recent messages: {}", error);
    return false;
  }
  std::int64_t newest_public = 0;
  for (const auto& item : recent->elements) {
    auto event = parse_event(item.text);
    if (!event) continue;
    if (auto* m = std::get_if<chat::ChatMessage>(&*event)) {
      newest_public = std::max(newest_public, m->cache_id);
      mirror.remember_public(*m);
    }
  }
  // Every user's private history.
  std::map<std::int64_t, std::pair<chat::PrivateMessage, std::string>> privates;
  std::string cursor = "0";
  do {
    auto page = connection->call(
        {"SCAN", cursor, "MATCH", recent_private_prefix + "*", "COUNT", "1000"}, error);
    if (!page || page->elements.size() != 2) {
      spdlog::error("valkey: cannot read the private messages: {}", error);
      return false;
    }
    cursor = page->elements[0].text;
    std::vector<Command> reads;
    for (const auto& key : page->elements[1].elements) {
      reads.push_back({"LRANGE", key.text, "0", "-1"});
    }
    auto lists = connection->pipeline(reads, error);
    if (!lists) return false;
    privates.merge(private_messages_in(*lists, 0));
  } while (cursor != "0");
  for (const auto& [id, m] : privates) mirror.remember_private(m.first);

  std::vector<std::string> early;
  {
    std::lock_guard lock(early_mutex_);
    using Kind = DeliveryLedger::Kind;
    ledger_.raise(Kind::public_message, newest_public);
    if (!privates.empty()) ledger_.raise(Kind::private_message, privates.rbegin()->first);
    ready_ = true;
    early.swap(early_);
  }
  for (const auto& text : early) on_message(text);
  spdlog::info("valkey: {} recent public and {} private messages loaded", recent->elements.size(),
               privates.size());
  return true;
}

std::vector<Command> ValkeyBus::registration() {
  // After every (re)connection, Valkey may have lost everything: say again who is here.
  const auto ttl = std::to_string(
      std::chrono::duration_cast<std::chrono::milliseconds>(settings_.presence_timeout).count());
  // The store rules the rate limit: a change whose event died with Valkey is read from there.
  Command rate{"HSETNX"};
  if (settings_.read_limit) {
    if (auto stored = settings_.read_limit()) {
      limiter_->set_limit(*stored);
      rate = {"HSET"};
    }
  }
  const auto limit = limiter_->limit();
  std::vector<Command> commands{
      // Loaded before anything queued is sent, so a restarted Valkey answers no NOSCRIPT
      // (whose EVAL retry would run after the commands queued behind it).
      {"SCRIPT", "LOAD", accept_script().source},
      {"SCRIPT", "LOAD", remove_script().source},
      {"SCRIPT", "LOAD", reap_script().source},
      {"SADD", instances_key, settings_.instance},
      {"SET", alive_key(settings_.instance), "1", "PX", ttl},
      {"DEL", presence_key(settings_.instance)},
      {rate[0], rate_key, "limit", std::to_string(limit.message_limit)},
      {rate[0], rate_key, "window", std::to_string(limit.window_seconds)},
  };
  {
    std::lock_guard lock(delivered_mutex_);
    if (!delivered_.empty()) {
      Command again{"RPUSH", flush_key};
      again.insert(again.end(), delivered_.begin(), delivered_.end());
      commands.push_back(std::move(again));
    }
  }
  Command users{"HSET", presence_key(settings_.instance)};
  const auto local = events_->local_users();
  for (const auto& user : local) {
    users.push_back(user.id);
    users.push_back(user.username);
  }
  if (users.size() > 2) commands.push_back(std::move(users));
  restore_unconfirmed();
  // Other instances may have read this instance's presence hash while it was still empty
  // (their resubscription came first): tell them who is here, too.
  for (const auto& user : local) {
    commands.push_back({"PUBLISH", bus_channel, presence_event(settings_.instance, user)});
  }
  return commands;
}

void ValkeyBus::heartbeat_loop() {
  const auto interval = std::max<std::chrono::milliseconds>(settings_.presence_timeout / 3,
                                                            std::chrono::milliseconds(100));
  const auto ttl = std::to_string(
      std::chrono::duration_cast<std::chrono::milliseconds>(settings_.presence_timeout).count());
  std::unique_lock lock(heartbeat_mutex_);
  while (!heartbeat_wake_.wait_for(lock, interval, [this] { return stopping_; })) {
    pipeline_.submit({"SET", alive_key(settings_.instance), "1", "PX", ttl});
    pipeline_.submit({"SADD", instances_key, settings_.instance});
    submit_script(reap_script(), {});
  }
}

void ValkeyBus::on_subscribed() {
  bool first = false;
  {
    std::lock_guard lock(early_mutex_);
    first = !ready_;  // the first subscription: start() loads the recent messages
  }
  if (!first) catch_up();
  resync_presence();
}

void ValkeyBus::catch_up() {
  // Runs on the subscriber thread before it reads on: what was published while it was away
  // is in the recent list; what was published since it subscribed comes next, and anything
  // seen twice is dropped by cacheID.
  std::string error;
  auto connection = Connection::open(settings_.address, std::chrono::milliseconds(1000), error);
  auto recent =
      connection ? connection->call({"LRANGE", recent_public_key, "0", "-1"}, error) : std::nullopt;
  if (!recent) {
    spdlog::warn("valkey: cannot catch up on missed messages: {}", error);
    return;
  }
  std::size_t delivered = 0;
  for (const auto& item : recent->elements) {
    auto event = parse_event(item.text);
    auto* m = event ? std::get_if<chat::ChatMessage>(&*event) : nullptr;
    if (m && deliver_new(std::move(*m), item.text)) ++delivered;
  }
  // Private messages matter here only to users connected here: read their lists.
  std::vector<Command> reads;
  for (const auto& user : events_->local_users()) {
    reads.push_back({"LRANGE", recent_private_prefix + user.id, "0", "-1"});
  }
  auto lists = reads.empty() ? std::optional<std::vector<Reply>>(std::vector<Reply>{})
                             : connection->pipeline(reads, error);
  if (!lists) {
    spdlog::warn("valkey: cannot catch up on missed private messages: {}", error);
    return;
  }
  for (auto& [id, entry] :
       private_messages_in(*lists, ledger_.delivered(DeliveryLedger::Kind::private_message))) {
    if (deliver_new(std::move(entry.first), entry.second)) ++delivered;
  }
  if (delivered) spdlog::info("valkey: caught up on {} missed messages", delivered);
}

void ValkeyBus::resync_presence() {
  // After (re)subscribing, events may have been missed: read every instance's presence.
  pipeline_.submit({"SMEMBERS", instances_key}, [this](const Reply* reply) {
    if (!reply || reply->type != Reply::Type::array) return;
    std::set<std::string> live;
    for (const auto& member : reply->elements) {
      if (member.text == settings_.instance) continue;
      live.insert(member.text);
      pipeline_.submit({"HGETALL", presence_key(member.text)}, [this, instance = member.text](
                                                                   const Reply* users) {
        if (!users || users->type != Reply::Type::array) return;
        std::vector<chat::UserStatus> list;
        for (std::size_t i = 0; i + 1 < users->elements.size(); i += 2) {
          list.push_back({users->elements[i + 1].text, users->elements[i].text, true});
        }
        {
          std::lock_guard lock(instances_mutex_);
          remote_instances_.insert(instance);
        }
        events_->remote_snapshot(instance, list);
      });
    }
    std::vector<std::string> gone;
    {
      std::lock_guard lock(instances_mutex_);
      for (const auto& known : remote_instances_) {
        if (!live.contains(known)) gone.push_back(known);
      }
      for (const auto& g : gone) remote_instances_.erase(g);
    }
    for (const auto& g : gone) events_->instance_gone(g);
  });
}

void ValkeyBus::on_message(std::string_view text) {
  {
    std::lock_guard lock(early_mutex_);
    if (!ready_) {
      early_.emplace_back(text);
      return;
    }
  }
  auto event = parse_event(text);
  if (!event) {
    spdlog::warn("valkey: ignoring a malformed bus event ({} bytes)", text.size());
    return;
  }
  std::visit(
      [&](auto& e) {
        using T = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<T, chat::ChatMessage> ||
                      std::is_same_v<T, chat::PrivateMessage>) {
          deliver_new(std::move(e), text);
        } else if constexpr (std::is_same_v<T, GoneEvent>) {
          if (e.instance == settings_.instance) {
            // Reaped while alive (a long stall): announce ourselves again.
            for (auto& command : registration()) pipeline_.submit(std::move(command));
            return;
          }
          {
            std::lock_guard lock(instances_mutex_);
            remote_instances_.erase(e.instance);
          }
          events_->instance_gone(e.instance);
          if (settings_.on_instance_gone) settings_.on_instance_gone(e.instance);
        } else {
          if (e.instance == settings_.instance) return;  // applied here already
          if constexpr (std::is_same_v<T, PresenceEvent>) {
            {
              std::lock_guard lock(instances_mutex_);
              remote_instances_.insert(e.instance);
            }
            events_->remote_presence(e.instance, e.status);
          } else if constexpr (std::is_same_v<T, DeletedEvent>) {
            events_->messages_removed(e.cache_ids);
          } else if constexpr (std::is_same_v<T, DisconnectEvent>) {
            events_->user_disconnected(e.user_id, e.code, e.reason);
          } else if constexpr (std::is_same_v<T, ChannelsEvent>) {
            events_->channels_changed(std::move(e.channels));
          } else if constexpr (std::is_same_v<T, RateEvent>) {
            limiter_->set_limit(e.limit);
          }
        }
      },
      *event);
}

void ValkeyBus::submit_script(const Script& script, std::vector<std::string> args,
                              Pipeline::Done done) {
  auto fallback = eval(script, args);
  pipeline_.submit(evalsha(script, std::move(args)), std::move(done), std::move(fallback));
}

void ValkeyBus::publish_event(std::string event) {
  pipeline_.submit({"PUBLISH", bus_channel, std::move(event)});
}

void ValkeyBus::presence(const chat::UserStatus& status) {
  if (status.status) {
    pipeline_.submit({"HSET", presence_key(settings_.instance), status.id, status.username});
  } else {
    pipeline_.submit({"HDEL", presence_key(settings_.instance), status.id});
  }
  publish_event(presence_event(settings_.instance, status));
}

void ValkeyBus::messages_removed(std::span<const std::int64_t> cache_ids) {
  std::vector<std::string> ids;
  for (auto id : cache_ids) ids.push_back(std::to_string(id));
  submit_script(remove_script(), std::move(ids));
  publish_event(deleted_event(settings_.instance, cache_ids));
}

void ValkeyBus::user_disconnected(const std::string& user_id, chat::CloseCode code,
                                  const std::string& reason) {
  publish_event(disconnect_event(settings_.instance, user_id, code, reason));
}

void ValkeyBus::channels_changed(const std::vector<chat::Channel>& channels) {
  publish_event(channels_event(settings_.instance, channels));
}

void ValkeyBus::rate_limit_changed(chat::RateLimit limit) {
  pipeline_.submit({"HSET", rate_key, "limit", std::to_string(limit.message_limit), "window",
                    std::to_string(limit.window_seconds)});
  publish_event(rate_event(settings_.instance, limit));
}

}  // namespace natter::cache
