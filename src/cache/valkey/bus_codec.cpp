// The bus events as JSON and back, with Boost.JSON; a malformed event parses to nothing.
#include "cache/valkey/bus_codec.hpp"

#include <boost/json.hpp>

namespace natter::cache {
namespace json = boost::json;
namespace {

std::string text_of(const json::object& object) { return json::serialize(object); }

std::int64_t micros(chat::TimePoint t) { return t.time_since_epoch().count(); }

chat::TimePoint from_micros(std::int64_t value) {
  return chat::TimePoint(std::chrono::microseconds(value));
}

const std::string* string_at(const json::object& o, std::string_view key, std::string& out) {
  const auto* v = o.if_contains(key);
  if (!v || !v->is_string()) return nullptr;
  out = std::string(v->get_string());
  return &out;
}

std::optional<std::int64_t> int_at(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (!v || !v->is_int64()) return std::nullopt;
  return v->get_int64();
}

}  // namespace

std::string message_body(const chat::Accepted& message) {
  json::object o;
  std::visit(
      [&](const auto& m) {
        o["o"] = m.owner_id;
        o["u"] = m.username;
        if constexpr (std::is_same_v<std::decay_t<decltype(m)>, chat::ChatMessage>) {
          o["c"] = m.channel;
        } else {
          o["r"] = m.recipient_id;
          o["n"] = m.recipient;
        }
        o["m"] = m.message;
        o["a"] = micros(m.authored_at);
      },
      message);
  std::string text = text_of(o);
  return text.substr(1);  // without "{"
}

std::string bus_entry(char kind, std::int64_t cache_id, std::string_view body) {
  std::string entry = R"({"t":")";
  entry += kind;
  entry += R"(","id":)";
  entry += std::to_string(cache_id);
  entry += ',';
  entry += body;
  return entry;
}

std::string presence_event(const std::string& instance, const chat::UserStatus& status) {
  return text_of({{"t", "s"},
                  {"i", instance},
                  {"o", status.id},
                  {"u", status.username},
                  {"on", status.status}});
}

std::string deleted_event(const std::string& instance, std::span<const std::int64_t> cache_ids) {
  json::array ids(cache_ids.begin(), cache_ids.end());
  return text_of({{"t", "d"}, {"i", instance}, {"ids", std::move(ids)}});
}

std::string disconnect_event(const std::string& instance, const std::string& user_id,
                             chat::CloseCode code, const std::string& reason) {
  return text_of({{"t", "b"},
                  {"i", instance},
                  {"o", user_id},
                  {"code", static_cast<int>(code)},
                  {"reason", reason}});
}

std::string channels_event(const std::string& instance,
                           const std::vector<chat::Channel>& channels) {
  json::array list;
  for (const auto& c : channels) {
    list.push_back(json::object{
        {"id", c.id}, {"name", c.name}, {"description", c.description}, {"sort", c.sort_order}});
  }
  return text_of({{"t", "c"}, {"i", instance}, {"channels", std::move(list)}});
}

std::string rate_event(const std::string& instance, chat::RateLimit limit) {
  return text_of({{"t", "r"},
                  {"i", instance},
                  {"limit", limit.message_limit},
                  {"window", limit.window_seconds}});
}

std::optional<BusEvent> parse_event(std::string_view text) {
  boost::system::error_code ec;
  json::value value = json::parse(text, ec);
  if (ec || !value.is_object()) return std::nullopt;
  const auto& o = value.get_object();
  std::string type;
  if (!string_at(o, "t", type) || type.size() != 1) return std::nullopt;
  std::string instance;
  string_at(o, "i", instance);

  switch (type[0]) {
    case 'p': {
      chat::ChatMessage m;
      auto id = int_at(o, "id");
      auto at = int_at(o, "a");
      if (!id || !at || !string_at(o, "o", m.owner_id) || !string_at(o, "u", m.username) ||
          !string_at(o, "c", m.channel) || !string_at(o, "m", m.message)) {
        return std::nullopt;
      }
      m.cache_id = *id;
      m.authored_at = from_micros(*at);
      return m;
    }
    case 'q': {
      chat::PrivateMessage m;
      auto id = int_at(o, "id");
      auto at = int_at(o, "a");
      if (!id || !at || !string_at(o, "o", m.owner_id) || !string_at(o, "u", m.username) ||
          !string_at(o, "r", m.recipient_id) || !string_at(o, "n", m.recipient) ||
          !string_at(o, "m", m.message)) {
        return std::nullopt;
      }
      m.cache_id = *id;
      m.authored_at = from_micros(*at);
      return m;
    }
    case 's': {
      PresenceEvent e{instance, {}};
      const auto* on = o.if_contains("on");
      if (!on || !on->is_bool() || !string_at(o, "o", e.status.id) ||
          !string_at(o, "u", e.status.username)) {
        return std::nullopt;
      }
      e.status.status = on->get_bool();
      return e;
    }
    case 'd': {
      DeletedEvent e{instance, {}};
      const auto* ids = o.if_contains("ids");
      if (!ids || !ids->is_array()) return std::nullopt;
      for (const auto& id : ids->get_array()) {
        if (!id.is_int64()) return std::nullopt;
        e.cache_ids.push_back(id.get_int64());
      }
      return e;
    }
    case 'b': {
      DisconnectEvent e{instance, {}, chat::CloseCode::banned, {}};
      auto code = int_at(o, "code");
      // Only the close codes natter sends: 1000-1011 and 4000-4999.
      if (!code || !((*code >= 1000 && *code <= 1011) || (*code >= 4000 && *code <= 4999)) ||
          !string_at(o, "o", e.user_id)) {
        return std::nullopt;
      }
      string_at(o, "reason", e.reason);
      e.code = static_cast<chat::CloseCode>(*code);
      return e;
    }
    case 'c': {
      ChannelsEvent e{instance, {}};
      const auto* list = o.if_contains("channels");
      if (!list || !list->is_array()) return std::nullopt;
      for (const auto& item : list->get_array()) {
        if (!item.is_object()) return std::nullopt;
        const auto& c = item.get_object();
        chat::Channel channel;
        auto id = int_at(c, "id");
        auto sort = int_at(c, "sort");
        if (!id || !sort || !string_at(c, "name", channel.name) ||
            !string_at(c, "description", channel.description)) {
          return std::nullopt;
        }
        channel.id = *id;
        channel.sort_order = *sort;
        e.channels.push_back(std::move(channel));
      }
      return e;
    }
    case 'r': {
      auto limit = int_at(o, "limit");
      auto window = int_at(o, "window");
      if (!limit || !window) return std::nullopt;
      return RateEvent{instance, {*limit, *window}};
    }
    case 'g':
      if (instance.empty()) return std::nullopt;
      return GoneEvent{instance};
    default:
      return std::nullopt;
  }
}

}  // namespace natter::cache
