// JwksClient against a real HTTP server on a loopback socket served by a test thread:
// initial fetch, discovery through the issuer, retry after failure, the refetch throttle, and
// a provider that goes down or turns to garbage while the last good set stays.
#include "auth/jwks_client.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <boost/json/serialize.hpp>
#include <future>
#include <map>

#include "auth/jwk.hpp"

namespace natter::auth {
namespace {

using namespace std::chrono_literals;

// Answers GET requests from a path -> (status, body) table, one connection at a time.
class TinyHttpServer {
 public:
  TinyHttpServer() {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(listener_, 16) != 0 ||
        ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      throw std::runtime_error("cannot listen on loopback");
    }
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~TinyHttpServer() { stop(); }

  void stop() {
    stopping_ = true;
    if (thread_.joinable()) {
      thread_.join();
    }
    if (listener_ >= 0) {
      ::close(listener_);
      listener_ = -1;
    }
  }

  void route(const std::string& path, int status, std::string body) {
    std::lock_guard lock(mutex_);
    routes_[path] = {status, std::move(body)};
  }
  int hits(const std::string& path) {
    std::lock_guard lock(mutex_);
    return hits_[path];
  }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }

 private:
  void serve() {
    while (!stopping_) {
      pollfd fd{listener_, POLLIN, 0};
      if (::poll(&fd, 1, 50) <= 0) {
        continue;
      }
      const int client = ::accept(listener_, nullptr, nullptr);
      if (client >= 0) {
        answer(client);
        ::close(client);
      }
    }
  }

  void answer(int client) {
    std::string request;
    char buffer[4096];
    while (request.find("\r\n\r\n") == std::string::npos && request.size() < 65536) {
      pollfd fd{client, POLLIN, 0};
      if (::poll(&fd, 1, 2000) <= 0) {
        return;
      }
      const ssize_t got = ::recv(client, buffer, sizeof buffer, 0);
      if (got <= 0) {
        return;
      }
      request.append(buffer, static_cast<std::size_t>(got));
    }
    const auto start = request.find(' ') + 1;
    const std::string path = request.substr(start, request.find(' ', start) - start);
    int status = 404;
    std::string body = "not found";
    {
      std::lock_guard lock(mutex_);
      ++hits_[path];
      if (const auto it = routes_.find(path); it != routes_.end()) {
        std::tie(status, body) = it->second;
      }
    }
    const std::string response =
        "HTTP/1.1 " + std::to_string(status) +
        " X\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
        "\r\nConnection: close\r\n\r\n" + body;
    ::send(client, response.data(), response.size(), MSG_NOSIGNAL);
  }

  int listener_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::mutex mutex_;
  std::map<std::string, std::pair<int, std::string>> routes_;
  std::map<std::string, int> hits_;
  std::thread thread_;
};

template <typename Predicate>
bool eventually(Predicate predicate, std::chrono::milliseconds limit = 5000ms) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (predicate()) {
      return true;
    }
    std::this_thread::sleep_for(10ms);
  }
  return predicate();
}

// A refetch whose result can be awaited from the test thread.
struct Refetch {
  std::shared_ptr<std::promise<bool>> promise = std::make_shared<std::promise<bool>>();
  std::future<bool> result = promise->get_future();
  std::function<void(bool)> callback() {
    return [promise = promise](bool fetched) { promise->set_value(fetched); };
  }
  bool answered_now() { return result.wait_for(0s) == std::future_status::ready; }
  bool get() {
    EXPECT_EQ(result.wait_for(5s), std::future_status::ready);
    return result.get();
  }
};

class JwksClientTest : public testing::Test {
 protected:
  static void SetUpTestSuite() { key_ = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"); }
  static void TearDownTestSuite() { EVP_PKEY_free(key_); }

  static std::string jwks(std::initializer_list<const char*> kids) {
    boost::json::array keys;
    for (const char* kid : kids) {
      keys.push_back(public_jwk(key_, kid, "ES256"));
    }
    return boost::json::serialize(boost::json::object{{"keys", keys}});
  }
  JwksSettings direct_settings(std::chrono::seconds min_refetch = 30s) const {
    JwksSettings settings;
    settings.jwks_url = server_.url("/certs");
    settings.min_refetch_interval = min_refetch;
    settings.http_timeout = 2s;
    return settings;
  }

  static EVP_PKEY* key_;
  TinyHttpServer server_;
  std::shared_ptr<KeySet> keys_ = std::make_shared<KeySet>();
};

EVP_PKEY* JwksClientTest::key_ = nullptr;

TEST_F(JwksClientTest, FetchesTheJwksAtStart) {
  server_.route("/certs", 200, jwks({"k1"}));
  JwksClient client(direct_settings(), keys_);
  client.start();
  ASSERT_TRUE(eventually([&] { return keys_->loaded(); }));
  EXPECT_TRUE(keys_->find("k1"));
  EXPECT_EQ(server_.hits("/certs"), 1);
}

TEST_F(JwksClientTest, FindsTheJwksThroughTheIssuer) {
  server_.route("/realms/natter/.well-known/openid-configuration", 200,
                R"({"issuer":")" + server_.url("/realms/natter") + R"(","jwks_uri":")" +
                    server_.url("/realms/natter/protocol/openid-connect/certs") + R"("})");
  server_.route("/realms/natter/protocol/openid-connect/certs", 200, jwks({"kc"}));
  JwksSettings settings;
  settings.issuer = server_.url("/realms/natter/");
  JwksClient client(settings, keys_);
  client.start();
  ASSERT_TRUE(eventually([&] { return keys_->loaded(); }));
  EXPECT_TRUE(keys_->find("kc"));
}

