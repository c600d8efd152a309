// parse_request (chat/protocol.cpp): one client text message. Checks that exactly one of request
// and error is set, that an accepted message is within the limits and clean text, that
// is_clean_text agrees with the frame reader's UTF-8 check plus the control-character rule (no
// C0 but newline and tab, no DEL, no C1), and that an accepted request, written back as JSON,
// parses to the same request.
#include <boost/json.hpp>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "chat/protocol.hpp"
#include "fuzz_check.hpp"
#include "net/ws_reader.hpp"

namespace {

using namespace natter::chat;

// No C0 control but newline and tab, no DEL, and (in valid UTF-8, where C2 80..C2 9F is
// exactly U+0080..U+009F) no C1 control.
bool no_controls(std::string_view text) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f) return false;
    if (c == 0xc2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) <= 0x9f) {
      return false;
    }
  }
  return true;
}

void check_message(std::string_view message, const ProtocolLimits& limits) {
  FUZZ_CHECK(!message.empty() && message.size() <= limits.max_message_bytes);
  FUZZ_CHECK(is_clean_text(message));
  FUZZ_CHECK(natter::is_valid_utf8(message));
}

boost::json::object wire(const Request& request) {
  return std::visit(
      [](const auto& r) -> boost::json::object {
        using T = std::decay_t<decltype(r)>;
        if constexpr (std::is_same_v<T, ChatRequest>) {
          return {{"type", "chat_message"}, {"channel", r.channel}, {"message", r.message}};
        } else if constexpr (std::is_same_v<T, PrivateRequest>) {
          return {{"type", "private_chat_message"},
                  {"recipient_id", r.recipient_id},
                  {"message", r.message}};
        } else if constexpr (std::is_same_v<T, PingRequest>) {
          return {{"type", "ping"}};
        } else if constexpr (std::is_same_v<T, PongRequest>) {
          return {{"type", "pong"}};
        } else {
          return {{"type", "refresh_token"}, {"token", r.token}};
        }
      },
      request);
}

bool same(const Request& a, const Request& b) {
  if (a.index() != b.index()) return false;
  if (auto* x = std::get_if<ChatRequest>(&a)) {
    auto& y = std::get<ChatRequest>(b);
    return x->channel == y.channel && x->message == y.message;
  }
  if (auto* x = std::get_if<PrivateRequest>(&a)) {
    auto& y = std::get<PrivateRequest>(b);
    return x->recipient_id == y.recipient_id && x->message == y.message;
  }
  if (auto* x = std::get_if<RefreshTokenRequest>(&a)) {
    return x->token == std::get<RefreshTokenRequest>(b).token;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const ProtocolLimits limits;

  FUZZ_CHECK(is_clean_text(text) == (natter::is_valid_utf8(text) && no_controls(text)));

  const ParsedRequest parsed = parse_request(text, limits);
  FUZZ_CHECK(parsed.request.has_value() != parsed.error.has_value());
  FUZZ_CHECK(parsed.ref.size() <= 128);
  if (!parsed.request) return 0;

  const Request& request = *parsed.request;
  if (auto* chat = std::get_if<ChatRequest>(&request)) {
    FUZZ_CHECK(!chat->channel.empty() && chat->channel.size() <= limits.max_channel_name_bytes);
    check_message(chat->message, limits);
  } else if (auto* whisper = std::get_if<PrivateRequest>(&request)) {
    FUZZ_CHECK(!whisper->recipient_id.empty() &&
               whisper->recipient_id.size() <= limits.max_user_id_bytes);
    check_message(whisper->message, limits);
  } else if (auto* refresh = std::get_if<RefreshTokenRequest>(&request)) {
    FUZZ_CHECK(!refresh->token.empty() && refresh->token.size() <= limits.max_token_bytes);
  }

  const ParsedRequest again = parse_request(boost::json::serialize(wire(request)), limits);
  FUZZ_CHECK(again.request && same(request, *again.request));
  return 0;
}
