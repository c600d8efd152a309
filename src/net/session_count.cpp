// The session count's zero check: the waiter is taken under the mutex so that it runs once,
// whether the count reaches zero before or after it is set.
#include "net/session_count.hpp"

#include <utility>

namespace natter::net {

std::size_t SessionCount::operator--() {
  const std::size_t left = --count_;
  if (left == 0) {
    std::function<void()> waiter;
    {
      std::lock_guard lock(mutex_);
      waiter = std::exchange(waiter_, nullptr);
    }
    if (waiter) waiter();
  }
  return left;
}

void SessionCount::when_empty(std::function<void()> waiter) {
  {
    std::lock_guard lock(mutex_);
    if (!waiter || count_.load() != 0) {
      waiter_ = std::move(waiter);
      return;
    }
    waiter_ = nullptr;
  }
  waiter();
}

}  // namespace natter::net