TEST_F(JwksClientTest, RetriesWhileTheProviderFails) {
  server_.route("/certs", 503, "starting");
  JwksClient client(direct_settings(), keys_);
  client.start();
  ASSERT_TRUE(eventually([&] { return server_.hits("/certs") >= 1; }));
  EXPECT_FALSE(keys_->loaded());
  server_.route("/certs", 200, jwks({"k1"}));
  ASSERT_TRUE(eventually([&] { return keys_->loaded(); }));  // the 1 s retry
  EXPECT_TRUE(keys_->find("k1"));
}

TEST_F(JwksClientTest, RefetchFindsARotatedKeyThenIsThrottled) {
  server_.route("/certs", 200, jwks({"k1"}));
  JwksClient client(direct_settings(30s), keys_);
  client.start();
  ASSERT_TRUE(eventually([&] { return keys_->loaded(); }));

  // The initial fetch does not count against the throttle.
  server_.route("/certs", 200, jwks({"k1", "k2"}));
  Refetch first;
  client.refetch(first.callback());
  EXPECT_TRUE(first.get());
  EXPECT_TRUE(keys_->find("k2"));
  EXPECT_EQ(server_.hits("/certs"), 2);

  Refetch second;
  client.refetch(second.callback());
  EXPECT_TRUE(second.answered_now());
  EXPECT_FALSE(second.get());
  EXPECT_EQ(server_.hits("/certs"), 2);
}

TEST_F(JwksClientTest, WaitersOfOnePendingRefetchShareItsResult) {
  server_.route("/certs", 200, jwks({"k1"}));
  JwksClient client(direct_settings(30s), keys_);
  std::vector<Refetch> waiters(3);
  for (auto& waiter : waiters) {
    client.refetch(waiter.callback());  // queued before the thread runs
  }
  client.start();
  for (auto& waiter : waiters) {
    EXPECT_TRUE(waiter.get());
  }
  EXPECT_LE(server_.hits("/certs"), 2);
}

TEST_F(JwksClientTest, ProviderDownKeepsTheLastSet) {
  server_.route("/certs", 200, jwks({"k1"}));
  JwksClient client(direct_settings(0s), keys_);
  client.start();
  ASSERT_TRUE(eventually([&] { return keys_->loaded(); }));

  server_.route("/certs", 200, "<html>maintenance</html>");
  Refetch garbage;
  client.refetch(garbage.callback());
  EXPECT_FALSE(garbage.get());
  EXPECT_TRUE(keys_->find("k1"));

  server_.stop();
  Refetch down;
  client.refetch(down.callback());
  EXPECT_FALSE(down.get());
  EXPECT_TRUE(keys_->find("k1"));
}

TEST_F(JwksClientTest, RefusesAnOversizeResponse) {
  server_.route("/certs", 200, std::string(2 << 20, ' ') + jwks({"k1"}));
  JwksClient client(direct_settings(0s), keys_);
  client.start();
  Refetch refetch;
  client.refetch(refetch.callback());
  EXPECT_FALSE(refetch.get());
  EXPECT_FALSE(keys_->loaded());
}

TEST_F(JwksClientTest, StopsPromptly) {
  server_.route("/certs", 200, jwks({"k1"}));
  const auto started = std::chrono::steady_clock::now();
  {
    JwksClient client(direct_settings(), keys_);
    client.start();
    ASSERT_TRUE(eventually([&] { return keys_->loaded(); }));
  }
  EXPECT_LT(std::chrono::steady_clock::now() - started, 2s);
}

TEST_F(JwksClientTest, UnstartedClientAnswersWaitersOnDestruction) {
  Refetch refetch;
  {
    JwksClient client(direct_settings(), keys_);
    client.refetch(refetch.callback());
  }
  EXPECT_TRUE(refetch.answered_now());
  EXPECT_FALSE(refetch.get());
}

}  // namespace
}  // namespace natter::auth
