// Per-user and per-address connection counts for the caps checked at the upgrade.
#include "net/connection_counter.hpp"

#include <utility>

namespace natter::net {

ConnectionCounter::Slot::Slot(Slot&& other) noexcept
    : counter_(std::exchange(other.counter_, nullptr)),
      user_(std::move(other.user_)),
      address_(other.address_) {}

ConnectionCounter::Slot& ConnectionCounter::Slot::operator=(Slot&& other) noexcept {
  if (this != &other) {
    release();
    counter_ = std::exchange(other.counter_, nullptr);
    user_ = std::move(other.user_);
    address_ = other.address_;
  }
  return *this;
}

ConnectionCounter::Slot::~Slot() { release(); }

void ConnectionCounter::Slot::release() {
  if (auto* counter = std::exchange(counter_, nullptr)) counter->release(user_, address_);
}

ConnectionCounter::Full ConnectionCounter::acquire(std::string_view user,
                                                   const boost::asio::ip::address& address,
                                                   std::size_t max_per_user,
                                                   std::size_t max_per_address, Slot& slot) {
  std::lock_guard lock(mutex_);
  auto by_user = per_user_.find(user);
  if (max_per_user != 0 && by_user != per_user_.end() && by_user->second >= max_per_user) {
    return Full::user;
  }
  auto by_address = per_address_.find(address);
  if (max_per_address != 0 && by_address != per_address_.end() &&
      by_address->second >= max_per_address) {
    return Full::address;
  }
  if (by_user == per_user_.end()) by_user = per_user_.emplace(std::string(user), 0).first;
  if (by_address == per_address_.end()) by_address = per_address_.emplace(address, 0).first;
  ++by_user->second;
  ++by_address->second;
  slot.release();
  slot.counter_ = this;
  slot.user_ = std::string(user);
  slot.address_ = address;
  return Full::no;
}

std::size_t ConnectionCounter::connections_of(std::string_view user) const {
  std::lock_guard lock(mutex_);
  auto it = per_user_.find(user);
  return it == per_user_.end() ? 0 : it->second;
}

std::size_t ConnectionCounter::connections_from(const boost::asio::ip::address& address) const {
  std::lock_guard lock(mutex_);
  auto it = per_address_.find(address);
  return it == per_address_.end() ? 0 : it->second;
}

void ConnectionCounter::release(const std::string& user, const boost::asio::ip::address& address) {
  std::lock_guard lock(mutex_);
  if (auto it = per_user_.find(user); it != per_user_.end() && --it->second == 0) {
    per_user_.erase(it);
  }
  if (auto it = per_address_.find(address); it != per_address_.end() && --it->second == 0) {
    per_address_.erase(it);
  }
}

}  // namespace natter::net
