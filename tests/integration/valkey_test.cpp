// The Valkey connection and natter's Lua scripts against a real redis-server (scripts/
// with-redis): reply types, errors and dead servers; the accept script's numbering, floor,
// rate limit, recent lists, flush queue and publication; remove; the flush lock.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <set>

#include "cache/valkey/subscriber.hpp"
#include "valkey_support.hpp"

namespace natter::cache::testing {
namespace {

std::vector<std::string> list(Connection& c, const std::string& key) {
  auto reply = must_call(c, {"LRANGE", key, "0", "-1"});
  std::vector<std::string> out;
  for (auto& e : reply.elements) out.push_back(e.text);
  return out;
}

std::int64_t length(Connection& c, const std::string& key) {
  return must_call(c, {"LLEN", key}).integer;
}

std::int64_t id_of(const std::string& entry) {
  auto event = parse_event(entry);
  if (!event) {
    ADD_FAILURE() << "not an event: " << entry;
    return -1;
  }
  if (auto* m = std::get_if<chat::ChatMessage>(&*event)) return m->cache_id;
  if (auto* q = std::get_if<chat::PrivateMessage>(&*event)) return q->cache_id;
  ADD_FAILURE() << "not a message: " << entry;
  return -1;
}

// --- Connection ---------------------------------------------------------------------------

using ValkeyConnection = ValkeyTest;

TEST_F(ValkeyConnection, ReplyTypes) {
  auto pong = must_call(redis(), {"PING"});
  EXPECT_EQ(pong.type, Reply::Type::status);
  EXPECT_EQ(pong.text, "PONG");

  EXPECT_EQ(must_call(redis(), {"SET", "k", "v"}).text, "OK");
  auto v = must_call(redis(), {"GET", "k"});
  EXPECT_EQ(v.type, Reply::Type::string);
  EXPECT_EQ(v.text, "v");

  EXPECT_EQ(must_call(redis(), {"GET", "missing"}).type, Reply::Type::nil);

  auto n = must_call(redis(), {"INCRBY", "n", "9007199254740993"});
  EXPECT_EQ(n.type, Reply::Type::integer);
  EXPECT_EQ(n.integer, 9007199254740993LL);

  must_call(redis(), {"RPUSH", "l", "a", "b", "c"});
  auto l = must_call(redis(), {"LRANGE", "l", "0", "-1"});
  ASSERT_EQ(l.type, Reply::Type::array);
  ASSERT_EQ(l.elements.size(), 3u);
  EXPECT_EQ(l.elements[2].text, "c");
  EXPECT_EQ(must_call(redis(), {"LRANGE", "nothing", "0", "-1"}).type, Reply::Type::array);

  // Nested arrays, and nils inside arrays.
  auto mixed = must_call(redis(), {"EVAL", "return {1, 'two', {3, false}}", "0"});
  ASSERT_EQ(mixed.type, Reply::Type::array);
  ASSERT_EQ(mixed.elements.size(), 3u);
  EXPECT_EQ(mixed.elements[0].integer, 1);
  EXPECT_EQ(mixed.elements[1].text, "two");
  ASSERT_EQ(mixed.elements[2].type, Reply::Type::array);
  EXPECT_EQ(mixed.elements[2].elements[1].type, Reply::Type::nil);
}

TEST_F(ValkeyConnection, BinarySafeValues) {
  const std::string value("a\0b\r\n\xff\x00z", 8);
  must_call(redis(), {"SET", std::string("key\0x", 5), value});
  auto back = must_call(redis(), {"GET", std::string("key\0x", 5)});
  EXPECT_EQ(back.text, value);
  EXPECT_EQ(back.text.size(), 8u);
  const std::string big(1 << 20, 'x');
  must_call(redis(), {"SET", "big", big});
  EXPECT_EQ(must_call(redis(), {"GET", "big"}).text, big);
}

TEST_F(ValkeyConnection, ErrorRepliesLeaveTheConnectionUsable) {
  must_call(redis(), {"SET", "k", "text"});
  auto wrong = must_call(redis(), {"INCR", "k"});
  EXPECT_TRUE(wrong.is_error());
  EXPECT_EQ(wrong.text.rfind("ERR", 0), 0u) << wrong.text;

  auto unknown = must_call(redis(), {"NO-SUCH-COMMAND"});
  EXPECT_TRUE(unknown.is_error());

  auto type = must_call(redis(), {"LPUSH", "k", "x"});
  EXPECT_TRUE(type.is_error());
  EXPECT_EQ(type.text.rfind("WRONGTYPE", 0), 0u) << type.text;

  auto noscript = must_call(redis(), {"EVALSHA", std::string(40, '0'), "0"});
  EXPECT_TRUE(is_noscript(noscript)) << noscript.text;
  EXPECT_FALSE(is_noscript(wrong));

  EXPECT_EQ(must_call(redis(), {"PING"}).text, "PONG");
}

TEST_F(ValkeyConnection, PipelineAnswersInOrder) {
  std::vector<Command> commands;
  for (int i = 0; i < 2000; ++i) commands.push_back({"RPUSH", "order", std::to_string(i)});
  commands.push_back({"INCR", "order"});  // an error in the middle of a batch
  commands.push_back({"LLEN", "order"});
  std::string error;
  auto replies = redis().pipeline(commands, error);
  ASSERT_TRUE(replies) << error;
  ASSERT_EQ(replies->size(), commands.size());
  for (int i = 0; i < 2000; ++i) ASSERT_EQ((*replies)[i].integer, i + 1);
  EXPECT_TRUE((*replies)[2000].is_error());
  EXPECT_EQ((*replies)[2001].integer, 2000);
  auto empty = redis().pipeline({}, error);
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->empty());
}

TEST_F(ValkeyConnection, SelectsTheDatabaseOfTheUrl) {
  std::string why;
  auto in_db3 = parse_valkey_url(
      "redis://" + address_.host + ":" + std::to_string(address_.port) + "/3", why);
  ASSERT_TRUE(in_db3) << why;
  auto c3 = open_or_fail(*in_db3);
  ASSERT_TRUE(c3);
  must_call(*c3, {"FLUSHDB"});
  must_call(*c3, {"SET", "where", "three"});
  EXPECT_EQ(must_call(*c3, {"GET", "where"}).text, "three");
  EXPECT_EQ(must_call(redis(), {"GET", "where"}).type, Reply::Type::nil);
  must_call(*c3, {"FLUSHDB"});
}

TEST_F(ValkeyConnection, RefusedAuthIsAnError) {
  auto address = address_;
  address.password = "not-configured";
  std::string error;
  auto c = Connection::open(address, 1000ms, error);
  EXPECT_FALSE(c);
  EXPECT_FALSE(error.empty());
}

TEST(ValkeyConnectionDown, RefusedConnectionIsAnErrorNotACrash) {
  ValkeyAddress dead{.host = "127.0.0.1", .port = free_port()};
  std::string error;
  const auto t0 = std::chrono::steady_clock::now();
  auto c = Connection::open(dead, 1000ms, error);
  EXPECT_FALSE(c);
  EXPECT_FALSE(error.empty());
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1500ms);

