// The Valkey bus codec (cache/valkey/bus_codec.cpp): parse_event over any text. Every event it
// accepts is encoded again with the codec's own encoders (a message as the accept script
// completes it: {"t":..,"id":N, then message_body) and must parse back to the same event, field
// for field; a second encoding must equal the first.
#include <boost/json.hpp>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "cache/valkey/bus_codec.hpp"
#include "fuzz_check.hpp"

namespace {

using namespace natter;
using namespace natter::cache;

std::string completed(char kind, std::int64_t id, const chat::Accepted& message) {
  return std::string(R"({"t":")") + kind + R"(","id":)" + std::to_string(id) + "," +
         message_body(message);
}

std::string encode(const BusEvent& event) {
  return std::visit(
      [](const auto& e) -> std::string {
        using T = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<T, chat::ChatMessage>) {
          return completed('p', e.cache_id, e);
        } else if constexpr (std::is_same_v<T, chat::PrivateMessage>) {
          return completed('q', e.cache_id, e);
        } else if constexpr (std::is_same_v<T, PresenceEvent>) {
          return presence_event(e.instance, e.status);
        } else if constexpr (std::is_same_v<T, DeletedEvent>) {
          return deleted_event(e.instance, e.cache_ids);
        } else if constexpr (std::is_same_v<T, DisconnectEvent>) {
          return disconnect_event(e.instance, e.user_id, e.code, e.reason);
        } else if constexpr (std::is_same_v<T, ChannelsEvent>) {
          return channels_event(e.instance, e.channels);
        } else if constexpr (std::is_same_v<T, RateEvent>) {
          return rate_event(e.instance, e.limit);
        } else {
          return boost::json::serialize(boost::json::object{{"t", "g"}, {"i", e.instance}});
        }
      },
      event);
}

bool same(const BusEvent& a, const BusEvent& b) {
  if (a.index() != b.index()) return false;
  if (auto* x = std::get_if<chat::ChatMessage>(&a)) {
    auto& y = std::get<chat::ChatMessage>(b);
    return x->cache_id == y.cache_id && x->owner_id == y.owner_id && x->username == y.username &&
           x->channel == y.channel && x->message == y.message && x->authored_at == y.authored_at;
  }
  if (auto* x = std::get_if<chat::PrivateMessage>(&a)) {
    auto& y = std::get<chat::PrivateMessage>(b);
    return x->cache_id == y.cache_id && x->owner_id == y.owner_id && x->username == y.username &&
           x->recipient_id == y.recipient_id && x->recipient == y.recipient &&
           x->message == y.message && x->authored_at == y.authored_at;
  }
  if (auto* x = std::get_if<PresenceEvent>(&a)) {
    auto& y = std::get<PresenceEvent>(b);
    return x->instance == y.instance && x->status.id == y.status.id &&
           x->status.username == y.status.username && x->status.status == y.status.status;
  }
  if (auto* x = std::get_if<DeletedEvent>(&a)) {
    auto& y = std::get<DeletedEvent>(b);
    return x->instance == y.instance && x->cache_ids == y.cache_ids;
  }
  if (auto* x = std::get_if<DisconnectEvent>(&a)) {
    auto& y = std::get<DisconnectEvent>(b);
    return x->instance == y.instance && x->user_id == y.user_id && x->code == y.code &&
           x->reason == y.reason;
  }
  if (auto* x = std::get_if<ChannelsEvent>(&a)) {
    auto& y = std::get<ChannelsEvent>(b);
    if (x->instance != y.instance || x->channels.size() != y.channels.size()) return false;
    for (std::size_t i = 0; i < x->channels.size(); ++i) {
      const auto &c = x->channels[i], &d = y.channels[i];
      if (c.id != d.id || c.name != d.name || c.description != d.description ||
          c.sort_order != d.sort_order) {
        return false;
      }
    }
    return true;
  }
  if (auto* x = std::get_if<RateEvent>(&a)) {
    auto& y = std::get<RateEvent>(b);
    return x->instance == y.instance && x->limit.message_limit == y.limit.message_limit &&
           x->limit.window_seconds == y.limit.window_seconds;
  }
  return std::get<GoneEvent>(a).instance == std::get<GoneEvent>(b).instance;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto event = parse_event(text);
  if (!event) return 0;
  const std::string encoded = encode(*event);
  const auto again = parse_event(encoded);
  FUZZ_CHECK(again.has_value());
  FUZZ_CHECK(same(*event, *again));
  FUZZ_CHECK(encode(*again) == encoded);
  return 0;
}
