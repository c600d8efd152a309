// A small fixed pool of PostgreSQL connections shared by the store's callers. A connection found
// broken is replaced on its next lease, so the store recovers on its own after a server restart.
// Knows nothing of natter's schema.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/result.hpp"
#include "store/postgres/pg_connection.hpp"

namespace natter::store::postgres {

class ConnectionPool {
 public:
  // Opens nothing yet: connections are made on first lease.
  ConnectionPool(std::string url, std::size_t size, std::chrono::milliseconds acquire_timeout);

  // One connection, back in the pool when the lease goes away (dropped if it broke).
  class Lease {
   public:
    Lease(ConnectionPool& pool, Connection connection)
        : pool_(&pool), connection_(std::move(connection)) {}
    Lease(Lease&& other) noexcept
        : pool_(std::exchange(other.pool_, nullptr)), connection_(std::move(other.connection_)) {}
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    Lease& operator=(Lease&&) = delete;
    ~Lease();

    Connection& operator*() { return *connection_; }
    Connection* operator->() { return &*connection_; }

   private:
    ConnectionPool* pool_;
    std::optional<Connection> connection_;
  };

  // Waits up to the acquire timeout for a free slot, connecting when the slot has no live
  // connection. unavailable when the timeout passes or the server cannot be reached.
  Result<Lease> acquire();

 private:
  void give_back(std::optional<Connection> connection);

  const std::string url_;
  const std::chrono::milliseconds acquire_timeout_;
  std::mutex mutex_;
  std::condition_variable freed_;
  std::vector<std::optional<Connection>> idle_;  // one entry per free slot; empty: not connected
};

}  // namespace natter::store::postgres
