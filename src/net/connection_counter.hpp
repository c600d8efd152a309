// Counts open WebSocket connections per user and per client address, so that no one user or
// address holds more than its share of the server. Shared by every shard (one mutex); an
// entry lives only while it counts a connection. Knows nothing of sessions or sockets.
#pragma once

#include <boost/asio/ip/address.hpp>
#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

namespace natter::net {

class ConnectionCounter {
  struct Counts;

 public:
  // One counted connection; it stops counting when the slot is destroyed. A slot keeps the
  // counts alive, so it may outlive the counter (a session freed at exit).
  class Slot {
   public:
    Slot() = default;
    Slot(Slot&& other) noexcept = default;
    Slot& operator=(Slot&& other) noexcept;
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;
    ~Slot();

   private:
    friend class ConnectionCounter;
    void release();

    std::shared_ptr<Counts> counts_;
    std::string user_;
    boost::asio::ip::address address_;
  };

  enum class Full { no, user, address };

  ConnectionCounter();

  // Counts one more connection of `user` from `address` into `slot`, unless that would pass
  // `max_per_user` or `max_per_address` (0: no cap); then says which and counts nothing.
  Full acquire(std::string_view user, const boost::asio::ip::address& address,
               std::size_t max_per_user, std::size_t max_per_address, Slot& slot);

 private:
  struct Counts {
    std::mutex mutex;
    std::map<std::string, std::size_t, std::less<>> per_user;
    std::map<boost::asio::ip::address, std::size_t> per_address;
  };

  std::shared_ptr<Counts> counts_;
};

}  // namespace natter::net
