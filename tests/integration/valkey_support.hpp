// Shared by the Valkey integration tests: where the server of scripts/with-redis is, a fixture
// that empties its database before each test, the accept script called as natter calls it
// (EVALSHA, then EVAL on NOSCRIPT), and a redis-server of a test's own to stop and restart.
#pragma once

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "cache/valkey/bus_codec.hpp"
#include "cache/valkey/connection.hpp"
#include "cache/valkey/scripts.hpp"
#include "cache/valkey/valkey_url.hpp"

extern char** environ;

namespace natter::cache::testing {

using namespace std::chrono_literals;

// The server scripts/with-redis started. Tests fail (they do not skip) without one.
inline ValkeyAddress test_address() {
  const char* url = std::getenv("NATTER_TEST_VALKEY_URL");
  if (!url || !*url) {
    ADD_FAILURE() << "NATTER_TEST_VALKEY_URL is not set: run under scripts/with-redis";
    return {};
  }
  std::string why;
  auto address = parse_valkey_url(url, why);
  if (!address) {
    ADD_FAILURE() << "NATTER_TEST_VALKEY_URL: " << why;
    return {};
  }
  return *address;
}

inline std::unique_ptr<Connection> open_or_fail(const ValkeyAddress& address) {
  std::string error;
  auto connection = Connection::open(address, 2000ms, error);
  if (!connection)
    ADD_FAILURE() << "cannot connect to " << address.host << ":" << address.port << ": " << error;
  return connection;
}

// Calls `command` and fails the test when there is no reply at all.
inline Reply must_call(Connection& connection, const Command& command) {
  std::string error;
  auto reply = connection.call(command, error);
  if (!reply) {
    ADD_FAILURE() << command.front() << ": " << error;
    return Reply{Reply::Type::error, 0, "no reply: " + error, {}};
  }
  return *reply;
}

// EVALSHA, and EVAL when the server does not know the script: what natter does.
inline Reply run_script(Connection& connection, const Script& script,
                        std::vector<std::string> args) {
  auto reply = must_call(connection, evalsha(script, args));
  if (is_noscript(reply)) reply = must_call(connection, eval(script, std::move(args)));
  return reply;
}

struct AcceptArgs {
  char kind = 'p';
  std::string sender = "u1";
  std::int64_t floor = 0;
  std::int64_t limit = 1000;
  std::int64_t window = 60;
  std::string body;
  std::string recipient;
};

inline chat::ChatMessage public_message(std::string sender, std::string text,
                                        std::string channel = "general") {
  chat::ChatMessage m;
  m.owner_id = sender;
  m.username = "name-" + sender;
  m.channel = std::move(channel);
  m.message = std::move(text);
  m.authored_at = chat::TimePoint(std::chrono::microseconds(1'800'000'000'000'001LL));
  return m;
}

inline chat::PrivateMessage private_message(std::string sender, std::string recipient,
                                            std::string text) {
  chat::PrivateMessage m;
  m.owner_id = sender;
  m.username = "name-" + sender;
  m.recipient_id = recipient;
  m.recipient = "name-" + recipient;
  m.message = std::move(text);
  m.authored_at = chat::TimePoint(std::chrono::microseconds(1'800'000'000'000'002LL));
  return m;
}

inline std::vector<std::string> accept_argv(const AcceptArgs& a) {
  return {std::string(1, a.kind),
          a.sender,
          std::to_string(a.floor),
          std::to_string(a.limit),
          std::to_string(a.window),
          a.body,
          a.recipient};
}

// Runs the accept script; {accepted, cacheID or retry_after_ms}.
struct AcceptResult {
  bool accepted = false;
  std::int64_t value = 0;
};

inline AcceptResult accept(Connection& connection, const AcceptArgs& a) {
  auto reply = run_script(connection, accept_script(), accept_argv(a));
  if (reply.type != Reply::Type::array || reply.elements.size() != 2) {
    ADD_FAILURE() << "accept script answered type " << static_cast<int>(reply.type) << " "
                  << reply.text;
    return {};
  }
  return {reply.elements[0].integer == 1, reply.elements[1].integer};
}

inline AcceptResult accept_public(Connection& connection, const chat::ChatMessage& m,
                                  std::int64_t floor = 0, std::int64_t limit = 1000,
                                  std::int64_t window = 60) {
  return accept(connection, {'p', m.owner_id, floor, limit, window, message_body(m), ""});
}

inline AcceptResult accept_private(Connection& connection, const chat::PrivateMessage& m,
                                   std::int64_t floor = 0, std::int64_t limit = 1000,
                                   std::int64_t window = 60) {
  return accept(connection,
                {'q', m.owner_id, floor, limit, window, message_body(m), m.recipient_id});
}

// Waits (polling) until `done` holds or `timeout` passes.
inline bool eventually(const std::function<bool()>& done,
                       std::chrono::milliseconds timeout = 5000ms) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return done();
}

// Each test starts from an empty database on the shared server.
class ValkeyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    address_ = test_address();
    ASSERT_FALSE(address_.host.empty());
    connection_ = open_or_fail(address_);
    ASSERT_TRUE(connection_);
    auto reply = must_call(*connection_, {"FLUSHDB"});
    ASSERT_EQ(reply.type, Reply::Type::status) << reply.text;
  }

  Connection& redis() { return *connection_; }

  ValkeyAddress address_;
  std::unique_ptr<Connection> connection_;
};

inline std::uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t length = sizeof addr;
  std::uint16_t port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &length) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

// A redis-server of the test's own (/usr/bin/redis-server, or NATTER_REDIS_SERVER), on a free
// port, killed and started again on that same port when the test says so.
class OwnRedis {
 public:
  OwnRedis() : port_(free_port()) {
    dir_ = std::filesystem::temp_directory_path() /
           ("natter-own-redis-" + std::to_string(::getpid()) + "-" + std::to_string(port_));
    std::filesystem::create_directories(dir_);
  }
  ~OwnRedis() {
    kill();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  OwnRedis(const OwnRedis&) = delete;
  OwnRedis& operator=(const OwnRedis&) = delete;

  ValkeyAddress address() const { return ValkeyAddress{.host = "127.0.0.1", .port = port_}; }
  std::uint16_t port() const { return port_; }

  // Starts the server and waits until it answers PING.
  bool start() {
    const char* server = std::getenv("NATTER_REDIS_SERVER");
    std::string binary = server && *server ? server : "/usr/bin/redis-server";
    std::vector<std::string> args{binary,
                                  "--port",
                                  std::to_string(port_),
                                  "--bind",
                                  "127.0.0.1",
                                  "--save",
                                  "",
                                  "--appendonly",
                                  "no",
                                  "--dir",
                                  dir_.string(),
                                  "--logfile",
                                  (dir_ / "server.log").string()};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (::posix_spawn(&pid_, binary.c_str(), nullptr, nullptr, argv.data(), environ) != 0) {
      pid_ = -1;
      return false;
    }
    return eventually(
        [&] {
          std::string error;
          auto c = Connection::open(address(), 200ms, error);
          if (!c) return false;
          auto pong = c->call({"PING"}, error);
          return pong && pong->text == "PONG";
        },
        10000ms);
  }

  // SIGKILL: connections drop at once, as in a crash.
  void kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }

 private:
  std::uint16_t port_;
  std::filesystem::path dir_;
  pid_t pid_ = -1;
};

}  // namespace natter::cache::testing
