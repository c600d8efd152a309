// The PostgreSQL connection pool; see connection_pool.hpp.
#include "store/postgres/connection_pool.hpp"

namespace natter::store::postgres {

ConnectionPool::ConnectionPool(std::string url, std::size_t size,
                               std::chrono::milliseconds acquire_timeout)
    : url_(std::move(url)), acquire_timeout_(acquire_timeout), idle_(size) {}

ConnectionPool::Lease::~Lease() {
  if (pool_ != nullptr) pool_->give_back(std::move(connection_));
}

Result<ConnectionPool::Lease> ConnectionPool::acquire() {
  std::optional<Connection> slot;
  {
    std::unique_lock lock(mutex_);
    if (!freed_.wait_for(lock, acquire_timeout_, [&] { return !idle_.empty(); })) {
      return Error{Error::Kind::unavailable, "no PostgreSQL connection free in time"};
    }
    slot = std::move(idle_.back());
    idle_.pop_back();
  }
  if (!slot || !slot->healthy()) {
    slot.reset();
    auto connected = Connection::connect(url_);
    if (!connected) {
      give_back(std::nullopt);
      return connected.error();
    }
    slot.emplace(std::move(*connected));
  }
  return Lease(*this, std::move(*slot));
}

void ConnectionPool::give_back(std::optional<Connection> connection) {
  if (connection && !connection->healthy()) connection.reset();
  {
    std::lock_guard lock(mutex_);
    idle_.push_back(std::move(connection));
  }
  freed_.notify_one();
}

}  // namespace natter::store::postgres