  ValkeyAddress nowhere{.host = "no-such-host.invalid", .port = 6379};
  error.clear();
  EXPECT_FALSE(Connection::open(nowhere, 1000ms, error));
  EXPECT_FALSE(error.empty());
}

TEST_F(ValkeyConnection, AClosedConnectionFailsItsCalls) {
  auto victim = open_or_fail(address_);
  ASSERT_TRUE(victim);
  auto id = must_call(*victim, {"CLIENT", "ID"}).integer;
  must_call(redis(), {"CLIENT", "KILL", "ID", std::to_string(id)});
  std::string error;
  auto reply = victim->call({"PING"}, error);
  EXPECT_FALSE(reply);
  EXPECT_FALSE(error.empty());
  error.clear();
  EXPECT_FALSE(victim->pipeline({{"PING"}, {"PING"}}, error));
}

TEST_F(ValkeyConnection, ReadTimesOutWithoutLosingTheConnection) {
  auto listener = open_or_fail(address_);
  ASSERT_TRUE(listener);
  std::string error;
  ASSERT_TRUE(listener->send({"SUBSCRIBE", "natter:test"}, error)) << error;
  bool timed_out = false;
  auto confirm = listener->read(timed_out, error);
  ASSERT_TRUE(confirm) << error;
  EXPECT_EQ(confirm->elements.at(0).text, "subscribe");

  listener->set_read_timeout(100ms);
  auto none = listener->read(timed_out, error);
  EXPECT_FALSE(none);
  EXPECT_TRUE(timed_out);

  must_call(redis(), {"PUBLISH", "natter:test", "hello"});
  auto message = listener->read(timed_out, error);
  ASSERT_TRUE(message) << error;
  EXPECT_FALSE(timed_out);
  ASSERT_EQ(message->elements.size(), 3u);
  EXPECT_EQ(message->elements[0].text, "message");
  EXPECT_EQ(message->elements[2].text, "hello");
}

