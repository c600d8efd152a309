// The wire protocol (shared/PROTOCOL.md sections 2 to 4): parsing and validating what clients
// send, encoding what the server sends. Each server message is encoded once into a whole
// WebSocket frame (chat/frame.hpp) that every recipient shares. Knows nothing of sockets.
#pragma once

#include <boost/json/object.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "chat/frame.hpp"
#include "chat/message.hpp"
#include "common/limits.hpp"

namespace natter::chat {

enum class ErrorCode {
  invalid_json,
  unknown_type,
  unknown_channel,
  empty_message,
  message_too_long,
  invalid_message,
  rate_limited,
  unknown_recipient,
  token_subject_mismatch,
  unavailable,
  internal,
};

std::string_view to_string(ErrorCode code);

struct ProtocolError {
  ErrorCode code{};
  std::string message;
  std::optional<std::chrono::milliseconds> retry_after;
};

struct ChatRequest {
  std::string channel;
  std::string message;
};
struct PrivateRequest {
  std::string recipient_id;
  std::string message;
};
struct PingRequest {};
struct PongRequest {};
struct RefreshTokenRequest {
  std::string token;
};

using Request =
    std::variant<ChatRequest, PrivateRequest, PingRequest, PongRequest, RefreshTokenRequest>;

struct ParsedRequest {
  std::optional<Request> request;      // set when the message is well formed
  std::optional<ProtocolError> error;  // set otherwise
  std::string ref;                     // the client's "ref", echoed in an error reply
};

// What the parser holds a client message to (common/limits.hpp gives the reasons).
struct ProtocolLimits {
  std::size_t max_message_bytes = Limits{}.max_message_bytes;
  std::size_t max_channel_name_bytes = Limits::channel_name_bytes;
  std::size_t max_user_id_bytes = Limits::user_id_bytes;
  std::size_t max_token_bytes = Limits::token_bytes;
};

// Parses and validates one client text message: JSON shape, field types, message text
// (valid UTF-8, not blank, no control characters but newline and tab, within the limit).
ParsedRequest parse_request(std::string_view text, const ProtocolLimits& limits);

// True when `text` is valid UTF-8 with no control character other than '\n' and '\t'.
bool is_clean_text(std::string_view text);

std::string format_time(TimePoint t);  // 2026-11-27T10:15:30.123456Z

// The wire JSON of a message and of a channel, shared by the WebSocket and the REST API.
boost::json::object to_json(const ChatMessage& m);
boost::json::object to_json(const Channel& c);

// Each encoder returns a whole text frame; chat::frame_payload() gives back the JSON.
Frame encode_chat_message(const ChatMessage& m);
Frame encode_private_message(const PrivateMessage& m);
// `truncated_before`: set when a bound cut the replay, to the oldest cacheID it holds.
Frame encode_bulk_chat_messages(std::span<const ChatMessage> messages,
                                std::optional<std::int64_t> truncated_before = std::nullopt);
Frame encode_bulk_private_messages(std::span<const PrivateMessage> messages);
Frame encode_active_channels(std::span<const Channel> channels);
Frame encode_connected_users(std::span<const UserStatus> users);
Frame encode_user_status(const UserStatus& status);
// One UserStatus as the JSON object both frames above carry.
std::string encode_user_status_json(const UserStatus& status);
// The same bytes as encode_connected_users, from the users already encoded by
// encode_user_status_json and joined with commas.
Frame encode_connected_users_encoded(std::string_view joined_entries);
Frame encode_error(const ProtocolError& error, std::string_view ref);
Frame encode_pong();
Frame encode_messages_deleted(std::span<const std::int64_t> cache_ids);

}  // namespace natter::chat
