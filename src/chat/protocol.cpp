// Encoding and parsing of the chat wire protocol with Boost.JSON.
#include "chat/protocol.hpp"

#include <fmt/format.h>

#include <boost/json.hpp>
#include <ctime>

#include "common/utf8.hpp"

namespace natter::chat {
namespace json = boost::json;

std::string_view to_string(ErrorCode code) {
  switch (code) {
    case ErrorCode::invalid_json:
      return "invalid_json";
    case ErrorCode::unknown_type:
      return "unknown_type";
    case ErrorCode::unknown_channel:
      return "unknown_channel";
    case ErrorCode::empty_message:
      return "empty_message";
    case ErrorCode::message_too_long:
      return "message_too_long";
    case ErrorCode::invalid_message:
      return "invalid_message";
    case ErrorCode::rate_limited:
      return "rate_limited";
    case ErrorCode::unknown_recipient:
      return "unknown_recipient";
    case ErrorCode::token_subject_mismatch:
      return "token_subject_mismatch";
    case ErrorCode::unavailable:
      return "unavailable";
    case ErrorCode::internal:
      return "internal";
  }
  return "internal";
}

namespace {

ParsedRequest refuse(ErrorCode code, std::string message, std::string ref = {}) {
  return ParsedRequest{std::nullopt, ProtocolError{code, std::move(message), std::nullopt},
                       std::move(ref)};
}

// Reads an optional string field: absent or null gives "", a non-string gives nullopt.
std::optional<std::string_view> string_field(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end() || it->value().is_null()) return std::string_view{};
  if (!it->value().is_string()) return std::nullopt;
  return std::string_view{it->value().get_string()};
}

bool is_blank(std::string_view s) {
  return s.find_first_not_of(" \t\n\r\f\v") == std::string_view::npos;
}

std::optional<ProtocolError> check_text(std::string_view text, const ProtocolLimits& limits) {
  if (is_blank(text)) return ProtocolError{ErrorCode::empty_message, "message is empty", {}};
  if (text.size() > limits.max_message_bytes) {
    return ProtocolError{ErrorCode::message_too_long,
                         fmt::format("message is longer than {} bytes", limits.max_message_bytes),
                         {}};
  }
  if (!is_clean_text(text)) {
    return ProtocolError{
        ErrorCode::invalid_message, "message must be UTF-8 without control characters", {}};
  }
  return std::nullopt;
}

}  // namespace

bool is_clean_text(std::string_view text) {
  if (!is_valid_utf8(text)) return false;
  // Well-formed, so a byte below 0x80 is a character and 0xC2 0x80-0x9F is U+0080-U+009F.
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f) return false;
    if (c == 0xc2 && static_cast<unsigned char>(text[i + 1]) <= 0x9f) return false;  // C1
  }
  return true;
}

ParsedRequest parse_request(std::string_view text, const ProtocolLimits& limits) {
  json::error_code ec;
  json::parse_options options;
  options.max_depth = 8;
  json::value value = json::parse(text, ec, {}, options);
  if (ec) return refuse(ErrorCode::invalid_json, "message is not valid JSON");
  if (!value.is_object()) return refuse(ErrorCode::invalid_json, "message must be a JSON object");
  const json::object& o = value.get_object();

  std::string ref;
  if (auto r = string_field(o, "ref"); r && r->size() <= 128) ref = std::string(*r);

  auto type_it = o.find("type");
  auto type = string_field(o, "type");
  if (!type || type_it == o.end() || type_it->value().is_null()) {
    return refuse(ErrorCode::invalid_json, "message needs a string \"type\"", std::move(ref));
  }

  ParsedRequest out;
  out.ref = std::move(ref);
  auto fail = [&](ErrorCode code, std::string message) {
    out.error = ProtocolError{code, std::move(message), std::nullopt};
    return std::move(out);
  };

  if (*type == "chat_message") {
    auto channel = string_field(o, "channel");
    auto message = string_field(o, "message");
    if (!channel || !message)
      return fail(ErrorCode::invalid_json, "channel and message must be strings");
    if (channel->empty() || channel->size() > limits.max_channel_name_bytes) {
      return fail(ErrorCode::unknown_channel, "no such channel");
    }
    if (auto error = check_text(*message, limits)) {
      out.error = std::move(error);
      return out;
    }
    out.request = ChatRequest{std::string(*channel), std::string(*message)};
    return out;
  }
  if (*type == "private_chat_message") {
    auto recipient = string_field(o, "recipient_id");
    auto message = string_field(o, "message");
    if (!recipient || !message) {
      return fail(ErrorCode::invalid_json, "recipient_id and message must be strings");
    }
    if (recipient->empty() || recipient->size() > limits.max_user_id_bytes) {
      return fail(ErrorCode::unknown_recipient, "no such recipient");
    }
    if (auto error = check_text(*message, limits)) {
      out.error = std::move(error);
      return out;
    }
    out.request = PrivateRequest{std::string(*recipient), std::string(*message)};
    return out;
  }
  if (*type == "ping") {
    out.request = PingRequest{};
    return out;
  }
  if (*type == "pong") {
    out.request = PongRequest{};
    return out;
  }
  if (*type == "refresh_token") {
    auto token = string_field(o, "token");
    if (!token) return fail(ErrorCode::invalid_json, "token must be a string");
    if (token->empty() || token->size() > limits.max_token_bytes) {
      return fail(ErrorCode::invalid_message, "token is missing or too long");
    }
    out.request = RefreshTokenRequest{std::string(*token)};
    return out;
  }
  return fail(ErrorCode::unknown_type, "unknown message type");
}

