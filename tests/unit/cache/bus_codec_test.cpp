// The events natter instances exchange over Valkey: every kind encodes and parses back to the
// same values, messages completed the way the accept script completes them, and anything
// malformed is refused.
#include "cache/valkey/bus_codec.hpp"

#include <gtest/gtest.h>

#include <array>
#include <string>

namespace natter::cache {
namespace {

using namespace std::chrono_literals;

chat::TimePoint at_micros(std::int64_t us) {
  return chat::TimePoint(std::chrono::microseconds(us));
}

// What the accept script stores and publishes for a message numbered `id`.
std::string completed(char kind, std::int64_t id, const chat::Accepted& message) {
  return std::string(R"({"t":")") + kind + R"(","id":)" + std::to_string(id) + "," +
         message_body(message);
}

template <typename T>
T parse_as(const std::string& text) {
  auto event = parse_event(text);
  EXPECT_TRUE(event.has_value()) << text;
  if (!event) return T{};
  EXPECT_TRUE(std::holds_alternative<T>(*event)) << text;
  if (!std::holds_alternative<T>(*event)) return T{};
  return std::get<T>(std::move(*event));
}

chat::ChatMessage public_message() {
  chat::ChatMessage m;
  m.owner_id = "3f2a-user";
  m.username = "alice";
  m.channel = "general";
  m.message = "hello";
  m.authored_at = at_micros(1'800'000'000'123'457);
  return m;
}

chat::PrivateMessage private_message() {
  chat::PrivateMessage m;
  m.owner_id = "a-id";
  m.username = "alice";
  m.recipient_id = "b-id";
  m.recipient = "bob";
  m.message = "psst";
  m.authored_at = at_micros(1'799'999'999'999'999);
  return m;
}

TEST(BusCodec, PublicMessageRoundTrip) {
  auto m = public_message();
  auto text = completed('p', 42, m);
  auto back = parse_as<chat::ChatMessage>(text);
  EXPECT_EQ(back.cache_id, 42);
  EXPECT_FALSE(back.id.has_value());
  EXPECT_EQ(back.owner_id, m.owner_id);
  EXPECT_EQ(back.username, m.username);
  EXPECT_EQ(back.channel, m.channel);
  EXPECT_EQ(back.message, m.message);
  EXPECT_EQ(back.authored_at, m.authored_at);
}

TEST(BusCodec, PrivateMessageRoundTrip) {
  auto m = private_message();
  auto back = parse_as<chat::PrivateMessage>(completed('q', 7, m));
  EXPECT_EQ(back.cache_id, 7);
  EXPECT_EQ(back.owner_id, m.owner_id);
  EXPECT_EQ(back.username, m.username);
  EXPECT_EQ(back.recipient_id, m.recipient_id);
  EXPECT_EQ(back.recipient, m.recipient);
  EXPECT_EQ(back.message, m.message);
  EXPECT_EQ(back.authored_at, m.authored_at);
}

TEST(BusCodec, BodyIsAnObjectTailWithoutTypeOrId) {
  auto body = message_body(public_message());
  ASSERT_FALSE(body.empty());
  EXPECT_NE(body.front(), '{');
  EXPECT_EQ(body.back(), '}');
  EXPECT_EQ(body.find("\"t\""), std::string::npos);
  EXPECT_EQ(body.find("\"id\""), std::string::npos);
  // Completed with a type and an id, it is one JSON object.
  EXPECT_TRUE(parse_event(completed('p', 1, public_message())).has_value());
}

TEST(BusCodec, AuthoredAtMicrosecondsArePreservedExactly) {
  // Around 1.8e15 us (2027): past 2^53 / 10 the digits a double keeps are not enough to be
  // careless; every value must come back to the microsecond.
  for (std::int64_t us :
       {1'800'000'000'000'000LL, 1'800'000'000'000'001LL, 1'799'999'999'999'999LL,
        1'812'345'678'901'234LL, 1'899'999'999'999'997LL, 0LL, 1LL, 9'007'199'254'740'993LL}) {
    auto m = public_message();
    m.authored_at = at_micros(us);
    auto back = parse_as<chat::ChatMessage>(completed('p', 1, m));
    EXPECT_EQ(back.authored_at.time_since_epoch().count(), us);
    auto q = private_message();
    q.authored_at = at_micros(us);
    auto qback = parse_as<chat::PrivateMessage>(completed('q', 1, q));
    EXPECT_EQ(qback.authored_at.time_since_epoch().count(), us);
  }
}

TEST(BusCodec, LargeCacheIdsSurvive) {
  auto back =
      parse_as<chat::ChatMessage>(completed('p', 9'007'199'254'740'993LL, public_message()));
  EXPECT_EQ(back.cache_id, 9'007'199'254'740'993LL);
}

TEST(BusCodec, UnicodeQuotesAndControlCharactersInTextAndNames) {
  const std::array<std::string, 6> texts{
      "say \"hi\" and 'bye'",
      "back\\slash and / slash",
      "line\nbreak\ttab\r\x01 control",
      "\xc3\xa9t\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xe4\xb8\xad\xe6\x96\x87",  // été € 😀 中文
      "{\"t\":\"q\",\"id\":999,\"m\":\"injected\"}",
      ""};
  for (const auto& text : texts) {
    auto m = public_message();
    m.message = text;
    m.username = "\"J\xc3\xb6rg\" \\o/ \xf0\x9f\x8e\x89";
    m.channel = "caf\xc3\xa9";
    m.owner_id = "id\"with\"quotes";
    auto back = parse_as<chat::ChatMessage>(completed('p', 5, m));
    EXPECT_EQ(back.cache_id, 5);
    EXPECT_EQ(back.message, text);
    EXPECT_EQ(back.username, m.username);
    EXPECT_EQ(back.channel, m.channel);
    EXPECT_EQ(back.owner_id, m.owner_id);

    auto q = private_message();
    q.message = text;
    q.recipient = "\xe6\x9d\x8e \"Li\"";
    q.username = m.username;
    auto qback = parse_as<chat::PrivateMessage>(completed('q', 6, q));
    EXPECT_EQ(qback.cache_id, 6);
    EXPECT_EQ(qback.message, text);
    EXPECT_EQ(qback.recipient, q.recipient);
    EXPECT_EQ(qback.username, q.username);
  }
}

TEST(BusCodec, PresenceRoundTrip) {
  for (bool on : {true, false}) {
    chat::UserStatus status{"b\xc3\xa9\"a\"", "user-9", on};
    auto e = parse_as<PresenceEvent>(presence_event("inst-1", status));
    EXPECT_EQ(e.instance, "inst-1");
    EXPECT_EQ(e.status.username, status.username);
    EXPECT_EQ(e.status.id, status.id);
    EXPECT_EQ(e.status.status, on);
  }
}

TEST(BusCodec, DeletedRoundTrip) {
  std::vector<std::int64_t> ids{1, 42, 9'007'199'254'740'993LL};
  auto e = parse_as<DeletedEvent>(deleted_event("inst-2", ids));
  EXPECT_EQ(e.instance, "inst-2");
  EXPECT_EQ(e.cache_ids, ids);
  auto empty = parse_as<DeletedEvent>(deleted_event("inst-2", {}));
  EXPECT_TRUE(empty.cache_ids.empty());
}

TEST(BusCodec, DisconnectRoundTrip) {
  auto e = parse_as<DisconnectEvent>(
      disconnect_event("inst-3", "user-1", chat::CloseCode::banned, "spam \"again\" \xe2\x9c\x8b"));
  EXPECT_EQ(e.instance, "inst-3");
  EXPECT_EQ(e.user_id, "user-1");
  EXPECT_EQ(e.code, chat::CloseCode::banned);
  EXPECT_EQ(e.reason, "spam \"again\" \xe2\x9c\x8b");
  auto expired = parse_as<DisconnectEvent>(
      disconnect_event("inst-3", "user-2", chat::CloseCode::token_expired, ""));
  EXPECT_EQ(expired.code, chat::CloseCode::token_expired);
  EXPECT_EQ(expired.reason, "");
}

TEST(BusCodec, ChannelsRoundTrip) {
  std::vector<chat::Channel> channels{{1, "general", "talk", 0},
                                      {7, "caf\xc3\xa9", "with \"quotes\"\n", 3},
                                      {9'000'000'000LL, "big", "", -1}};
  auto e = parse_as<ChannelsEvent>(channels_event("inst-4", channels));
  EXPECT_EQ(e.instance, "inst-4");
  ASSERT_EQ(e.channels.size(), channels.size());
  for (std::size_t i = 0; i < channels.size(); ++i) {
    EXPECT_EQ(e.channels[i].id, channels[i].id);
    EXPECT_EQ(e.channels[i].name, channels[i].name);
    EXPECT_EQ(e.channels[i].description, channels[i].description);
    EXPECT_EQ(e.channels[i].sort_order, channels[i].sort_order);
  }
  EXPECT_TRUE(parse_as<ChannelsEvent>(channels_event("inst-4", {})).channels.empty());
}

TEST(BusCodec, RateRoundTrip) {
  auto e = parse_as<RateEvent>(rate_event("inst-5", {25, 3600}));
  EXPECT_EQ(e.instance, "inst-5");
  EXPECT_EQ(e.limit.message_limit, 25);
  EXPECT_EQ(e.limit.window_seconds, 3600);
}

TEST(BusCodec, GoneParses) {
  // Written by the reap script and by ValkeyBus::stop as literal text.
  auto e = parse_as<GoneEvent>(R"({"t":"g","i":"host-1:4242"})");
  EXPECT_EQ(e.instance, "host-1:4242");
}

TEST(BusCodec, MalformedInputIsRefused) {
  const std::string p = R"({"t":"p","id":1,"o":"o","u":"u","c":"c","m":"m","a":5})";
  ASSERT_TRUE(parse_event(p).has_value());  // the base the variants below break
  const std::array<std::string, 38> bad{
      "",
      "not json",
      "{",
      "[]",
      "\"p\"",
      "42",
      "null",
      R"({})",
      R"({"t":"x","i":"a"})",
      R"({"t":"","i":"a"})",
      R"({"t":"pp","id":1,"o":"o","u":"u","c":"c","m":"m","a":5})",
      R"({"t":1})",
      p + "x",                                                           // trailing garbage
      R"({"t":"p","o":"o","u":"u","c":"c","m":"m","a":5})",              // no id
      R"({"t":"p","id":"1","o":"o","u":"u","c":"c","m":"m","a":5})",     // id a string
      R"({"t":"p","id":1.5,"o":"o","u":"u","c":"c","m":"m","a":5})",     // id not an integer
      R"({"t":"p","id":1,"u":"u","c":"c","m":"m","a":5})",               // no owner
      R"({"t":"p","id":1,"o":"o","c":"c","m":"m","a":5})",               // no username
      R"({"t":"p","id":1,"o":"o","u":"u","m":"m","a":5})",               // no channel
      R"({"t":"p","id":1,"o":"o","u":"u","c":"c","a":5})",               // no text
      R"({"t":"p","id":1,"o":"o","u":"u","c":"c","m":"m"})",             // no time
      R"({"t":"p","id":1,"o":"o","u":"u","c":"c","m":7,"a":5})",         // text a number
      R"({"t":"p","id":1,"o":"o","u":"u","c":"c","m":"m","a":"5"})",     // time a string
      R"({"t":"q","id":1,"o":"o","u":"u","n":"n","m":"m","a":5})",       // no recipient id
      R"({"t":"q","id":1,"o":"o","u":"u","r":"r","m":"m","a":5})",       // no recipient name
      R"({"t":"q","id":1,"o":"o","u":"u","c":"c","m":"m","a":5})",       // public shape as q
      R"({"t":"s","i":"a","o":"o","u":"u"})",                            // no on
      R"({"t":"s","i":"a","o":"o","u":"u","on":1})",                     // on not a bool
      R"({"t":"s","i":"a","u":"u","on":true})",                          // no user id
      R"({"t":"d","i":"a"})",                                            // no ids
      R"({"t":"d","i":"a","ids":[1,"2"]})",                              // an id a string
      R"({"t":"d","i":"a","ids":5})",                                    // ids not a list
      R"({"t":"b","i":"a","o":"o"})",                                    // no code
      R"({"t":"c","i":"a","channels":[{"id":1,"name":"n","sort":0}]})",  // no description
      R"({"t":"c","i":"a","channels":[1]})",                             // not an object
      R"({"t":"r","i":"a","limit":5})",                                  // no window
      R"({"t":"g"})",                                                    // gone, but who?
      R"({"t":"g","i":""})",
  };
  for (const auto& text : bad) EXPECT_FALSE(parse_event(text).has_value()) << text;
}

}  // namespace
}  // namespace natter::cache