// --- the accept script ----------------------------------------------------------------------

using ValkeyScripts = ValkeyTest;

TEST_F(ValkeyScripts, LoadsByEvalThenRunsByEvalsha) {
  must_call(redis(), {"SCRIPT", "FLUSH"});
  auto first = must_call(
      redis(),
      evalsha(accept_script(),
              accept_argv({'p', "u1", 0, 10, 60, message_body(public_message("u1", "x")), ""})));
  EXPECT_TRUE(is_noscript(first)) << first.text;
  EXPECT_TRUE(accept_public(redis(), public_message("u1", "x")).accepted);
  auto exists = must_call(redis(), {"SCRIPT", "EXISTS", accept_script().sha1});
  ASSERT_EQ(exists.elements.size(), 1u);
  EXPECT_EQ(exists.elements[0].integer, 1) << "the SHA-1 natter computes is not Valkey's";
  auto direct = must_call(
      redis(),
      evalsha(accept_script(),
              accept_argv({'p', "u1", 0, 10, 60, message_body(public_message("u1", "y")), ""})));
  ASSERT_EQ(direct.type, Reply::Type::array) << direct.text;
  EXPECT_EQ(direct.elements[0].integer, 1);
  EXPECT_EQ(direct.elements[1].integer, 2);
}

TEST_F(ValkeyScripts, NumbersPublicAndPrivateSeparatelyAndStrictlyIncreasing) {
  std::int64_t last_public = 0;
  std::int64_t last_private = 0;
  for (int i = 0; i < 20; ++i) {
    if (i % 3 == 0) {
      auto r = accept_private(redis(), private_message("a", "b", "p" + std::to_string(i)));
      ASSERT_TRUE(r.accepted);
      EXPECT_EQ(r.value, last_private + 1);
      last_private = r.value;
    } else {
      auto r = accept_public(redis(), public_message("u" + std::to_string(i % 4), "m"));
      ASSERT_TRUE(r.accepted);
      EXPECT_EQ(r.value, last_public + 1);
      last_public = r.value;
    }
  }
  EXPECT_EQ(last_private, 7);
  EXPECT_EQ(last_public, 13);
}

TEST_F(ValkeyScripts, NeverNumbersAtOrBelowTheFloor) {
  EXPECT_EQ(accept_public(redis(), public_message("u", "a"), 100).value, 101);
  EXPECT_EQ(accept_public(redis(), public_message("u", "b"), 0).value, 102);
  EXPECT_EQ(accept_public(redis(), public_message("u", "c"), 50).value, 103);
  EXPECT_EQ(accept_public(redis(), public_message("u", "d"), 103).value, 104);
  EXPECT_EQ(accept_private(redis(), private_message("a", "b", "q"), 40).value, 41);

  // Valkey lost everything: the floor (the highest id stored) still holds.
  must_call(redis(), {"FLUSHALL"});
  EXPECT_EQ(accept_public(redis(), public_message("u", "e"), 104).value, 105);
  EXPECT_EQ(accept_public(redis(), public_message("u", "f"), 104).value, 106);
  EXPECT_EQ(accept_private(redis(), private_message("a", "b", "q"), 41).value, 42);
}

TEST_F(ValkeyScripts, LargeFloorsKeepCounting) {
  // A long-lived server: ids past 2^31 and near what microsecond clocks reach. The counter
  // written by the script must stay an integer Valkey can INCR.
  for (std::int64_t floor : {2'147'483'647LL, 1'800'000'000'000'000LL}) {
    must_call(redis(), {"FLUSHDB"});
    auto first = accept_public(redis(), public_message("u", "a"), floor);
    ASSERT_TRUE(first.accepted);
    EXPECT_EQ(first.value, floor + 1);
    auto second = accept_public(redis(), public_message("u", "b"), floor);
    EXPECT_EQ(second.value, floor + 2);
    auto third = accept_public(redis(), public_message("u", "c"), 0);
    EXPECT_EQ(third.value, floor + 3);
    EXPECT_EQ(must_call(redis(), {"GET", "natter:id:p"}).text, std::to_string(floor + 3));
    auto entries = list(redis(), "natter:recent:p");
    ASSERT_EQ(entries.size(), 3u);
    EXPECT_EQ(id_of(entries[0]), floor + 1);
    EXPECT_EQ(id_of(entries[2]), floor + 3);
  }
}