std::string format_time(TimePoint t) {
  const auto micros = t.time_since_epoch().count();
  std::time_t seconds = static_cast<std::time_t>(micros / 1000000);
  long fraction = static_cast<long>(micros % 1000000);
  if (fraction < 0) {
    fraction += 1000000;
    seconds -= 1;
  }
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, fraction);
}

json::object to_json(const ChatMessage& m) {
  json::object o;
  o.reserve(7);
  if (m.id) o.emplace("id", *m.id);
  o.emplace("cacheID", m.cache_id);
  o.emplace("owner_id", m.owner_id);
  o.emplace("username", m.username);
  o.emplace("channel", m.channel);
  o.emplace("message", m.message);
  o.emplace("authored_at", format_time(m.authored_at));
  return o;
}

json::object to_json(const Channel& c) {
  json::object o{{"id", c.id}, {"name", c.name}};
  if (!c.description.empty()) o.emplace("description", c.description);
  if (c.sort_order != 0) o.emplace("sort_order", c.sort_order);
  return o;
}

namespace {

Frame envelope(std::string_view type, std::string_view sender, json::value payload) {
  json::object o;
  o.reserve(3);
  o.emplace("type", type);
  o.emplace("sender", sender);
  o.emplace("payload", std::move(payload));
  const std::string json = json::serialize(o);
  return make_frame(Opcode::text, json);
}

json::object to_json(const PrivateMessage& m) {
  json::object o;
  o.reserve(8);
  if (m.id) o.emplace("id", *m.id);
  o.emplace("cacheID", m.cache_id);
  o.emplace("owner_id", m.owner_id);
  o.emplace("username", m.username);
  o.emplace("recipient_id", m.recipient_id);
  o.emplace("recipient", m.recipient);
  o.emplace("message", m.message);
  o.emplace("authored_at", format_time(m.authored_at));
  return o;
}

json::object to_json(const UserStatus& s) {
  return json::object{{"username", s.username}, {"id", s.id}, {"status", s.status}};
}

template <typename T>
json::object list_payload(std::string_view key, std::span<const T> items) {
  json::array array;
  array.reserve(items.size());
  for (const auto& item : items) array.emplace_back(to_json(item));
  json::object o;
  o.emplace(key, std::move(array));
  return o;
}

}  // namespace

Frame encode_chat_message(const ChatMessage& m) {
  return envelope("chat_message", m.username, to_json(m));
}

Frame encode_private_message(const PrivateMessage& m) {
  return envelope("private_chat_message", m.username, to_json(m));
}

Frame encode_bulk_chat_messages(std::span<const ChatMessage> messages,
                                std::optional<std::int64_t> truncated_before) {
  auto payload = list_payload("messages", messages);
  if (truncated_before) payload.emplace("truncated_before", *truncated_before);
  return envelope("bulk_chat_messages", "Server", std::move(payload));
}

Frame encode_bulk_private_messages(std::span<const PrivateMessage> messages) {
  return envelope("bulk_private_messages", "Server", list_payload("messages", messages));
}

Frame encode_active_channels(std::span<const Channel> channels) {
  return envelope("active_channels", "Server", list_payload("channels", channels));
}

Frame encode_connected_users(std::span<const UserStatus> users) {
  return envelope("connected_users", "Server", list_payload("users", users));
}

Frame encode_user_status(const UserStatus& status) {
  return envelope("user_status", "Server", to_json(status));
}

std::string encode_user_status_json(const UserStatus& status) {
  return json::serialize(to_json(status));
}

Frame encode_connected_users_encoded(std::string_view joined_entries) {
  constexpr std::string_view head =
      R"({"type":"connected_users","sender":"Server","payload":{"users":[)";
  constexpr std::string_view tail = "]}}";
  const std::size_t payload = head.size() + joined_entries.size() + tail.size();
  std::string out;
  out.reserve(frame_header_size(payload) + payload);
  append_frame_header(out, Opcode::text, payload);
  out.append(head);
  out.append(joined_entries);
  out.append(tail);
  return std::make_shared<const std::string>(std::move(out));
}

Frame encode_error(const ProtocolError& error, std::string_view ref) {
  json::object o{{"code", to_string(error.code)}, {"message", error.message}};
  if (error.retry_after) o.emplace("retry_after_ms", error.retry_after->count());
  if (!ref.empty()) o.emplace("ref", ref);
  return envelope("error", "Server", std::move(o));
}

Frame encode_pong() { return envelope("pong", "Server", json::object{}); }

Frame encode_messages_deleted(std::span<const std::int64_t> cache_ids) {
  json::array ids(cache_ids.begin(), cache_ids.end());
  return envelope("messages_deleted", "Server", json::object{{"cache_ids", std::move(ids)}});
}

}  // namespace natter::chat
