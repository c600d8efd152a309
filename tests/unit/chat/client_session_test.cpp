#include "chat/client_session.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "cache/memory/memory_message_cache.hpp"
#include "cache/memory/memory_rate_limiter.hpp"
#include "chat/embedded_acceptance.hpp"
#include "chat/hub_fixture.hpp"
#include "store/checked_store.hpp"
#include "store/memory/memory_store.hpp"

namespace natter::chat {
namespace {
using namespace std::chrono_literals;

// The transport side: what the session replies, and the refusals it would bring back later.
class RecordingLink final : public ClientSession::Link {
 public:
  void reply(const Frame& frame) override {
    replies.push_back(boost::json::parse(frame_payload(*frame)).as_object());
  }
  Acceptance::Refuse late_refusal(std::string ref) override {
    return [this, ref](const ProtocolError& error) { late.emplace_back(ref, error.code); };
  }
  std::string last_error_code() const {
    return std::string(replies.back().at("payload").at("code").as_string());
  }
  std::vector<boost::json::object> replies;
  std::vector<std::pair<std::string, ErrorCode>> late;
};

class ClientSessionTest : public ::testing::Test {
 protected:
  ClientSessionTest()
      : limiter({5, 60}),
        acceptance(limiter, cache, store, 100000),
        shards(1),
        hub(HubSettings{}, {{1, "general", "", 0}}, cache, acceptance, shards.pointers()),
        session(services, link, Participant{1, 0, "u-a", "alice", false}, expires) {
    acceptance.start(hub);
    session.join(connection, std::nullopt, {}, false);
    shards.run();
  }
  ~ClientSessionTest() override { acceptance.stop(); }

  store::CheckedStore store{std::make_unique<store::MemoryStore>()};
  cache::MemoryMessageCache cache;
  cache::MemoryRateLimiter limiter;
  EmbeddedAcceptance acceptance;
  ManualShards shards;
  Hub hub;
  ProtocolLimits limits;
  RecordingLink link;
  ClientSession::Services services{hub, limits, ChatMetrics::none(), store, "instance-1"};
  ClientSession::SystemTime expires = std::chrono::system_clock::now() + 1h;
  ClientSession session;
  std::shared_ptr<FakeConnection> connection = std::make_shared<FakeConnection>();
};

TEST_F(ClientSessionTest, PingIsAnsweredAndBadJsonIsRefusedWithItsRef) {
  EXPECT_TRUE(std::holds_alternative<std::monostate>(session.handle(R"({"type":"ping"})")));
  ASSERT_EQ(link.replies.size(), 1u);
  EXPECT_EQ(link.replies.back().at("type"), "pong");

  EXPECT_TRUE(std::holds_alternative<std::monostate>(session.handle("{not json")));
  ASSERT_EQ(link.replies.size(), 2u);
  EXPECT_EQ(link.replies.back().at("type"), "error");
  EXPECT_EQ(link.last_error_code(), "invalid_json");
}

TEST_F(ClientSessionTest, ChatMessageGoesToTheHub) {
  auto step =
      session.handle(R"({"type":"chat_message","ref":"r1","channel":"General","message":"hi"})");
  EXPECT_TRUE(std::holds_alternative<std::monostate>(step));
  acceptance.drain();
  shards.run();
  EXPECT_TRUE(link.replies.empty());
  EXPECT_EQ(connection->types().back(), "chat_message");
}

TEST_F(ClientSessionTest, UnknownRecipientIsLookedUpThenAnswered) {
  const auto text =
      R"({"type":"private_chat_message","ref":"p1","recipient_id":"u-z","message":"psst"})";
  auto step = session.handle(text);
  auto* lookup = std::get_if<ClientSession::LookUpRecipient>(&step);
  ASSERT_NE(lookup, nullptr);
  EXPECT_EQ(lookup->request.recipient_id, "u-z");
  EXPECT_TRUE(link.replies.empty());  // nothing is said until the directory answers

  // The lookup is the store's directory (it does not know them yet).
  auto looked_up = lookup->query();
  ASSERT_TRUE(looked_up);
  EXPECT_FALSE(*looked_up);

  // The store failed: unavailable, with the message's ref.
  session.recipient_found(*lookup, Error{Error::Kind::unavailable, "down"});
  EXPECT_EQ(link.last_error_code(), "unavailable");
  EXPECT_EQ(link.replies.back().at("payload").at("ref"), "p1");
  // The directory does not know them either: the hub's own answer.
  session.recipient_found(*lookup, std::optional<std::string>{});
  EXPECT_EQ(link.last_error_code(), "unknown_recipient");
  // It knows them: remembered, and the message is accepted.
  const auto answered = link.replies.size();
  session.recipient_found(*lookup, std::optional<std::string>{"zed"});
  EXPECT_EQ(link.replies.size(), answered);
  EXPECT_TRUE(std::holds_alternative<std::monostate>(session.handle(text)));
  EXPECT_EQ(link.replies.size(), answered);
}

TEST_F(ClientSessionTest, RefreshIsHeldToTheSameUserAndExtendsTheExpiry) {
  auto step = session.handle(R"({"type":"refresh_token","ref":"t1","token":"x.y.z"})");
  auto* check = std::get_if<ClientSession::CheckToken>(&step);
  ASSERT_NE(check, nullptr);
  EXPECT_EQ(check->token, "x.y.z");
  EXPECT_FALSE(session.expiry_enforced());

  EXPECT_FALSE(session.token_checked(*check, {"token expired", {}, {}}));
  EXPECT_EQ(link.last_error_code(), "invalid_message");
  EXPECT_FALSE(session.token_checked(*check, {std::nullopt, "u-b", expires + 1h}));
  EXPECT_EQ(link.last_error_code(), "token_subject_mismatch");
  EXPECT_EQ(session.expires_at(), expires);
  EXPECT_FALSE(session.expiry_enforced());

  EXPECT_TRUE(session.token_checked(*check, {std::nullopt, "u-a", expires + 1h}));
  EXPECT_EQ(session.expires_at(), expires + 1h);
  EXPECT_TRUE(session.expiry_enforced());  // refreshed: held to its token in every mode
}

TEST_F(ClientSessionTest, TheSessionRecordOpensAndClosesInTheStore) {
  const auto start = now_micros();
  EXPECT_FALSE(session.close_record(start)) << "nothing to close before it opened";
  // The store did not answer in time: no record, and nothing to close.
  session.record_opened(std::nullopt);
  EXPECT_FALSE(session.close_record(start));

  auto open = session.open_record(start);
  session.record_opened(open());
  auto close = session.close_record(start + std::chrono::seconds(90));
  ASSERT_TRUE(close);
  close();
  auto days = store.session_activity("u-a", 1, start + std::chrono::seconds(91));
  ASSERT_TRUE(days);
  ASSERT_EQ(days->size(), 1u);
  EXPECT_EQ(days->front().session_count, 1);
  EXPECT_EQ(days->front().total_seconds, 90);
}

}  // namespace
}  // namespace natter::chat