TEST_F(ValkeyScripts, RateLimitsEachUserAlone) {
  for (int i = 0; i < 3; ++i) {
    auto r = accept_public(redis(), public_message("u1", "m"), 0, 3, 60);
    ASSERT_TRUE(r.accepted) << i;
  }
  auto refused = accept_public(redis(), public_message("u1", "too many"), 0, 3, 60);
  EXPECT_FALSE(refused.accepted);
  EXPECT_GT(refused.value, 0);
  EXPECT_LE(refused.value, 60000);
  EXPECT_GT(refused.value, 55000);  // the first was moments ago

  // Private messages count against the same sender.
  EXPECT_FALSE(accept_private(redis(), private_message("u1", "u2", "q"), 0, 3, 60).accepted);

  // Another user is not affected, and the refused message took no number and went nowhere.
  auto other = accept_public(redis(), public_message("u2", "m"), 0, 3, 60);
  ASSERT_TRUE(other.accepted);
  EXPECT_EQ(other.value, 4);
  EXPECT_EQ(length(redis(), "natter:recent:p"), 4);
  EXPECT_EQ(length(redis(), "natter:flush"), 4);
  EXPECT_EQ(length(redis(), "natter:recent:q:u1"), 0);
  for (const auto& entry : list(redis(), "natter:flush")) {
    EXPECT_EQ(entry.find("too many"), std::string::npos);
  }
}

TEST_F(ValkeyScripts, TheRateHashOverridesTheDefaults) {
  must_call(redis(), {"HSET", "natter:rate", "limit", "1", "window", "2"});
  EXPECT_TRUE(accept_public(redis(), public_message("u1", "m"), 0, 1000, 60).accepted);
  auto refused = accept_public(redis(), public_message("u1", "m"), 0, 1000, 60);
  EXPECT_FALSE(refused.accepted);
  EXPECT_GT(refused.value, 0);
  EXPECT_LE(refused.value, 2000);

  // Only the limit set: the window comes from ARGV.
  must_call(redis(), {"DEL", "natter:rate", "natter:rl:u1"});
  must_call(redis(), {"HSET", "natter:rate", "limit", "2"});
  EXPECT_TRUE(accept_public(redis(), public_message("u1", "m"), 0, 1000, 30).accepted);
  EXPECT_TRUE(accept_public(redis(), public_message("u1", "m"), 0, 1000, 30).accepted);
  auto second = accept_public(redis(), public_message("u1", "m"), 0, 1000, 30);
  EXPECT_FALSE(second.accepted);
  EXPECT_GT(second.value, 25000);
  EXPECT_LE(second.value, 30000);

  // Raised in the hash: allowed again at once.
  must_call(redis(), {"HSET", "natter:rate", "limit", "3"});
  EXPECT_TRUE(accept_public(redis(), public_message("u1", "m"), 0, 1000, 30).accepted);
}

