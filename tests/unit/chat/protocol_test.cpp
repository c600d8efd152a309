#include "chat/protocol.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace natter::chat {
namespace {
namespace json = boost::json;

ProtocolLimits limits() {
  ProtocolLimits l;
  l.max_message_bytes = 16;
  return l;
}

// The JSON inside an encoded frame (encoders return whole WebSocket frames).
std::string_view json_of(const Frame& frame) { return frame_payload(*frame); }

ErrorCode error_of(std::string_view text) {
  auto parsed = parse_request(text, limits());
  EXPECT_TRUE(parsed.error.has_value()) << text;
  EXPECT_FALSE(parsed.request.has_value()) << text;
  return parsed.error ? parsed.error->code : ErrorCode::internal;
}

TEST(Protocol, ParsesChatMessage) {
  auto parsed =
      parse_request(R"({"type":"chat_message","channel":"general","message":"hi"})", limits());
  ASSERT_TRUE(parsed.request);
  auto& chat = std::get<ChatRequest>(*parsed.request);
  EXPECT_EQ(chat.channel, "general");
  EXPECT_EQ(chat.message, "hi");
}

TEST(Protocol, ParsesPrivateMessage) {
  auto parsed = parse_request(
      R"({"type":"private_chat_message","recipient_id":"u-2","message":"psst"})", limits());
  ASSERT_TRUE(parsed.request);
  auto& p = std::get<PrivateRequest>(*parsed.request);
  EXPECT_EQ(p.recipient_id, "u-2");
  EXPECT_EQ(p.message, "psst");
}

TEST(Protocol, RefusesBadInput) {
  EXPECT_EQ(error_of("not json"), ErrorCode::invalid_json);
  EXPECT_EQ(error_of("[1,2]"), ErrorCode::invalid_json);
  EXPECT_EQ(error_of(R"({"channel":"general"})"), ErrorCode::invalid_json);
  EXPECT_EQ(error_of(R"({"type":7})"), ErrorCode::invalid_json);
  EXPECT_EQ(error_of(R"({"type":"shout"})"), ErrorCode::unknown_type);
  EXPECT_EQ(error_of(R"({"type":"chat_message","channel":"general","message":5})"),
            ErrorCode::invalid_json);
  EXPECT_EQ(error_of(R"({"type":"chat_message","channel":"general"})"), ErrorCode::empty_message);
  EXPECT_EQ(error_of(R"({"type":"chat_message","channel":"general","message":"  \n "})"),
            ErrorCode::empty_message);
  EXPECT_EQ(
      error_of(R"({"type":"chat_message","channel":"general","message":"0123456789abcdefg"})"),
      ErrorCode::message_too_long);
  EXPECT_EQ(error_of(R"({"type":"chat_message","channel":"general","message":"a\u0000b"})"),
            ErrorCode::invalid_message);
  EXPECT_EQ(error_of(R"({"type":"chat_message","channel":"general","message":"a\u0007b"})"),
            ErrorCode::invalid_message);
  EXPECT_EQ(error_of(R"({"type":"chat_message","channel":"","message":"hi"})"),
            ErrorCode::unknown_channel);
  EXPECT_EQ(error_of(R"({"type":"private_chat_message","recipient_id":"","message":"hi"})"),
            ErrorCode::unknown_recipient);
  EXPECT_EQ(error_of("{\"type\":\"chat_message\",\"channel\":\"g\",\"message\":\"\xff\"}"),
            ErrorCode::invalid_json);
}

TEST(Protocol, EchoesRefInErrors) {
  auto parsed = parse_request(R"({"type":"nope","ref":"abc"})", limits());
  EXPECT_EQ(parsed.ref, "abc");
  auto frame = encode_error(*parsed.error, parsed.ref);
  auto v = json::parse(json_of(frame)).as_object();
  EXPECT_EQ(v.at("type"), "error");
  EXPECT_EQ(v.at("sender"), "Server");
  EXPECT_EQ(v.at("payload").at("code"), "unknown_type");
  EXPECT_EQ(v.at("payload").at("ref"), "abc");
  EXPECT_FALSE(v.at("payload").as_object().contains("retry_after_ms"));
}

TEST(Protocol, CleanTextAllowsNewlineTabAndUnicode) {
  EXPECT_TRUE(is_clean_text("line\nnext\ttab"));
  EXPECT_TRUE(is_clean_text("h\xc3\xa9llo \xf0\x9f\x98\x80"));
  EXPECT_FALSE(is_clean_text("cr\r"));
  EXPECT_FALSE(is_clean_text("\x7f"));
  EXPECT_FALSE(is_clean_text("\xc2\x85"));      // C1 control
  EXPECT_FALSE(is_clean_text("\xed\xa0\x80"));  // surrogate
  EXPECT_FALSE(is_clean_text("\xc0\xaf"));      // overlong
  EXPECT_FALSE(is_clean_text("\xe2\x82"));      // truncated
}

TEST(Protocol, FormatsTimeWithMicroseconds) {
  TimePoint t{std::chrono::microseconds(1'795'774'530'123'456)};
  EXPECT_EQ(format_time(t), "2026-11-27T10:15:30.123456Z");
  EXPECT_EQ(format_time(TimePoint{}), "1970-01-01T00:00:00.000000Z");
}

TEST(Protocol, EncodesChatMessageExactly) {
  ChatMessage m{std::nullopt,
                7,
                "u-1",
                "alice",
                "general",
                "hi \"there\"",
                TimePoint{std::chrono::microseconds(1'795'774'530'000'001)}};
  EXPECT_EQ(json_of(encode_chat_message(m)),
            R"({"type":"chat_message","sender":"alice","payload":{"cacheID":7,"owner_id":"u-1",)"
            R"("username":"alice","channel":"general","message":"hi \"there\"",)"
            R"("authored_at":"2026-11-27T10:15:30.000001Z"}})");
  m.id = 42;
  auto v = json::parse(json_of(encode_chat_message(m)));
  EXPECT_EQ(v.at("payload").at("id"), 42);
}

TEST(Protocol, EncodesPrivateMessageAndLists) {
  PrivateMessage p{std::nullopt, 3, "u-1", "alice", "u-2", "bob", "psst", TimePoint{}};
  auto v = json::parse(json_of(encode_private_message(p))).as_object();
  EXPECT_EQ(v.at("type"), "private_chat_message");
  EXPECT_EQ(v.at("sender"), "alice");
  EXPECT_EQ(v.at("payload").at("recipient"), "bob");
  EXPECT_EQ(v.at("payload").at("recipient_id"), "u-2");

  std::vector<UserStatus> none;
  EXPECT_EQ(json_of(encode_connected_users(none)),
            R"({"type":"connected_users","sender":"Server","payload":{"users":[]}})");

  std::vector<Channel> channels{{1, "general", "", 0}, {2, "random", "talk", 3}};
  EXPECT_EQ(
      json_of(encode_active_channels(channels)),
      R"({"type":"active_channels","sender":"Server","payload":{"channels":[)"
      R"({"id":1,"name":"general"},{"id":2,"name":"random","description":"talk","sort_order":3}]}})");
}

TEST(Protocol, EncodersProduceWholeUnmaskedTextFrames) {
  const auto small = encode_pong();
  ASSERT_GE(small->size(), 2u);
  EXPECT_EQ(static_cast<unsigned char>((*small)[0]), 0x81);             // FIN | text
  EXPECT_EQ(static_cast<std::size_t>((*small)[1]), small->size() - 2);  // unmasked, 7-bit length
  EXPECT_EQ(json_of(small), R"({"type":"pong","sender":"Server","payload":{}})");

  ChatMessage m{std::nullopt, 1, "u-1", "alice", "general", std::string(300, 'x'), TimePoint{}};
  const auto medium = encode_chat_message(m);
  EXPECT_EQ(static_cast<unsigned char>((*medium)[1]), 126);
  const auto length =
      (static_cast<unsigned char>((*medium)[2]) << 8) | static_cast<unsigned char>((*medium)[3]);
  EXPECT_EQ(static_cast<std::size_t>(length), medium->size() - 4);

  m.message = std::string(70000, 'y');
  const auto large = encode_chat_message(m);
  EXPECT_EQ(static_cast<unsigned char>((*large)[1]), 127);
  std::uint64_t big = 0;
  for (int i = 2; i < 10; ++i) big = (big << 8) | static_cast<unsigned char>((*large)[i]);
  EXPECT_EQ(big, large->size() - 10);
  EXPECT_EQ(json::parse(json_of(large)).at("payload").at("message").as_string().size(), 70000u);
}

TEST(Protocol, EncodesRateLimitedError) {
  ProtocolError e{ErrorCode::rate_limited, "slow down", std::chrono::milliseconds(1500)};
  auto v = json::parse(json_of(encode_error(e, {})));
  EXPECT_EQ(v.at("payload").at("retry_after_ms"), 1500);
  EXPECT_FALSE(v.at("payload").as_object().contains("ref"));
}

}  // namespace
}  // namespace natter::chat
