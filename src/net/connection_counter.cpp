// Per-user and per-address connection counts for the caps checked at the upgrade.
#include "net/connection_counter.hpp"

#include <utility>

namespace natter::net {

ConnectionCounter::Slot& ConnectionCounter::Slot::operator=(Slot&& other) noexcept {
  if (this != &other) {
    release();
    counts_ = std::move(other.counts_);
    user_ = std::move(other.user_);
    address_ = other.address_;
  }
  return *this;
}

ConnectionCounter::Slot::~Slot() { release(); }

void ConnectionCounter::Slot::release() {
  auto counts = std::move(counts_);
  if (!counts) return;
  std::lock_guard lock(counts->mutex);
  if (auto it = counts->per_user.find(user_); it != counts->per_user.end() && --it->second == 0) {
    counts->per_user.erase(it);
  }
  if (auto it = counts->per_address.find(address_);
      it != counts->per_address.end() && --it->second == 0) {
    counts->per_address.erase(it);
  }
}

ConnectionCounter::ConnectionCounter() : counts_(std::make_shared<Counts>()) {}

ConnectionCounter::Full ConnectionCounter::acquire(std::string_view user,
                                                   const boost::asio::ip::address& address,
                                                   std::size_t max_per_user,
                                                   std::size_t max_per_address, Slot& slot) {
  slot.release();
  std::lock_guard lock(counts_->mutex);
  auto by_user = counts_->per_user.find(user);
  if (max_per_user != 0 && by_user != counts_->per_user.end() && by_user->second >= max_per_user) {
    return Full::user;
  }
  auto by_address = counts_->per_address.find(address);
  if (max_per_address != 0 && by_address != counts_->per_address.end() &&
      by_address->second >= max_per_address) {
    return Full::address;
  }
  if (by_user == counts_->per_user.end()) {
    by_user = counts_->per_user.emplace(std::string(user), 0).first;
  }
  if (by_address == counts_->per_address.end()) {
    by_address = counts_->per_address.emplace(address, 0).first;
  }
  ++by_user->second;
  ++by_address->second;
  slot.counts_ = counts_;
  slot.user_ = std::string(user);
  slot.address_ = address;
  return Full::no;
}

}  // namespace natter::net