TEST_F(ValkeyScripts, KeepsTheLast500PublicAnd200PrivatePerUser) {
  std::vector<Command> batch;
  for (int i = 1; i <= 510; ++i) {
    batch.push_back(eval(accept_script(),
                         accept_argv({'p', "u" + std::to_string(i % 7), 0, 100000, 60,
                                      message_body(public_message("u", std::to_string(i))), ""})));
  }
  for (int i = 1; i <= 210; ++i) {
    batch.push_back(
        eval(accept_script(),
             accept_argv({'q', "a", 0, 100000, 60,
                          message_body(private_message("a", "b", std::to_string(i))), "b"})));
  }
  for (int i = 1; i <= 5; ++i) {  // notes to self: one list, one entry each
    batch.push_back(
        eval(accept_script(), accept_argv({'q', "c", 0, 100000, 60,
                                           message_body(private_message("c", "c", "note")), "c"})));
  }
  std::string error;
  auto replies = redis().pipeline(batch, error);
  ASSERT_TRUE(replies) << error;
  for (const auto& r : *replies) ASSERT_EQ(r.type, Reply::Type::array) << r.text;

  auto recent = list(redis(), "natter:recent:p");
  ASSERT_EQ(recent.size(), 500u);
  EXPECT_EQ(id_of(recent.front()), 11);
  EXPECT_EQ(id_of(recent.back()), 510);
  for (std::size_t i = 1; i < recent.size(); ++i)
    EXPECT_EQ(id_of(recent[i]), id_of(recent[i - 1]) + 1);

  for (const char* who : {"a", "b"}) {
    auto mine = list(redis(), std::string("natter:recent:q:") + who);
    ASSERT_EQ(mine.size(), 200u) << who;
    EXPECT_EQ(id_of(mine.front()), 11) << who;
    EXPECT_EQ(id_of(mine.back()), 210) << who;
  }
  auto notes = list(redis(), "natter:recent:q:c");
  ASSERT_EQ(notes.size(), 5u);
  EXPECT_EQ(id_of(notes.front()), 211);

  // The flush queue keeps everything, in order.
  auto queue = list(redis(), "natter:flush");
  ASSERT_EQ(queue.size(), 510u + 210u + 5u);
  EXPECT_EQ(id_of(queue[0]), 1);
  EXPECT_EQ(id_of(queue[509]), 510);
  EXPECT_EQ(id_of(queue[510]), 1);
  EXPECT_EQ(id_of(queue.back()), 215);
}

