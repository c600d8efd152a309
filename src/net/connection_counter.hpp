// Counts open WebSocket connections per user and per client address, so that no one user or
// address holds more than its share of the server. Shared by every shard (one mutex); an
// entry lives only while it counts a connection. Knows nothing of sessions or sockets.
#pragma once

#include <boost/asio/ip/address.hpp>
#include <cstddef>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

namespace natter::net {

class ConnectionCounter {
 public:
  // One counted connection; it stops counting when the slot is destroyed.
  class Slot {
   public:
    Slot() = default;
    Slot(Slot&& other) noexcept;
    Slot& operator=(Slot&& other) noexcept;
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;
    ~Slot();

   private:
    friend class ConnectionCounter;
    void release();

    ConnectionCounter* counter_ = nullptr;
    std::string user_;
    boost::asio::ip::address address_;
  };

  enum class Full { no, user, address };

  // Counts one more connection of `user` from `address` into `slot`, unless that would pass
  // `max_per_user` or `max_per_address` (0: no cap); then says which and counts nothing.
  Full acquire(std::string_view user, const boost::asio::ip::address& address,
               std::size_t max_per_user, std::size_t max_per_address, Slot& slot);

  std::size_t connections_of(std::string_view user) const;
  std::size_t connections_from(const boost::asio::ip::address& address) const;

 private:
  void release(const std::string& user, const boost::asio::ip::address& address);

  mutable std::mutex mutex_;
  std::map<std::string, std::size_t, std::less<>> per_user_;
  std::map<boost::asio::ip::address, std::size_t> per_address_;
};

}  // namespace natter::net
