// A TCP proxy in front of a redis-server, to stage what a crash can do between two connections:
// it can discard what the server sends to connections that subscribed (a publish lost while the
// publisher's reply got through) and turn new connections away. One thread per direction of
// each connection; a connection is cut on both sides when either side closes.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <memory>
#include <mutex>
#include <string_view>
#include <thread>
#include <vector>

#include "cache/valkey/valkey_url.hpp"

namespace natter::cache::testing {

class ValkeyProxy {
 public:
  explicit ValkeyProxy(std::uint16_t upstream_port) : upstream_port_(upstream_port) {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof addr;
    if (::bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
        ::listen(listener_, 16) == 0 &&
        ::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &length) == 0) {
      port_ = ntohs(addr.sin_port);
    }
    acceptor_ = std::thread([this] { accept_loop(); });
  }

  ~ValkeyProxy() {
    stopping_ = true;
    ::shutdown(listener_, SHUT_RDWR);
    acceptor_.join();
    ::close(listener_);
    std::vector<std::thread> pumps;
    {
      std::lock_guard lock(mutex_);
      for (auto& link : links_) link->cut();
      pumps.swap(pumps_);
    }
    for (auto& t : pumps) t.join();
    for (auto& link : links_) {
      ::close(link->client);
      ::close(link->server);
    }
  }

  ValkeyProxy(const ValkeyProxy&) = delete;
  ValkeyProxy& operator=(const ValkeyProxy&) = delete;

  ValkeyAddress address() const { return ValkeyAddress{.host = "127.0.0.1", .port = port_}; }
  // While on, what the server sends to a connection that subscribed is discarded.
  void drop_to_subscribers(bool on) { drop_ = on; }
  // While on, new connections are closed as soon as they are accepted.
  void turn_away(bool on) { turn_away_ = on; }

 private:
  struct Link {
    int client = -1;
    int server = -1;
    std::atomic<bool> subscriber{false};
    void cut() const {
      ::shutdown(client, SHUT_RDWR);
      ::shutdown(server, SHUT_RDWR);
    }
  };

  void accept_loop() {
    for (;;) {
      const int client = ::accept(listener_, nullptr, nullptr);
      if (client < 0) {
        if (stopping_) return;
        continue;
      }
      if (turn_away_) {
        ::close(client);
        continue;
      }
      const int server = ::socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in addr{};
      addr.sin_family = AF_INET;
      addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      addr.sin_port = htons(upstream_port_);
      if (::connect(server, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(server);
        ::close(client);
        continue;
      }
      auto link = std::make_shared<Link>();
      link->client = client;
      link->server = server;
      std::lock_guard lock(mutex_);
      links_.push_back(link);
      pumps_.emplace_back([this, link] { pump(*link, true); });
      pumps_.emplace_back([this, link] { pump(*link, false); });
    }
  }

  // Copies one direction until either side closes.
  void pump(Link& link, bool to_server) {
    const int from = to_server ? link.client : link.server;
    const int to = to_server ? link.server : link.client;
    char buffer[16384];
    for (;;) {
      const ssize_t n = ::read(from, buffer, sizeof buffer);
      if (n <= 0) break;
      const std::string_view bytes(buffer, static_cast<std::size_t>(n));
      if (to_server && bytes.find("SUBSCRIBE") != std::string_view::npos) link.subscriber = true;
      if (!to_server && link.subscriber && drop_) continue;
      if (!write_all(to, bytes)) break;
    }
    link.cut();  // the descriptors are closed by the destructor, once every pump is done
  }

  static bool write_all(int fd, std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  std::uint16_t upstream_port_;
  std::uint16_t port_ = 0;
  int listener_ = -1;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> drop_{false};
  std::atomic<bool> turn_away_{false};
  std::mutex mutex_;
  std::vector<std::shared_ptr<Link>> links_;
  std::vector<std::thread> pumps_;
  std::thread acceptor_;
};

}  // namespace natter::cache::testing