TEST_F(ValkeyScripts, EntryIsTheMessageAsSent) {
  auto m =
      public_message("user-\"1\"", "caf\xc3\xa9 \"quoted\" \\ \n \xf0\x9f\x98\x80", "caf\xc3\xa9");
  m.authored_at = chat::TimePoint(std::chrono::microseconds(1'812'345'678'901'234LL));
  auto r = accept_public(redis(), m);
  ASSERT_TRUE(r.accepted);
  auto queue = list(redis(), "natter:flush");
  ASSERT_EQ(queue.size(), 1u);
  EXPECT_EQ(queue[0], R"({"t":"p","id":)" + std::to_string(r.value) + "," + message_body(m));
  EXPECT_EQ(queue[0], bus_entry('p', r.value, message_body(m)))
      << "natter's copy of an accepted entry differs from the script's";
  EXPECT_EQ(list(redis(), "natter:recent:p"), queue);
  auto event = parse_event(queue[0]);
  ASSERT_TRUE(event);
  auto& back = std::get<chat::ChatMessage>(*event);
  EXPECT_EQ(back.cache_id, r.value);
  EXPECT_EQ(back.owner_id, m.owner_id);
  EXPECT_EQ(back.message, m.message);
  EXPECT_EQ(back.channel, m.channel);
  EXPECT_EQ(back.authored_at, m.authored_at);

  auto q = private_message("a", "b", "secret \"x\"");
  auto rq = accept_private(redis(), q);
  ASSERT_TRUE(rq.accepted);
  auto entry = list(redis(), "natter:flush").back();
  EXPECT_EQ(entry, R"({"t":"q","id":)" + std::to_string(rq.value) + "," + message_body(q));
  EXPECT_EQ(list(redis(), "natter:recent:q:a"), std::vector<std::string>{entry});
  EXPECT_EQ(list(redis(), "natter:recent:q:b"), std::vector<std::string>{entry});
}

TEST_F(ValkeyScripts, PublishesWhatItQueues) {
  Subscriber subscriber(address_, "natter:bus");
  std::mutex mutex;
  std::vector<std::string> heard;
  std::atomic<int> subscriptions{0};
  subscriber.start(
      [&](std::string_view text) {
        std::lock_guard lock(mutex);
        heard.emplace_back(text);
      },
      [&] { ++subscriptions; });
  ASSERT_TRUE(eventually([&] { return subscriber.subscribed(); }));
  EXPECT_EQ(subscriptions.load(), 1);

  ASSERT_TRUE(accept_public(redis(), public_message("u1", "one")).accepted);
  ASSERT_TRUE(accept_private(redis(), private_message("u1", "u2", "two")).accepted);
  ASSERT_TRUE(accept_public(redis(), public_message("u2", "three")).accepted);
  // Refused messages are not published.
  ASSERT_FALSE(accept_public(redis(), public_message("u3", "no"), 0, 0, 60).accepted);

  ASSERT_TRUE(eventually([&] {
    std::lock_guard lock(mutex);
    return heard.size() >= 3;
  }));
  std::this_thread::sleep_for(100ms);
  subscriber.stop();
  EXPECT_FALSE(subscriber.subscribed());
  std::lock_guard lock(mutex);
  EXPECT_EQ(heard, list(redis(), "natter:flush"));
}

// --- restore --------------------------------------------------------------------------------

TEST_F(ValkeyScripts, RestorePutsBackOnlyWhatValkeyLost) {
  auto m = public_message("u1", "kept");
  auto r = accept_public(redis(), m);
  ASSERT_TRUE(r.accepted);
  const auto entry = bus_entry('p', r.value, message_body(m));
  const std::vector<std::string> args{"p", std::to_string(r.value), entry, "u1", ""};
  // Still held: nothing to do.
  EXPECT_EQ(run_script(redis(), restore_script(), args).integer, 0);
  EXPECT_EQ(list(redis(), "natter:flush").size(), 1u);

  // Lost with everything else: put back with its cacheID, and counted past.
  must_call(redis(), {"FLUSHALL"});
  EXPECT_EQ(run_script(redis(), restore_script(), args).integer, 1);
  EXPECT_EQ(list(redis(), "natter:recent:p"), std::vector<std::string>{entry});
  EXPECT_EQ(list(redis(), "natter:flush"), std::vector<std::string>{entry});
  EXPECT_EQ(accept_public(redis(), public_message("u2", "next")).value, r.value + 1);

  // Lost, and its cacheID handed to another message since: too late.
  must_call(redis(), {"FLUSHALL"});
  ASSERT_EQ(accept_public(redis(), public_message("u3", "other")).value, r.value);
  EXPECT_EQ(run_script(redis(), restore_script(), args).integer, -1);
  EXPECT_EQ(list(redis(), "natter:flush").size(), 1u);
}

TEST_F(ValkeyScripts, RestorePutsAPrivateMessageBackForBothParties) {
  auto q = private_message("a", "b", "whisper");
  auto r = accept_private(redis(), q);
  ASSERT_TRUE(r.accepted);
  const auto entry = bus_entry('q', r.value, message_body(q));
  must_call(redis(), {"FLUSHALL"});
  EXPECT_EQ(run_script(redis(), restore_script(), {"q", std::to_string(r.value), entry, "a", "b"})
                .integer,
            1);
  EXPECT_EQ(list(redis(), "natter:recent:q:a"), std::vector<std::string>{entry});
  EXPECT_EQ(list(redis(), "natter:recent:q:b"), std::vector<std::string>{entry});
  EXPECT_EQ(list(redis(), "natter:recent:p").size(), 0u);
}

// --- remove ---------------------------------------------------------------------------------

TEST_F(ValkeyScripts, RemoveForgetsPublicMessagesByCacheId) {
  for (int i = 1; i <= 12; ++i)
    ASSERT_TRUE(accept_public(redis(), public_message("u", "m")).accepted);
  ASSERT_TRUE(accept_private(redis(), private_message("a", "b", "m")).accepted);  // private id 1

  auto removed = run_script(redis(), remove_script(), {"1", "4", "99"});
  ASSERT_EQ(removed.type, Reply::Type::integer) << removed.text;
  EXPECT_EQ(removed.integer, 2);
  std::vector<std::int64_t> left;
  for (const auto& e : list(redis(), "natter:recent:p")) left.push_back(id_of(e));
  EXPECT_EQ(left, (std::vector<std::int64_t>{2, 3, 5, 6, 7, 8, 9, 10, 11, 12}));  // not 10-12
  // Private lists and the flush queue are not its business.
  EXPECT_EQ(length(redis(), "natter:recent:q:a"), 1);
  EXPECT_EQ(length(redis(), "natter:flush"), 13);

  EXPECT_EQ(run_script(redis(), remove_script(), {}).integer, 0);
  EXPECT_EQ(run_script(redis(), remove_script(), {"4"}).integer, 0);
}

TEST_F(ValkeyScripts, RemoveIgnoresIdsInsideTheText) {
  ASSERT_TRUE(accept_public(redis(), public_message("u", R"({"id":2} "id":2)")).accepted);
  ASSERT_TRUE(accept_public(redis(), public_message("u", "plain")).accepted);
  EXPECT_EQ(run_script(redis(), remove_script(), {"2"}).integer, 1);
  auto left = list(redis(), "natter:recent:p");
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(id_of(left[0]), 1);
}

// --- the flush lock -------------------------------------------------------------------------

using ValkeyScriptsLock = ValkeyTest;

TEST_F(ValkeyScriptsLock, OnlyTheOwnerTrims) {
  for (int i = 0; i < 5; ++i) must_call(redis(), {"RPUSH", "natter:flush", std::to_string(i)});
  EXPECT_EQ(run_script(redis(), lock_script(), {"A", "5000"}).integer, 1);
  EXPECT_EQ(run_script(redis(), lock_script(), {"B", "5000"}).integer, 0);
  EXPECT_EQ(run_script(redis(), lock_script(), {"A", "5000"}).integer, 1);  // extended

  EXPECT_EQ(run_script(redis(), trim_script(), {"B", "2", "5000"}).integer, 0);
  EXPECT_EQ(length(redis(), "natter:flush"), 5);
  EXPECT_EQ(run_script(redis(), trim_script(), {"A", "2", "5000"}).integer, 1);
  EXPECT_EQ(list(redis(), "natter:flush"), (std::vector<std::string>{"2", "3", "4"}));

  EXPECT_EQ(run_script(redis(), unlock_script(), {"B"}).integer, 0);
  EXPECT_EQ(must_call(redis(), {"GET", "natter:flush:lock"}).text, "A");
  EXPECT_EQ(run_script(redis(), unlock_script(), {"A"}).integer, 1);
  EXPECT_EQ(must_call(redis(), {"GET", "natter:flush:lock"}).type, Reply::Type::nil);
  EXPECT_EQ(run_script(redis(), trim_script(), {"A", "1", "5000"}).integer, 0);  // not held
  EXPECT_EQ(run_script(redis(), lock_script(), {"B", "5000"}).integer, 1);
}

TEST_F(ValkeyScriptsLock, Expires) {
  EXPECT_EQ(run_script(redis(), lock_script(), {"A", "200"}).integer, 1);
  EXPECT_EQ(run_script(redis(), lock_script(), {"B", "200"}).integer, 0);
  auto ttl = must_call(redis(), {"PTTL", "natter:flush:lock"}).integer;
  EXPECT_GT(ttl, 0);
  EXPECT_LE(ttl, 200);
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(run_script(redis(), lock_script(), {"B", "5000"}).integer, 1);
  EXPECT_EQ(run_script(redis(), trim_script(), {"A", "0", "5000"}).integer, 0);
  // Trimming extends the holder's lock.
  must_call(redis(), {"PEXPIRE", "natter:flush:lock", "100"});
  EXPECT_EQ(run_script(redis(), trim_script(), {"B", "0", "5000"}).integer, 1);
  EXPECT_GT(must_call(redis(), {"PTTL", "natter:flush:lock"}).integer, 1000);
}

// --- the reap script ------------------------------------------------------------------------

TEST_F(ValkeyScriptsLock, ReapRemovesInstancesWithoutHeartbeat) {
  must_call(redis(), {"SADD", "natter:instances", "live", "dead"});
  must_call(redis(), {"SET", "natter:alive:live", "1", "PX", "10000"});
  must_call(redis(), {"HSET", "natter:presence:dead", "u1", "alice"});
  must_call(redis(), {"HSET", "natter:presence:live", "u2", "bob"});
  auto gone = run_script(redis(), reap_script(), {});
  ASSERT_EQ(gone.type, Reply::Type::array);
  ASSERT_EQ(gone.elements.size(), 1u);
  EXPECT_EQ(gone.elements[0].text, "dead");
  EXPECT_EQ(must_call(redis(), {"SISMEMBER", "natter:instances", "dead"}).integer, 0);
  EXPECT_EQ(must_call(redis(), {"EXISTS", "natter:presence:dead"}).integer, 0);
  EXPECT_EQ(must_call(redis(), {"EXISTS", "natter:presence:live"}).integer, 1);
  EXPECT_TRUE(run_script(redis(), reap_script(), {}).elements.empty());
}

}  // namespace
}  // namespace natter::cache::testing
